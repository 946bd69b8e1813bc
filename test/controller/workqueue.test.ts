// The work queue alone: dedupe, re-run after in-flight add, one worker per key, bounded concurrency, backoff.
import test from 'ava';
import { systemClock } from '../../src/core/clock.js';
import { WorkQueue, type WorkResult } from '../../src/controller/workqueue.js';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

test('a key queued twice runs once; added while in flight runs again after', async (t) => {
  const runs: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const q = new WorkQueue({ concurrency: 1, clock: systemClock, worker: async (k) => { runs.push(k); if (runs.length === 1) await gate; return 'done'; } });
  q.add('a'); // starts at once
  q.add('b');
  q.add('b');
  q.add('a'); // while in flight → dirty
  q.add('a');
  release();
  await q.idle(1000);
  t.deepEqual(runs, ['a', 'b', 'a']);
});

test('never two workers on one key; concurrency bounded', async (t) => {
  let active = 0;
  let maxActive = 0;
  const perKey = new Map<string, number>();
  let overlap = false;
  const q = new WorkQueue({ concurrency: 3, clock: systemClock, worker: async (k) => {
    active++; maxActive = Math.max(maxActive, active);
    perKey.set(k, (perKey.get(k) ?? 0) + 1);
    if (perKey.get(k)! > 1) overlap = true;
    await tick(3);
    perKey.set(k, perKey.get(k)! - 1);
    active--;
    return 'done';
  } });
  for (let round = 0; round < 3; round++) for (let i = 0; i < 10; i++) { q.add(`k${i}`); await tick(1); }
  await q.idle(2000);
  t.is(maxActive, 3);
  t.false(overlap);
});

test('retry with exponential backoff, full jitter, capped; success clears the failures', async (t) => {
  const delays: number[] = [];
  let calls = 0;
  const q = new WorkQueue({
    concurrency: 1, clock: systemClock, random: () => 0.999, backoff: { baseMs: 2, maxMs: 20 },
    onRetry: (_k, d) => delays.push(d),
    worker: async (): Promise<WorkResult> => (++calls < 6 ? 'retry' : 'done'),
  });
  q.add('x');
  await q.idle(2000);
  t.is(calls, 6);
  t.deepEqual(delays, [1, 3, 7, 15, 19]); // floor(0.999 × min(20, 2·2^n))
  t.is(q.retryDelayMs(100), 19);
  const q2 = new WorkQueue({ concurrency: 1, clock: systemClock, random: () => 0, worker: async () => 'done' });
  t.is(q2.retryDelayMs(3), 0, 'full jitter reaches 0');
});

test('a worker that throws is retried, not lost', async (t) => {
  let calls = 0;
  const q = new WorkQueue({ concurrency: 2, clock: systemClock, backoff: { baseMs: 1, maxMs: 2 }, worker: async () => {
    if (++calls === 1) throw new Error('boom');
    return 'done';
  } });
  q.add('x');
  await q.idle(1000);
  t.is(calls, 2);
});
