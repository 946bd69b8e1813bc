// Drift made behind drover's back through the simulated Nomad's HTTP API: healed via the event stream
// when self-heal is on, only reported (status patch + drover_app_drift 1) when DROVER_SELF_HEAL=false.
import test from 'ava';
import { ADMIN_TOKEN, app, appStatus, liveJob, metric, registerBehindBack, simCount, startStack, until, type Stack } from './stack.js';

const stacks: Stack[] = [];
test.after.always(async () => {
  await Promise.all(stacks.map((s) => s.close()));
});

async function syncedStack(env: Record<string, string> = {}): Promise<Stack> {
  // a long resync interval: healing within it proves the event stream did it
  const s = await startStack({ files: { 'apps/web.yaml': app('web', 2) }, env: { DROVER_RESYNC_INTERVAL: '5m', ...env } });
  stacks.push(s);
  await until('web Synced', async () => ((await appStatus(s.base, 'web')).sync === 'Synced' ? true : undefined));
  await s.drover.controller.idle(5000);
  return s;
}

test('a job changed behind drover\'s back is healed through the event stream', async (t) => {
  const s = await syncedStack();
  const job = (await liveJob(s.nomad, 'web'))!;
  const healsBefore = (await metric(s.base, 'drover_self_heal_total', { app: 'web' })) ?? 0;
  job.TaskGroups[0]!.Count = 7;
  const t0 = Date.now();
  await registerBehindBack(s.nomad, job);
  t.is((await liveJob(s.nomad, 'web'))!.TaskGroups[0]!.Count, 7, 'the manual change landed');
  const healed = await until('count back to 2', async () => {
    const j = await liveJob(s.nomad, 'web');
    return j?.TaskGroups[0]!.Count === 2 ? j : undefined;
  }, 4000);
  t.true(Date.now() - t0 < 4000);
  t.true(healed.Version >= job.Version + 2, 'manual change and the heal are both new versions');
  t.true(((await metric(s.base, 'drover_self_heal_total', { app: 'web' })) ?? 0) > healsBefore);
  t.true(((await metric(s.base, 'drover_drift_detected_total', { app: 'web', source: 'event' })) ?? 0) >= 1);
  await until('drift cleared', async () => ((await metric(s.base, 'drover_app_drift', { app: 'web' })) === 0 ? true : undefined));
  const st = await appStatus(s.base, 'web');
  t.deepEqual(st.drift, []);
  t.is(st.sync, 'Synced');
});

test('with DROVER_SELF_HEAL=false drift is reported, with the patch, and left alone', async (t) => {
  const s = await syncedStack({ DROVER_SELF_HEAL: 'false', DROVER_RESYNC_INTERVAL: '1s' });
  const job = (await liveJob(s.nomad, 'web'))!;
  job.TaskGroups[0]!.Count = 7;
  await registerBehindBack(s.nomad, job);
  const manual = (await liveJob(s.nomad, 'web'))!;
  const st = await until('web OutOfSync', async () => {
    const a = await appStatus(s.base, 'web');
    return a.sync === 'OutOfSync' && a.drift.length > 0 ? a : undefined;
  });
  t.false(st.selfHeal);
  const op = st.drift.find((o) => o.path.includes('Count'));
  t.truthy(op, JSON.stringify(st.drift));
  t.is((op as { value?: unknown }).value, 2, 'the patch leads from live back to git');
  t.is(await metric(s.base, 'drover_app_drift', { app: 'web' }), 1);
  // after a forced pass and a further periodic resync it is still reported and Nomad keeps the manual version
  t.is((await fetch(`${s.base}/apps/default/web/sync`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status, 202);
  await s.drover.controller.idle(5000);
  const lists = await simCount(s.nomad, 'GET /v1/jobs');
  await until('a periodic resync', async () => ((await simCount(s.nomad, 'GET /v1/jobs')) > lists ? true : undefined), 3000);
  await s.drover.controller.idle(5000);
  const still = (await liveJob(s.nomad, 'web'))!;
  t.is(still.JobModifyIndex, manual.JobModifyIndex);
  t.is(still.TaskGroups[0]!.Count, 7);
  t.is(await metric(s.base, 'drover_app_drift', { app: 'web' }), 1);
  t.is((await appStatus(s.base, 'web')).sync, 'OutOfSync');
});
