// Leader election against a REAL Consul agent (1.8.7 `consul agent -dev`), at Consul's minimum session
// TTL of 10 s. Skipped visibly without `consul` on PATH; a failure when DROVER_REQUIRE_REAL_CONSUL=1.
// The four scenarios run concurrently on separate keys; the slow two take about 2×TTL + lock-delay.
import test from 'ava';
import { startRealConsul } from '../helpers/consul-agent.js';
import { cutOffLeader, destroyedSession, exactlyOneLeader, gracefulHandover, killedLeader, type Backend } from './scenarios.js';

const agent = await startRealConsul();
const required = process.env.DROVER_REQUIRE_REAL_CONSUL === '1';

if ('unavailable' in agent) {
  if (required) test('real Consul agent is available (DROVER_REQUIRE_REAL_CONSUL=1)', (t) => t.fail(agent.unavailable));
  else test.skip(`leader election against a real Consul agent — skipped: ${agent.unavailable}`, () => undefined);
} else {
  const backend: Backend = { url: agent.url, timing: { ttlMs: 10_000, lockDelayMs: 5_000 }, ttlMultiplier: 2, slackMs: 5_000 };
  test.after.always(() => agent.close());

  test(`[consul ${agent.version}] three electors: exactly one leader, followers know its id`, (t) => exactlyOneLeader(t, backend, 'drover-test/three', 3));
  test(`[consul ${agent.version}] graceful stop: the follower leads at once`, async (t) => {
    t.log(`handover took ${await gracefulHandover(t, backend, 'drover-test/graceful')} ms`);
  });
  test(`[consul ${agent.version}] killed leader: another leads after 2×TTL + lock-delay, never overlapping`, async (t) => {
    t.log(`takeover after ${await killedLeader(t, backend, 'drover-test/killed')} ms`);
  });
  test(`[consul ${agent.version}] cut-off leader: canWrite() false before the follower leads`, async (t) => {
    t.log(JSON.stringify(await cutOffLeader(t, backend, 'drover-test/cut')));
  });
  test(`[consul ${agent.version}] session destroyed by an operator: leader steps down, follower waits out lock-delay`, async (t) => {
    t.log(JSON.stringify(await destroyedSession(t, backend, 'drover-test/destroyed')));
  });
}
