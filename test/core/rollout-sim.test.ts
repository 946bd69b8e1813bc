// spec.rollout against the simulated Nomad: the Update block drover renders (only the fields set) is
// registered, read back with Nomad's defaults filled in, and diffs in sync; a rollout field git removes —
// or the whole spec.rollout — is a difference that puts Nomad's default back, applied in place (no task is
// restarted: the update block is not among what scheduler/util.go tasksUpdated compares); a hand edit of
// the update block of an app without spec.rollout is drift; apps without any rollout render no block.
import test from 'ava';
import { decide, desiredApp } from '../../src/core/decide.js';
import { diffJob } from '../../src/core/diff.js';
import { NOMAD_UPDATE_DEFAULTS, renderJob, specHash } from '../../src/core/render/index.js';
import type { JobDiff, NomadJob, PlanResponse } from '../../src/core/nomad-types.js';
import { createNomadSim } from '@drover/sim/nomad';
import type { ClusterDefaults } from '../../src/config.js';
import { loadApps, TEST_DEFAULTS } from './render.helpers.js';

async function withSim(t: import('ava').ExecutionContext) {
  const sim = createNomadSim({ allocDelayMs: 5 });
  const url = await sim.listen(0);
  t.teardown(() => sim.close());
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(url + path, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };
  const register = async (job: NomadJob) => {
    await call('PUT', '/v1/jobs', { Job: job });
    return call<NomadJob>('GET', `/v1/job/${job.ID}`);
  };
  const plan = (job: NomadJob) => call<PlanResponse & { Diff: JobDiff }>('PUT', `/v1/job/${job.ID}/plan`, { Job: job, Diff: true });
  /** polls until the job's allocations are placed (the plan's in-place/destructive counts are about them) */
  const placed = async (id: string, n: number) => {
    const deadline = Date.now() + 20_000; // generous: the machine is shared
    while (Date.now() < deadline) {
      const allocs = await call<{ DesiredStatus: string }[]>('GET', `/v1/job/${id}/allocations`);
      if (allocs.filter((a) => a.DesiredStatus === 'run').length >= n) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`${id}: ${n} allocations were never placed`);
  };
  return { call, register, plan, placed };
}

function appYaml(rollout: string): string {
  return `apiVersion: drover.io/v1alpha1
kind: App
metadata:
  name: shop
spec:
  image: nginx:1.27
  port: 8080
  count: 3
${rollout}`;
}

async function render(rollout: string, d: ClusterDefaults = TEST_DEFAULTS) {
  const [app] = await loadApps('shop.yaml', appYaml(rollout), d);
  const job = renderJob(app!, d);
  return { app: app!, job };
}

const WITH_CANARY = '  rollout:\n    maxParallel: 2\n    canaries: 1\n    autoRevert: true\n    minHealthyTime: 20s\n';

test('only the fields set are rendered; Nomad fills the rest and the job read back is in sync, plan None', async (t) => {
  const { register, plan } = await withSim(t);
  const { job } = await render(WITH_CANARY);
  t.deepEqual(job.TaskGroups[0]!.Update, { MaxParallel: 2, MinHealthyTime: 20e9, AutoRevert: true, Canary: 1 });
  const live = await register(job);
  t.deepEqual(live.TaskGroups[0]!.Update, { ...NOMAD_UPDATE_DEFAULTS, MaxParallel: 2, MinHealthyTime: 20e9, AutoRevert: true, Canary: 1 });
  t.deepEqual(diffJob(job, live).patch, []);
  t.is((await plan(job)).Diff.Type, 'None');
});

test('removing spec.rollout from git is a rollout that puts Nomad\'s defaults back, in place', async (t) => {
  const { register, plan, placed } = await withSim(t);
  const before = await render(WITH_CANARY);
  const live = await register(before.job);
  await placed('shop', 3);

  const after = await render('');
  t.is(after.job.TaskGroups[0]!.Update, undefined, 'no spec.rollout, no cluster default: no block');
  const d = diffJob(after.job, live);
  t.is(d.kind, 'drift');
  t.deepEqual(d.patch.map((op) => `${op.op} ${op.path}`).sort(), [
    'replace /TaskGroups/0/Update/AutoRevert', 'replace /TaskGroups/0/Update/Canary',
    'replace /TaskGroups/0/Update/MaxParallel', 'replace /TaskGroups/0/Update/MinHealthyTime',
  ]);
  const decision = decide({
    desired: desiredApp(after.app, after.job, specHash(after.job), { selfHeal: true }), live,
    memory: { specHash: specHash(before.job) }, owner: 'drover',
  });
  t.deepEqual(decision.action, { kind: 'update', cause: 'rollout' });

  const p = await plan(after.job);
  t.is(p.Diff.Type, 'Edited');
  t.like(p.Annotations?.DesiredTGUpdates?.shop, { InPlaceUpdate: 3, DestructiveUpdate: 0, Place: 0, Stop: 0 });
  const reread = await register(after.job);
  t.deepEqual(reread.TaskGroups[0]!.Update, { ...NOMAD_UPDATE_DEFAULTS });
  t.is(diffJob(after.job, reread).kind, 'in-sync');
});

test('removing one rollout field changes only that field back to Nomad\'s default', async (t) => {
  const { register } = await withSim(t);
  const live = await register((await render(WITH_CANARY)).job);
  const { job } = await render('  rollout:\n    maxParallel: 2\n    autoRevert: true\n    minHealthyTime: 20s\n');
  t.deepEqual(diffJob(job, live).patch, [{ op: 'replace', path: '/TaskGroups/0/Update/Canary', value: 0 }]);
  t.is(diffJob(job, await register(job)).kind, 'in-sync');
});

test('an app without spec.rollout: a hand edit of the update block is drift; its job as Nomad stores it is in sync', async (t) => {
  const { register, call } = await withSim(t);
  const { job } = await render('');
  const live = await register(job);
  t.deepEqual(diffJob(job, live).patch, [], 'the default block Nomad fills in is no difference');
  const edited = structuredClone(live);
  edited.TaskGroups[0]!.Update = { ...NOMAD_UPDATE_DEFAULTS, MaxParallel: 3 };
  await call('PUT', '/v1/jobs', { Job: edited });
  const d = diffJob(job, await call<NomadJob>('GET', '/v1/job/shop'));
  t.deepEqual(d.patch, [{ op: 'replace', path: '/TaskGroups/0/Update/MaxParallel', value: 1 }]);
});

test('a cluster default (DROVER_ROLLOUT_*) reaches every app without spec.rollout as an in-place change', async (t) => {
  const { register, plan, placed } = await withSim(t);
  const live = await register((await render('')).job);
  await placed('shop', 3);
  const d: ClusterDefaults = { ...TEST_DEFAULTS, rollout: { autoRevert: true, progressDeadline: '20m' } };
  const { job } = await render('', d);
  t.deepEqual(job.TaskGroups[0]!.Update, { ProgressDeadline: 1200e9, AutoRevert: true });
  t.deepEqual(diffJob(job, live).patch.map((op) => op.path).sort(), ['/TaskGroups/0/Update/AutoRevert', '/TaskGroups/0/Update/ProgressDeadline']);
  t.like((await plan(job)).Annotations?.DesiredTGUpdates?.shop, { InPlaceUpdate: 3, DestructiveUpdate: 0 });
  t.is(diffJob(job, await register(job)).kind, 'in-sync');
});
