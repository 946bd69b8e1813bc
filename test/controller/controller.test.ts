// The controller against the real Nomad simulator over HTTP: create, update, no-op commits, prune,
// invalid specs, drift healed through the event stream, self-heal off, and steady-state cost.
import test from 'ava';
import { appYaml, nomadWrites, startHarness } from './harness.js';

test('commit → job registered; count change → updated (Version+1); unrelated change → zero writes', async (t) => {
  const h = await startHarness(t);
  await h.controller.start();
  await h.source.commit({ 'apps/web.yaml': appYaml('web', { count: 1 }) });
  await h.controller.idle();
  const job = h.sim.getJob('default', 'web');
  t.truthy(job);
  t.is(job!.TaskGroups[0]!.Count, 1);
  t.is(job!.Meta?.['drover.managed'], 'true');
  t.is(h.controller.getApp('default', 'web')?.sync, 'Synced');
  t.is(h.controller.getApp('default', 'web')?.lastAction, 'create');
  const v0 = job!.Version!;
  await h.until('healthy', () => h.controller.getApp('default', 'web')?.health === 'Healthy', 3000);
  t.deepEqual(h.controller.getApp('default', 'web')?.healthReasons, ['1/1 allocations running']);
  t.deepEqual(h.controller.readiness().map((r) => [r.name, r.ok]), [['git', true], ['nomad', true]]);

  await h.source.commit({ 'apps/web.yaml': appYaml('web', { count: 3 }) });
  await h.controller.idle();
  const job2 = h.sim.getJob('default', 'web')!;
  t.is(job2.TaskGroups[0]!.Count, 3);
  t.is(job2.Version, v0 + 1);
  t.is(h.controller.getApp('default', 'web')?.lastAction, 'update');
  // The rollout's health follow-up reads are not the unrelated commit's: let it settle first.
  await h.until('healthy after the update', () => h.controller.getApp('default', 'web')?.health === 'Healthy', 3000);
  // the count change rolls out as a deployment that ends by marking the job version stable: let it finish
  // (drover follows it from the event stream, without reads) before measuring the unrelated commit
  await h.until('deployment successful', async () => (await h.call('GET', '/v1/job/web/deployment'))?.Status === 'successful', 5000);
  await h.controller.idle();

  const writes = nomadWrites(h);
  const requestsBefore = h.sim.server.count((k) => k.includes('/v1/job/:id') && !k.includes('/v1/jobs'));
  await h.source.commit({ 'README.md': '# unrelated\n' });
  await h.controller.idle();
  t.is(nomadWrites(h), writes, 'an unrelated commit makes no Nomad write');
  t.is(h.sim.server.count((k) => k.includes('/v1/job/:id') && !k.includes('/v1/jobs')), requestsBefore, 'and no per-app Nomad request');
  t.is(h.controller.revision(), h.source.state().snapshot!.revision);
  t.is(await h.metric('drover_reconcile_total', { result: 'applied' }), 2);
});

test('deleted app → job stopped, not purged; unmanaged jobs untouched', async (t) => {
  const h = await startHarness(t);
  await h.call('PUT', '/v1/jobs', { Job: { ID: 'manual', TaskGroups: [{ Name: 'manual', Tasks: [{ Name: 'manual', Driver: 'docker', Config: { image: 'redis:7' } }] }] } });
  await h.controller.start();
  await h.source.commit({ 'apps/a.yaml': appYaml('a'), 'apps/b.yaml': appYaml('b') });
  await h.controller.idle();
  t.truthy(h.sim.getJob('default', 'b'));
  await h.source.commit({ 'apps/b.yaml': null });
  await h.controller.idle();
  const b = h.sim.getJob('default', 'b');
  t.truthy(b, 'the job is not purged');
  t.true(b!.Stop);
  t.false(h.sim.getJob('default', 'a')!.Stop);
  t.false(h.sim.getJob('default', 'manual')!.Stop, 'an unmanaged job is never touched');
  t.is(await h.metric('drover_prune_total'), 1);
  t.is(h.controller.getApp('default', 'b')?.lastAction, 'delete');
});

test('invalid spec → running job untouched, status Invalid, metric; fixed → synced again', async (t) => {
  const h = await startHarness(t);
  await h.controller.start();
  await h.source.commit({ 'apps/web.yaml': appYaml('web', { count: 2 }) });
  await h.controller.idle();
  const before = h.sim.getJob('default', 'web')!;
  const writes = nomadWrites(h);
  await h.source.commit({ 'apps/web.yaml': appYaml('web', { count: 2 }).replace('count: 2', 'count: -5') });
  await h.controller.idle();
  t.is(nomadWrites(h), writes);
  const after = h.sim.getJob('default', 'web')!;
  t.is(after.JobModifyIndex, before.JobModifyIndex);
  t.false(after.Stop);
  const st = h.controller.getApp('default', 'web')!;
  t.is(st.sync, 'Invalid');
  t.true((st.problems ?? []).some((p) => p.includes('apps/web.yaml') && p.includes('spec.count')), JSON.stringify(st.problems));
  t.is(await h.metric('drover_invalid_apps'), 1);
  t.is(await h.metric('drover_app_info', { namespace: 'default', app: 'web', sync_status: 'Invalid' }), 1);

  await h.source.commit({ 'apps/web.yaml': appYaml('web', { count: 4 }) });
  await h.controller.idle();
  t.is(h.sim.getJob('default', 'web')!.TaskGroups[0]!.Count, 4);
  t.is(await h.metric('drover_invalid_apps'), 0);
});

test('a broken file: its job is neither pruned nor touched', async (t) => {
  const h = await startHarness(t);
  await h.controller.start();
  await h.source.commit({ 'apps/a.yaml': appYaml('a'), 'apps/b.yaml': appYaml('b') });
  await h.controller.idle();
  await h.source.commit({ 'apps/b.yaml': 'apiVersion: drover.io/v1alpha1\nkind: App\nmetadata: [unclosed\n' });
  await h.controller.idle();
  t.false(h.sim.getJob('default', 'b')!.Stop, 'a naive pruner would stop b');
  t.is(await h.metric('drover_prune_total'), 0);
  t.true((await h.metric('drover_prune_blocked_total', { reason: 'file-broken' })) >= 1);
  t.is(h.controller.getApp('default', 'b')?.sync, 'Invalid');
});

test('an emptied repository prunes nothing', async (t) => {
  const h = await startHarness(t);
  await h.controller.start();
  await h.source.commit({ 'apps/a.yaml': appYaml('a'), 'apps/b.yaml': appYaml('b') });
  await h.controller.idle();
  await h.source.commit({ 'apps/a.yaml': null, 'apps/b.yaml': null });
  await h.controller.idle();
  t.false(h.sim.getJob('default', 'a')!.Stop);
  t.false(h.sim.getJob('default', 'b')!.Stop);
  t.true((await h.metric('drover_prune_blocked_total', { reason: 'empty-desired-set' })) >= 2);
});

test('prune share limit: one revision stops at most ceil(share × managed when it was first seen), however many passes follow; the rest is held', async (t) => {
  const h = await startHarness(t, { config: { pruneMaxShare: 0.25 } });
  await h.controller.start();
  const files: Record<string, string> = {};
  for (const n of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) files[`apps/${n}.yaml`] = appYaml(n);
  await h.source.commit(files);
  await h.controller.idle();
  const gone: Record<string, null> = {};
  for (const n of ['b', 'c', 'd', 'e', 'f', 'g', 'h']) gone[`apps/${n}.yaml`] = null;
  await h.source.commit(gone);
  await h.controller.idle();
  const stopped = ['b', 'c', 'd', 'e', 'f', 'g', 'h'].filter((n) => h.sim.getJob('default', n)!.Stop);
  t.is(stopped.length, 2, 'ceil(0.25 × 8) = 2');
  // Every stop emits a Job event and every event or resync runs another prune pass: the budget holds.
  for (let i = 0; i < 3; i++) await h.controller.resync();
  await h.controller.idle();
  t.is(['b', 'c', 'd', 'e', 'f', 'g', 'h'].filter((n) => h.sim.getJob('default', n)!.Stop).length, 2);
  t.true((await h.metric('drover_prune_blocked_total', { reason: 'share-limit' })) >= 5);
  t.is(await h.metric('drover_prune_held'), 5);
  t.is(h.controller.heldPrunes().length, 5);
  t.true(h.controller.heldPrunes().every((p) => p.pruning?.state === 'held' && p.pruning.reason === 'share-limit'));
});

test('prune disabled: reported, never stopped', async (t) => {
  const h = await startHarness(t, { config: { prune: false } });
  await h.controller.start();
  await h.source.commit({ 'apps/a.yaml': appYaml('a'), 'apps/b.yaml': appYaml('b') });
  await h.controller.idle();
  await h.source.commit({ 'apps/b.yaml': null });
  await h.controller.idle();
  t.false(h.sim.getJob('default', 'b')!.Stop);
  t.is(h.controller.getApp('default', 'b')?.healthReasons[0], 'prune held: prune-disabled');
  t.is(h.controller.getApp('default', 'b')?.pruning?.reason, 'prune-disabled');
});

test('a snapshot that fails to load keeps the last good set and prunes nothing', async (t) => {
  const h = await startHarness(t);
  await h.controller.start();
  await h.source.commit({ 'apps/a.yaml': appYaml('a') });
  await h.controller.idle();
  const good = h.controller.revision();
  h.source.publishUnreadable();
  await h.controller.idle();
  t.is(h.controller.revision(), good, 'the last good desired set stays in force');
  const git = h.controller.readiness().find((c) => c.name === 'git')!;
  t.false(git.ok, 'the repository\'s intent cannot be read: readiness says so, naming the revision');
  t.true(git.reason!.includes(h.source.state().snapshot!.revision), git.reason);
  t.false(h.sim.getJob('default', 'a')!.Stop);
  t.truthy(h.controller.getApp('default', 'a'));
});
