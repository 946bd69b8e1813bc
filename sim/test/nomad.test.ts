// Simulator-only behaviour of the simulated Nomad: its /_sim controls (faults, counters), the
// broken-image switch, write counting, the raft index, the bounded event buffer and in-place updates.
import test, { type ExecutionContext } from 'ava';
import { replayFrom } from '../src/nomad/events.js';
import type { ServiceSink, SimServiceInstance } from '../src/service-sink.js';
import { readStream, startSim, uniq, waitFor, workedExample } from '../../test/contract/helpers-nomad.js';

async function sim(t: ExecutionContext, opts: Parameters<typeof startSim>[0] = {}) {
  const s = await startSim(opts);
  t.teardown(() => s.close());
  return s;
}

test('a broken image: allocations fail, the deployment fails for unhealthy allocations, the job is pending', async (t) => {
  const { http, sim: nomad } = await sim(t);
  nomad.markImageBroken('nginx:broken');
  const id = uniq('brk');
  await http.put('/v1/jobs', { Job: workedExample(id, { image: 'nginx:broken', count: 2 }) });
  const dep = await waitFor('failed deployment', async () => {
    const d = (await http.get(`/v1/job/${id}/deployment`)).json;
    return d?.Status === 'failed' ? d : undefined;
  });
  t.is(dep.StatusDescription, 'Failed due to unhealthy allocations');
  t.is(dep.TaskGroups.app.UnhealthyAllocs, 2);
  const allocs = (await http.get(`/v1/job/${id}/allocations`)).json as any[];
  t.deepEqual(allocs.map((a) => a.ClientStatus), ['failed', 'failed']);
  t.true(allocs.every((a) => a.DeploymentStatus.Healthy === false));
  const job = (await http.get(`/v1/job/${id}`)).json;
  t.is(job.Status, 'pending');
  t.false(job.Stable);
});

test('/_sim/faults applies to Nomad routes: failNext answers the next matching request with the injected error', async (t) => {
  const { http } = await sim(t);
  const id = uniq('flt');
  await http.put('/v1/jobs', { Job: workedExample(id) });
  const set = await http.post('/_sim/faults', { failNext: 1, failStatus: 503, failBody: 'No cluster leader', match: '^GET /v1/job/' });
  t.is(set.status, 200);
  const listed = await http.get('/v1/jobs');
  t.is(listed.status, 200, 'not matched by the regex');
  const failed = await http.get(`/v1/job/${id}`);
  t.is(failed.status, 503);
  t.is(failed.text, 'No cluster leader');
  t.is((await http.get(`/v1/job/${id}`)).status, 200);
  await http.post('/_sim/faults', { errorRate: 1, errorStatus: 500, match: '^PUT /v1/jobs$' });
  t.is((await http.put('/v1/jobs', { Job: workedExample(id, { count: 2 }) })).status, 500);
  await http.del('/_sim/faults');
  t.is((await http.put('/v1/jobs', { Job: workedExample(id, { count: 2 }) })).status, 200);
});

test('counters count Nomad routes by pattern and status; writeCount counts only accepted writes (register/deregister, variables)', async (t) => {
  const { http, sim: nomad } = await sim(t);
  const id = uniq('cnt');
  t.is(nomad.writeCount(), 0);
  await http.put('/v1/jobs', { Job: workedExample(id) });
  await http.put('/v1/jobs', { Job: workedExample(id) });
  await http.put('/v1/jobs', { Job: { ID: id, TaskGroups: [] } });
  await http.get(`/v1/job/${id}`);
  await http.get(`/v1/job/${id}-x`);
  await http.put(`/v1/job/${id}/plan`, { Job: workedExample(id), Diff: true });
  t.is(nomad.writeCount(), 2);
  await http.del(`/v1/job/${id}`);
  t.is(nomad.writeCount(), 3);
  await http.put('/v1/var/drover/apps/x', { Items: { hash: 'h' } });
  await http.put('/v1/var/drover/apps/x?cas=1', { Items: { hash: 'h2' } });
  t.is(nomad.writeCount(), 4, 'a refused CAS write is no write');
  const c = (await http.get('/_sim/counters')).json;
  t.deepEqual(c.routes['PUT /v1/jobs'].status, { 200: 2, 500: 1 });
  t.deepEqual(c.routes['GET /v1/job/:id'].status, { 200: 1, 404: 1 });
  t.is(c.routes['PUT /v1/job/:id/plan'].count, 1);
});

test('the raft index only grows; an unchanged re-register moves it but leaves the stored job alone', async (t) => {
  const { http, sim: nomad } = await sim(t);
  const id = uniq('idx');
  const i0 = nomad.raftIndex();
  await http.put('/v1/jobs', { Job: workedExample(id) });
  await waitFor('stable', async () => (nomad.getJob('default', id)?.Stable ? true : undefined));
  const before = nomad.getJob('default', id)!;
  const i1 = nomad.raftIndex();
  t.true(i1 > i0);
  await http.put('/v1/jobs', { Job: workedExample(id) });
  t.true(nomad.raftIndex() > i1);
  const after = nomad.getJob('default', id)!;
  t.deepEqual(after, before);
  t.is(nomad.getJob('other', id), undefined);
});

test('a tag change is an in-place update: the same allocation re-registers its service with the new tags', async (t) => {
  const services = new Map<string, SimServiceInstance>();
  const sink: ServiceSink = { register: (s) => void services.set(s.id, s), deregister: (id) => void services.delete(id) };
  const { http } = await sim(t, { serviceSink: sink });
  const id = uniq('tag');
  await http.put('/v1/jobs', { Job: workedExample(id) });
  await waitFor('registered', async () => (services.size === 1 ? true : undefined));
  const [firstId] = [...services.keys()];
  const job = workedExample(id);
  job.TaskGroups[0].Tasks[0].Services[0].Tags = ['web', 'v2'];
  const plan = (await http.put(`/v1/job/${id}/plan`, { Job: job, Diff: true })).json;
  t.deepEqual(plan.Diff.TaskGroups[0].Tasks[0].Annotations, ['forces in-place update']);
  t.is(plan.Annotations.DesiredTGUpdates.app.InPlaceUpdate, 1);
  await http.put('/v1/jobs', { Job: job });
  await waitFor('new tags', async () => (services.get(firstId!)?.tags.includes('v2') ? true : undefined));
  t.is(services.size, 1);
});

test('unsupported filter expressions are a 400, supported ones select', async (t) => {
  const { http } = await sim(t);
  const bad = await http.get(`/v1/jobs?filter=${encodeURIComponent('Meta.x matches "a.*"')}`);
  t.is(bad.status, 400);
  t.true(bad.text.startsWith('failed to read filter expression'));
  await http.put('/v1/jobs', { Job: workedExample('fa') });
  const ok = await http.get(`/v1/jobs?filter=${encodeURIComponent('Name == "fa" and Status != "dead"')}`);
  t.deepEqual(ok.json.map((j: any) => j.ID), ['fa']);
});

test('event buffer: bounded to 100 batches; index older than the buffer starts at the oldest, newer re-sends the newest', async (t) => {
  const frames = Array.from({ length: 5 }, (_, i) => ({ Index: 10 + i, Events: [] }));
  t.deepEqual(replayFrom(frames, 0).map((f) => f.Index), [10, 11, 12, 13, 14]);
  t.deepEqual(replayFrom(frames, 12).map((f) => f.Index), [12, 13, 14]);
  t.deepEqual(replayFrom(frames, 3).map((f) => f.Index), [10, 11, 12, 13, 14]);
  t.deepEqual(replayFrom(frames, 99).map((f) => f.Index), [14]);
  const { http } = await sim(t, { allocDelayMs: 5000 });
  const id = uniq('buf');
  for (let i = 0; i < 60; i++) await http.put('/v1/jobs', { Job: workedExample(id, { count: i % 2 ? 0 : 1 }) });
  const lines = await readStream(`${http.base}/v1/event/stream?index=1`, (ls) => ls.length > 1, 1000);
  const frame = lines.find((l) => l.Index);
  t.true(frame.Index > 2, 'the oldest batches were dropped');
});

test('/_sim/nomad/allocation/:id/client-status: a running alloc fails, is lost, recovers; events and summary follow; bad input is refused', async (t) => {
  const { http } = await sim(t);
  const id = uniq('cs');
  await http.put('/v1/jobs', { Job: workedExample(id, { count: 2 }) });
  const allocs = await waitFor('running allocs', async () => {
    const a = (await http.get(`/v1/job/${id}/allocations`)).json as any[];
    return a.length === 2 && a.every((x) => x.ClientStatus === 'running') ? a : undefined;
  });
  const index = Number((await http.get(`/v1/job/${id}/allocations`)).headers.get('x-nomad-index'));
  const events = readStream(`${http.base}/v1/event/stream?topic=Allocation:${id}&index=${index + 1}`, (ls) => ls.some((l) => l.Events?.some((e: any) => e.Payload.Allocation.ClientStatus === 'failed')));
  const r = await http.put(`/_sim/nomad/allocation/${allocs[0].ID}/client-status`, { ClientStatus: 'failed' });
  t.is(r.status, 200);
  const seen = (await events).flatMap((l: any) => l.Events ?? []);
  t.true(seen.some((e: any) => e.Type === 'AllocationUpdated' && e.Key === allocs[0].ID && !('Job' in e.Payload.Allocation)));
  const summary = (await http.get(`/v1/job/${id}/summary`)).json;
  t.like(summary.Summary.app, { Running: 1, Failed: 1 });
  t.is((await http.get(`/v1/job/${id}`)).json.Status, 'running', 'another allocation still runs: no job status flip');
  t.is((await http.put(`/_sim/nomad/allocation/${allocs[1].ID}/client-status`, { ClientStatus: 'lost' })).status, 200);
  t.like((await http.get(`/v1/job/${id}/summary`)).json.Summary.app, { Running: 0, Failed: 1, Lost: 1 });
  t.is((await http.get(`/v1/job/${id}`)).json.Status, 'pending');
  t.is((await http.put(`/_sim/nomad/allocation/${allocs[0].ID}/client-status`, { ClientStatus: 'running' })).status, 200);
  t.like((await http.get(`/v1/job/${id}/summary`)).json.Summary.app, { Running: 1, Failed: 0, Lost: 1 });
  t.is((await http.put(`/_sim/nomad/allocation/${allocs[0].ID}/client-status`, { ClientStatus: 'bogus' })).status, 400);
  t.is((await http.put('/_sim/nomad/allocation/nope/client-status', { ClientStatus: 'failed' })).status, 404);
});
