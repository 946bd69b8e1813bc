// The work queue of app keys (client-go's workqueue habits): a key queued twice is queued once; a key
// added while in flight runs again right after; one worker per key; bounded concurrency; retries with
// exponential backoff and full jitter, capped. Retry timers go through the Scheduler. stop() takes
// new work off; drain() then waits (bounded) for the workers in flight. Knows nothing about Nomad or apps.
import type { Clock } from '../core/clock.js';
import type { Scheduler, Timer } from '../core/scheduler.js';
import { plainScheduler } from '../scheduler.js';

export type WorkResult = 'done' | 'retry';

export interface BackoffOptions {
  /** first retry delay upper bound; default 5 ms */
  baseMs: number;
  /** cap; default 5 min */
  maxMs: number;
}

export interface WorkQueueOptions {
  concurrency: number;
  worker: (key: string) => Promise<WorkResult>;
  backoff?: Partial<BackoffOptions>;
  clock: Clock;
  /** retry backoff timers; default Node's timers (plainScheduler) */
  scheduler?: Scheduler;
  random?: () => number;
  onDepth?: (depth: number) => void;
  onRetry?: (key: string, delayMs: number) => void;
  /** a worker threw (a bug, not an upstream failure): not retried */
  onBug?: (key: string, error: unknown) => void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly inFlight = new Map<string, number>(); // key → start time
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, Timer>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly drainWaiters: (() => void)[] = [];
  private readonly backoff: BackoffOptions;
  private readonly scheduler: Scheduler;
  private stopped = false;

  constructor(private readonly opts: WorkQueueOptions) {
    this.backoff = { baseMs: opts.backoff?.baseMs ?? 5, maxMs: opts.backoff?.maxMs ?? 300_000 };
    this.scheduler = opts.scheduler ?? plainScheduler;
  }

  add(key: string): void {
    if (this.stopped) return;
    const timer = this.timers.get(key);
    if (timer) {
      timer.cancel();
      this.timers.delete(key);
    }
    if (this.inFlight.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.opts.onDepth?.(this.queue.length);
    this.pump();
  }

  /** Clears a key's failure history (its next failure starts again at the base delay). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  get depth(): number {
    return this.queue.length;
  }

  /** Seconds the oldest in-flight item has been running (0 when idle). */
  longestRunningSeconds(): number {
    const now = this.opts.clock.now();
    let oldest = now;
    for (const started of this.inFlight.values()) oldest = Math.min(oldest, started);
    return (now - oldest) / 1000;
  }

  isIdle(): boolean {
    return this.queue.length === 0 && this.inFlight.size === 0 && this.timers.size === 0;
  }

  /** Resolves when nothing is queued, in flight or waiting for a retry. */
  idle(timeoutMs = 10_000): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`work queue not idle after ${timeoutMs}ms (depth ${this.queue.length}, in flight ${this.inFlight.size}, retries waiting ${this.timers.size})`)), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Takes new work off: queued keys and pending retries are dropped, add() is ignored from now on. Workers in flight go on. */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    this.queue.length = 0;
    this.queued.clear();
    this.dirty.clear();
    this.opts.onDepth?.(0);
    this.checkIdle();
  }

  /** Keys being worked on right now. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /**
   * After stop(): resolves true once no worker is in flight, or false when `timeoutMs` passed first
   * (measured on the scheduler). The caller then aborts what is left.
   */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.inFlight.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = () => {
        timer.cancel();
        resolve(true);
      };
      const timer = this.scheduler.timeout('workqueue-drain', timeoutMs, () => {
        const i = this.drainWaiters.indexOf(waiter);
        if (i >= 0) this.drainWaiters.splice(i, 1);
        resolve(this.inFlight.size === 0);
      });
      this.drainWaiters.push(waiter);
    });
  }

  /** Full jitter: a uniform delay in [0, min(cap, base·2^n)). */
  retryDelayMs(failures: number): number {
    const ceiling = Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** Math.min(failures, 40));
    return Math.floor((this.opts.random ?? Math.random)() * ceiling);
  }

  private pump(): void {
    while (!this.stopped && this.inFlight.size < this.opts.concurrency && this.queue.length > 0) {
      const key = this.queue.shift()!;
      this.queued.delete(key);
      this.opts.onDepth?.(this.queue.length);
      void this.run(key);
    }
  }

  private async run(key: string): Promise<void> {
    this.inFlight.set(key, this.opts.clock.now());
    let result: WorkResult;
    try {
      result = await this.opts.worker(key);
    } catch (e) {
      // Workers report failures as 'retry'; a throw is a bug in drover. Retrying it would loop forever
      // on the same input, so it is reported and the key waits for its next trigger.
      this.opts.onBug?.(key, e);
      result = 'done';
    }
    this.inFlight.delete(key);
    if (result === 'retry') this.scheduleRetry(key);
    else this.failures.delete(key);
    if (this.dirty.delete(key)) this.add(key);
    this.pump();
    this.checkIdle();
    if (this.inFlight.size === 0) for (const w of this.drainWaiters.splice(0)) w();
  }

  private scheduleRetry(key: string): void {
    if (this.stopped) return;
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delay = this.retryDelayMs(n);
    this.opts.onRetry?.(key, delay);
    if (this.dirty.has(key)) return; // it runs again right away anyway
    const timer = this.scheduler.timeout('workqueue-retry', delay, () => {
      this.timers.delete(key);
      this.add(key);
    });
    this.timers.set(key, timer);
  }

  private checkIdle(): void {
    if (!this.isIdle()) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
