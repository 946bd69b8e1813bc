// The simulated Consul's shared state core: the raft-like index every write bumps, and the wake-up
// list blocking queries wait on. KV, sessions and services keep their own tables but share this index,
// as Consul's state store does, so X-Consul-Index values are comparable across endpoints.

interface Waiter {
  check: () => void;
  done: () => void;
}

export class ConsulStore {
  private index: number;
  private readonly waiters = new Set<Waiter>();
  /** set on shutdown: blocking queries answer at once from then on */
  closed = false;

  constructor(startIndex = 10) {
    this.index = startIndex;
  }

  get currentIndex(): number {
    return this.index;
  }

  /** Allocates the index of one write. Call `changed()` once the write is visible. */
  nextIndex(): number {
    return ++this.index;
  }

  /** Wakes every blocked query so it can re-check whether what it watches moved. */
  changed(): void {
    for (const w of [...this.waiters]) w.check();
  }

  /**
   * Resolves when `moved()` becomes true, after `waitMs`, or when `signal` aborts (client went away).
   * A blocking query only returns early for a change to what it watches, like Consul's watch sets.
   */
  waitUntil(moved: () => boolean, waitMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed || moved() || signal?.aborted) return resolve();
      const waiter: Waiter = {
        check: () => {
          if (moved()) waiter.done();
        },
        done: () => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          signal?.removeEventListener('abort', waiter.done);
          resolve();
        },
      };
      const timer = setTimeout(waiter.done, waitMs);
      this.waiters.add(waiter);
      signal?.addEventListener('abort', waiter.done, { once: true });
    });
  }

  /** Releases every waiter at once (used on close so no query hangs past shutdown). */
  releaseAll(): void {
    this.closed = true;
    for (const w of [...this.waiters]) w.done();
  }

  get waiting(): number {
    return this.waiters.size;
  }
}
