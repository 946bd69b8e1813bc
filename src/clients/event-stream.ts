// Nomad's event stream as an AsyncIterable of frames: NDJSON split across chunk boundaries,
// heartbeats (`{}`) dropped, a dropped or failed connection resumed from the last seen index + 1
// with backoff, duplicates after a resume dropped, and a clean stop when the caller's signal aborts
// or the caller stops iterating (the socket is destroyed either way).
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import { DroverError, type ErrorCode } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { nullLogger } from '../core/logger.js';
import type { EventFrame } from '../core/nomad-types.js';
import type { HttpCore } from './http.js';
import { backoffMs, sleep } from './retry.js';

/** A frame with a full job payload can be large, but not unbounded. */
const MAX_LINE_BYTES = 64 * 1024 * 1024;

/** Failures that another connection attempt cannot fix: handed to the consumer. */
const TERMINAL: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['unauthorized', 'rejected', 'not-found']);

/**
 * Splits a byte stream into lines in linear time: a partial line is kept as a list of chunks and
 * joined once its newline arrives, and only new data is scanned for `\n` (a frame carrying a whole
 * job can be megabytes, arriving in many small chunks).
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending: string[] = [];
  private pendingLength = 0;

  /** Complete lines found so far; a partial last line is kept for the next chunk. */
  push(chunk: Buffer | string): string[] {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const lines: string[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      this.pending.push(text.slice(start, nl));
      lines.push(this.pending.join(''));
      this.pending = [];
      this.pendingLength = 0;
      start = nl + 1;
    }
    if (start < text.length) {
      this.pending.push(start === 0 ? text : text.slice(start));
      this.pendingLength += text.length - start;
    }
    if (this.pendingLength > MAX_LINE_BYTES) throw new DroverError('bad-response', 'nomad event stream: a line exceeds 64 MiB', { upstream: 'nomad' });
    return lines.map((l) => l.trim()).filter((l) => l.length > 0);
  }
}

/** null for a heartbeat; throws bad-response for anything that is not a frame. */
export function parseFrame(line: string): EventFrame | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new DroverError('bad-response', 'nomad event stream: a line is not valid JSON', { upstream: 'nomad' });
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new DroverError('bad-response', 'nomad event stream: a line is not a JSON object', { upstream: 'nomad' });
  const o = v as { Index?: unknown; Events?: unknown };
  const events = Array.isArray(o.Events) ? o.Events : [];
  const index = typeof o.Index === 'number' ? o.Index : 0;
  if (index === 0 && events.length === 0) return null;
  if (!Number.isSafeInteger(index) || index < 0) throw new DroverError('bad-response', 'nomad event stream: a frame has no valid Index', { upstream: 'nomad' });
  return { Index: index, Events: events as EventFrame['Events'] };
}

export interface EventStreamParams {
  topics: string[];
  namespace?: string;
  region?: string;
  /** first index wanted (inclusive, Nomad's semantics); 0/undefined = whatever the server still buffers */
  index?: number;
  signal: AbortSignal;
  /**
   * The cluster's Raft index went backwards (a restarted cluster with fresh state starts again at 1): the
   * frames are yielded again from the new index, and this says so, so the caller can re-read everything.
   */
  onIndexReset?: (was: number, now: number) => void;
  /** a connection ended or failed and is about to be made again (the caller may check the cluster meanwhile) */
  onReconnect?: () => void;
  /** Nomad answered the subscription (status and headers in): from here on, nothing written is missed */
  onOpen?: () => void;
}

export async function* eventStream(core: HttpCore, p: EventStreamParams, logger: Logger = nullLogger): AsyncGenerator<EventFrame> {
  let lastIndex = 0;
  let failures = 0;
  while (!p.signal.aborted) {
    const from = lastIndex > 0 ? lastIndex + 1 : (p.index ?? 0);
    // Nomad re-sends its newest batch when asked for an index past it: never yield an index twice.
    const floor = lastIndex > 0 ? lastIndex : Math.max(0, from - 1);
    let stream: Readable | undefined;
    try {
      stream = await core.openStream({
        route: '/v1/event/stream',
        path: '/v1/event/stream',
        query: { topic: p.topics, namespace: p.namespace, region: p.region, index: from > 0 ? from : undefined },
        signal: p.signal,
      });
      p.onOpen?.();
      const splitter = new LineSplitter();
      for await (const chunk of stream) {
        for (const line of splitter.push(chunk as Buffer)) {
          const frame = parseFrame(line);
          if (!frame) continue;
          if (lastIndex > 0 && frame.Index < lastIndex) {
            // Not the newest batch re-sent (that is lastIndex itself): an index lower than one this stream
            // already saw, which a running cluster never sends. Start over from there.
            logger.warn('nomad event stream: the index went backwards (a restarted cluster); reading from its new index', { was: lastIndex, now: frame.Index });
            p.onIndexReset?.(lastIndex, frame.Index);
            lastIndex = frame.Index;
            failures = 0;
            yield frame;
            continue;
          }
          if (frame.Index <= floor) continue;
          failures = 0;
          lastIndex = Math.max(lastIndex, frame.Index);
          yield frame;
        }
      }
      logger.debug('nomad event stream ended, reconnecting', { lastIndex });
    } catch (e) {
      if (p.signal.aborted) return;
      if (e instanceof DroverError && TERMINAL.has(e.code)) throw e;
      logger.warn('nomad event stream failed, reconnecting', {
        lastIndex, code: e instanceof DroverError ? e.code : 'unavailable', error: e instanceof DroverError ? e.message : 'connection lost',
      });
    } finally {
      stream?.destroy();
    }
    failures++;
    p.onReconnect?.();
    try {
      await sleep(backoffMs(core.retryPolicy, failures), p.signal);
    } catch {
      return;
    }
  }
}
