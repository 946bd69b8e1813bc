// The election scenarios, run against the Consul simulator (fast timings) and a real Consul agent
// (its minimum 10 s TTL). Each scenario uses its own key so they can run concurrently on one Consul.
import type { ExecutionContext } from 'ava';
import { closedPortUrl, consulClient, gauge, handover, members, sampler, waitFor, writers, type Member, type Timing } from './harness.js';

export interface Backend {
  url: string;
  timing: Timing;
  /** Consul expires a session after TTL × this */
  ttlMultiplier: number;
  /** scheduling / polling slack added to every time bound */
  slackMs: number;
}

/** Longest a follower can wait after the leader vanished: Consul's expiry (2×TTL), lock-delay, slack. */
const takeoverBound = (b: Backend) => b.timing.ttlMs * b.ttlMultiplier + b.timing.lockDelayMs + b.slackMs;

function stopAll(t: ExecutionContext, ms: Member[]): void {
  t.teardown(async () => {
    await Promise.all(ms.map((m) => m.elector.stop()));
  });
}

async function firstLeader(ms: Member[], b: Backend): Promise<Member> {
  for (const m of ms) m.elector.start();
  return waitFor('a first leader', () => writers(ms)[0], b.timing.lockDelayMs + 5000);
}

export async function exactlyOneLeader(t: ExecutionContext, b: Backend, key: string, n: number): Promise<void> {
  const ms = members(b.url, key, n, b.timing);
  stopAll(t, ms);
  const changes: string[] = [];
  for (const m of ms) m.elector.onChange((l) => changes.push(`${m.id}:${l}`));
  const leader = await firstLeader(ms, b);
  const s = sampler(ms);
  // every follower has read the holder's id from the KV
  await waitFor('followers to see the leader id', () => ms.every((m) => m.elector.leaderId() === leader.id), 5000);
  await new Promise((r) => setTimeout(r, 300));
  const samples = s.stop();
  t.true(samples.every((x) => x.writers.length === 1 && x.writers[0] === leader.id), 'exactly the same single writer in every sample');
  t.deepEqual(changes, [`${leader.id}:true`]);
  t.deepEqual(await Promise.all(ms.map((m) => gauge(m.metrics))), ms.map((m) => (m === leader ? 1 : 0)));
  // what is in Consul is the leader's id, read afresh
  t.is(await ms.find((m) => m !== leader)!.elector.readLeaderId(), leader.id);
}

export async function gracefulHandover(t: ExecutionContext, b: Backend, key: string): Promise<number> {
  const ms = members(b.url, key, 2, b.timing);
  stopAll(t, ms);
  const leader = await firstLeader(ms, b);
  const follower = ms.find((m) => m !== leader)!;
  const s = sampler(ms);
  const stopping = leader.elector.stop();
  t.false(leader.elector.canWrite(), 'writes stop the moment stop() is called');
  await stopping;
  const stoppedAt = Date.now();
  await waitFor('the follower to lead', () => follower.elector.canWrite(), b.timing.lockDelayMs);
  const took = Date.now() - stoppedAt;
  const h = handover(s.stop(), leader.id);
  t.deepEqual(h.overlaps, []);
  // A release frees the key without lock-delay: the follower does not wait it out.
  t.true(took < b.timing.lockDelayMs, `took ${took} ms, lock-delay is ${b.timing.lockDelayMs} ms`);
  t.is(await gauge(leader.metrics), 0);
  t.is(await gauge(follower.metrics), 1);
  return took;
}

/** The leader stops talking to Consul without releasing anything (a crash); another takes over. */
export async function killedLeader(t: ExecutionContext, b: Backend, key: string): Promise<number> {
  const ms = members(b.url, key, 3, b.timing);
  stopAll(t, ms);
  const leader = await firstLeader(ms, b);
  const s = sampler(ms);
  leader.link.kill();
  const killedAt = Date.now();
  const next = await waitFor('another leader', () => writers(ms).find((m) => m !== leader), takeoverBound(b));
  const took = Date.now() - killedAt;
  const h = handover(s.stop(), leader.id);
  t.deepEqual(h.overlaps, [], 'never two writers');
  t.true(h.oldLastWrite < h.newFirstWrite!, 'the dead leader stopped writing before the next one started');
  // Lock-delay and Consul's 2×TTL expiry mean the takeover cannot be early: the last renewal was at most
  // half a window before the kill, so nothing before 2×TTL − window/2 + lock-delay.
  const window = Math.min(b.timing.ttlMs, b.timing.lockDelayMs);
  t.true(took >= b.timing.ttlMs * b.ttlMultiplier - window / 2 + b.timing.lockDelayMs - b.slackMs, `takeover after ${took} ms`);
  t.is(writers(ms).length, 1);
  t.is(next.elector.leaderId(), next.id);
  return took;
}

/** The leader's client points at a closed port: its canWrite() must turn false before anyone else leads. */
export async function cutOffLeader(t: ExecutionContext, b: Backend, key: string): Promise<{ lostWriteAfterMs: number; takeoverMs: number }> {
  const ms = members(b.url, key, 2, b.timing);
  stopAll(t, ms);
  const leader = await firstLeader(ms, b);
  const follower = ms.find((m) => m !== leader)!;
  const s = sampler(ms);
  leader.link.retarget(consulClient(await closedPortUrl()));
  const cutAt = Date.now();
  await waitFor('the follower to lead', () => follower.elector.canWrite(), takeoverBound(b));
  const h = handover(s.stop(), leader.id);
  t.deepEqual(h.overlaps, [], 'never two writers');
  t.true(h.oldLastWrite < h.newFirstWrite!, 'cut-off leader stopped writing before the follower started');
  const lostWriteAfterMs = h.oldLastWrite - cutAt;
  t.true(lostWriteAfterMs <= Math.min(b.timing.ttlMs, b.timing.lockDelayMs), `cut-off leader kept writing ${lostWriteAfterMs} ms`);
  t.is(await gauge(leader.metrics), 0);
  // Consul comes back for the old leader: it rejoins as a follower and sees who leads.
  leader.link.retarget(consulClient(b.url));
  await waitFor('the old leader to see the new leader', () => leader.elector.leaderId() === follower.id, 5000 + b.timing.ttlMs);
  t.false(leader.elector.canWrite());
  t.true(follower.elector.canWrite());
  return { lostWriteAfterMs, takeoverMs: (h.newFirstWrite ?? 0) - cutAt };
}

/**
 * An operator destroys the leader's session: the leader notices through its key watch and steps down;
 * lock-delay keeps everyone (the old leader with a new session too) out until it has passed.
 */
export async function destroyedSession(t: ExecutionContext, b: Backend, key: string): Promise<{ stepDownMs: number; takeoverMs: number }> {
  const ms = members(b.url, key, 2, b.timing);
  stopAll(t, ms);
  const leader = await firstLeader(ms, b);
  const sessions = (await (await fetch(`${b.url}/v1/session/list`)).json()) as { ID: string; Name: string }[];
  const sid = sessions.find((x) => x.Name === `drover-leader ${leader.id}`)?.ID;
  t.truthy(sid, 'the leader session is named after the replica');
  const s = sampler(ms);
  const destroyedAt = Date.now();
  t.is((await fetch(`${b.url}/v1/session/destroy/${sid}`, { method: 'PUT' })).status, 200);
  const stepDownAt = await waitFor('the leader to step down', () => !leader.elector.canWrite() && Date.now(), b.timing.ttlMs);
  const next = await waitFor('a new leader', () => writers(ms)[0], b.timing.lockDelayMs + b.slackMs + b.timing.ttlMs);
  const samples = s.stop();
  t.deepEqual(samples.filter((x) => x.writers.length > 1), [], 'never two writers');
  const takeoverMs = samples.find((x) => x.at > stepDownAt && x.writers.length > 0)!.at - destroyedAt;
  t.true(takeoverMs >= b.timing.lockDelayMs - 50, `nobody led before lock-delay passed (${takeoverMs} ms)`);
  t.is(next.elector.leaderId(), next.id);
  return { stepDownMs: stepDownAt - destroyedAt, takeoverMs };
}
