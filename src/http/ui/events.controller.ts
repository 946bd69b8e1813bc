// Live updates for the UI: `GET /ui/events` is a server-sent event stream.
//   event: hello     {revision, adminEnabled}                 once, on connect
//   event: app       {status}  (or {namespace, name, gone})  an app's status changed
//   event: history   {event}                                  something happened to an app
//   event: revision  {revision}                               a new snapshot: reload the list
// Status changes are coalesced per app and flushed every FLUSH_MS, so a cold sync of thousands of apps
// sends each app once per flush, not once per pass. Streams end when drover shuts down; the browser's
// EventSource reconnects by itself (retry: 2000 ms). At most MAX_STREAMS at once.
import { Controller, Get, Inject, type OnModuleDestroy, Res, ServiceUnavailableException } from '@nestjs/common';
import type { Config } from '../../config.js';
import type { History, HistoryChange } from '../../controller/history.js';
import type { ControllerApi } from '../../controller/types.js';
import type { HttpResponse } from '../http-types.js';
import { CONFIG, CONTROLLER } from '../tokens.js';
import { HISTORY } from './tokens.js';

export const FLUSH_MS = 200;
export const HEARTBEAT_MS = 15_000;
export const MAX_STREAMS = 100;

interface StreamResponse extends HttpResponse {
  write(chunk: string): boolean;
  end(): unknown;
  flushHeaders?(): void;
  on(event: 'close', cb: () => void): unknown;
  writableEnded?: boolean;
}

@Controller('ui')
export class UiEventsController implements OnModuleDestroy {
  private readonly streams = new Set<() => void>();

  constructor(
    @Inject(CONTROLLER) private readonly controller: ControllerApi,
    @Inject(HISTORY) private readonly history: History,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  @Get('events')
  events(@Res() res: StreamResponse): void {
    if (this.streams.size >= MAX_STREAMS) throw new ServiceUnavailableException(`too many live views (${MAX_STREAMS}); try again later`);
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders?.();
    const send = (event: string, data: unknown) => {
      if (!res.writableEnded) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    let revision = this.controller.revision() ?? null;
    res.write('retry: 2000\n\n');
    send('hello', { revision, adminEnabled: Boolean(this.config.adminToken) });

    const pending = new Map<string, [string, string]>();
    const flush = () => {
      const now = this.controller.revision() ?? null;
      if (now !== revision) {
        revision = now;
        send('revision', { revision });
      }
      for (const [, [namespace, name]] of pending) {
        const status = this.controller.getApp(namespace, name);
        send('app', status ? { status } : { namespace, name, gone: true });
      }
      pending.clear();
    };
    const onChange = (c: HistoryChange) => {
      if (c.type === 'event') send('history', { event: c.event });
      else pending.set(`${c.namespace}/${c.name}`, [c.namespace, c.name]);
    };
    const unsubscribe = this.history.subscribe(onChange);
    const flusher = setInterval(flush, FLUSH_MS);
    const heartbeat = setInterval(() => !res.writableEnded && res.write(': ping\n\n'), HEARTBEAT_MS);
    flusher.unref?.();
    heartbeat.unref?.();
    const stop = () => {
      unsubscribe();
      clearInterval(flusher);
      clearInterval(heartbeat);
      this.streams.delete(stop);
      if (!res.writableEnded) res.end();
    };
    this.streams.add(stop);
    res.on('close', stop);
  }

  /** Ends every stream, so the HTTP server can close (an open stream would hold it). */
  onModuleDestroy(): void {
    for (const stop of [...this.streams]) stop();
  }
}
