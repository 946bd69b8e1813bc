// Leader election against the Consul simulator with shortened session TTLs (the sim's minimum lowered).
import test from 'ava';
import { createConsulSim, type ConsulSim } from '@drover/sim/consul';
import { trace } from './harness.js';
import { cutOffLeader, destroyedSession, exactlyOneLeader, gracefulHandover, killedLeader, type Backend } from './scenarios.js';

let sim: ConsulSim;
let backend: Backend;

test.before(async () => {
  sim = createConsulSim({ minSessionTtlMs: 100 });
  const url = await sim.listen(0);
  backend = { url, timing: { ttlMs: 4000, lockDelayMs: 4000 }, ttlMultiplier: 2, slackMs: 3000 };
});
test.afterEach.always((t) => {
  if (!t.passed && process.env.LEADER_TRACE) t.log(trace.filter((l) => /drover\/(cut|killed)/.test(l) && !l.includes("failed again")).join("\n"));
});
test.after.always(async () => {
  await sim?.close();
});

test('two electors: exactly one leader, followers know its id', (t) => exactlyOneLeader(t, backend, 'drover/two', 2));
test('three electors: exactly one leader', (t) => exactlyOneLeader(t, backend, 'drover/three', 3));
test('graceful stop: the follower leads at once (release, no lock-delay)', async (t) => {
  t.log(`handover took ${await gracefulHandover(t, backend, 'drover/graceful')} ms`);
});
test('killed leader (no release): another leads after 2×TTL + lock-delay, never overlapping', async (t) => {
  t.log(`takeover after ${await killedLeader(t, backend, 'drover/killed')} ms`);
});
test('cut-off leader: canWrite() false before the follower leads', async (t) => {
  t.log(JSON.stringify(await cutOffLeader(t, backend, 'drover/cut')));
});
test('session destroyed by an operator: leader steps down at once, follower waits out lock-delay', async (t) => {
  t.log(JSON.stringify(await destroyedSession(t, backend, 'drover/destroyed')));
});
