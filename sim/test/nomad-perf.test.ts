// The simulated Nomad's per-job indexes: GroupedMap stays equal to a full scan under any sequence
// of set/overwrite/delete/clear, NomadState's per-job reads return exactly what a scan returned
// (same order), per-job reads do not grow with the store, and HTTP reads keep namespaces apart.
import test from 'ava';
import { GroupedMap } from '../src/nomad/grouped-map.js';
import { NomadState, type Alloc } from '../src/nomad/state.js';
import { startSim, waitFor } from '../../test/contract/helpers-nomad.js';

function rng(seed: number) {
  return (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
}

function alloc(i: number, ns: string, job: string, createIndex: number, name: string, dep = ''): Alloc {
  return { ID: `a-${i}`, Namespace: ns, JobID: job, CreateIndex: createIndex, Name: name, DeploymentID: dep } as Alloc;
}

test('GroupedMap groups match a full scan, in Map order, after random set/overwrite/delete/clear', (t) => {
  const rnd = rng(3);
  type V = { g: string; n: number };
  const m = new GroupedMap<V>((v) => v.g);
  const groups = ['a', 'b', 'c', 'd'];
  const scan = (g: string) => [...m.values()].filter((v) => v.g === g);
  for (let step = 0; step < 5000; step++) {
    const k = `k${rnd(60)}`;
    const op = rnd(20);
    if (op < 12) m.set(k, { g: groups[rnd(groups.length)]!, n: step });
    else if (op < 19) m.delete(k);
    else if (step % 7 === 0) m.clear();
    if (step % 50 === 0) for (const g of groups) t.deepEqual(m.group(g), scan(g), `step ${step} group ${g}`);
  }
  for (const g of groups) t.deepEqual(m.group(g), scan(g));
  t.deepEqual(m.group('nope'), []);
});

test('jobAllocs, jobDeployments and deploymentAllocs return what a scan of the store returned', (t) => {
  const rnd = rng(11);
  const s = new NomadState();
  const jobs = [['default', 'web'], ['prod', 'web'], ['default', 'api'], ['default', 'web2']] as const;
  for (let i = 0; i < 400; i++) {
    const [ns, job] = jobs[rnd(jobs.length)]!;
    s.allocs.set(`a-${i}`, alloc(i, ns, job, 1 + rnd(5), `${job}.app[${rnd(12)}]`, `d-${ns}-${job}-${rnd(3)}`));
    if (i % 10 === 0) s.deployments.set(`d-${i}`, { ID: `d-${ns}-${job}-${i % 3}`, Namespace: ns, JobID: job, CreateIndex: rnd(50) });
  }
  for (const [ns, job] of jobs) {
    const allocs = [...s.allocs.values()].filter((a) => a.Namespace === ns && a.JobID === job)
      .sort((a, b) => a.CreateIndex - b.CreateIndex || a.Name.localeCompare(b.Name));
    t.deepEqual(s.jobAllocs(ns, job).map((a) => a.ID), allocs.map((a) => a.ID));
    const deps = [...s.deployments.values()].filter((d) => d.Namespace === ns && d.JobID === job)
      .sort((a, b) => Number(b.CreateIndex) - Number(a.CreateIndex));
    t.deepEqual(s.jobDeployments(ns, job), deps);
    for (const d of deps) t.deepEqual(s.deploymentAllocs(d), [...s.allocs.values()].filter((a) => a.DeploymentID === d.ID));
  }
  t.deepEqual(s.jobAllocs('other', 'web'), []);
});

test('per-job reads cost the job, not the store: 5,000 jobs × 4 allocs read back quickly', (t) => {
  const s = new NomadState();
  let i = 0;
  for (let j = 0; j < 5000; j++) for (let k = 0; k < 4; k++) s.allocs.set(`a-${i}`, alloc(i++, 'default', `job-${j}`, j, `job-${j}.app[${k}]`));
  const started = performance.now();
  let n = 0;
  for (let j = 0; j < 5000; j++) n += s.jobAllocs('default', `job-${j}`).length + s.jobDeployments('default', `job-${j}`).length;
  const ms = performance.now() - started;
  t.is(n, 20_000);
  // a full scan per call is 5,000 × 20,000 visits plus copies (seconds); the index needs milliseconds
  t.true(ms < 1500, `took ${ms.toFixed(0)} ms`);
});

test('over HTTP: same job ID in two namespaces keeps allocations, deployments and services apart', async (t) => {
  const { http, close } = await startSim({ namespaces: ['default', 'prod'], allocDelayMs: 5, deploymentDelayMs: 10 });
  t.teardown(close);
  const job = (ns: string, count: number) => ({
    ID: 'same', Namespace: ns, Datacenters: ['dc1'],
    TaskGroups: [{ Name: 'app', Count: count, Tasks: [{ Name: 'app', Driver: 'docker', Config: { image: 'nginx:1.27' }, Services: [{ Name: `svc-${ns}`, Provider: 'nomad' }] }] }],
  });
  t.is((await http.put('/v1/jobs?namespace=default', { Job: job('default', 1) })).status, 200);
  t.is((await http.put('/v1/jobs?namespace=prod', { Job: job('prod', 3) })).status, 200);
  for (const [ns, count] of [['default', 1], ['prod', 3]] as const) {
    const dep = await waitFor(`${ns} deployment`, async () => {
      const d = (await http.get(`/v1/job/same/deployment?namespace=${ns}`)).json;
      return d?.Status === 'successful' ? d : undefined;
    });
    t.is(dep.Namespace, ns);
    const allocs = (await http.get(`/v1/job/same/allocations?namespace=${ns}`)).json as any[];
    // listed by ID, as memdb's index orders them
    t.deepEqual(allocs.map((a) => a.ID), allocs.map((a) => a.ID).sort());
    t.deepEqual(allocs.map((a) => [a.Namespace, a.Name, a.ClientStatus]).sort(), Array.from({ length: count }, (_, i) => [ns, `same.app[${i}]`, 'running']));
    t.true(allocs.every((a) => a.DeploymentStatus?.Healthy === true), 'the deployment found its own allocations');
    t.is(((await http.get(`/v1/job/same/deployments?namespace=${ns}`)).json as any[]).length, 1);
    const regs = (await http.get(`/v1/service/svc-${ns}?namespace=${ns}`)).json as any[];
    t.deepEqual(regs.map((r) => r.Namespace), Array(count).fill(ns));
    t.deepEqual(regs.map((r) => r.ID), regs.map((r) => r.ID).sort((a, b) => a.localeCompare(b)));
  }
  t.deepEqual((await http.get('/v1/service/svc-prod?namespace=default')).json, []);
  t.is(((await http.get('/v1/service/svc-prod?namespace=*')).json as any[]).length, 3);
  // scaling prod down stops two allocations and deregisters their services from the name index
  t.is((await http.put('/v1/jobs?namespace=prod', { Job: job('prod', 1) })).status, 200);
  const left = await waitFor('prod services down to 1', async () => {
    const r = (await http.get('/v1/service/svc-prod?namespace=prod')).json as any[];
    return r.length === 1 ? r : undefined;
  });
  t.is(left[0].JobID, 'same');
});
