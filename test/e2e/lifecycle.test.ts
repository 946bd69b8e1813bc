// An app's life through git, end to end: commit → registered; count change → updated; unrelated commit →
// no Nomad writes; invalid commit → running job untouched; admin sync; file deleted → job stopped, not purged.
// One stack for the file; the steps build on each other, so they run serially.
import test from 'ava';
import { ADMIN_TOKEN, app, appStatus, getJson, liveJob, metric, nomadWrites, startStack, until, type Stack } from './stack.js';

let s: Stack;
test.before(async () => {
  s = await startStack({ files: { 'apps/web.yaml': app('web', 1), 'README.md': 'hello' } });
});
test.after.always(async () => {
  await s?.close();
});

test.serial('a committed App is registered with ownership Meta and no git revision in the job', async (t) => {
  const job = await until('job web registered', () => liveJob(s.nomad, 'web'));
  t.is(job.Meta?.['drover.managed'], 'true');
  t.truthy(job.Meta?.['drover.owner']);
  t.deepEqual(Object.keys(job.Meta ?? {}).sort(), ['drover.managed', 'drover.owner'], 'no bookkeeping in Meta: a Meta change restarts tasks');
  // What drover applied is in a Nomad Variable instead, one item per app.
  await until('applied state written (batched)', async () => {
    const vars = await getJson<{ Path: string; Namespace: string }[]>(`${s.nomad}/v1/vars?prefix=drover/&namespace=*`);
    return vars.some((v) => /^drover\/drover\/applied\/\d\d$/.test(v.Path)) ? true : undefined;
  });
  t.false(JSON.stringify(job).includes(s.repo.head()), 'the commit SHA must not be rendered into the job');
  t.is(job.TaskGroups[0]!.Count, 1);
  const st = await until('web Synced', async () => {
    const a = await appStatus(s.base, 'web');
    return a.sync === 'Synced' ? a : undefined;
  });
  t.is(st.source?.revision, s.repo.head());
  t.is(st.job?.jobModifyIndex, job.JobModifyIndex);
  t.is((await fetch(`${s.base}/readyz`)).status, 200);
});

test.serial('changing count updates the job and bumps its Version by one', async (t) => {
  const before = await until('job web', () => liveJob(s.nomad, 'web'));
  await s.push({ 'apps/web.yaml': app('web', 3) }, 'scale web to 3');
  const after = await until('count 3', async () => {
    const j = await liveJob(s.nomad, 'web');
    return j?.TaskGroups[0]!.Count === 3 ? j : undefined;
  });
  t.is(after.Version, before.Version + 1);
  t.true(after.JobModifyIndex > before.JobModifyIndex);
});

test.serial('a commit touching only an unrelated file makes zero Nomad writes', async (t) => {
  await until('web Synced', async () => ((await appStatus(s.base, 'web')).sync === 'Synced' ? true : undefined));
  await s.drover.controller.idle(5000);
  const writes = await nomadWrites(s.nomad);
  const index = (await liveJob(s.nomad, 'web'))!.JobModifyIndex;
  const rev = await s.push({ 'README.md': 'hello again' }, 'docs only');
  await s.drover.controller.idle(5000);
  await s.drover.controller.resync();
  await s.drover.controller.idle(5000);
  t.is((await appStatus(s.base, 'web')).sync, 'Synced');
  t.is((await appStatus(s.base, 'web')).source?.revision, rev, 'status follows the new revision');
  t.is(await nomadWrites(s.nomad), writes, 'no PUT/POST/DELETE reached Nomad');
  t.is((await liveJob(s.nomad, 'web'))!.JobModifyIndex, index);
});

test.serial('an invalid commit leaves the running job untouched and reports Invalid', async (t) => {
  const index = (await liveJob(s.nomad, 'web'))!.JobModifyIndex;
  await s.push({ 'apps/web.yaml': app('web', 5).replace('port: 80', 'port: not-a-port') }, 'break web');
  const st = await until('web Invalid', async () => {
    const a = await appStatus(s.base, 'web');
    return a.sync === 'Invalid' ? a : undefined;
  });
  t.true((st.problems ?? []).some((p) => p.includes('port')), JSON.stringify(st.problems));
  t.is(await metric(s.base, 'drover_invalid_apps'), 1);
  await s.drover.controller.resync();
  await s.drover.controller.idle(5000);
  const job = (await liveJob(s.nomad, 'web'))!;
  t.is(job.JobModifyIndex, index);
  t.is(job.TaskGroups[0]!.Count, 3);
  t.false(job.Stop);

  await s.push({ 'apps/web.yaml': app('web', 3) }, 'fix web');
  await until('web Synced again', async () => ((await appStatus(s.base, 'web')).sync === 'Synced' ? true : undefined));
  t.is(await metric(s.base, 'drover_invalid_apps'), 0);
});

test.serial('POST /apps/:ns/:name/sync needs the admin token and triggers a pass', async (t) => {
  const before = (await metric(s.base, 'drover_reconcile_total')) ?? 0;
  const noToken = await fetch(`${s.base}/apps/default/web/sync`, { method: 'POST' });
  t.is(noToken.status, 401);
  const wrong = await fetch(`${s.base}/apps/default/web/sync`, { method: 'POST', headers: { authorization: 'Bearer nope' } });
  t.is(wrong.status, 401);
  const missing = await fetch(`${s.base}/apps/default/nosuch/sync`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  t.is(missing.status, 404);
  const ok = await fetch(`${s.base}/apps/default/web/sync`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  t.is(ok.status, 202);
  await until('a reconcile pass', async () => (((await metric(s.base, 'drover_reconcile_total')) ?? 0) > before ? true : undefined));
  t.pass();
});

test.serial('deleting the app file stops the job (Stop true) without purging it', async (t) => {
  await s.push({ 'apps/web.yaml': null, 'apps/api.yaml': app('api', 1) }, 'retire web, add api');
  const stopped = await until('web stopped', async () => {
    const j = await liveJob(s.nomad, 'web');
    return j?.Stop === true ? j : undefined;
  });
  t.is(stopped.ID, 'web', 'the job is still there (not purged)');
  t.is(stopped.Meta?.['drover.managed'], 'true');
  t.truthy(await until('api registered', () => liveJob(s.nomad, 'api')));
  t.true(((await metric(s.base, 'drover_prune_total')) ?? 0) >= 1);
});
