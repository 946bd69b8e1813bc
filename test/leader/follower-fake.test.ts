// Regression: a follower must try a free key even when its key read ran its whole wait and a renewal
// came due meanwhile. An earlier version renewed instead, then blocked again on the unchanged index
// (nothing changes while lock-delay holds a free key) and never acquired. An in-memory Consul whose
// reads always take time makes that interleaving happen within a few renewals. Everything runs on the
// fake clock: the reads' latency and waits, the renewals, lock-delay — no test here sleeps.
import test from 'ava';
import type { ConsulApi } from '../../src/clients/types.js';
import { nullLogger } from '../../src/core/logger.js';
import { sleep } from '../../src/core/scheduler.js';
import { ConsulLeaderElector } from '../../src/leader/consul-lock.js';
import { FakeClock } from '../helpers/fake-clock.js';

type FakeConsul = ConsulApi & { renewals: number; released: number; destroyed: number; hangReads: boolean };

function slowFreeKey(clock: FakeClock, lockDelayUntil: number): FakeConsul {
  let holder: string | undefined;
  const fake = {
    hangReads: false,
    renewals: 0,
    released: 0,
    destroyed: 0,
    async kvGet(key: string, o: { index?: number; waitMs?: number; signal?: AbortSignal } = {}) {
      // nothing ever changes: a blocking read runs its full wait (+ latency)
      await sleep(clock, 'consul-read', o.index ? (fake.hangReads ? 1e12 : (o.waitMs ?? 0) + 5) : 30, o.signal);
      if (o.signal?.aborted) throw o.signal.reason ?? new Error('aborted');
      return { value: { Key: key, Value: holder ? Buffer.from('me').toString('base64') : null, Flags: 0, LockIndex: 1, CreateIndex: 5, ModifyIndex: 5, ...(holder ? { Session: holder } : {}) }, index: 5 };
    },
    async kvPut(_k: string, _v: string, o: { acquire?: string; release?: string } = {}) {
      if (o.release) {
        fake.released += 1;
        holder = undefined;
      }
      const got = o.acquire !== undefined && clock.now() >= lockDelayUntil;
      if (got) holder = o.acquire;
      return got;
    },
    async sessionCreate() {
      return 'sid-1';
    },
    async sessionRenew() {
      fake.renewals += 1;
      return { ttl: '1s' };
    },
    async sessionDestroy() {
      fake.destroyed += 1;
      holder = undefined;
    },
  };
  return fake as unknown as FakeConsul;
}

async function leaderAfter(clock: FakeClock, e: ConsulLeaderElector, maxSteps = 500): Promise<boolean> {
  for (let i = 0; i < maxSteps && !e.canWrite(); i++) await clock.advance(10);
  return e.canWrite();
}

test('a follower acquires a free key once lock-delay ends, across renewals', async (t) => {
  const clock = new FakeClock(0);
  const consul = slowFreeKey(clock, 600);
  const e = new ConsulLeaderElector({ consul, key: 'k', id: 'me', ttlMs: 200, lockDelayMs: 200, retryMs: 20, logger: nullLogger, scheduler: clock });
  t.teardown(() => e.stop());
  e.start();
  t.true(await leaderAfter(clock, e), 'became leader');
  t.true(clock.now() >= 600, 'not before lock-delay ended');
  t.true(consul.renewals >= 3, `renewals crossed meanwhile (${consul.renewals})`);
});

test('a leader whose key reads hang keeps renewing on the scheduler, and steps down at its deadline', async (t) => {
  const clock = new FakeClock(0);
  const consul = slowFreeKey(clock, 0);
  const e = new ConsulLeaderElector({ consul, key: 'k', id: 'me', ttlMs: 10_000, lockDelayMs: 15_000, retryMs: 500, logger: nullLogger, scheduler: clock });
  t.teardown(() => e.stop());
  e.start();
  t.true(await leaderAfter(clock, e));
  // From now on every blocking read hangs (a proxy that never answers): only the renewal timer ends it.
  consul.hangReads = true;
  const before = consul.renewals;
  await clock.advance(20_000);
  // renewal every min(TTL, lock-delay)/2 = 5 s, each read cut at its wait + wait/16 + 250 ms
  t.true(consul.renewals - before >= 3, `renewed ${consul.renewals - before} times in 20 s`);
  t.false(e.canWrite(), 'no read proved the lock still ours: stepped down at the deadline');
});

test('stop({release: false}) steps down and destroys the session without releasing the key (lock-delay applies)', async (t) => {
  const clock = new FakeClock(0);
  const consul = slowFreeKey(clock, 0);
  const e = new ConsulLeaderElector({ consul, key: 'k', id: 'me', ttlMs: 10_000, lockDelayMs: 15_000, logger: nullLogger, scheduler: clock });
  e.start();
  t.true(await leaderAfter(clock, e));
  await e.stop({ release: false });
  t.false(e.canWrite());
  t.is(consul.released, 0);
  t.is(consul.destroyed, 1);

  const e2 = new ConsulLeaderElector({ consul, key: 'k', id: 'me', ttlMs: 10_000, lockDelayMs: 15_000, logger: nullLogger, scheduler: clock });
  e2.start();
  t.true(await leaderAfter(clock, e2));
  await e2.stop();
  t.is(consul.released, 1, 'the default hands the key over at once');
});
