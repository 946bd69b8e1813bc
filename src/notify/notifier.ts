// Outgoing notifications: subscribes to the history log, keeps the chosen event kinds, drops repeats
// within the dedupe window, and hands each target its own bounded queue drained by one sender. Sending
// is got with its retry (exponential backoff, Retry-After honoured) and a per-attempt timeout. The
// controller's only contact is the history listener, which does an array push and returns: a receiver
// that is down, slow or hanging can fill a queue (the oldest message is dropped and counted), never
// hold up a reconcile.
import got, { type Got } from 'got';
import type { Clock } from '../core/clock.js';
import { systemClock } from '../scheduler.js';
import type { Logger } from '../core/logger.js';
import type { History, HistoryEvent } from '../controller/history.js';
import type { Metrics } from '../metrics.js';
import type { NotifyConfig, NotifyForm, NotifyTarget } from './config.js';
import { buildPayload, type PayloadContext } from './payload.js';

export interface NotifierOptions {
  config: NotifyConfig;
  history: Pick<History, 'subscribe'>;
  metrics: Metrics;
  logger: Logger;
  owner: string;
  /** every token and secret drover holds: scrubbed from messages if one ever got in */
  secrets: readonly string[];
  clock?: Clock;
  /** backoff between attempts: base × 2^(n-1), capped (default 1 s … 60 s); tests shorten it */
  backoff?: { baseMs: number; maxMs: number };
}

interface Outgoing {
  event: HistoryEvent;
  body: unknown;
}

class TargetQueue {
  readonly items: Outgoing[] = [];
  running: Promise<void> | undefined;
  constructor(readonly target: NotifyTarget) {}
}

export class Notifier {
  private readonly queues: TargetQueue[];
  private readonly lastSent = new Map<string, number>();
  private readonly clock: Clock;
  private readonly http: Got;
  private readonly abort = new AbortController();
  private unsubscribe: (() => void) | undefined;
  private readonly payloadCtx: PayloadContext;

  constructor(private readonly opts: NotifierOptions) {
    this.clock = opts.clock ?? systemClock;
    this.queues = opts.config.targets.map((t) => new TargetQueue(t));
    this.payloadCtx = { owner: opts.owner, secrets: [...opts.secrets, ...opts.config.targets.map((t) => t.url)], ...(opts.config.publicUrl ? { publicUrl: opts.config.publicUrl } : {}) };
    const { baseMs, maxMs } = opts.backoff ?? { baseMs: 1000, maxMs: 60_000 };
    this.http = got.extend({
      timeout: { request: opts.config.timeoutMs },
      headers: { 'user-agent': 'drover-notify/1' },
      retry: {
        limit: opts.config.retries,
        methods: ['POST'],
        statusCodes: [408, 413, 425, 429, 500, 502, 503, 504, 521, 522, 524],
        // got decides whether to retry (computedValue 0 = no); we only set the pace, keeping a Retry-After.
        calculateDelay: ({ attemptCount, computedValue, retryAfter }) =>
          computedValue === 0 ? 0 : retryAfter ?? Math.min(maxMs, baseMs * 2 ** (attemptCount - 1)),
      },
      signal: this.abort.signal,
    });
  }

  /** true when at least one target is configured */
  get enabled(): boolean {
    return this.queues.length > 0;
  }

  start(): void {
    if (!this.enabled || this.unsubscribe) return;
    this.unsubscribe = this.opts.history.subscribe((c) => {
      if (c.type === 'event') this.offer(c.event);
    });
  }

  /** Takes one event (synchronous, O(1)): filter, dedupe, enqueue per target. */
  offer(event: HistoryEvent): void {
    if (!(this.opts.config.events as readonly string[]).includes(event.kind)) return;
    const key = `${event.kind}|${event.namespace}/${event.name}|${event.message}`;
    const now = this.clock.now();
    const last = this.lastSent.get(key);
    if (last !== undefined && now - last < this.opts.config.dedupeWindowMs) {
      for (const q of this.queues) this.opts.metrics.notifications.inc({ target: q.target.form, result: 'deduplicated' });
      return;
    }
    this.rememberSent(key, now);
    for (const q of this.queues) {
      if (q.items.length >= this.opts.config.queueSize) {
        q.items.shift();
        this.opts.metrics.notifications.inc({ target: q.target.form, result: 'dropped' });
      }
      q.items.push({ event, body: buildPayload(q.target.form, event, this.payloadCtx) });
      this.depth(q);
      q.running ??= this.drain(q).finally(() => {
        q.running = undefined;
      });
    }
  }

  /** Resolves once every queue is empty and nothing is in flight (tests). */
  async idle(): Promise<void> {
    while (this.queues.some((q) => q.running)) await Promise.all(this.queues.map((q) => q.running));
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.abort.abort();
    for (const q of this.queues) q.items.length = 0;
    await Promise.allSettled(this.queues.map((q) => q.running));
    for (const q of this.queues) this.depth(q);
  }

  private async drain(q: TargetQueue): Promise<void> {
    // Yield first, so offer() returns before any network work starts.
    await Promise.resolve();
    for (let next = q.items.shift(); next && !this.abort.signal.aborted; next = q.items.shift()) {
      this.depth(q);
      await this.send(q.target.form, q.target.url, next);
    }
    this.depth(q);
  }

  private async send(form: NotifyForm, url: string, item: Outgoing): Promise<void> {
    try {
      await this.http.post(url, { json: item.body });
      this.opts.metrics.notifications.inc({ target: form, result: 'sent' });
    } catch (e) {
      if (this.abort.signal.aborted) return;
      this.opts.metrics.notifications.inc({ target: form, result: 'failed' });
      // The URL is a secret: log the form and the reason only.
      const code = (e as { code?: string; response?: { statusCode?: number } }).response?.statusCode ?? (e as { code?: string }).code ?? 'error';
      this.opts.logger.warn('notification not delivered after retries', { target: form, event: item.event.kind, app: `${item.event.namespace}/${item.event.name}`, code: String(code) });
    }
  }

  private depth(q: TargetQueue): void {
    this.opts.metrics.notifyQueueDepth.set({ target: q.target.form }, q.items.length);
  }

  private rememberSent(key: string, now: number): void {
    this.lastSent.delete(key);
    this.lastSent.set(key, now);
    // Bounded: forget what is past the window, and never keep more than 10,000 keys.
    for (const [k, at] of this.lastSent) {
      if (now - at < this.opts.config.dedupeWindowMs && this.lastSent.size <= 10_000) break;
      this.lastSent.delete(k);
    }
  }
}
