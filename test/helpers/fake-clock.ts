// A fake clock for tests: implements the Scheduler (src/core/scheduler.ts), so it stands in for both
// time and timers. Time moves only through advance()/next(); timers run in order of their due time
// (ties in the order they were made), each seeing now() equal to its due time. Between two timers the
// event loop gets a turn, so work a timer starts (a promise chain, a request to a simulator) can arm
// the next timer before advance() looks again. No test using it sleeps or reads wall-clock time.
import type { Scheduler, Timer } from '../../src/core/scheduler.js';

interface Entry {
  id: number;
  name: string;
  due: number;
  every?: number;
  fn: () => void;
}

export interface PendingTimer {
  name: string;
  /** ms from now() */
  dueIn: number;
  every?: number;
}

/** One turn of the event loop: pending promise callbacks and I/O callbacks run. */
export const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

export class FakeClock implements Scheduler {
  private t: number;
  private seq = 0;
  private readonly timers = new Map<number, Entry>();
  /** every timer name ever armed, in order (for assertions such as "the poll was re-armed") */
  readonly armed: string[] = [];

  constructor(start = Date.UTC(2025, 0, 1)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  timeout(name: string, ms: number, fn: () => void): Timer {
    return this.add({ name, due: this.t + delay(ms), fn });
  }

  interval(name: string, ms: number, fn: () => void): Timer {
    const every = Math.max(1, delay(ms));
    return this.add({ name, due: this.t + every, every, fn });
  }

  /** Timers waiting, soonest first. */
  pending(name?: string | RegExp): PendingTimer[] {
    return this.sorted()
      .filter((e) => matches(e.name, name))
      .map((e) => ({ name: e.name, dueIn: e.due - this.t, ...(e.every ? { every: e.every } : {}) }));
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const next = this.sorted().find((e) => e.due <= end);
      if (!next) break;
      this.fire(next);
    }
    this.t = end;
    await settle();
  }

  /** Moves time to the soonest timer (matching `name` when given, running every earlier one too) and runs it. Throws when there is none. */
  async next(name?: string | RegExp): Promise<void> {
    await settle();
    const target = this.sorted().find((e) => matches(e.name, name));
    if (!target) throw new Error(`no pending timer${name ? ` matching ${String(name)}` : ''}; pending: ${this.describe()}`);
    await this.advance(target.due - this.t);
  }

  /**
   * Waits (real time, polling) until a timer matching `name` is pending: the code under test arms it
   * after some I/O of its own. Fails after `timeoutMs` naming what is pending.
   */
  async waitFor(name: string | RegExp, timeoutMs = 10_000): Promise<PendingTimer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const p = this.pending(name)[0];
      if (p) return p;
      if (Date.now() > deadline) throw new Error(`no timer matching ${String(name)} was armed within ${timeoutMs} ms; pending: ${this.describe()}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  describe(): string {
    const p = this.pending();
    return p.length === 0 ? 'none' : p.map((x) => `${x.name}@+${x.dueIn}ms${x.every ? ` every ${x.every}ms` : ''}`).join(', ');
  }

  private add(e: Omit<Entry, 'id'>): Timer {
    const id = ++this.seq;
    this.timers.set(id, { ...e, id });
    this.armed.push(e.name);
    return { cancel: () => void this.timers.delete(id) };
  }

  private fire(e: Entry): void {
    this.t = Math.max(this.t, e.due);
    if (e.every) e.due += e.every;
    else this.timers.delete(e.id);
    e.fn();
  }

  private sorted(): Entry[] {
    return [...this.timers.values()].sort((a, b) => a.due - b.due || a.id - b.id);
  }
}

function delay(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

function matches(timerName: string, name: string | RegExp | undefined): boolean {
  if (name === undefined) return true;
  return typeof name === 'string' ? timerName === name : name.test(timerName);
}

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await turn();
}
