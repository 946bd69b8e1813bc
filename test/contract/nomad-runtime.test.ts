// Nomad contract, the parts that need running allocations, ACLs or a service sink: each case starts
// a simulator configured for it. Against a real agent (DROVER_CONTRACT_NOMAD_ADDR) these cases are
// skipped: they need docker, weave, ACL bootstrap or a Consul sink that a plain -dev agent lacks.
import test, { type ExecutionContext } from 'ava';
import type { ServiceSink, SimServiceInstance } from '@drover/sim';
import { readStream, startSim, uniq, waitFor, workedExample, type NomadHttp } from './helpers-nomad.js';

const real = !!process.env.DROVER_CONTRACT_NOMAD_ADDR;
const simTest = real ? test.skip : test;

class Sink implements ServiceSink {
  readonly services = new Map<string, SimServiceInstance>();
  register(s: SimServiceInstance): void {
    this.services.set(s.id, s);
  }
  deregister(id: string): void {
    this.services.delete(id);
  }
}

async function sim(t: ExecutionContext, opts: Parameters<typeof startSim>[0] = {}) {
  const s = await startSim(opts);
  t.teardown(() => s.close());
  return s;
}

const allocs = async (h: NomadHttp, id: string) => (await h.get(`/v1/job/${id}/allocations`)).json as any[];

simTest('status goes pending → running: ModifyIndex moves, JobModifyIndex and Version do not; the deployment succeeds', async (t) => {
  const { http } = await sim(t, { allocDelayMs: 60 });
  const id = uniq('st');
  const w = (await http.put('/v1/jobs', { Job: workedExample(id, { count: 2 }) })).json;
  const first = (await http.get(`/v1/job/${id}`)).json;
  // the job row is written "pending"; allocations flip it to running within milliseconds
  const replay = await readStream(`${http.base}/v1/event/stream?topic=Job:${id}&index=${w.JobModifyIndex}`, (ls) => ls.some((l) => l.Events));
  const registered = replay.find((l) => l.Events)!.Events[0];
  t.is(registered.Type, 'JobRegistered');
  t.is(registered.Payload.Job.Status, 'pending');
  const running = await waitFor('running allocs', async () => {
    const a = await allocs(http, id);
    return a.length === 2 && a.every((x) => x.ClientStatus === 'running') ? a : undefined;
  });
  t.deepEqual(running.map((a) => a.Name).sort(), [`${id}.app[0]`, `${id}.app[1]`]);
  t.false('DeploymentID' in running[0]);
  const job = (await http.get(`/v1/job/${id}`)).json;
  t.is(job.Status, 'running');
  t.true(job.ModifyIndex > w.JobModifyIndex);
  t.is(job.JobModifyIndex, w.JobModifyIndex);
  t.is(job.Version, first.Version);
  const dep = await waitFor('deployment done', async () => {
    const d = (await http.get(`/v1/job/${id}/deployment`)).json;
    return d?.Status === 'successful' ? d : undefined;
  });
  t.is(dep.StatusDescription, 'Deployment completed successfully');
  t.is(dep.JobSpecModifyIndex, w.JobModifyIndex);
  t.is(dep.TaskGroups.app.HealthyAllocs, 2);
  t.true((await http.get(`/v1/job/${id}`)).json.Stable);
  const summary = (await http.get(`/v1/job/${id}/summary`)).json;
  t.is(summary.Summary.app.Running, 2);
});

simTest('count down stops the extra allocations; an image change replaces them with the new version', async (t) => {
  const { http } = await sim(t);
  const id = uniq('cnt');
  await http.put('/v1/jobs', { Job: workedExample(id, { count: 3 }) });
  await waitFor('3 running', async () => ((await allocs(http, id)).filter((a) => a.ClientStatus === 'running').length === 3 ? true : undefined));
  await http.put('/v1/jobs', { Job: workedExample(id, { count: 1 }) });
  const after = await waitFor('2 stopped', async () => {
    const a = await allocs(http, id);
    return a.filter((x) => x.DesiredStatus === 'stop' && x.ClientStatus === 'complete').length === 2 ? a : undefined;
  });
  t.deepEqual(after.filter((a) => a.DesiredStatus === 'run').map((a) => a.Name), [`${id}.app[0]`]);
  await http.put('/v1/jobs', { Job: workedExample(id, { count: 1, image: 'nginx:1.28' }) });
  const replaced = await waitFor('new version running', async () => {
    const a = (await allocs(http, id)).filter((x) => x.DesiredStatus === 'run' && x.ClientStatus === 'running');
    return a.length === 1 && a[0].JobVersion === 2 ? a : undefined;
  });
  t.is(replaced.length, 1);
});

simTest('DELETE stops the allocations, and the job ends dead', async (t) => {
  const { http } = await sim(t);
  const id = uniq('stop');
  await http.put('/v1/jobs', { Job: workedExample(id, { count: 2 }) });
  await waitFor('running', async () => ((await http.get(`/v1/job/${id}`)).json.Status === 'running' ? true : undefined));
  await http.del(`/v1/job/${id}`);
  const job = await waitFor('dead', async () => {
    const j = (await http.get(`/v1/job/${id}`)).json;
    return j.Status === 'dead' ? j : undefined;
  });
  t.true(job.Stop);
  const a = await waitFor('complete', async () => {
    const l = await allocs(http, id);
    return l.every((x) => x.ClientStatus === 'complete') ? l : undefined;
  });
  t.true(a.every((x) => x.DesiredStatus === 'stop'));
});

simTest('a running deployment is cancelled by a stop', async (t) => {
  const { http } = await sim(t, { allocDelayMs: 200, deploymentDelayMs: 2000 });
  const id = uniq('cancel');
  await http.put('/v1/jobs', { Job: workedExample(id) });
  await waitFor('deployment', async () => ((await http.get(`/v1/job/${id}/deployment`)).json?.Status === 'running' ? true : undefined));
  await http.del(`/v1/job/${id}`);
  const d = await waitFor('cancelled', async () => {
    const x = (await http.get(`/v1/job/${id}/deployment`)).json;
    return x.Status === 'cancelled' ? x : undefined;
  });
  t.is(d.StatusDescription, 'Cancelled because job is stopped');
});

simTest('provider nomad: registrations under /v1/service/:name with the node address, gone after stop', async (t) => {
  const { http } = await sim(t, { nodes: [{ id: 'n1', name: 'node-a', address: '10.0.0.21' }, { id: 'n2', name: 'node-b', address: '10.0.0.22' }] });
  const id = uniq('nsd');
  const job = workedExample(id, { count: 2 });
  job.TaskGroups[0].Tasks[0].Services[0].Provider = 'nomad';
  job.TaskGroups[0].Tasks[0].Services[0].Name = `${id}-web`;
  await http.put('/v1/jobs', { Job: job });
  const regs = await waitFor('2 registrations', async () => {
    const r = (await http.get(`/v1/service/${id}-web`)).json as any[];
    return r.length === 2 ? r : undefined;
  });
  t.deepEqual(regs.map((r) => r.Address).sort(), ['10.0.0.21', '10.0.0.22']);
  for (const r of regs) {
    t.deepEqual(Object.keys(r), ['ID', 'ServiceName', 'Namespace', 'NodeID', 'Datacenter', 'JobID', 'AllocID', 'Tags', 'Address', 'Port', 'CreateIndex', 'ModifyIndex']);
    t.true(r.Port >= 20000 && r.Port <= 32000);
    t.is(r.ID, `_nomad-task-${r.AllocID}-app-${id}-web-http`);
    t.deepEqual(r.Tags, ['web', 'v1']);
    t.is(r.JobID, id);
  }
  const list = (await http.get('/v1/services')).json;
  t.deepEqual(list[0].Services.find((s: any) => s.ServiceName === `${id}-web`), { ServiceName: `${id}-web`, Tags: ['v1', 'web'] });
  await http.del(`/v1/job/${id}`);
  await waitFor('deregistered', async () => (((await http.get(`/v1/service/${id}-web`)).json as any[]).length === 0 ? true : undefined));
  t.pass();
});

simTest('provider consul: one instance per alloc in the sink, Nomad ID format, external-source meta, node address', async (t) => {
  const sink = new Sink();
  const { http } = await sim(t, { serviceSink: sink });
  const id = uniq('con');
  await http.put('/v1/jobs', { Job: workedExample(id) });
  const [a] = await waitFor('running', async () => {
    const l = await allocs(http, id);
    return l[0]?.ClientStatus === 'running' ? l : undefined;
  });
  const s = sink.services.get(`_nomad-task-${a.ID}-app-app-http`);
  t.truthy(s);
  t.is(s!.name, 'app');
  t.deepEqual(s!.tags, ['web', 'v1']);
  t.is(s!.meta['external-source'], 'nomad');
  t.is(s!.address, '10.0.0.10');
  t.true(s!.port >= 20000 && s!.port <= 32000);
  t.deepEqual(s!.checks, [{ type: 'tcp', interval: '10s', timeout: '2s', name: 'service: "app" check', tcp: `10.0.0.10:${s!.port}` }]);
  await http.del(`/v1/job/${id}`);
  await waitFor('gone', async () => (sink.services.size === 0 ? true : undefined));
});

simTest('weave: plugin mode advertises the weave IP and container port; proxy mode (WEAVE_CIDR) the docker bridge address', async (t) => {
  const sink = new Sink();
  const { http } = await sim(t, { serviceSink: sink });
  const plugin = workedExample(uniq('wv'));
  plugin.TaskGroups[0].Tasks[0].Config.network_mode = 'weave';
  const proxy = workedExample(uniq('wp'));
  proxy.TaskGroups[0].Tasks[0].Env = { WEAVE_CIDR: 'net:10.32.1.0/24' };
  await http.put('/v1/jobs', { Job: plugin });
  await http.put('/v1/jobs', { Job: proxy });
  await waitFor('2 instances', async () => (sink.services.size === 2 ? true : undefined));
  const addrs = [...sink.services.values()].map((s) => ({ address: s.address, port: s.port }));
  const weave = addrs.find((a) => a.address.startsWith('10.32.'));
  const bridge = addrs.find((a) => a.address.startsWith('172.17.0.'));
  t.truthy(weave);
  t.is(weave!.port, 8080);
  t.truthy(bridge, 'proxy mode advertises the docker bridge address, not an address in 10.32.1.0/24');
  t.false(bridge!.address.startsWith('10.32.1.'));
});

simTest('ACLs: a missing or unknown token is 403 Permission denied; read-only and namespace-scoped tokens are enforced', async (t) => {
  const { http } = await sim(t, {
    namespaces: ['default', 'team'],
    aclTokens: { admin: { namespaces: '*', write: true }, reader: { namespaces: ['default'], write: false }, team: { namespaces: ['team'], write: true } },
  });
  const id = uniq('acl');
  const none = await http.put('/v1/jobs', { Job: workedExample(id) });
  t.is(none.status, 403);
  t.is(none.text, 'Permission denied');
  t.is((await http.withToken('bogus').get('/v1/jobs')).status, 403);
  t.is((await http.withToken('reader').put('/v1/jobs', { Job: workedExample(id) })).status, 403);
  t.is((await http.withToken('admin').put('/v1/jobs', { Job: workedExample(id) })).status, 200);
  t.is((await http.withToken('reader').get(`/v1/job/${id}`)).status, 200);
  t.is((await http.withToken('team').get(`/v1/job/${id}`)).status, 403);
  t.is((await http.withToken('team').put('/v1/jobs?namespace=team', { Job: workedExample(id) })).status, 200);
  const all = (await http.withToken('team').get('/v1/jobs?namespace=*')).json as any[];
  t.deepEqual(all.map((j) => j.Namespace), ['team']);
  // the event stream checks every namespace `*` covers (nomad/event_endpoint.go validateACL): all or nothing
  const stream = (tok: string, ns: string) => fetch(`${http.base}/v1/event/stream?topic=Job:*&namespace=${ns}`, { headers: { 'X-Nomad-Token': tok }, signal: AbortSignal.timeout(5000) });
  t.is((await stream('team', '*')).status, 403);
  t.is((await stream('reader', 'team')).status, 403);
  const dep = await waitFor('team deployment', async () => ((await http.withToken('admin').get(`/v1/job/${id}/deployments?namespace=team`)).json as any[])[0]);
  t.is((await http.withToken('admin').get(`/v1/deployment/${dep.ID}`)).status, 200);
  t.is((await http.withToken('reader').get(`/v1/deployment/${dep.ID}`)).status, 404, 'a deployment the token cannot read is hidden');
  t.is((await http.get('/v1/agent/health')).status, 200);
});

simTest('ACLs: the submitting token is part of the spec (NomadTokenID), so another token makes a new version', async (t) => {
  const { http } = await sim(t, { aclTokens: { a: { namespaces: '*', write: true }, b: { namespaces: '*', write: true } } });
  const id = uniq('tok');
  await http.withToken('a').put('/v1/jobs', { Job: workedExample(id) });
  const v0 = (await http.withToken('a').get(`/v1/job/${id}`)).json;
  t.regex(v0.NomadTokenID, /^[0-9a-f-]{36}$/);
  t.not(v0.NomadTokenID, 'a');
  await http.withToken('a').put('/v1/jobs', { Job: workedExample(id) });
  t.is((await http.withToken('a').get(`/v1/job/${id}`)).json.Version, v0.Version);
  await http.withToken('b').put('/v1/jobs', { Job: workedExample(id) });
  t.is((await http.withToken('b').get(`/v1/job/${id}`)).json.Version, v0.Version + 1);
});

simTest('vault: rejected when Vault is not enabled (plain -dev); otherwise defaults filled, Policies dropped, group constraint added', async (t) => {
  const off = await sim(t, { vaultEnabled: false });
  const job = workedExample(uniq('vlt'));
  job.TaskGroups[0].Tasks[0].Vault = { Role: 'r', Policies: ['p'] };
  const r = await off.http.put('/v1/jobs', { Job: job });
  t.is(r.status, 500);
  t.is(r.text, '1 error occurred:\n\t* Vault "default" not enabled but used in the job\n\n');
  const on = await sim(t);
  t.is((await on.http.put('/v1/jobs', { Job: job })).status, 200);
  const got = (await on.http.get(`/v1/job/${job.ID}`)).json;
  t.deepEqual(got.TaskGroups[0].Tasks[0].Vault, { Role: 'r', Namespace: '', Cluster: 'default', Env: true, DisableFile: false, ChangeMode: 'restart', ChangeSignal: 'SIGHUP', AllowTokenExpiration: false });
  t.deepEqual(got.TaskGroups[0].Constraints, [{ LTarget: '${attr.vault.version}', RTarget: '>= 0.6.1', Operand: 'semver' }]);
});

simTest('event stream: AllocationUpdated frames carry [JobID, DeploymentID] and no job; a deployment succeeds in a PlanResult frame (as a real 2.0.5 agent sends them)', async (t) => {
  const { http } = await sim(t);
  const id = uniq('ev');
  const url = `${http.base}/v1/event/stream?topic=Allocation:${id}&topic=Deployment:${id}`;
  const got = readStream(url, (ls) => ls.some((l) => l.Events?.some((e: any) => e.Topic === 'Deployment' && e.Payload.Deployment.Status === 'successful')));
  await new Promise((r) => setTimeout(r, 50));
  await http.put('/v1/jobs', { Job: workedExample(id) });
  const events = (await got).flatMap((l) => l.Events ?? []);
  const upd = events.find((e) => e.Type === 'AllocationUpdated' && e.Payload.Allocation.ClientStatus === 'running');
  t.truthy(upd);
  t.is(upd.Topic, 'Allocation');
  t.deepEqual(upd.FilterKeys, [id, upd.Payload.Allocation.DeploymentID]);
  t.false('Job' in upd.Payload.Allocation, 'the job is stripped and zero fields are left out');
  t.is(upd.Payload.Timeout, false);
  t.true(events.every((e) => e.Topic === 'Allocation' || e.Topic === 'Deployment'));
  const dep = events.find((e) => e.Topic === 'Deployment' && e.Payload.Deployment.Status === 'successful');
  t.is(dep.Type, 'PlanResult', 'the scheduler marks it successful in its plan');
  t.deepEqual(dep.FilterKeys, [id]);
});

simTest('event stream: heartbeats repeat, and streams end cleanly when the server closes', async (t) => {
  const s = await startSim({ eventHeartbeatMs: 40 });
  const lines = readStream(`${s.http.base}/v1/event/stream?topic=Job:*`, (ls) => ls.length >= 3);
  const got = await lines;
  t.true(got.slice(0, 3).every((l) => JSON.stringify(l) === '{}'));
  const res = await fetch(`${s.http.base}/v1/event/stream?topic=Job:*`);
  const reader = res.body!.getReader();
  t.is(Buffer.from((await reader.read()).value!).toString(), '{}\n');
  const t0 = Date.now();
  await s.close();
  let rest = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    rest += Buffer.from(value).toString();
  }
  t.true(rest === '' || /^(\{\}\n)*$/.test(rest));
  t.true(Date.now() - t0 < 1000);
});
