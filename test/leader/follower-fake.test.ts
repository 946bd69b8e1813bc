// Regression: a follower must try a free key even when its key read ran its whole wait and a renewal
// came due meanwhile. An earlier version renewed instead, then blocked again on the unchanged index
// (nothing changes while lock-delay holds a free key) and never acquired. An in-memory Consul whose
// reads always take time makes that interleaving happen within a few renewals.
import test from 'ava';
import type { ConsulApi } from '../../src/clients/types.js';
import { nullLogger } from '../../src/core/logger.js';
import { ConsulLeaderElector } from '../../src/leader/consul-lock.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function slowFreeKey(lockDelayUntil: number): ConsulApi & { renewals: number } {
  const fake = {
    renewals: 0,
    async kvGet(key: string, o: { index?: number; waitMs?: number } = {}) {
      await sleep(o.index ? (o.waitMs ?? 0) + 5 : 30); // nothing ever changes: a blocking read runs its full wait (+ latency)
      return { value: { Key: key, Value: null, Flags: 0, LockIndex: 1, CreateIndex: 5, ModifyIndex: 5 }, index: 5 };
    },
    async kvPut(_k: string, _v: string, o: { acquire?: string } = {}) {
      return o.acquire !== undefined && Date.now() >= lockDelayUntil;
    },
    async sessionCreate() {
      return 'sid-1';
    },
    async sessionRenew() {
      fake.renewals += 1;
      return { ttl: '1s' };
    },
    async sessionDestroy() {},
  };
  return fake as unknown as ConsulApi & { renewals: number };
}

test('a follower acquires a free key once lock-delay ends, across renewals', async (t) => {
  const consul = slowFreeKey(Date.now() + 600);
  const e = new ConsulLeaderElector({ consul, key: 'k', id: 'me', ttlMs: 200, lockDelayMs: 200, retryMs: 20, logger: nullLogger });
  t.teardown(() => e.stop());
  e.start();
  const until = Date.now() + 3000;
  while (!e.canWrite() && Date.now() < until) await sleep(10);
  t.true(e.canWrite(), 'became leader');
  t.true(consul.renewals >= 3, `renewals crossed meanwhile (${consul.renewals})`);
});
