// The new Traefik names against the simulated Nomad: every fixture and example, rendered, registered and
// read back, diffs in sync and plans `None` (no false drift for the hashed names, the redirect router, TLS
// gRPC); and the upgrade of a job that still carries the old names is one change of service tags — the
// object Nomad updates in place (scheduler/util.go tasksUpdated compares only Connect services) — plus the
// spec hash in job Meta, then in sync again.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { diffJob } from '../../src/core/diff.js';
import { renderJob, specHash, withLegacyMeta } from '../../src/core/render/index.js';
import type { JobDiff, NomadJob } from '../../src/core/nomad-types.js';
import { createNomadSim } from '@drover/sim/nomad';
import type { LoadedApp } from '../../src/spec/types.js';
import { fixtureDefaults, loadApps } from './render.helpers.js';
import type { ClusterDefaults } from '../../src/config.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

async function everyApp(): Promise<{ app: LoadedApp; d: ClusterDefaults }[]> {
  const out: { app: LoadedApp; d: ClusterDefaults }[] = [];
  for (const dir of ['test/fixtures/apps', 'examples/apps']) {
    for (const f of readdirSync(join(root, dir)).filter((x) => x.endsWith('.yaml')).sort()) {
      const text = readFileSync(join(root, dir, f), 'utf8');
      const d = fixtureDefaults(text);
      for (const app of await loadApps(f, text, d)) out.push({ app, d });
    }
  }
  return out;
}

async function withSim(namespaces: string[]) {
  const sim = createNomadSim({ allocDelayMs: 5, namespaces: ['default', ...namespaces] });
  const url = await sim.listen(0);
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(url + path, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };
  return { sim, call };
}
const plan = (call: Awaited<ReturnType<typeof withSim>>['call'], job: NomadJob) =>
  call<{ Diff: JobDiff }>('PUT', `/v1/job/${job.ID}/plan?namespace=${job.Namespace}`, { Job: job, Diff: true });

test('every fixture and example with the new names: registered, read back, in sync, and plan says None', async (t) => {
  const apps = await everyApp();
  const { sim, call } = await withSim([...new Set(apps.map((a) => a.app.namespace))].filter((n) => n !== 'default'));
  t.teardown(() => sim.close());
  let routed = 0;
  for (const { app, d } of apps) {
    // Nomad 2.x (and the simulator) drop Vault.Policies on register: that fixture's drift is known and not about routing.
    if (app.manifest.spec.vault?.policies) continue;
    const job = renderJob(app, d);
    if (JSON.stringify(job).includes('.routers.')) routed++;
    await call('PUT', `/v1/jobs?namespace=${job.Namespace}`, { Job: job });
    const live = await call<NomadJob>('GET', `/v1/job/${job.ID}?namespace=${job.Namespace}`);
    const r = diffJob(job, live, { ignoreCount: app.manifest.spec.scaling !== undefined });
    t.deepEqual(r.patch, [], `${app.key} (${app.source.file})`);
    // A job with a Scaling block plans Edited for its own body right after creation (Nomad fills the policy's
    // ID, Target and Type: issue #11, seen on a real 2.0.5). drover never asks the plan of a job its diff
    // finds in sync, so such an app costs no write (test/controller/nomad-real.test.ts holds that).
    t.is((await plan(call, job)).Diff.Type, app.manifest.spec.scaling ? 'Edited' : 'None', app.key);
  }
  t.true(routed >= 15, `routed apps: ${routed}`);
});

/** The same job as drover rendered it before #10: `<ns>-<app>[-grpc]` names, no TCP service of its own, and the bookkeeping Meta of drover < 0.2. */
function oldNaming(job: NomadJob): NomadJob {
  const old = structuredClone(job);
  for (const s of old.TaskGroups[0]!.Tasks[0]!.Services ?? []) {
    s.Tags = (s.Tags ?? [])
      .filter((x) => !x.startsWith('traefik.tcp.services.') && !/^traefik\.tcp\.routers\.[^.]+\.service=/.test(x))
      .map((x) => x.replace(/([a-z0-9-]+)_([a-z0-9-]+)_(http|grpc)_[0-9a-f]{8}/g, (_m, ns: string, app: string, port: string) => `${ns}-${app}${port === 'grpc' ? '-grpc' : ''}`));
  }
  old.Meta = { ...old.Meta, 'drover.source': `${job.ID}.yaml`, 'drover.spec-hash': specHash(old) };
  return old;
}

test('upgrade: a job with the old names moves over in one change of service tags (its legacy Meta carried over), then stays in sync', async (t) => {
  const apps = (await everyApp()).filter(({ app }) => app.manifest.spec.grpc && !app.manifest.spec.grpc.host && app.manifest.spec.ingress);
  t.true(apps.length >= 1, 'an example with an HTTP router and a TCP router');
  const { sim, call } = await withSim([]);
  t.teardown(() => sim.close());
  for (const { app, d } of apps) {
    const job = renderJob(app, d);
    const before = oldNaming(job);
    t.regex(JSON.stringify(before), /traefik\.http\.routers\.default-[a-z0-9-]+\.rule=/, 'the old shape really is old');
    await call('PUT', '/v1/jobs', { Job: before });
    const live = await call<NomadJob>('GET', `/v1/job/${job.ID}`);
    const r = diffJob(job, live);
    t.is(r.kind, 'drift');
    const paths = r.patch.map((op) => op.path);
    t.true(paths.length > 0);
    for (const p of paths) t.regex(p, /^\/TaskGroups\/0\/Tasks\/0\/Services\/\d+\/Tags(\/\d+)?$/, p);
    // the plan of the body drover registers: the task's only changed objects are its services (Nomad applies those in place)
    const body = withLegacyMeta(job, live);
    const diff = (await plan(call, body)).Diff;
    t.deepEqual(diff.Fields, null, 'no job-level field (Meta included) changes');
    t.is(diff.Type, 'Edited');
    const task = diff.TaskGroups![0]!.Tasks![0]!;
    t.deepEqual([...new Set((task.Objects ?? []).map((o) => o.Name))], ['Service']);
    t.deepEqual(task.Fields, null);
    await call('PUT', '/v1/jobs', { Job: body });
    const after = await call<NomadJob>('GET', `/v1/job/${job.ID}`);
    t.deepEqual(diffJob(job, after).patch, []);
    t.is((await plan(call, withLegacyMeta(job, after))).Diff.Type, 'None');
  }
});
