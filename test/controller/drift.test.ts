// Drift behind drover's back, self-heal on/off, EnforceIndex conflicts, Nomad faults, steady-state cost.
import test from 'ava';
import type { NomadApi } from '../../src/clients/types.js';
import type { NomadJob } from '../../src/core/nomad-types.js';
import { renderJob } from '../../src/core/render/index.js';
import { loadAppTexts } from '../../src/spec/index.js';
import { appYaml, nomadWrites, startHarness, type Harness } from './harness.js';

async function tamper(h: Harness, id: string, mut: (j: NomadJob) => void): Promise<void> {
  const job = (await h.call('GET', `/v1/job/${id}`)) as NomadJob;
  mut(job);
  await h.call('PUT', '/v1/jobs', { Job: job });
}

test('a job changed behind drover\'s back: drift with patch, healed within seconds via the event stream', async (t) => {
  const h = await startHarness(t);
  await h.controller.start();
  await h.source.commit({ 'apps/web.yaml': appYaml('web', { count: 2, env: { API_KEY: 'hunter2-secret' } }) });
  await h.controller.idle();
  const seenStatuses: string[] = [];
  await tamper(h, 'web', (j) => {
    j.TaskGroups[0]!.Count = 5;
    j.TaskGroups[0]!.Tasks[0]!.Env = { API_KEY: 'leaked-other' };
  });
  const t0 = Date.now();
  await h.until('healed', () => {
    seenStatuses.push(h.controller.getApp('default', 'web')!.sync);
    return h.sim.getJob('default', 'web')!.TaskGroups[0]!.Count === 2;
  }, 3000);
  t.true(Date.now() - t0 < 3000);
  await h.controller.idle();
  t.is(await h.metric('drover_drift_detected_total', { namespace: 'default', app: 'web', source: 'event' }), 1);
  t.is(await h.metric('drover_self_heal_total', { namespace: 'default', app: 'web' }), 1);
  t.is(h.sim.getJob('default', 'web')!.TaskGroups[0]!.Tasks[0]!.Env!.API_KEY, 'hunter2-secret');
  t.is(h.controller.getApp('default', 'web')!.sync, 'Synced');
});

test('self-heal off: drift stays reported (patch, metric), not healed; secrets redacted', async (t) => {
  const h = await startHarness(t);
  await h.controller.start();
  await h.source.commit({ 'apps/web.yaml': appYaml('web', { count: 2, selfHeal: false, env: { API_KEY: 'hunter2-secret' } }) });
  await h.controller.idle();
  await tamper(h, 'web', (j) => {
    j.TaskGroups[0]!.Count = 5;
    j.TaskGroups[0]!.Tasks[0]!.Env = { API_KEY: 'changed-by-hand' };
  });
  await h.until('drift reported', () => h.controller.getApp('default', 'web')!.sync === 'OutOfSync');
  await h.controller.idle();
  const st = h.controller.getApp('default', 'web')!;
  t.true(st.drift.some((op) => op.path === '/TaskGroups/0/Count' && (op as { value: unknown }).value === 2), JSON.stringify(st.drift));
  t.false(JSON.stringify(st).includes('hunter2'), 'env values never in status');
  t.truthy(st.driftFirstSeen);
  t.is(await h.metric('drover_app_drift', { namespace: 'default', app: 'web' }), 1);
  t.is(await h.metric('drover_app_drift_fields', { namespace: 'default', app: 'web' }), st.drift.length);
  t.is(await h.metric('drover_app_info', { namespace: 'default', app: 'web', sync_status: 'OutOfSync' }), 1);
  await h.controller.resync();
  await h.controller.idle();
  t.is(h.sim.getJob('default', 'web')!.TaskGroups[0]!.Count, 5, 'not healed');
  t.is(await h.metric('drover_self_heal_total', { namespace: 'default', app: 'web' }), 0);
});

test('manual stop is seen at once and healed', async (t) => {
  const h = await startHarness(t);
  await h.controller.start();
  await h.source.commit({ 'apps/web.yaml': appYaml('web') });
  await h.controller.idle();
  await h.call('DELETE', '/v1/job/web');
  await h.until('restarted', () => h.sim.getJob('default', 'web')!.Stop === false && h.controller.getApp('default', 'web')!.sync === 'Synced', 3000);
  t.pass();
});

test('EnforceIndex conflict mid-reconcile → re-queued, ends in sync, the manual change is not clobbered blindly', async (t) => {
  let hooked = false;
  let conflicts = 0;
  let h!: Harness;
  const wrap = (n: NomadApi): NomadApi => new Proxy(n, {
    get(target, prop, recv) {
      if (prop === 'registerJob') {
        return async (job: NomadJob, opts: Parameters<NomadApi['registerJob']>[1]) => {
          if (!hooked && job.ID === 'web' && opts?.jobModifyIndex) {
            hooked = true; // someone changes the job between our read and our write
            await tamper(h, 'web', (j) => { j.TaskGroups[0]!.Count = 7; });
          }
          try {
            return await target.registerJob(job, opts);
          } catch (e) {
            if ((e as { code?: string }).code === 'conflict') conflicts++;
            throw e;
          }
        };
      }
      return Reflect.get(target, prop, recv);
    },
  });
  h = await startHarness(t, { wrapNomad: wrap });
  await h.controller.start();
  await h.source.commit({ 'apps/web.yaml': appYaml('web', { count: 1 }) });
  await h.controller.idle();
  await h.source.commit({ 'apps/web.yaml': appYaml('web', { count: 3 }) });
  await h.controller.idle();
  t.true(hooked);
  t.is(conflicts, 1);
  t.true((await h.metric('drover_reconcile_errors_total', { code: 'conflict' })) >= 1);
  t.true((await h.metric('drover_workqueue_retries_total')) >= 1);
  await h.until('in sync', () => h.sim.getJob('default', 'web')!.TaskGroups[0]!.Count === 3);
  await h.controller.idle();
  const st = h.controller.getApp('default', 'web')!;
  t.is(st.sync, 'Synced');
  t.is(st.lastError, undefined);
});

test('Nomad down and 5xx bursts: errors counted, nothing lost, recovers by itself', async (t) => {
  const h = await startHarness(t);
  await h.controller.start();
  await h.sim.server.down();
  await h.source.commit({ 'apps/a.yaml': appYaml('a'), 'apps/b.yaml': appYaml('b') });
  await h.until('errors counted', async () => (await h.metric('drover_reconcile_errors_total', { code: 'unavailable' })) >= 2);
  t.is(h.controller.readiness().find((r) => r.name === 'nomad')!.ok, false);
  t.is(h.controller.getApp('default', 'a')!.lastError?.code, 'unavailable');
  await h.sim.server.up();
  await h.until('recovered', () => Boolean(h.sim.getJob('default', 'a') && h.sim.getJob('default', 'b')), 5000);
  await h.controller.idle();
  t.is(h.controller.readiness().find((r) => r.name === 'nomad')!.ok, true);

  h.sim.server.setFaults({ errorRate: 1, errorStatus: 503, match: 'job' });
  await h.source.commit({ 'apps/a.yaml': appYaml('a', { count: 2 }) });
  await h.until('5xx counted', async () => (await h.metric('drover_reconcile_errors_total', { code: 'unavailable' })) + (await h.metric('drover_reconcile_errors_total', { code: 'server-error' })) >= 4);
  h.sim.server.clearFaults();
  await h.until('updated after the burst', () => h.sim.getJob('default', 'a')!.TaskGroups[0]!.Count === 2, 5000);
  await h.controller.idle();
  t.is(h.controller.getApp('default', 'a')!.sync, 'Synced');
});

test('not the leader: no writes, error not-leader', async (t) => {
  const h = await startHarness(t, { canWrite: () => false });
  await h.controller.start();
  await h.source.commit({ 'apps/a.yaml': appYaml('a') });
  await h.until('not-leader counted', async () => (await h.metric('drover_reconcile_errors_total', { code: 'not-leader' })) >= 1);
  t.is(h.sim.getJob('default', 'a'), undefined);
  t.deepEqual(h.controller.leader(), { enabled: true, isLeader: false, id: undefined });
});

test('200 in-sync apps (adopted after a restart): 0 writes; a resync costs ≤ 5 Nomad requests and 0 writes', async (t) => {
  const h = await startHarness(t, { config: { concurrency: 16 } });
  const files: Record<string, string> = {};
  for (let i = 0; i < 200; i++) files[`apps/app-${i}.yaml`] = appYaml(`app-${i}`);
  // A previous drover instance already registered them: the jobs exist and match.
  const defaults = h.config.cluster;
  const loaded = loadAppTexts(Object.entries(files).map(([file, text]) => ({ file, text })), defaults);
  t.is(loaded.apps.length, 200);
  for (const app of loaded.apps) await h.call('PUT', '/v1/jobs', { Job: renderJob(app, defaults) });
  await new Promise((r) => setTimeout(r, 100)); // allocations and deployments settle
  h.sim.server.resetCounters();
  await h.controller.start();
  await h.source.commit(files);
  await h.controller.idle(30_000);
  t.is(nomadWrites(h), 0, 'adopting in-sync jobs writes nothing');
  t.is(h.controller.listApps().filter((a) => a.sync === 'Synced').length, 200);
  h.sim.server.resetCounters();
  const started = Date.now();
  await h.controller.resync();
  await h.controller.idle();
  const ms = Date.now() - started;
  const requests = h.sim.server.count((k) => !k.includes('/v1/event/stream'));
  t.log(`resync of 200 in-sync apps: ${requests} Nomad request(s), ${ms} ms`);
  t.true(requests <= 5, JSON.stringify(h.sim.server.counterSnapshot()));
  t.is(nomadWrites(h), 0);
});

test('periodic resync finds drift when the event stream is unavailable', async (t) => {
  const h = await startHarness(t, { config: { resyncIntervalMs: 150 } });
  h.sim.server.setFaults({ errorRate: 1, errorStatus: 500, match: 'event/stream' });
  await h.controller.start();
  await h.source.commit({ 'apps/web.yaml': appYaml('web', { count: 1 }) });
  await h.until('created', () => Boolean(h.sim.getJob('default', 'web')));
  await h.controller.idle();
  await tamper(h, 'web', (j) => { j.TaskGroups[0]!.Count = 4; });
  await h.until('healed by resync', () => h.sim.getJob('default', 'web')!.TaskGroups[0]!.Count === 1, 3000);
  t.is(await h.metric('drover_drift_detected_total', { namespace: 'default', app: 'web', source: 'resync' }), 1);
  t.is(await h.metric('drover_drift_detected_total', { namespace: 'default', app: 'web', source: 'event' }), 0);
});

test('health: a broken image makes the app Degraded', async (t) => {
  const h = await startHarness(t);
  h.sim.markImageBroken('nginx:broken');
  await h.controller.start();
  await h.source.commit({ 'apps/web.yaml': appYaml('web', { image: 'nginx:broken' }) });
  await h.controller.idle();
  await h.until('degraded', async () => {
    h.controller.requestSync('default', 'web');
    await h.controller.idle();
    return h.controller.getApp('default', 'web')!.health === 'Degraded';
  }, 4000);
  t.is(h.controller.getApp('default', 'web')!.sync, 'Synced');
  t.true(h.controller.getApp('default', 'web')!.healthReasons.length > 0);
  t.false(h.controller.requestSync('default', 'nope'));
});

test('a job purged behind drover\'s back is recreated and counted as drift; a new app\'s create is not drift', async (t) => {
  const h = await startHarness(t);
  await h.controller.start();
  await h.source.commit({ 'apps/web.yaml': appYaml('web') });
  await h.controller.idle();
  const total = async () => (await h.metric('drover_drift_detected_total', { namespace: 'default', app: 'web', source: 'event' }))
    + (await h.metric('drover_drift_detected_total', { namespace: 'default', app: 'web', source: 'snapshot' }))
    + (await h.metric('drover_drift_detected_total', { namespace: 'default', app: 'web', source: 'resync' }));
  t.is(await total(), 0);
  await h.call('DELETE', '/v1/job/web?purge=true');
  await h.until('recreated', () => Boolean(h.sim.getJob('default', 'web')), 3000);
  await h.controller.idle();
  t.is(await total(), 1);
  t.is(h.controller.getApp('default', 'web')!.sync, 'Synced');
});

test('local diff says drift but Nomad plan says none: counted as false drift, no write', async (t) => {
  let planSaysNone = false;
  const wrap = (n: NomadApi): NomadApi => new Proxy(n, {
    get(target, prop, recv) {
      if (prop === 'planJob') {
        return async (job: NomadJob, opts: Parameters<NomadApi['planJob']>[1]) => {
          const real = await target.planJob(job, opts);
          return planSaysNone ? { ...real, Diff: { ...real.Diff!, Type: 'None' as const } } : real;
        };
      }
      return Reflect.get(target, prop, recv);
    },
  });
  const h = await startHarness(t, { wrapNomad: wrap });
  await h.controller.start();
  await h.source.commit({ 'apps/web.yaml': appYaml('web') });
  await h.controller.idle();
  planSaysNone = true;
  await tamper(h, 'web', (j) => { j.TaskGroups[0]!.Count = 2; });
  await h.until('false drift counted', async () => (await h.metric('drover_false_drift_total')) === 1, 3000);
  await h.controller.idle();
  const writes = h.sim.server.count((k) => k === 'PUT /v1/jobs');
  t.is(writes, 2, 'the create and the tamper only');
  t.is(h.sim.getJob('default', 'web')!.TaskGroups[0]!.Count, 2);
});

test('a new commit is a rollout, not drift: applied even with self-heal off, no drift or self-heal counted', async (t) => {
  const h = await startHarness(t);
  await h.controller.start();
  await h.source.commit({ 'apps/web.yaml': appYaml('web', { count: 2, selfHeal: false }) });
  await h.controller.idle();
  const v0 = h.sim.getJob('default', 'web')!.Version!;
  await h.source.commit({ 'apps/web.yaml': appYaml('web', { count: 3, selfHeal: false }) });
  await h.until('rolled out', () => h.sim.getJob('default', 'web')!.TaskGroups[0]!.Count === 3);
  await h.controller.idle();
  t.is(h.sim.getJob('default', 'web')!.Version, v0 + 1);
  t.is(h.controller.getApp('default', 'web')!.sync, 'Synced');
  t.is(h.controller.getApp('default', 'web')!.lastAction, 'update');
  t.is(await h.metric('drover_self_heal_total', { namespace: 'default', app: 'web' }), 0);
  for (const source of ['snapshot', 'event', 'resync']) {
    t.is(await h.metric('drover_drift_detected_total', { namespace: 'default', app: 'web', source }), 0, source);
  }
});

test('health: an allocation that fails or is lost without any job change turns the app Degraded at once (Allocation events); recovery turns it Healthy; no write', async (t) => {
  const h = await startHarness(t, { config: { resyncIntervalMs: 3_600_000 } }); // no resync to lean on
  await h.controller.start();
  await h.source.commit({ 'apps/web.yaml': appYaml('web', { count: 2 }) });
  await h.until('healthy', async () => {
    await h.controller.idle();
    return h.controller.getApp('default', 'web')!.health === 'Healthy';
  }, 4000);
  const writes = nomadWrites(h);
  const jobIndex = h.sim.getJob('default', 'web')!.JobModifyIndex;
  const allocs = (await h.call('GET', '/v1/job/web/allocations')) as { ID: string; ClientStatus: string }[];
  const running = allocs.filter((a) => a.ClientStatus === 'running');
  t.is(running.length, 2);

  t.true(h.sim.setAllocClientStatus(running[0]!.ID, 'failed'));
  await h.until('degraded', () => h.controller.getApp('default', 'web')!.health === 'Degraded', 2000);
  const st = h.controller.getApp('default', 'web')!;
  t.is(st.sync, 'Synced');
  t.true(st.healthReasons.some((r) => /1 allocation\(s\) failed/.test(r)), st.healthReasons.join('; '));
  t.true(st.healthReasons.includes('1/2 allocations running'));

  t.true(h.sim.setAllocClientStatus(running[0]!.ID, 'running'));
  await h.until('healthy again', () => h.controller.getApp('default', 'web')!.health === 'Healthy', 2000);
  t.true(h.sim.setAllocClientStatus(running[1]!.ID, 'lost'));
  await h.until('degraded by a lost alloc', () => h.controller.getApp('default', 'web')!.health === 'Degraded', 2000);

  await h.controller.idle();
  t.is(nomadWrites(h), writes, 'health is reported, never "fixed" by a write');
  t.is(h.sim.getJob('default', 'web')!.JobModifyIndex, jobIndex);
});
