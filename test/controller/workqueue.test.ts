// The work queue alone: dedupe, re-run after in-flight add, one worker per key, bounded concurrency,
// backoff (on the fake clock: no test here sleeps), bugs not retried, stop + drain.
import test from 'ava';
import { WorkQueue, type WorkResult } from '../../src/controller/workqueue.js';
import { FakeClock, turn } from '../helpers/fake-clock.js';

/** A promise the test resolves by hand. */
function gate() {
  let open!: () => void;
  const p = new Promise<void>((r) => (open = r));
  return { p, open };
}

test('a key queued twice runs once; added while in flight runs again after', async (t) => {
  const clock = new FakeClock();
  const runs: string[] = [];
  const g = gate();
  const q = new WorkQueue({ concurrency: 1, clock, scheduler: clock, worker: async (k) => { runs.push(k); if (runs.length === 1) await g.p; return 'done'; } });
  q.add('a'); // starts at once
  q.add('b');
  q.add('b');
  q.add('a'); // while in flight → dirty
  q.add('a');
  g.open();
  await q.idle(10_000);
  t.deepEqual(runs, ['a', 'b', 'a']);
});

test('never two workers on one key; concurrency bounded', async (t) => {
  const clock = new FakeClock();
  let active = 0;
  let maxActive = 0;
  const perKey = new Map<string, number>();
  let overlap = false;
  const gates: Array<() => void> = [];
  const q = new WorkQueue({ concurrency: 3, clock, scheduler: clock, worker: async (k) => {
    active++; maxActive = Math.max(maxActive, active);
    perKey.set(k, (perKey.get(k) ?? 0) + 1);
    if (perKey.get(k)! > 1) overlap = true;
    const g = gate();
    gates.push(g.open);
    await g.p;
    perKey.set(k, perKey.get(k)! - 1);
    active--;
    return 'done';
  } });
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 10; i++) q.add(`k${i}`);
    // let a few finish between rounds, so keys are re-added while in flight
    for (let i = 0; i < 2; i++) gates.shift()?.();
    await turn();
  }
  while (!q.isIdle()) {
    gates.shift()?.();
    await turn();
  }
  t.is(maxActive, 3);
  t.false(overlap);
});

test('retry with exponential backoff, full jitter, capped; success clears the failures', async (t) => {
  const clock = new FakeClock(0);
  const delays: number[] = [];
  const ranAt: number[] = [];
  const q = new WorkQueue({
    concurrency: 1, clock, scheduler: clock, random: () => 0.999, backoff: { baseMs: 2, maxMs: 20 },
    onRetry: (_k, d) => delays.push(d),
    worker: async (): Promise<WorkResult> => {
      ranAt.push(clock.now());
      return ranAt.length < 6 ? 'retry' : 'done';
    },
  });
  q.add('x');
  while (ranAt.length < 6) await clock.next('workqueue-retry');
  await q.idle(10_000);
  t.deepEqual(delays, [1, 3, 7, 15, 19]); // floor(0.999 × min(20, 2·2^n))
  t.deepEqual(ranAt, [0, 1, 4, 11, 26, 45], 'each retry runs exactly its delay after the failure');
  t.is(q.retryDelayMs(100), 19);
  const q2 = new WorkQueue({ concurrency: 1, clock, scheduler: clock, random: () => 0, worker: async () => 'done' });
  t.is(q2.retryDelayMs(3), 0, 'full jitter reaches 0');
});

test('a worker that throws is a bug: reported with its error, not retried; the key runs again when added', async (t) => {
  const clock = new FakeClock();
  let calls = 0;
  const bugs: Array<[string, string]> = [];
  const q = new WorkQueue({
    concurrency: 2, clock, scheduler: clock, backoff: { baseMs: 1, maxMs: 2 },
    onBug: (k, e) => bugs.push([k, (e as Error).message]),
    worker: async () => {
      if (++calls === 1) throw new TypeError("Cannot read properties of undefined (reading 'Count')");
      return 'done';
    },
  });
  q.add('x');
  await q.idle(10_000);
  t.is(calls, 1);
  t.deepEqual(clock.pending(), [], 'no retry timer');
  t.deepEqual(bugs, [['x', "Cannot read properties of undefined (reading 'Count')"]]);
  q.add('x');
  await q.idle(10_000);
  t.is(calls, 2);
});

test('stop() takes new work off; drain() waits for the worker in flight, or gives up at its bound', async (t) => {
  const clock = new FakeClock();
  const g = gate();
  const runs: string[] = [];
  const q = new WorkQueue({ concurrency: 1, clock, scheduler: clock, worker: async (k) => { runs.push(k); if (k === 'a') await g.p; return 'retry'; } });
  q.add('a');
  q.add('b');
  q.stop();
  q.add('c');
  t.is(q.depth, 0);
  t.is(q.inFlightCount, 1);
  let drained: boolean | undefined;
  const d = q.drain(5000).then((v) => (drained = v));
  await clock.advance(4999);
  t.is(drained, undefined, 'still waiting inside the bound');
  g.open();
  await d;
  t.true(drained);
  t.deepEqual(runs, ['a'], 'nothing queued or retried after stop');
  t.deepEqual(clock.pending(), []);

  const stuck = new WorkQueue({ concurrency: 1, clock, scheduler: clock, worker: () => new Promise<WorkResult>(() => undefined) });
  stuck.add('hang');
  stuck.stop();
  const late = stuck.drain(5000);
  await clock.advance(5000);
  t.false(await late);
});
