import test from 'ava';
import { backoffMs, sleep } from '../../src/clients/retry.js';

test('backoff ceiling doubles per retry and stops at maxMs', (t) => {
  const top = { attempts: 9, baseMs: 100, maxMs: 1000, random: () => 0.999999 };
  t.deepEqual([1, 2, 3, 4, 5, 6].map((r) => backoffMs(top, r)), [99, 199, 399, 799, 999, 999]);
});

test('full jitter: the delay is uniform from zero, not from the ceiling', (t) => {
  t.is(backoffMs({ attempts: 3, baseMs: 100, maxMs: 1000, random: () => 0 }, 3), 0);
  t.is(backoffMs({ attempts: 3, baseMs: 100, maxMs: 1000, random: () => 0.5 }, 2), 100);
});

test('sleep rejects with the abort reason at once when aborted', async (t) => {
  const ac = new AbortController();
  const started = Date.now();
  const p = sleep(10_000, ac.signal);
  ac.abort(new Error('stop'));
  const err = await t.throwsAsync(p);
  t.is(err?.message, 'stop');
  t.true(Date.now() - started < 1000);
});
