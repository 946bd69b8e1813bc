// The one retry policy of the upstream clients: how many attempts, and exponential backoff with full
// jitter between them. got's retry runs it for requests (http.ts decides which failures qualify); the
// event stream's reconnect waits by the same schedule (with the abortable sleep below). Kept apart
// from the request core so the schedule itself is testable without a server.

export interface RetryPolicy {
  /** total attempts, first one included; 1 = never retry */
  attempts: number;
  /** first backoff ceiling, milliseconds */
  baseMs: number;
  /** backoff ceiling never grows past this, milliseconds */
  maxMs: number;
  /** random source in [0, 1), injectable so tests are repeatable */
  random?: () => number;
}

export const DEFAULT_RETRY: Readonly<RetryPolicy> = Object.freeze({ attempts: 4, baseMs: 100, maxMs: 2000 });

/**
 * Delay before retry number `retry` (1 = the first retry): uniform in [0, min(maxMs, baseMs * 2^(retry-1))].
 * Full jitter spreads the retries of many workers so a recovering upstream is not hit in lockstep.
 */
export function backoffMs(policy: RetryPolicy, retry: number): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor((policy.random ?? Math.random)() * ceiling);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. Leaves no timer behind. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}
