// The Scheduler (src/core/scheduler.ts) on Node's timers. `drover run` uses NestScheduler
// (scheduler-nest.ts): the same, with every timer registered under a unique name in @nestjs/schedule's
// SchedulerRegistry. `plainScheduler` has no registry, for code that runs outside Nest (CLI commands,
// a part built alone in a test); this file imports no Nest, so the controller, source, leader and
// registrar can default to it. Delays longer than Node's 32-bit limit run as a chain of shorter steps,
// so none can overflow.
import type { Clock } from './core/clock.js';
import { MAX_TIMER_MS, timerDelay, type Scheduler, type Timer } from './core/scheduler.js';

/** The real clock, for code that takes a Clock outside tests (core only declares the interface). */
export const systemClock: Clock = { now: () => Date.now() };

/** The part of SchedulerRegistry the scheduler uses. */
export interface TimerRegistry {
  addTimeout(name: string, ref: NodeJS.Timeout): void;
  addInterval(name: string, ref: NodeJS.Timeout): void;
  deleteTimeout(name: string): void;
  deleteInterval(name: string): void;
  doesExist(type: 'timeout' | 'interval', name: string): boolean;
}

export class NodeScheduler implements Scheduler {
  private seq = 0;

  constructor(private readonly registry?: TimerRegistry) {}

  now(): number {
    return Date.now();
  }

  timeout(name: string, ms: number, fn: () => void): Timer {
    const key = `${name}#${++this.seq}`;
    let cancelled = false;
    let handle: NodeJS.Timeout | undefined;
    const arm = (left: number) => {
      const step = Math.min(left, MAX_TIMER_MS);
      handle = setTimeout(() => {
        this.forget('timeout', key);
        if (cancelled) return;
        if (left > step) arm(left - step);
        else fn();
      }, step);
      handle.unref(); // the HTTP server keeps `drover run` alive, not a pending timer
      this.registry?.addTimeout(key, handle);
    };
    arm(timerDelay(ms));
    return {
      cancel: () => {
        if (cancelled) return;
        cancelled = true;
        clearTimeout(handle);
        this.forget('timeout', key);
      },
    };
  }

  interval(name: string, ms: number, fn: () => void): Timer {
    const every = Math.max(1, timerDelay(ms));
    if (every > MAX_TIMER_MS) {
      // Longer than one Node timer can hold: a chain of timeouts, each re-armed before fn runs.
      let current: Timer;
      const tick = () => {
        current = this.timeout(name, every, tick);
        fn();
      };
      current = this.timeout(name, every, tick);
      return { cancel: () => current.cancel() };
    }
    const key = `${name}#${++this.seq}`;
    const handle = setInterval(fn, every);
    handle.unref();
    this.registry?.addInterval(key, handle);
    let cancelled = false;
    return {
      cancel: () => {
        if (cancelled) return;
        cancelled = true;
        clearInterval(handle);
        this.forget('interval', key);
      },
    };
  }

  private forget(type: 'timeout' | 'interval', key: string): void {
    if (!this.registry?.doesExist(type, key)) return;
    if (type === 'timeout') this.registry.deleteTimeout(key);
    else this.registry.deleteInterval(key);
  }
}

/** Outside Nest: Node's timers, no registry. */
export const plainScheduler: Scheduler = new NodeScheduler();
