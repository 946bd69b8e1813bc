// The scheduler behind every drover timer: Node's timers through @nestjs/schedule's registry, delays
// past Node's 32-bit limit split into steps (a 600 h poll used to fire after 1 ms), and the fake clock
// the other tests use instead of sleeping.
import 'reflect-metadata';
import test from 'ava';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { MAX_TIMER_MS, sleep } from '../src/core/scheduler.js';
import { NodeScheduler, type TimerRegistry } from '../src/scheduler.js';
import { NestScheduler } from '../src/scheduler-nest.js';
import { FakeClock, turn } from './helpers/fake-clock.js';

const H600 = 600 * 3600_000;

class RecordingRegistry implements TimerRegistry {
  readonly live = new Map<string, NodeJS.Timeout>();
  addTimeout(name: string, ref: NodeJS.Timeout) { this.live.set(name, ref); }
  addInterval(name: string, ref: NodeJS.Timeout) { this.live.set(name, ref); }
  deleteTimeout(name: string) { clearTimeout(this.live.get(name)); this.live.delete(name); }
  deleteInterval(name: string) { clearInterval(this.live.get(name)); this.live.delete(name); }
  doesExist(_type: 'timeout' | 'interval', name: string) { return this.live.has(name); }
}

/** The delay Node holds for a timer (Timeout#_idleTimeout, kept since Node 0.x). */
const heldDelay = (t: NodeJS.Timeout): number => (t as unknown as { _idleTimeout: number })._idleTimeout;

async function overflowWarnings(arm: () => void): Promise<number> {
  let n = 0;
  const onWarning = (w: Error) => { if (w.name === 'TimeoutOverflowWarning') n++; };
  process.on('warning', onWarning);
  try {
    arm();
    await turn();
    await turn();
  } finally {
    process.off('warning', onWarning);
  }
  return n;
}

test('a 600 h timeout or interval is held as steps Node can keep: no overflow, nothing fires early', async (t) => {
  // The raw Node timer this replaces overflows (the test would catch a scheduler that passed it through).
  t.is(await overflowWarnings(() => clearTimeout(setTimeout(() => undefined, H600))), 1);
  const registry = new RecordingRegistry();
  const s = new NodeScheduler(registry);
  let fired = 0;
  const warnings = await overflowWarnings(() => {
    s.timeout('long-timeout', H600, () => fired++);
    s.interval('long-interval', H600, () => fired++);
  });
  t.is(warnings, 0);
  t.is(registry.live.size, 2);
  for (const ref of registry.live.values()) t.is(heldDelay(ref), MAX_TIMER_MS);
  t.is(fired, 0);
  for (const name of [...registry.live.keys()]) registry.deleteTimeout(name);
});

test('a cancelled timer leaves the registry; a fired one too', async (t) => {
  const registry = new RecordingRegistry();
  const s = new NodeScheduler(registry);
  const a = s.timeout('a', 60_000, () => t.fail('cancelled timer ran'));
  const b = s.interval('b', 60_000, () => t.fail('cancelled interval ran'));
  t.deepEqual([...registry.live.keys()].map((k) => k.split('#')[0]).sort(), ['a', 'b']);
  a.cancel();
  b.cancel();
  a.cancel();
  t.is(registry.live.size, 0);
  await new Promise<void>((resolve) => s.timeout('now', 0, resolve));
  t.is(registry.live.size, 0);
});

test('NestScheduler registers every timer in ScheduleModule\'s SchedulerRegistry under a unique name', async (t) => {
  @Module({ imports: [ScheduleModule.forRoot()], providers: [NestScheduler] })
  class M {}
  const app = await NestFactory.createApplicationContext(M, { logger: false });
  t.teardown(() => app.close());
  const s = app.get(NestScheduler);
  const registry = app.get(SchedulerRegistry);
  const one = s.timeout('git-poll', 30_000, () => undefined);
  const two = s.timeout('git-poll', 30_000, () => undefined);
  const every = s.interval('resync', 60_000, () => undefined);
  t.is(registry.getTimeouts().filter((n) => n.startsWith('git-poll#')).length, 2);
  t.is(registry.getIntervals().filter((n) => n.startsWith('resync#')).length, 1);
  one.cancel();
  two.cancel();
  every.cancel();
  t.deepEqual(registry.getTimeouts(), []);
  t.deepEqual(registry.getIntervals(), []);
});

test('fake clock: timers run in due order, each seeing its own time; intervals repeat; cancel works', async (t) => {
  const c = new FakeClock(0);
  const seen: string[] = [];
  c.timeout('b', 20, () => seen.push(`b@${c.now()}`));
  c.timeout('a', 10, () => seen.push(`a@${c.now()}`));
  const every = c.interval('tick', 15, () => seen.push(`tick@${c.now()}`));
  const never = c.timeout('never', 5, () => seen.push('never'));
  never.cancel();
  await c.advance(31);
  t.deepEqual(seen, ['a@10', 'tick@15', 'b@20', 'tick@30']);
  t.is(c.now(), 31);
  every.cancel();
  t.deepEqual(c.pending(), []);
});

test('fake clock: work a timer starts can arm the next one within the same advance()', async (t) => {
  const c = new FakeClock(0);
  const at: number[] = [];
  const loop = async () => {
    await Promise.resolve(); // some async work between passes
    at.push(c.now());
    c.timeout('pass', 100, () => void loop());
  };
  c.timeout('pass', 100, () => void loop());
  await c.advance(350);
  t.deepEqual(at, [100, 200, 300]);
  const slept = sleep(c, 'nap', 50);
  await c.next('nap');
  await slept;
  t.is(c.now(), 350 + 50);
  const aborted = new AbortController();
  const early = sleep(c, 'nap', 1e9, aborted.signal);
  aborted.abort();
  await early;
  t.deepEqual(c.pending('nap'), []);
});
