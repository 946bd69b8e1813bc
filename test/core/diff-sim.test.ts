// Jobs rendered from examples/apps, registered in the real Nomad simulator and read back, diff in sync;
// and the §5 worked example read back from the simulator diffs in sync too.
import test from 'ava';
import { readdir } from 'node:fs/promises';
import { diffJob } from '../../src/core/diff.js';
import { renderJob } from '../../src/core/render/index.js';
import type { NomadJob } from '../../src/core/nomad-types.js';
import { parseConfig } from '../../src/config.js';
import { loadAppDir } from '../../src/source/spec-files.js';
import { createNomadSim } from '@drover/sim/nomad';

async function withSim() {
  const sim = createNomadSim({ allocDelayMs: 5, namespaces: ['default', 'tenant-a', 'tenant-b', 'hashiqube', 'jails', 'prod'] });
  const url = await sim.listen(0);
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(url + path, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text);
  };
  return { sim, call };
}

test('examples/apps: rendered, registered, read back → in-sync; a count change → drift', async (t) => {
  const { sim, call } = await withSim();
  t.teardown(() => sim.close());
  const defaults = parseConfig({}).cluster;
  const loaded = await loadAppDir('examples/apps', defaults);
  t.true(loaded.apps.length >= 4, `apps loaded: ${loaded.apps.length}, problems: ${loaded.problems.map((p) => p.message).join('; ')}`);
  for (const app of loaded.apps) {
    const job = renderJob(app, defaults);
    await call('PUT', '/v1/jobs', { Job: job });
    const live = (await call('GET', `/v1/job/${job.ID}?namespace=${job.Namespace}`)) as NomadJob;
    const r = diffJob(job, live, { ignoreCount: app.manifest.spec.scaling !== undefined });
    t.deepEqual(r.patch, [], `${app.key} should be in sync`);
    t.is(r.kind, 'in-sync');
    const changed = structuredClone(live);
    changed.TaskGroups[0]!.Count = (changed.TaskGroups[0]!.Count ?? 1) + 2;
    t.is(diffJob(job, changed).kind, 'drift', app.key);
  }
  t.true((await readdir('examples/apps')).length >= 4);
});

test('§5 worked example through the simulator is in sync', async (t) => {
  const { sim, call } = await withSim();
  t.teardown(() => sim.close());
  const job: NomadJob = { ID: 'app', Datacenters: ['dc1'], Meta: { a: 'b' },
    TaskGroups: [{ Name: 'app', Networks: [{ DynamicPorts: [{ Label: 'http', To: 8080 }] }],
      Tasks: [{ Name: 'app', Driver: 'docker', Config: { image: 'nginx:1.27', ports: ['http'] },
        Services: [{ Name: 'app', PortLabel: 'http', Tags: ['web', 'v1'], Checks: [{ Type: 'tcp', Interval: 10000000000, Timeout: 2000000000 }] }] }] }] };
  await call('PUT', '/v1/jobs', { Job: job });
  const live = (await call('GET', '/v1/job/app')) as NomadJob;
  t.is(live.TaskGroups[0]!.Tasks[0]!.Services![0]!.Checks![0]!.Name, 'service: "app" check');
  t.deepEqual(diffJob(job, live).patch, []);
  await call('DELETE', '/v1/job/app');
  const stopped = (await call('GET', '/v1/job/app')) as NomadJob;
  t.is(diffJob(job, stopped).kind, 'stopped');
});
