// Timers come in through this interface, as time does through Clock, so tests replace both with one
// fake clock (test/helpers/fake-clock.ts) and never sleep. In `drover run` it is backed by
// @nestjs/schedule's SchedulerRegistry (src/scheduler.ts); code outside Nest (CLI commands, tests
// that build one part alone) uses the plain implementation there. Pure: an interface and a helper
// over it, no timer of its own.
import type { Clock } from './clock.js';

/**
 * Node keeps a timer's delay in a signed 32-bit millisecond count: anything longer (≈ 596 h) fires
 * after 1 ms. Implementations split longer delays into steps of at most this; config refuses
 * durations near it at parse time (src/core/duration.ts MAX_DURATION_MS).
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface Timer {
  /** Stops the timer. Safe to call more than once, and after it fired. */
  cancel(): void;
}

export interface Scheduler extends Clock {
  /**
   * Runs `fn` once, `ms` from now (negative or NaN counts as 0; any length, no overflow).
   * `name` says what the timer is for (e.g. `git-poll`): the registry and the fake clock show it.
   */
  timeout(name: string, ms: number, fn: () => void): Timer;
  /** Runs `fn` every `ms` (≥ 1) until cancelled; the first run is `ms` from now. */
  interval(name: string, ms: number, fn: () => void): Timer;
}

/** Resolves after `ms`, or at once when `signal` aborts (callers check `signal.aborted`). Leaves no timer behind. */
export function sleep(scheduler: Scheduler, name: string, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      timer.cancel();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = scheduler.timeout(name, ms, done);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** A delay a timer can take: finite, ≥ 0. */
export function timerDelay(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}
