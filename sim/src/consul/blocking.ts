// Consul blocking queries (`?index=&wait=`) and the X-Consul-* headers every read carries.
// Facts checked against a real 1.8.7 agent: a query whose index is below the current one returns at
// once; an index at or above it (even far above) blocks until the watched data changes or `wait`
// runs out; index 0 never blocks. The sim applies `wait` exactly (Consul adds up to wait/16 jitter).
import type { SimReply, SimRequest } from '../http.js';
import { parseGoDurationMs } from '../duration.js';
import type { ConsulStore } from './store.js';

const DEFAULT_WAIT_MS = 5 * 60_000;
const MAX_WAIT_MS = 10 * 60_000;

export function consulHeaders(index: number): Record<string, string> {
  return { 'X-Consul-Index': String(index), 'X-Consul-KnownLeader': 'true', 'X-Consul-LastContact': '0' };
}

export interface BlockingWatch {
  /** the index the reply will carry (Consul: e.g. a key's ModifyIndex, or the table index when it is missing) */
  replyIndex: () => number;
  /** moves whenever exactly what the query reads changes (Consul's watch set); only that wakes the query */
  watchIndex: () => number;
}

/** Waits as a blocking query would; returns an error reply for a malformed index or wait, else undefined. */
export async function block(store: ConsulStore, req: SimRequest, watch: BlockingWatch): Promise<SimReply | undefined> {
  const rawIndex = req.query.get('index');
  if (rawIndex === null || rawIndex === '') return undefined;
  if (!/^\d+$/.test(rawIndex)) return { status: 400, text: 'Invalid index' };
  const minIndex = Number(rawIndex);
  let waitMs = DEFAULT_WAIT_MS;
  const rawWait = req.query.get('wait');
  if (rawWait) {
    const parsed = parseGoDurationMs(rawWait);
    if (parsed === undefined) return { status: 400, text: 'Invalid wait time' };
    waitMs = Math.min(parsed, MAX_WAIT_MS);
  }
  if (minIndex === 0 || watch.replyIndex() > minIndex) return undefined;
  const gone = new AbortController();
  const onClose = () => gone.abort();
  req.res.once('close', onClose);
  const deadline = Date.now() + waitMs;
  try {
    // Like Consul: wait for the watch to fire, re-run, and keep waiting while the index has not passed.
    while (watch.replyIndex() <= minIndex && !gone.signal.aborted && !store.closed) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      const seen = watch.watchIndex();
      await store.waitUntil(() => watch.watchIndex() !== seen, remaining, gone.signal);
    }
  } finally {
    req.res.off('close', onClose);
  }
  return undefined;
}
