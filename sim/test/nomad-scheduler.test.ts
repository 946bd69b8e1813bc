// Simulator-only behaviour of the simulated Nomad's scheduler and faults, the parts a real dev agent
// cannot be made to do on demand: node drivers changed at run time (blocked evaluations retried),
// a restart with empty state (indexes from 1), deadlines under a time scale, automatic rollback of an
// unhealthy deployment, auto-promotion, and the agent version a 1.x cluster would report.
import test, { type ExecutionContext } from 'ava';
import type { ServiceSink, SimServiceInstance } from '../src/service-sink.js';
import { poll, readStream, runnableJob, startSim, uniq, waitFor } from '../../test/contract/helpers-nomad.js';

async function sim(t: ExecutionContext, opts: Parameters<typeof startSim>[0] = {}) {
  const s = await startSim(opts);
  t.teardown(() => s.close());
  return s;
}

test('node drivers: a job needing a missing driver stays blocked; adding the driver unblocks it and the rollout finishes', async (t) => {
  const { http } = await sim(t, { drivers: ['exec', 'raw_exec'] });
  const id = uniq('dock');
  const job = runnableJob(id, { count: 2, driver: 'docker' });
  t.is((await http.put('/v1/jobs', { Job: job })).status, 200);
  await poll(http, `/v1/job/${id}/evaluations`, 'blocked', (e: any[]) => e.some((x) => x.Status === 'blocked'));
  t.is((await http.get(`/v1/job/${id}/summary`)).json.Summary.web.Queued, 2);
  t.deepEqual((await http.get('/_sim/nomad/nodes')).json.map((n: any) => n.Drivers), [['exec', 'raw_exec']]);
  const bad = await http.put('/_sim/nomad/node/drivers', { Drivers: 'docker' });
  t.is(bad.status, 400);
  t.is((await http.put('/_sim/nomad/node/drivers', { Drivers: ['docker'], Node: 'nope' })).status, 404);
  t.is((await http.put('/_sim/nomad/node/drivers', { Drivers: ['exec', 'raw_exec', 'docker'] })).status, 200);
  const dep = await poll(http, `/v1/job/${id}/deployment`, 'deployment done', (d) => (d.Status === 'successful' ? d : undefined));
  t.like(dep.TaskGroups.web, { PlacedAllocs: 2, HealthyAllocs: 2 });
  const evals = (await http.get(`/v1/job/${id}/evaluations`)).json as any[];
  t.false(evals.some((e) => e.Status === 'blocked'), 'the blocked evaluation ran once the node could take the job');
  t.is((await http.get(`/v1/job/${id}/summary`)).json.Summary.web.Queued, 0);
});

test('restart fault: POST /_sim/nomad/restart empties the state, indexes start again from 1, streams and connections drop, services go away', async (t) => {
  const services = new Map<string, SimServiceInstance>();
  const sink: ServiceSink = { register: (s) => void services.set(s.id, s), deregister: (i) => void services.delete(i) };
  const { http, sim: nomad } = await sim(t, { serviceSink: sink, namespaces: ['default', 'team'] });
  const id = uniq('rst');
  const job = runnableJob(id, { count: 2 });
  job.TaskGroups[0].Tasks[0].Services = [{ Name: id, PortLabel: 'http', Provider: 'consul' }];
  await http.put('/v1/jobs', { Job: job });
  await http.put('/v1/var/drover/x', { Items: { a: 'b' } });
  await poll(http, `/v1/job/${id}/deployment`, 'deployed', (d) => d.Status === 'successful');
  await waitFor('services', async () => (services.size === 2 ? true : undefined));
  const before = nomad.raftIndex();
  t.true(before > 10);
  const stream = readStream(`${http.base}/v1/event/stream?topic=Job:*`, () => false, 10_000).then(() => 'timed out', (e: Error) => e.message);
  const blocking = http.get(`/v1/job/${id}?index=${before + 1000}&wait=30s`).catch((e: Error) => e);
  await new Promise((r) => setTimeout(r, 100));
  const r = await http.post('/_sim/nomad/restart');
  t.is(r.status, 200);
  t.true((await blocking) instanceof Error, 'an open blocking query is cut off');
  t.is(await stream, 'terminated', 'the event stream is cut off, not left to run into its timeout');
  await waitFor('restarted', async () => (nomad.raftIndex() === 1 ? true : undefined));
  const after = await http.get(`/v1/job/${id}`);
  t.is(after.status, 404);
  t.is(after.headers.get('x-nomad-index'), '1');
  t.deepEqual((await http.get('/v1/jobs')).json, []);
  t.is((await http.get('/v1/var/drover/x')).status, 404);
  t.deepEqual(((await http.get('/v1/namespaces')).json as any[]).map((n) => [n.Name, n.CreateIndex]), [['default', 1], ['team', 1]]);
  t.is(services.size, 0, 'the restarted agent runs nothing');
  const w = await http.put('/v1/jobs', { Job: runnableJob(id) });
  t.is(w.json.JobModifyIndex, 2, 'the first write after the restart has index 2');
});

test('time scale: a deployment without progress by its progress deadline fails "Failed due to progress deadline"; auto_revert with nothing stable says so', async (t) => {
  // progress_deadline 90 s × 0.001 = 90 ms from the placement; the allocation needs 400 ms to start
  const { http } = await sim(t, { timeScale: 0.001, allocDelayMs: 400 });
  const id = uniq('pd');
  const r = await http.put('/v1/jobs', { Job: runnableJob(id, { count: 1, update: { HealthyDeadline: 30e9, ProgressDeadline: 90e9, AutoRevert: true } }) });
  t.is(r.status, 200, r.text);
  const failed = await poll(http, `/v1/job/${id}/deployment`, 'failed', (d) => (d.Status === 'failed' ? d : undefined));
  t.is(failed.StatusDescription, 'Failed due to progress deadline - no stable job version to auto revert to');
  t.regex(failed.TaskGroups.web.RequireProgressBy, /^\d{4}-\d\d-\d\dT/);
  t.is((await http.get(`/v1/job/${id}`)).json.Version, 0, 'nothing to roll back to');
});

test('unhealthy image: allocations run but fail their checks at healthy_deadline; auto_revert registers the stable version again', async (t) => {
  const s = await sim(t, { timeScale: 0.001 });
  s.sim.markImageUnhealthy('busybox:bad');
  const id = uniq('uh');
  // healthy_deadline 60 s × 0.001 = 60 ms; no progress deadline, so a busy machine cannot fail it for slowness
  const update = { AutoRevert: true, HealthyDeadline: 60e9, ProgressDeadline: 0 };
  await s.http.put('/v1/jobs', { Job: runnableJob(id, { count: 2, update }) });
  await poll(s.http, `/v1/job/${id}/deployment`, 'v0 deployed', (d) => d.Status === 'successful');
  const bad = runnableJob(id, { count: 2, update });
  bad.TaskGroups[0].Tasks[0].Config.image = 'busybox:bad';
  await s.http.put('/v1/jobs', { Job: bad });
  const failed = await poll(s.http, `/v1/job/${id}/deployments`, 'v1 failed', (ds: any[]) => ds.find((d) => d.JobVersion === 1 && d.Status === 'failed'));
  t.is(failed.StatusDescription, 'Failed due to unhealthy allocations - rolling back to job version 0');
  t.is(failed.TaskGroups.web.UnhealthyAllocs, 1, 'max_parallel 1: only the first replacement was tried');
  const job = (await s.http.get(`/v1/job/${id}`)).json;
  t.is(job.Version, 2);
  t.is(job.TaskGroups[0].Tasks[0].Config.image, undefined);
  const d2 = await poll(s.http, `/v1/job/${id}/deployment`, 'v2 deployed', (d) => (d.JobVersion === 2 && d.Status === 'successful' ? d : undefined));
  t.is(d2.TaskGroups.web.HealthyAllocs, 2);
  const live = ((await s.http.get(`/v1/job/${id}/allocations`)).json as any[]).filter((a) => a.DesiredStatus === 'run');
  t.is(live.length, 2);
  t.true(live.every((a) => a.JobVersion === 2));
});

test('auto_promote: healthy canaries are promoted without a request ("pending automatic promotion" until then)', async (t) => {
  const { http } = await sim(t);
  const id = uniq('ap');
  const update = { Canary: 1, AutoPromote: true };
  await http.put('/v1/jobs', { Job: runnableJob(id, { count: 2, update }) });
  await poll(http, `/v1/job/${id}/deployment`, 'v0', (d) => d.Status === 'successful');
  const frames = readStream(`${http.base}/v1/event/stream?topic=Deployment:${id}&index=999999`, (ls) => ls.some((l) => l.Events?.some((e: any) => e.Payload.Deployment.Status === 'successful')), 10_000);
  await new Promise((r) => setTimeout(r, 50));
  await http.put('/v1/jobs', { Job: runnableJob(id, { count: 2, update, args: ['-v'] }) });
  const events = (await frames).flatMap((l) => l.Events ?? []);
  t.is(events[0].Payload.Deployment.StatusDescription, 'Deployment is running pending automatic promotion');
  const promotion = events.find((e: any) => e.Type === 'DeploymentPromotion');
  t.truthy(promotion);
  t.true(promotion.Payload.Deployment.TaskGroups.web.Promoted);
  t.is(events.at(-1).Payload.Deployment.StatusDescription, 'Deployment completed successfully');
});

test('agent version: /v1/agent/self reports the configured version (a 1.x cluster can be simulated)', async (t) => {
  const { http } = await sim(t, { nomadVersion: '1.9.7' });
  const self = (await http.get('/v1/agent/self')).json;
  t.is(self.config.Version.Version, '1.9.7');
  t.is(self.member.Tags.build, '1.9.7');
  const dev = await sim(t, { nomadVersion: '2.1.0-dev' });
  t.like((await dev.http.get('/v1/agent/self')).json.config.Version, { Version: '2.1.0', VersionPrerelease: 'dev' });
});

test('stopping a job mid-deployment: "Cancelled because job is stopped", and an allocation stopped before it was healthy is reported unhealthy (as a 2.0.5 client does)', async (t) => {
  const { http } = await sim(t, { timeScale: 1 });
  const id = uniq('stp');
  // min_healthy_time 10 s at time scale 1: the allocation runs but is not healthy yet when the job stops
  await http.put('/v1/jobs', { Job: runnableJob(id, { count: 1, update: { MinHealthyTime: 10e9 } }) });
  await poll(http, `/v1/job/${id}/allocations`, 'running', (a: any[]) => a[0]?.ClientStatus === 'running');
  await http.del(`/v1/job/${id}`);
  const [a] = await poll(http, `/v1/job/${id}/allocations`, 'complete', (l: any[]) => (l[0]?.ClientStatus === 'complete' ? l : undefined));
  t.like(a.DeploymentStatus, { Healthy: false, Canary: false });
  const d = (await http.get(`/v1/job/${id}/deployment`)).json;
  t.like(d, { Status: 'cancelled', StatusDescription: 'Cancelled because job is stopped' });
  t.like(d.TaskGroups.web, { PlacedAllocs: 1, HealthyAllocs: 0, UnhealthyAllocs: 1 });
  t.is((await http.get(`/v1/job/${id}`)).json.Status, 'dead');
});
