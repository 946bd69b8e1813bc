// Nomad contract, issue #14: update classes in the plan, in-place updates that keep allocations,
// destructive updates that replace them one max_parallel batch at a time, canaries and promotion,
// failing a deployment with auto-revert, and the Deployment and Allocation events on the way.
// Every case runs against the simulator and, with DROVER_CONTRACT_NOMAD_ADDR, against that real agent
// (a `nomad agent -dev` with raw_exec enabled: the jobs run busybox httpd); each title says what the
// real agent does. On a real agent each rollout takes a few seconds (min_healthy_time 1 s per step).
import type { ExecutionContext } from 'ava';
import { poll, readStream, runnableJob, uniq, type NomadHttp, runContractCases, type ContractCase } from './helpers-nomad.js';


const put = (h: NomadHttp, job: unknown) => h.put('/v1/jobs', { Job: job });
const running = async (h: NomadHttp, id: string) => ((await h.get(`/v1/job/${id}/allocations`)).json as any[]).filter((a) => a.DesiredStatus === 'run');
const deployment = (h: NomadHttp, id: string, version: number, what = 'deployment done') =>
  poll(h, `/v1/job/${id}/deployment`, what, (d) => (d && d.JobVersion === version && d.Status !== 'running' ? d : undefined), 90_000);

async function deployed(t: ExecutionContext, h: NomadHttp, job: any): Promise<any> {
  const r = await put(h, job);
  t.is(r.status, 200, r.text);
  const v = (await h.get(`/v1/job/${job.ID}`)).json.Version;
  const d = await deployment(h, job.ID, v);
  t.is(d.Status, 'successful', d.StatusDescription);
  return d;
}

const cases: Record<string, ContractCase> = {
  'plan update classes on a running job: count → create + in-place; job Meta, env, args, cpu → create/destroy; tags, update block, constraints, kill timeout → in-place': async (t, { http }) => {
    const id = uniq('cls');
    await deployed(t, http, runnableJob(id, { count: 2, tags: ['v1'] }));
    const plan = async (job: any) => {
      const p = (await http.put(`/v1/job/${id}/plan`, { Job: job, Diff: true })).json;
      return { updates: p.Diff.TaskGroups[0].Updates, task: p.Diff.TaskGroups[0].Tasks[0].Annotations, desired: p.Annotations.DesiredTGUpdates.web };
    };
    const count = await plan(runnableJob(id, { count: 3, tags: ['v1'] }));
    t.deepEqual(count.updates, { create: 1, 'in-place update': 2 });
    t.is(count.task, null);
    const meta = await plan(runnableJob(id, { count: 2, tags: ['v1'], meta: { 'drover.managed': 'true', 'drover.spec-hash': 'x' } }));
    t.deepEqual(meta.updates, { 'create/destroy update': 1, ignore: 1 }, 'job Meta reaches tasks as NOMAD_META_*: destructive, capped at max_parallel');
    t.is(meta.task, null, 'the task itself did not change');
    t.like(meta.desired, { DestructiveUpdate: 1, Ignore: 1, InPlaceUpdate: 0 });
    const tags = await plan(runnableJob(id, { count: 2, tags: ['v2'] }));
    t.deepEqual(tags.updates, { 'in-place update': 2 });
    t.deepEqual(tags.task, ['forces in-place update']);
    const env = runnableJob(id, { count: 2, tags: ['v1'] });
    env.TaskGroups[0].Tasks[0].Env = { X: '1' };
    t.deepEqual((await plan(env)).task, ['forces create/destroy update']);
    t.deepEqual((await plan(runnableJob(id, { count: 2, tags: ['v1'], args: ['-v'] }))).updates, { 'create/destroy update': 1, ignore: 1 });
    const cpu = runnableJob(id, { count: 2, tags: ['v1'] });
    cpu.TaskGroups[0].Tasks[0].Resources.CPU = 60;
    t.deepEqual((await plan(cpu)).updates, { 'create/destroy update': 1, ignore: 1 });
    t.deepEqual((await plan(runnableJob(id, { count: 2, tags: ['v1'], update: { MinHealthyTime: 2e9 } }))).updates, { 'in-place update': 2 });
    const constraint = runnableJob(id, { count: 2, tags: ['v1'] });
    constraint.TaskGroups[0].Constraints = [{ LTarget: '${attr.kernel.name}', RTarget: 'linux', Operand: '=' }];
    t.deepEqual((await plan(constraint)).updates, { 'in-place update': 2 });
    const kill = runnableJob(id, { count: 2, tags: ['v1'] });
    kill.TaskGroups[0].Tasks[0].KillTimeout = 7e9;
    const k = await plan(kill);
    t.deepEqual(k.updates, { 'in-place update': 2 });
    t.deepEqual(k.task, ['forces in-place update']);
  },
  'a scale-up keeps the running allocations (same IDs, now the new JobVersion) and places one more; the deployment counts all three as placed': async (t, { http }) => {
    const id = uniq('scale');
    await deployed(t, http, runnableJob(id, { count: 2 }));
    const before = await running(http, id);
    const d = await deployed(t, http, runnableJob(id, { count: 3 }));
    const after = await running(http, id);
    t.is(after.length, 3);
    for (const a of before) t.truthy(after.find((x) => x.ID === a.ID && x.JobVersion === 1), `allocation ${a.Name} kept its ID`);
    t.deepEqual(after.map((a) => a.Name).sort(), [`${id}.web[0]`, `${id}.web[1]`, `${id}.web[2]`]);
    t.like(d.TaskGroups.web, { DesiredTotal: 3, PlacedAllocs: 3, HealthyAllocs: 3 });
  },
  'a destructive change with max_parallel 1 replaces allocations one at a time: each old one is stopped "alloc is being updated due to job update" with NextAllocation set': async (t, { http }) => {
    const id = uniq('roll');
    const d0 = await deployed(t, http, runnableJob(id, { count: 2 }));
    const old = await running(http, id);
    const r = await put(http, runnableJob(id, { count: 2, args: ['-v'] }));
    const frames = await readStream(`${http.base}/v1/event/stream?topic=Deployment:${id}&index=${r.json.Index}`,
      (ls) => ls.some((l) => l.Events?.some((e: any) => e.Payload.Deployment.Status === 'successful' && e.Payload.Deployment.ID !== d0.ID)), 90_000);
    const placed = frames.flatMap((l) => l.Events ?? []).filter((e: any) => e.Payload.Deployment.ID !== d0.ID).map((e: any) => e.Payload.Deployment.TaskGroups.web.PlacedAllocs);
    t.deepEqual([...new Set(placed)], [1, 2], 'the second replacement waits for the first to be healthy');
    const all = (await http.get(`/v1/job/${id}/allocations`)).json as any[];
    for (const o of old) {
      const now = all.find((a) => a.ID === o.ID);
      t.like(now, { DesiredStatus: 'stop', DesiredDescription: 'alloc is being updated due to job update' });
      const next = all.find((a) => a.ID === now.NextAllocation);
      t.like(next, { Name: o.Name, DesiredStatus: 'run', JobVersion: 1 });
    }
  },
  'canary: one canary beside the old allocations, "requires manual promotion"; promote → its Canary flag cleared, the old ones replaced, Stable; promote errors as the real agent words them': async (t, { http }) => {
    const id = uniq('can');
    const update = { Canary: 1, AutoRevert: true };
    await deployed(t, http, runnableJob(id, { count: 2, update }));
    const plan = (await http.put(`/v1/job/${id}/plan`, { Job: runnableJob(id, { count: 2, update, args: ['-v'] }), Diff: true })).json;
    t.deepEqual(plan.Diff.TaskGroups[0].Updates, { canary: 1, ignore: 2 });
    await put(http, runnableJob(id, { count: 2, update, args: ['-v'] }));
    const waiting = await poll(http, `/v1/job/${id}/deployment`, 'canary healthy', (d) => (d.JobVersion === 1 && d.TaskGroups.web.HealthyAllocs === 1 ? d : undefined), 90_000);
    t.like(waiting, { Status: 'running', StatusDescription: 'Deployment is running but requires manual promotion' });
    t.like(waiting.TaskGroups.web, { DesiredCanaries: 1, DesiredTotal: 2, PlacedAllocs: 1, Promoted: false });
    const [canaryId] = waiting.TaskGroups.web.PlacedCanaries;
    const allocs = await running(http, id);
    t.is(allocs.length, 3, 'the canary runs beside both old allocations');
    t.like(allocs.find((a) => a.ID === canaryId).DeploymentStatus, { Healthy: true, Canary: true });
    t.is((await http.post(`/v1/deployment/promote/${waiting.ID}`, { All: true })).text, 'DeploymentID must be specified');
    t.is((await http.post(`/v1/deployment/promote/${waiting.ID}`, { DeploymentID: 'x', All: true })).text, 'Deployment ID does not match');
    const p = await http.post(`/v1/deployment/promote/${waiting.ID}`, { DeploymentID: waiting.ID, All: true });
    t.is(p.status, 200, p.text);
    t.deepEqual(Object.keys(p.json), ['EvalID', 'EvalCreateIndex', 'DeploymentModifyIndex', 'RevertedJobVersion', 'Index']);
    t.is(p.json.RevertedJobVersion, null);
    t.is(p.headers.get('x-nomad-index'), String(p.json.Index));
    const done = await deployment(http, id, 1);
    t.like(done, { Status: 'successful', StatusDescription: 'Deployment completed successfully' });
    t.like(done.TaskGroups.web, { Promoted: true, HealthyAllocs: 2, PlacedAllocs: 2 });
    const now = await running(http, id);
    t.is(now.length, 2);
    t.true(now.every((a) => a.JobVersion === 1));
    t.like(now.find((a) => a.ID === canaryId).DeploymentStatus, { Canary: false }, 'a promoted canary is a regular allocation');
    t.true((await http.get(`/v1/job/${id}`)).json.Stable);
    t.is((await http.post(`/v1/deployment/promote/${done.ID}`, { DeploymentID: done.ID, All: true })).text, "can't promote terminal deployment");
    t.is((await http.post(`/v1/deployment/fail/${done.ID}`)).text, "can't fail terminal deployment");
    t.is((await http.post('/v1/deployment/fail/00000000-0000-0000-0000-000000000000')).text, 'deployment not found');
    await put(http, runnableJob(id, { count: 2, update, args: ['-vv'] }));
    const fresh = await poll(http, `/v1/job/${id}/deployment`, 'v2 canary placed', (d) => (d.JobVersion === 2 ? d : undefined));
    const early = await http.post(`/v1/deployment/promote/${fresh.ID}`, { DeploymentID: fresh.ID, All: true });
    if (fresh.TaskGroups.web.HealthyAllocs === 0) {
      t.is(early.status, 500);
      t.is(early.text, '1 error occurred:\n\t* Task group "web" has 0/1 healthy allocations\n\n');
    }
  },
  'fail with auto_revert: "Deployment marked as failed - rolling back to job version N", RevertedJobVersion N, a new version with the stable spec (already Stable) rolled out by its own deployment': async (t, { http }) => {
    const id = uniq('rev');
    const update = { Canary: 1, AutoRevert: true };
    await deployed(t, http, runnableJob(id, { count: 2, update }));
    await put(http, runnableJob(id, { count: 2, update, args: ['-v'] }));
    const d1 = await poll(http, `/v1/job/${id}/deployment`, 'v1 deployment', (d) => (d.JobVersion === 1 ? d : undefined));
    const f = await http.post(`/v1/deployment/fail/${d1.ID}`);
    t.is(f.status, 200, f.text);
    t.is(f.json.RevertedJobVersion, 0);
    t.is(f.headers.get('x-nomad-index'), String(f.json.Index));
    const failed = (await http.get(`/v1/deployment/${d1.ID}`)).json;
    t.like(failed, { Status: 'failed', StatusDescription: 'Deployment marked as failed - rolling back to job version 0' });
    const job = (await http.get(`/v1/job/${id}`)).json;
    t.is(job.Version, 2);
    t.true(job.Stable, 'the reverted spec keeps its stable flag');
    t.deepEqual(job.TaskGroups[0].Tasks[0].Config.args, ['httpd', '-f', '-p', '${NOMAD_PORT_http}']);
    const versions = (await http.get(`/v1/job/${id}/versions`)).json.Versions;
    t.deepEqual(versions.map((v: any) => [v.Version, v.Stable]), [[2, true], [1, false], [0, true]]);
    const d2 = await deployment(http, id, 2);
    t.is(d2.Status, 'successful');
    t.is(d2.TaskGroups.web.DesiredCanaries, 0, 'the running version-0 allocations are updated in place');
    const deps = (await http.get(`/v1/job/${id}/deployments`)).json as any[];
    t.deepEqual(deps.map((d) => d.ID), deps.map((d) => d.ID).sort(), 'listed by ID');
    t.deepEqual(deps.map((d) => d.JobVersion).sort(), [0, 1, 2]);
    t.is((await http.get('/v1/deployment/00000000-0000-0000-0000-000000000000')).text, 'deployment not found');
  },
  'events: a placement is a PlanResult Allocation event without the job and with Timeout fields; health arrives as AllocationUpdated with the Deployment counts in the same frame': async (t, { http }) => {
    const id = uniq('ev');
    const r = await put(http, runnableJob(id, { count: 1 }));
    const frames = await readStream(`${http.base}/v1/event/stream?topic=Allocation:${id}&topic=Deployment:${id}&index=${r.json.Index}`,
      (ls) => ls.some((l) => l.Events?.some((e: any) => e.Topic === 'Deployment' && e.Payload.Deployment.Status === 'successful')), 90_000);
    const events = frames.flatMap((l) => (l.Events ?? []).map((e: any) => ({ ...e, frame: l })));
    const placed = events.find((e) => e.Topic === 'Allocation' && e.Type === 'PlanResult');
    t.false('Job' in placed.Payload.Allocation);
    t.like(placed.Payload, { Timeout: false, TimeoutReason: '' });
    t.like(placed.Payload.Allocation, { JobID: id, DesiredStatus: 'run', ClientStatus: 'pending', TaskGroup: 'web', Name: `${id}.web[0]` });
    t.is(placed.frame.Events.find((e: any) => e.Topic === 'Deployment').Type, 'PlanResult', 'the deployment is created in the same plan');
    const healthy = events.find((e) => e.Topic === 'Allocation' && e.Payload.Allocation.DeploymentStatus?.Healthy === true);
    t.is(healthy.Type, 'AllocationUpdated');
    const dep = healthy.frame.Events.find((e: any) => e.Topic === 'Deployment');
    t.is(dep.Type, 'AllocationUpdated');
    t.is(dep.Payload.Deployment.TaskGroups.web.HealthyAllocs, 1);
    const success = events.find((e) => e.Topic === 'Deployment' && e.Payload.Deployment.Status === 'successful');
    t.is(success.Type, 'PlanResult');
    t.deepEqual(Object.keys(success.Payload.Deployment), ['ID', 'Namespace', 'JobID', 'JobVersion', 'JobModifyIndex', 'JobSpecModifyIndex', 'JobCreateIndex', 'IsMultiregion', 'TaskGroups', 'Status', 'StatusDescription', 'EvalPriority', 'CreateIndex', 'ModifyIndex', 'CreateTime', 'ModifyTime']);
  },
};

runContractCases('nomad rollout contract', cases);
