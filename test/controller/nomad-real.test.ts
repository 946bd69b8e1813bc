// What a real Nomad does that drover has to handle (issue #11), against the simulated Nomad that now does
// the same (its contract cases in test/contract/ also ran against a real 2.0.5 agent): a namespace created
// after the event stream opened, a cluster restarted with fresh state (its index starts again at 1), a job
// that cannot be placed, a scaling job's plan of its own body, Vault policies a 2.x Nomad drops, and status
// while Nomad is unreachable or refuses a job. The harness's resync is 60 s: everything below must happen
// through the event stream (or the first pass), never by waiting for a resync.
import test from 'ava';
import { appYaml, nomadWrites, startHarness } from './harness.js';

test('a namespace created after drover started: the stream is opened again for it, so a manual stop there is healed at once', async (t) => {
  const h = await startHarness(t);
  await h.controller.start();
  await h.source.commit({ 'apps/web.yaml': appYaml('web') });
  await h.controller.idle();
  await h.call('PUT', '/v1/namespace/late', { Name: 'late' });
  await h.source.commit({ 'apps/late.yaml': appYaml('api', { namespace: 'late' }) });
  await h.until('api registered in the new namespace', () => Boolean(h.sim.getJob('late', 'api')), 5000);
  await h.until('api healthy', () => h.controller.getApp('late', 'api')?.health === 'Healthy', 5000);
  await h.call('DELETE', '/v1/job/api?namespace=late');
  await h.until('api stopped by hand', () => h.sim.getJob('late', 'api')?.Stop === true, 2000);
  await h.until('healed from the event stream (not the 60 s resync)', () => h.sim.getJob('late', 'api')?.Stop === false, 8000);
  t.true((await h.metric('drover_drift_detected_total', { namespace: 'late', app: 'api', source: 'event' })) >= 1);
});

test('a restarted cluster (fresh state, index from 1): drover notices the index going backwards and starts over', async (t) => {
  const h = await startHarness(t);
  await h.controller.start();
  await h.source.commit({ 'apps/web.yaml': appYaml('web', { count: 2 }) });
  await h.controller.idle();
  await h.until('web healthy', () => h.controller.getApp('default', 'web')?.health === 'Healthy', 5000);
  h.sim.restart();
  // The stream reconnects at its old index; the new cluster sends lower ones, which are not dropped.
  await h.until('web registered again on the new cluster', () => Boolean(h.sim.getJob('default', 'web')), 10_000);
  await h.until('and healthy there', () => h.controller.getApp('default', 'web')?.health === 'Healthy', 10_000);
  t.is(h.sim.getJob('default', 'web')!.TaskGroups[0]!.Count, 2);
  // and the new cluster's own changes are seen from its stream: a manual stop is healed without a resync
  await h.call('DELETE', '/v1/job/web');
  await h.until('healed on the new cluster', () => h.sim.getJob('default', 'web')?.Stop === false, 8000);
});

test('a job that cannot be placed (missing driver) is Degraded with Nomad\'s reason, not Progressing forever', async (t) => {
  const h = await startHarness(t);
  h.sim.setNodeDrivers(['exec', 'raw_exec']);
  await h.controller.start();
  await h.source.commit({ 'apps/web.yaml': appYaml('web') });
  await h.controller.idle();
  const st = await (async () => {
    await h.until('Degraded', () => h.controller.getApp('default', 'web')?.health === 'Degraded', 5000);
    return h.controller.getApp('default', 'web')!;
  })();
  t.true(st.healthReasons.some((r) => /^placement failed: .*missing drivers/.test(r)), st.healthReasons.join(' | '));
  // a node that has the driver comes: the blocked evaluation is retried, the app becomes Healthy
  h.sim.setNodeDrivers(['docker', 'exec']);
  await h.until('Healthy once it can be placed', () => h.controller.getApp('default', 'web')?.health === 'Healthy', 8000);
});

test('a scaling app is written once: Nomad plans Edited for its own body, but drover\'s diff is in sync, so nothing is rewritten', async (t) => {
  const h = await startHarness(t);
  await h.controller.start();
  const yaml = appYaml('scaled', { count: 2 }).replace(/\n$/, '') + '\n  scaling:\n    min: 1\n    max: 5\n';
  await h.source.commit({ 'apps/scaled.yaml': yaml });
  await h.controller.idle();
  await h.until('healthy', () => h.controller.getApp('default', 'scaled')?.health === 'Healthy', 5000);
  const v = h.sim.getJob('default', 'scaled')!.Version;
  for (let i = 0; i < 3; i++) {
    h.controller.requestSync('default', 'scaled');
    await h.controller.idle();
  }
  t.is(h.sim.getJob('default', 'scaled')!.Version, v, 'no second register bumped the Version');
  t.is(h.sim.server.count((k) => k === 'PUT /v1/jobs'), 1);
  t.is(h.controller.getApp('default', 'scaled')!.sync, 'Synced');
});

test('Vault policies on a Nomad that drops them (2.x): refused before any write, with the reason; the same app on 1.9 is created', async (t) => {
  const yaml = appYaml('otel').replace(/\n$/, '') + '\n  vault:\n    policies: [otel]\n    secrets:\n      - path: secret/data/otel\n        env:\n          TOKEN: token\n';
  const h = await startHarness(t);
  await h.controller.start();
  await h.source.commit({ 'apps/otel.yaml': yaml });
  await h.controller.idle();
  const st = h.controller.getApp('default', 'otel')!;
  t.is(st.sync, 'Invalid');
  t.is(st.decision?.cause, 'unsupported-by-nomad');
  t.true((st.problems ?? []).some((p) => p.startsWith('spec.vault.policies: Nomad 2.0.5 has no Vault policies')), JSON.stringify(st.problems));
  t.is(h.sim.getJob('default', 'otel'), undefined);
  t.is(nomadWrites(h), 0);

  // The simulator reports 1.9.7 but stores jobs as 2.x does (it drops Policies whatever the version), so
  // only the first decision is looked at: on a 1.9 agent the app is not refused, it is created.
  const old = await startHarness(t, { sim: { nomadVersion: '1.9.7' } });
  await old.controller.start();
  await old.source.commit({ 'apps/otel.yaml': yaml });
  await old.until('created on a Nomad that has Vault policies', () => Boolean(old.sim.getJob('default', 'otel')), 5000);
  await old.controller.stop();
  t.not(old.controller.getApp('default', 'otel')!.sync, 'Invalid');
});

test('status tells the truth: Unknown while Nomad cannot be reached; a register Nomad refuses is OutOfSync with its reason, not Synced', async (t) => {
  const h = await startHarness(t);
  await h.controller.start();
  await h.source.commit({ 'apps/web.yaml': appYaml('web'), 'apps/ghost.yaml': appYaml('ghost', { namespace: 'nowhere' }) });
  await h.controller.idle();
  const ghost = h.controller.getApp('nowhere', 'ghost')!;
  t.is(ghost.sync, 'OutOfSync');
  t.is(ghost.lastError?.code, 'rejected');
  t.regex(ghost.lastError!.message, /nonexistent namespace/);
  t.is(ghost.job, undefined);
  t.is(h.controller.getApp('default', 'web')!.sync, 'Synced');

  await h.sim.server.down();
  await h.controller.resync();
  await h.until('every app Unknown while Nomad is unreachable', () => h.controller.listApps().every((a) => a.sync === 'Unknown'), 5000);
  t.is(h.controller.readiness().find((c) => c.name === 'nomad')!.ok, false);
  await h.sim.server.up();
  await h.controller.resync();
  await h.until('Synced again', () => h.controller.getApp('default', 'web')?.sync === 'Synced', 5000);
});
