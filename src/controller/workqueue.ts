// The work queue of app keys (client-go's workqueue habits): a key queued twice is queued once; a key
// added while in flight runs again right after; one worker per key; bounded concurrency; retries with
// exponential backoff and full jitter, capped. Knows nothing about Nomad or apps.
import type { Clock } from '../core/clock.js';

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
  random?: () => number;
  onDepth?: (depth: number) => void;
  onRetry?: (key: string, delayMs: number) => void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly inFlight = new Map<string, number>(); // key → start time
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly backoff: BackoffOptions;
  private stopped = false;

  constructor(private readonly opts: WorkQueueOptions) {
    this.backoff = { baseMs: opts.backoff?.baseMs ?? 5, maxMs: opts.backoff?.maxMs ?? 300_000 };
  }

  add(key: string): void {
    if (this.stopped) return;
    const timer = this.timers.get(key);
    if (timer) {
      clearTimeout(timer);
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

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.queue.length = 0;
    this.queued.clear();
    this.opts.onDepth?.(0);
    this.checkIdle();
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
    } catch {
      result = 'retry';
    }
    this.inFlight.delete(key);
    if (result === 'retry') this.scheduleRetry(key);
    else this.failures.delete(key);
    if (this.dirty.delete(key)) this.add(key);
    this.pump();
    this.checkIdle();
  }

  private scheduleRetry(key: string): void {
    if (this.stopped) return;
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delay = this.retryDelayMs(n);
    this.opts.onRetry?.(key, delay);
    if (this.dirty.has(key)) return; // it runs again right away anyway
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delay);
    timer.unref?.();
    this.timers.set(key, timer);
  }

  private checkIdle(): void {
    if (!this.isIdle()) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
