// The Nomad client against the simulated Nomad (src/sim/nomad): the round trip drover depends on —
// plan, register with EnforceIndex, read, list, blocking read, stop, allocations, deployment and the
// event stream — asserted on the resulting state, with ACL tokens so the token checks are real.
import test from 'ava';
import { NomadClient } from '../../src/clients/nomad.js';
import { DroverError } from '../../src/core/errors.js';
import type { EventFrame, NomadJob } from '../../src/core/nomad-types.js';
import { createNomadSim } from '@drover/sim/nomad';
import { assertNoToken, collectingObserver, rejection, TOKEN } from './helpers.js';

const READ_ONLY = 'drv-readonly-7a1e-never-print-me';

function job(image: string, count = 1): NomadJob {
  return {
    ID: 'web', Name: 'web', Type: 'service', Datacenters: ['dc1'], Meta: { 'drover.managed': 'true' },
    TaskGroups: [{ Name: 'web', Count: count, Tasks: [{ Name: 'web', Driver: 'docker', Config: { image }, Resources: { CPU: 100, MemoryMB: 128 } }] }],
  };
}

async function sim(t: import('ava').ExecutionContext) {
  const nomadSim = createNomadSim({ allocDelayMs: 20, aclTokens: { [TOKEN]: { namespaces: '*', write: true }, [READ_ONLY]: { namespaces: '*', write: false } } });
  const url = await nomadSim.listen(0);
  t.teardown(() => nomadSim.close());
  const obs = collectingObserver();
  const nomad = new NomadClient({ addr: url, token: TOKEN, timeoutMs: 3000, retry: { attempts: 3, baseMs: 5, maxMs: 20 } }, obs);
  return { nomadSim, url, nomad, obs };
}

test('plan → register (EnforceIndex) → read → conflict → plan None → update → list → stop, with the event stream', async (t) => {
  const { nomadSim, nomad, obs } = await sim(t);
  const ac = new AbortController();
  t.teardown(() => ac.abort());
  const frames: EventFrame[] = [];
  const streaming = (async () => {
    for await (const f of nomad.eventStream({ topics: ['Job:web'], signal: ac.signal })) frames.push(f);
  })();

  t.is((await nomad.readJob('web')).value, null);
  const plan0 = await nomad.planJob(job('nginx:1.25'));
  t.is(plan0.Diff?.Type, 'Added');
  t.is(plan0.JobModifyIndex, 0);

  const reg = await nomad.registerJob(job('nginx:1.25'), { enforceIndex: true, jobModifyIndex: 0 });
  t.true(reg.JobModifyIndex > 0);
  const read = await nomad.readJob('web');
  t.is(read.value?.JobModifyIndex, reg.JobModifyIndex);
  t.true(read.index >= reg.JobModifyIndex);
  t.is(nomadSim.getJob('default', 'web')?.TaskGroups[0]?.Tasks[0]?.Config?.image, 'nginx:1.25');

  const conflict = (await rejection(nomad.registerJob(job('nginx:1.26'), { enforceIndex: true, jobModifyIndex: 0 }))) as DroverError;
  t.is(conflict.code, 'conflict');
  t.regex(conflict.message, /Enforcing job modify index 0/);
  assertNoToken(t, conflict);
  const stale = (await rejection(nomad.registerJob(job('nginx:1.26'), { enforceIndex: true, jobModifyIndex: reg.JobModifyIndex + 1000 }))) as DroverError;
  t.is(stale.code, 'conflict');
  t.is(nomadSim.getJob('default', 'web')?.TaskGroups[0]?.Tasks[0]?.Config?.image, 'nginx:1.25', 'a conflicting write changed nothing');

  t.is((await nomad.planJob(job('nginx:1.25'))).Diff?.Type, 'None');
  t.is((await nomad.planJob(job('nginx:1.27'))).Diff?.Type, 'Edited');

  const reg2 = await nomad.registerJob(job('nginx:1.27'), { enforceIndex: true, jobModifyIndex: read.value!.JobModifyIndex! });
  t.true(reg2.JobModifyIndex > reg.JobModifyIndex);

  const list = await nomad.listJobs({ meta: true, prefix: 'we' });
  t.deepEqual(list.value.map((j) => [j.ID, j.Meta?.['drover.managed']]), [['web', 'true']]);
  t.true(list.index > 0);
  t.deepEqual((await nomad.listJobs({ prefix: 'zzz' })).value, []);

  const stop = await nomad.stopJob('web');
  t.true(stop.JobModifyIndex > reg2.JobModifyIndex);
  t.is((await nomad.readJob('web')).value?.Stop, true);

  // the stream saw the registrations and the stop, in order, without repeats
  const deadline = Date.now() + 3000;
  while (!frames.some((f) => f.Events.some((e) => e.Type === 'JobDeregistered')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  ac.abort();
  await streaming;
  const jobEvents = frames.flatMap((f) => f.Events.filter((e) => e.Topic === 'Job' && e.Key === 'web'));
  t.true(jobEvents.some((e) => e.Type === 'JobRegistered'));
  t.true(jobEvents.some((e) => e.Type === 'JobDeregistered'));
  const indexes = frames.map((f) => f.Index);
  t.deepEqual(indexes, [...indexes].sort((a, b) => a - b));
  t.true(obs.seen.some((o) => o.route === '/v1/job/:id' && o.code === '404'));
  t.true(obs.seen.some((o) => o.route === '/v1/jobs' && o.code === '500'), 'the conflicts were observed as 500s');
});

test('a blocking read wakes up when the job changes', async (t) => {
  const { nomad } = await sim(t);
  await nomad.registerJob(job('nginx:1.25'));
  let current = await nomad.readJob('web');
  const started = Date.now();
  const update = new Promise((r) => setTimeout(r, 100)).then(() => nomad.registerJob(job('nginx:1.26')));
  // The job's index also moves on status changes (pending → running), so block until the image changed.
  while (current.value?.TaskGroups[0]?.Tasks[0]?.Config?.image !== 'nginx:1.26' && Date.now() - started < 4000) {
    const next = await nomad.readJob('web', { index: current.index, waitMs: 5000 });
    t.true(next.index > current.index, 'a blocking read returns early only with a higher index');
    current = next;
  }
  await update;
  t.is(current.value?.TaskGroups[0]?.Tasks[0]?.Config?.image, 'nginx:1.26');
  t.true(Date.now() - started < 4000, 'woke on the change, not at the end of the 5 s wait');
});

test('allocations and the deployment of a registered job', async (t) => {
  const { nomad } = await sim(t);
  await nomad.registerJob(job('nginx:1.25', 2));
  const deadline = Date.now() + 3000;
  let allocs = await nomad.jobAllocations('web');
  while (allocs.value.filter((a) => a.ClientStatus === 'running').length < 2 && Date.now() < deadline) {
    allocs = await nomad.jobAllocations('web', { index: allocs.index, waitMs: 1000 });
  }
  t.is(allocs.value.filter((a) => a.ClientStatus === 'running').length, 2);
  const dep = await nomad.jobDeployment('web');
  t.is(dep.value?.JobID, 'web');
  t.deepEqual((await nomad.jobAllocations('nope')).value, []);
  t.is((await nomad.jobDeployment('nope')).value, null);
  t.deepEqual((await nomad.listServiceRegistrations('nothing-here')).value, []);
});

test('the simulated Nomad\'s own validation text comes back as rejected', async (t) => {
  const { nomad } = await sim(t);
  const bad = job('nginx');
  delete (bad.TaskGroups[0]!.Tasks[0] as { Driver?: string }).Driver;
  const err = (await rejection(nomad.registerJob(bad))) as DroverError;
  t.is(err.code, 'rejected');
  t.regex(err.message, /Missing task driver/);
  const v = await nomad.validateJob(job('nginx'));
  t.falsy(v.Error);
  assertNoToken(t, err);
});

test('a read-only token may read but not register: unauthorized, neither token printed', async (t) => {
  const { url } = await sim(t);
  const ro = new NomadClient({ addr: url, token: READ_ONLY, timeoutMs: 3000 });
  t.deepEqual((await ro.listJobs()).value, []);
  const err = (await rejection(ro.registerJob(job('nginx')))) as DroverError;
  t.is(err.code, 'unauthorized');
  assertNoToken(t, err, READ_ONLY);
  assertNoToken(t, err, TOKEN);
  const anon = new NomadClient({ addr: url, timeoutMs: 3000 });
  t.is(((await rejection(anon.readJob('web'))) as DroverError).code, 'unauthorized');
  await t.notThrowsAsync(ro.ping());
});
