// Nomad contract, issue #11: what a real 2.0.5 agent does that drover must handle — namespaces, the
// frozen `namespace=*` expansion of the event stream, placement failures, count-0 jobs, evaluations,
// job versions, Scaling canonicalisation, warnings, validation nesting, agent version and peers.
// Every case runs against the simulator and, with DROVER_CONTRACT_NOMAD_ADDR, against that real agent
// (a `nomad agent -dev` with raw_exec enabled); each title says what the real agent does.
import { poll, readStream, runnableJob, uniq, type NomadHttp, runContractCases, type ContractCase } from './helpers-nomad.js';


const put = (h: NomadHttp, job: unknown, query = '') => h.put(`/v1/jobs${query}`, { Job: job });
const evalsOf = async (h: NomadHttp, id: string, query = '') => (await h.get(`/v1/job/${id}/evaluations${query}`)).json as any[];
const settled = (evals: any[]) => evals.length > 0 && evals.every((e) => e.Status === 'complete' || e.Status === 'blocked');

/** Reads a stream from `index` until `enough` holds; the events of every frame, each tagged with its frame index. */
async function eventsFrom(h: NomadHttp, query: string, enough: (frames: any[]) => boolean): Promise<any[]> {
  const lines = await readStream(`${h.base}/v1/event/stream?${query}`, (ls) => enough(ls.filter((l) => l.Events)), 15_000);
  return lines.filter((l) => l.Events);
}

const cases: Record<string, ContractCase> = {
  'namespaces: default is listed with every field; PUT creates (empty 200, X-Nomad-Index), GET reads it or 404s; the real agent\'s error texts': async (t, { http }) => {
    const list = await http.get('/v1/namespaces');
    t.is(list.status, 200);
    const def = (list.json as any[]).find((n) => n.Name === 'default');
    t.deepEqual(Object.keys(def), ['Name', 'Description', 'Quota', 'Capabilities', 'NodePoolConfiguration', 'VaultConfiguration', 'ConsulConfiguration', 'Meta', 'Hash', 'CreateIndex', 'ModifyIndex', 'RequiredExtraClaims', 'OptionalExtraClaims']);
    t.is(def.Description, 'Default shared namespace');
    const name = uniq('team');
    const created = await http.put(`/v1/namespace/${name}`, { Name: name, Description: 'the team', Meta: { owner: 'drover' } });
    t.is(created.status, 200);
    t.is(created.text, '');
    const index = Number(created.headers.get('x-nomad-index'));
    t.true(index > 0);
    const got = await http.get(`/v1/namespace/${name}`);
    t.like(got.json, { Name: name, Description: 'the team', Meta: { owner: 'drover' }, CreateIndex: index, ModifyIndex: index, Quota: '', Capabilities: null });
    t.regex(got.json.Hash, /^[A-Za-z0-9+/]{43}=$/);
    const updated = await http.post(`/v1/namespace/${name}`, { Name: name, Description: 'renamed' });
    t.is(updated.status, 200);
    const again = (await http.get(`/v1/namespace/${name}`)).json;
    t.is(again.CreateIndex, index);
    t.true(again.ModifyIndex > index);
    t.is(again.Meta, null, 'an update replaces the namespace');
    t.deepEqual(((await http.get(`/v1/namespaces?prefix=${name}`)).json as any[]).map((n) => n.Name), [name]);
    const missing = await http.get(`/v1/namespace/${uniq('none')}`);
    t.is(missing.status, 404);
    t.is(missing.text, 'Namespace not found');
    const mismatch = await http.put(`/v1/namespace/${name}`, { Name: `${name}-x` });
    t.is(mismatch.status, 400);
    t.is(mismatch.text, 'Namespace name does not match request path');
    const bad = await http.put('/v1/namespace', { Name: 'bad name' });
    t.is(bad.status, 500);
    t.is(bad.text, 'Invalid namespace "bad name": 1 error occurred:\n\t* invalid name "bad name". Must match regex ^[a-zA-Z0-9-]{1,128}$\n\n');
    const viaPost = uniq('team');
    t.is((await http.post('/v1/namespace', { Name: viaPost })).status, 200);
    t.is((await http.get(`/v1/namespace/${viaPost}`)).status, 200);
  },
  'namespace delete: default refused, a missing one is 500 "namespace not found", one with a live job refused, an empty one deleted': async (t, { http }) => {
    const d = await http.del('/v1/namespace/default');
    t.is(d.status, 500);
    t.is(d.text, 'can not delete default namespace');
    const m = await http.del(`/v1/namespace/${uniq('none')}`);
    t.is(m.status, 500);
    t.is(m.text, 'namespace not found');
    const busy = uniq('busy');
    await http.put(`/v1/namespace/${busy}`, { Name: busy });
    const id = uniq('nsjob');
    t.is((await put(http, runnableJob(id, { driver: 'sim-missing-driver' }), `?namespace=${busy}`)).status, 200);
    await poll(http, `/v1/job/${id}?namespace=${busy}`, 'job running (its deployment is active)', (j) => j.Status === 'running');
    const refused = await http.del(`/v1/namespace/${busy}`);
    t.is(refused.status, 500);
    t.is(refused.text, `1 error occurred:\n\t* namespace "${busy}" has non-terminal jobs in regions: [global]\n\n`);
    const empty = uniq('empty');
    await http.put(`/v1/namespace/${empty}`, { Name: empty });
    const ok = await http.del(`/v1/namespace/${empty}`);
    t.is(ok.status, 200);
    t.truthy(ok.headers.get('x-nomad-index'));
    t.is((await http.get(`/v1/namespace/${empty}`)).status, 404);
  },
  'event stream namespace=*: the namespaces are fixed when the stream opens — a namespace created later gets no events there, a new stream sees it': async (t, { http }) => {
    const before = uniq('before');
    const after = uniq('after');
    await http.put(`/v1/namespace/${before}`, { Name: before });
    const a = uniq('late');
    const b = uniq('early');
    let opened!: () => void;
    const ready = new Promise<void>((r) => (opened = r));
    const open = readStream(`${http.base}/v1/event/stream?topic=Job:*&namespace=*&index=999999999`, (ls) => ls.some((l) => l.Events?.some((e: any) => e.Key === b)), 15_000, () => opened());
    await ready; // the stream has answered, so its namespaces are fixed before the writes
    await http.put(`/v1/namespace/${after}`, { Name: after });
    t.is((await put(http, runnableJob(a, { count: 0 }), `?namespace=${after}`)).status, 200);
    t.is((await put(http, runnableJob(b, { count: 0 }), `?namespace=${before}`)).status, 200);
    const keys = (await open).flatMap((l) => l.Events ?? []).map((e: any) => `${e.Namespace}/${e.Key}`);
    t.true(keys.includes(`${before}/${b}`));
    t.false(keys.includes(`${after}/${a}`), 'the namespace created after the stream opened is not watched');
    const fresh = await readStream(`${http.base}/v1/event/stream?topic=Job:${a}&namespace=*`, (ls) => ls.some((l) => l.Events), 15_000);
    t.true(fresh.some((l) => l.Events?.some((e: any) => e.Namespace === after && e.Key === a)), 'a new stream expands * again');
  },
  'a driver no node has: the plan reports FailedTGAllocs {"missing drivers"} and a blocked CreatedEval; the job runs a deployment that never progresses, Queued in the summary, a blocked eval': async (t, { http }) => {
    const id = uniq('nodrv');
    const job = runnableJob(id, { count: 2, driver: 'sim-missing-driver' });
    const plan = (await http.put(`/v1/job/${id}/plan`, { Job: job, Diff: true })).json;
    const metric = plan.FailedTGAllocs.web;
    t.deepEqual(Object.keys(metric), ['NodesEvaluated', 'NodesFiltered', 'NodesInPool', 'NodePool', 'NodesAvailable', 'ClassFiltered', 'ConstraintFiltered', 'NodesExhausted', 'ClassExhausted', 'DimensionExhausted', 'QuotaExhausted', 'ResourcesExhausted', 'Scores', 'ScoreMetaData', 'AllocationTime', 'CoalescedFailures']);
    t.deepEqual(metric.ConstraintFiltered, { 'missing drivers': metric.NodesEvaluated });
    t.is(metric.NodesFiltered, metric.NodesEvaluated);
    t.is(metric.CoalescedFailures, 1);
    t.is(plan.Annotations.DesiredTGUpdates.web.Place, 2);
    t.is(plan.CreatedEvals.length, 1);
    t.like(plan.CreatedEvals[0], { Status: 'blocked', TriggeredBy: 'queued-allocs', StatusDescription: 'created to place remaining allocations', JobID: id });
    t.false('CreateIndex' in plan.CreatedEvals[0], 'never stored');
    t.is(plan.NextPeriodicLaunch, null);
    const r = await put(http, job);
    t.is(r.status, 200);
    const evals = await poll(http, `/v1/job/${id}/evaluations`, 'register eval done', (e: any[]) => (e.some((x) => x.Status === 'complete') ? e : undefined));
    const done = evals.find((e) => e.ID === r.json.EvalID);
    const blocked = evals.find((e) => e.Status === 'blocked');
    t.truthy(blocked);
    t.is(done.BlockedEval, blocked.ID);
    t.is(blocked.PreviousEval, done.ID);
    t.deepEqual(done.QueuedAllocations, { web: 2 });
    t.deepEqual(done.FailedTGAllocs.web.ConstraintFiltered, metric.ConstraintFiltered);
    t.like((await http.get(`/v1/job/${id}/summary`)).json.Summary.web, { Queued: 2, Running: 0, Starting: 0 });
    const dep = (await http.get(`/v1/job/${id}/deployment`)).json;
    t.like(dep, { Status: 'running', StatusDescription: 'Deployment is running' });
    t.like(dep.TaskGroups.web, { DesiredTotal: 2, PlacedAllocs: 0, RequireProgressBy: null }, 'no placement: the progress deadline never starts');
    t.deepEqual((await http.get(`/v1/job/${id}/allocations`)).json, []);
    t.is((await http.get(`/v1/job/${id}`)).json.Status, 'running', 'an active deployment keeps the job running');
  },
  'a count-0 job ends dead: JobRegistered (pending), then an EvaluationUpdated frame with the eval complete and the job dead; no deployment': async (t, { http }) => {
    const id = uniq('zero');
    const r = await put(http, runnableJob(id, { count: 0 }));
    const frames = await eventsFrom(http, `topic=Job:${id}&topic=Evaluation:${id}&index=${r.json.Index}`, (fs) => fs.some((f) => f.Events.some((e: any) => e.Topic === 'Job' && e.Payload.Job.Status === 'dead')));
    t.deepEqual(frames[0].Events.map((e: any) => [e.Topic, e.Type, e.Payload.Job?.Status]), [['Job', 'JobRegistered', 'pending']]);
    t.deepEqual(frames[1].Events.map((e: any) => [e.Topic, e.Type]), [['Evaluation', 'JobRegistered']]);
    t.is(frames[0].Index, frames[1].Index, 'job and eval: two frames, one index');
    const last = frames.at(-1);
    t.deepEqual(last.Events.map((e: any) => [e.Topic, e.Type]), [['Evaluation', 'EvaluationUpdated'], ['Job', 'EvaluationUpdated']]);
    t.is(last.Events[0].Payload.Evaluation.Status, 'complete');
    t.is(last.Events[1].Payload.Job.Status, 'dead');
    t.is((await http.get(`/v1/job/${id}`)).json.Status, 'dead');
    t.is((await http.get(`/v1/job/${id}/deployment`)).text, 'null');
  },
  'an unchanged re-register only upserts an evaluation: one EvaluationUpdated frame (eval pending, the dead job back to pending), then dead again': async (t, { http }) => {
    const id = uniq('again');
    await put(http, runnableJob(id, { count: 0 }));
    await poll(http, `/v1/job/${id}`, 'dead', (j) => j.Status === 'dead');
    const r = await put(http, runnableJob(id, { count: 0 }));
    const frames = await eventsFrom(http, `topic=Job:${id}&topic=Evaluation:${id}&index=${r.json.Index}`, (fs) => fs.some((f) => f.Index > r.json.Index));
    t.is(frames[0].Index, r.json.Index);
    t.deepEqual(frames[0].Events.map((e: any) => [e.Topic, e.Type, e.Payload.Evaluation?.Status ?? e.Payload.Job?.Status]), [['Evaluation', 'EvaluationUpdated', 'pending'], ['Job', 'EvaluationUpdated', 'pending']]);
    t.deepEqual(frames[1].Events.map((e: any) => [e.Topic, e.Type, e.Payload.Evaluation?.Status ?? e.Payload.Job?.Status]), [['Evaluation', 'EvaluationUpdated', 'complete'], ['Job', 'EvaluationUpdated', 'dead']]);
  },
  'evaluations: /v1/job/:id/evaluations lists them by ID with zero fields left out; /v1/evaluation/:id reads one or 404s "eval not found"': async (t, { http }) => {
    const id = uniq('evals');
    const r = await put(http, runnableJob(id, { count: 0 }));
    const evals = await poll(http, `/v1/job/${id}/evaluations`, 'settled', (e: any[]) => (settled(e) ? e : undefined));
    t.deepEqual(evals.map((e) => e.ID), evals.map((e) => e.ID).sort());
    const e = evals.find((x) => x.ID === r.json.EvalID);
    t.deepEqual(Object.keys(e), ['ID', 'Namespace', 'Priority', 'Type', 'TriggeredBy', 'JobID', 'JobModifyIndex', 'Status', 'PlanAnnotations', 'QueuedAllocations', 'SnapshotIndex', 'CreateIndex', 'ModifyIndex', 'CreateTime', 'ModifyTime']);
    t.like(e, { Namespace: 'default', Priority: 50, Type: 'service', TriggeredBy: 'job-register', JobID: id, JobModifyIndex: r.json.JobModifyIndex, Status: 'complete', QueuedAllocations: { web: 0 } });
    t.is(e.PlanAnnotations.DesiredTGUpdates.web.Stop, 0);
    t.is(e.PlanAnnotations.PreemptedAllocs, null);
    const one = await http.get(`/v1/evaluation/${e.ID}`);
    t.deepEqual(one.json, e);
    t.is(one.headers.get('x-nomad-index'), String(e.ModifyIndex));
    const none = await http.get('/v1/evaluation/00000000-0000-0000-0000-000000000000');
    t.is(none.status, 404);
    t.is(none.text, 'eval not found');
    t.deepEqual(await evalsOf(http, uniq('nojob')), []);
  },
  'versions: /v1/job/:id/versions is {Versions newest first, Diffs null, query meta}; a missing job is 404 "job versions not found"': async (t, { http }) => {
    const id = uniq('vers');
    await put(http, runnableJob(id, { count: 0 }));
    await put(http, runnableJob(id, { count: 0, meta: { v: '2' } }));
    const r = await http.get(`/v1/job/${id}/versions`);
    t.is(r.status, 200);
    t.deepEqual(Object.keys(r.json), ['Versions', 'Diffs', 'Index', 'LastContact', 'KnownLeader', 'NextToken']);
    t.deepEqual(r.json.Versions.map((v: any) => v.Version), [1, 0]);
    t.deepEqual(r.json.Versions.map((v: any) => v.Meta), [{ v: '2' }, { 'drover.managed': 'true' }]);
    t.is(r.json.Diffs, null);
    t.is(r.json.KnownLeader, true);
    const none = await http.get(`/v1/job/${uniq('none')}/versions`);
    t.is(none.status, 404);
    t.is(none.text, 'job versions not found');
  },
  'Scaling: stored with ID, type, target and indexes; the same body plans as Edited (Scaling, no fields, in-place); the first re-register bumps Version 0→1, later ones do not': async (t, { http }) => {
    const id = uniq('scaled');
    const job = runnableJob(id, { count: 0 });
    job.TaskGroups[0].Scaling = { Min: 0, Max: 3 };
    const r = await put(http, job);
    const v0 = (await http.get(`/v1/job/${id}`)).json;
    const s = v0.TaskGroups[0].Scaling;
    t.deepEqual(Object.keys(s), ['ID', 'Type', 'Target', 'Policy', 'Min', 'Max', 'Enabled', 'CreateIndex', 'ModifyIndex']);
    t.regex(s.ID, /^[0-9a-f-]{36}$/);
    t.like(s, { Type: 'horizontal', Policy: null, Min: 0, Max: 3, Enabled: true, CreateIndex: r.json.JobModifyIndex, ModifyIndex: r.json.JobModifyIndex });
    t.deepEqual(s.Target, { Namespace: 'default', Job: id, Group: 'web' });
    const plan = (await http.put(`/v1/job/${id}/plan`, { Job: job, Diff: true })).json;
    t.is(plan.Diff.Type, 'Edited');
    t.deepEqual(plan.Diff.TaskGroups[0].Objects, [{ Type: 'Edited', Name: 'Scaling', Fields: null, Objects: null }]);
    await put(http, job);
    const v1 = (await http.get(`/v1/job/${id}`)).json;
    t.is(v1.Version, v0.Version + 1, 'the stored policy carried indexes the body lacks');
    t.like(v1.TaskGroups[0].Scaling, { ID: s.ID, CreateIndex: 0, ModifyIndex: 0 });
    await put(http, job);
    t.is((await http.get(`/v1/job/${id}`)).json.Version, v1.Version);
    t.is((await http.put(`/v1/job/${id}/plan`, { Job: job, Diff: true })).json.Diff.Type, 'None');
  },
  'warnings on register, plan and validate: shutdown_delay for a task with services, max_parallel above the count — in Nomad\'s "N warnings:" form': async (t, { http }) => {
    const id = uniq('warn');
    const job = runnableJob(id, { count: 2, tags: ['v1'], update: { MaxParallel: 3 } });
    job.TaskGroups[0].Tasks[0].ShutdownDelay = 0;
    const want = `2 warnings:\n\n* Group "web" has warnings: 1 error occurred:\n\t* Update max parallel count is greater than task group count (3 > 2). A destructive change would result in the simultaneous replacement of all allocations.\n* task "httpd" in group "web" defines services, but has no shutdown_delay set`;
    t.is((await http.put(`/v1/job/${id}/plan`, { Job: job })).json.Warnings, want);
    const v = (await http.put('/v1/validate/job', { Job: job })).json;
    t.deepEqual(v, { DriverConfigValidated: true, ValidationErrors: null, Error: '', Warnings: want });
    t.is((await put(http, job)).json.Warnings, want);
    job.TaskGroups[0].Tasks[0].ShutdownDelay = 5e9;
    job.TaskGroups[0].Update.MaxParallel = 1;
    t.is((await put(http, job)).json.Warnings, '');
  },
  'validation nesting: service errors two multierrors deep in the task, missing port labels, update block rules flattened into the group': async (t, { http }) => {
    const job = runnableJob(uniq('val'), { tags: ['v1'] });
    job.TaskGroups[0].Tasks[0].Services[0].Checks = [{ Type: 'http', Interval: 1e9, Timeout: 1e9 }];
    const r = await put(http, job);
    t.is(r.status, 500);
    t.is(r.text, `1 error occurred:\n\t* Task group web validation failed: 1 error occurred:\n\t* Task httpd validation failed: 1 error occurred:\n\t* 1 error occurred:\n\t* service[0] "${job.ID}" validation failed: 1 error occurred:\n\t* http type must have http path\n\n\n\n\n\n\n\n\n\n`);
    const port = runnableJob(uniq('val'), { tags: ['v1'] });
    port.TaskGroups[0].Tasks[0].Services[0].PortLabel = 'nope';
    t.is((await put(http, port)).text, `1 error occurred:\n\t* Task group web validation failed: 1 error occurred:\n\t* Task httpd validation failed: 1 error occurred:\n\t* 1 error occurred:\n\t* port label "nope" referenced by services ${port.ID} does not exist\n\n\n\n\n\n\n\n`);
    const upd = runnableJob(uniq('val'), { update: { MinHealthyTime: 20e9, HealthyDeadline: 10e9, AutoPromote: true } });
    t.is((await put(http, upd)).text, '1 error occurred:\n\t* Task group web validation failed: 2 errors occurred:\n\t* Auto Promote requires a Canary count greater than zero\n\t* Minimum healthy time must be less than healthy deadline: 20s > 10s\n\n\n\n');
    const mem = runnableJob(uniq('val'));
    mem.TaskGroups[0].Tasks[0].Resources.MemoryMB = 5;
    t.is((await put(http, mem)).text, '1 error occurred:\n\t* Task group web validation failed: 1 error occurred:\n\t* Task httpd validation failed: 1 error occurred:\n\t* 1 error occurred:\n\t* 1 error occurred:\n\t* minimum MemoryMB value is 10; got 5\n\n\n\n\n\n\n\n\n\n');
    const scale = runnableJob(uniq('val'), { count: 5 });
    scale.TaskGroups[0].Scaling = { Min: 1 };
    t.is((await put(http, scale)).text, '1 error occurred:\n\t* Task group web validation failed: 1 error occurred:\n\t* Task group scaling policy validation failed: 2 errors occurred:\n\t* Scaling policy invalid: maximum count must be specified and non-negative\n\t* Scaling policy invalid: task group count must not be greater than maximum count in scaling policy\n\n\n\n\n\n');
  },
  'agent and status: /v1/agent/self names the version in config.Version, /v1/status/peers and /v1/status/leader the RPC address': async (t, { http }) => {
    const self = (await http.get('/v1/agent/self')).json;
    t.deepEqual(Object.keys(self.config.Version), ['BuildDate', 'Revision', 'Version', 'VersionMetadata', 'VersionPrerelease']);
    t.regex(self.config.Version.Version, /^\d+\.\d+\.\d+$/);
    t.is(self.member.Tags.build.split('-')[0], self.config.Version.Version);
    const peers = await http.get('/v1/status/peers');
    t.is(peers.status, 200);
    t.true(Array.isArray(peers.json) && peers.json.length === 1);
    t.regex(peers.json[0], /^[\d.]+:\d+$/);
    t.is((await http.get('/v1/status/leader')).json, peers.json[0]);
  },
};

runContractCases('nomad cluster contract', cases);
