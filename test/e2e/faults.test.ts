// Faults through the real path: the git remote vanishing, Nomad going down, Nomad answering 5xx and
// slowly, and the prune safety rule for an empty desired set. Each test has its own stack because the
// faults are cluster-wide; they run concurrently.
import test from 'ava';
import { app, appStatus, getJson, liveJob, metric, metricWhere, nomadWrites, startStack, until, type Stack } from './stack.js';

const stacks: Stack[] = [];
test.after.always(async () => {
  await Promise.all(stacks.map((s) => s.close()));
});

async function syncedStack(names: string[], env: Record<string, string> = {}): Promise<Stack> {
  const files: Record<string, string> = { 'apps/README.md': 'apps live here' };
  for (const n of names) files[`apps/${n}.yaml`] = app(n, 1);
  const s = await startStack({ files, env });
  stacks.push(s);
  await until('all Synced', async () => {
    const { apps } = await getJson<{ apps: Array<{ sync: string }> }>(`${s.base}/apps`);
    return apps.length === names.length && apps.every((a) => a.sync === 'Synced') ? true : undefined;
  });
  await s.drover.controller.idle(5000);
  return s;
}

const readyz = async (base: string) => {
  const r = await fetch(`${base}/readyz?verbose`);
  return { status: r.status, text: await r.text() };
};

test('git remote gone: last snapshot kept, errors counted, picks up new commits once it is back', async (t) => {
  const s = await syncedStack(['web']);
  const rev = s.repo.head();
  const errorsBefore = (await metric(s.base, 'drover_git_fetch_total', { result: 'error' })) ?? 0;
  s.repo.hide();
  await until('fetch errors counted', async () => (((await metric(s.base, 'drover_git_fetch_total', { result: 'error' })) ?? 0) >= errorsBefore + 2 ? true : undefined), 6000);
  const r = await readyz(s.base);
  t.is(r.status, 503, 'git is named failing, with the reason');
  t.regex(r.text, /\[-\]git failed: the last fetch failed: git fetch failed/);
  t.regex(r.text, /\[\+\]nomad ok/, 'and the fault is blamed on git only');
  t.is(await metric(s.base, 'drover_readiness', { check: 'git' }), 0);
  t.is(await metric(s.base, 'drover_readiness', { check: 'nomad' }), 1);
  t.is((await getJson<{ revision: string }>(`${s.base}/apps`)).revision, rev);
  t.is((await appStatus(s.base, 'web')).sync, 'Synced');
  t.false((await liveJob(s.nomad, 'web'))!.Stop, 'nothing was pruned');

  s.repo.restore();
  const rev2 = s.repo.commit({ 'apps/web.yaml': app('web', 2) }, 'scale after the outage');
  await until('count 2 via the poller', async () => ((await liveJob(s.nomad, 'web'))?.TaskGroups[0]!.Count === 2 ? true : undefined), 6000);
  t.is((await getJson<{ revision: string }>(`${s.base}/apps`)).revision, rev2);
  t.is((await readyz(s.base)).status, 200, 'ready again once fetches work');
});

test('Nomad down: /readyz 503 naming nomad, errors counted, no job lost, recovers after up()', async (t) => {
  const s = await syncedStack(['web', 'api']);
  const before = { web: (await liveJob(s.nomad, 'web'))!, api: (await liveJob(s.nomad, 'api'))! };
  const failedCalls = () => metricWhere(s.base, 'drover_upstream_requests_total', (l) => l.upstream === 'nomad' && !/^2/.test(l.code ?? ''));
  const failedBefore = (await failedCalls()) ?? 0;
  await s.sim.nomad.server.down();
  const r = await until('readyz 503', async () => {
    const x = await readyz(s.base);
    return x.status === 503 ? x : undefined;
  }, 6000);
  t.regex(r.text, /nomad/i);
  t.true(((await failedCalls()) ?? 0) > failedBefore, 'failed Nomad calls are counted');
  // a change made during the outage must land once Nomad is back
  const rev = s.repo.commit({ 'apps/api.yaml': app('api', 2) }, 'scale api during the outage');
  await s.drover.source.refresh();

  await s.sim.nomad.server.up();
  await until('readyz 200 again', async () => ((await readyz(s.base)).status === 200 ? true : undefined), 8000);
  await until('api count 2', async () => ((await liveJob(s.nomad, 'api'))?.TaskGroups[0]!.Count === 2 ? true : undefined), 8000);
  const web = (await liveJob(s.nomad, 'web'))!;
  t.is(web.JobModifyIndex, before.web.JobModifyIndex, 'web untouched');
  t.false(web.Stop);
  t.is((await getJson<{ revision: string }>(`${s.base}/apps`)).revision, rev);
  await until('all Synced', async () => ((await appStatus(s.base, 'api')).sync === 'Synced' && (await appStatus(s.base, 'web')).sync === 'Synced' ? true : undefined));
});

test('Nomad 5xx bursts and slowness: ends in sync with exactly one write per change', async (t) => {
  const names = ['a1', 'a2', 'a3', 'a4', 'a5'];
  const s = await syncedStack(names);
  const versions = Object.fromEntries(await Promise.all(names.map(async (n) => [n, (await liveJob(s.nomad, n))!.Version] as const)));
  const setFaults = (body: unknown) => fetch(`${s.nomad}/_sim/faults`, { method: 'POST', body: JSON.stringify(body) });
  t.is((await setFaults({ errorRate: 0.5, latencyMs: 30, match: '^(GET|PUT|POST|DELETE) /v1/(job|jobs)' })).status, 200);
  const changes: Record<string, string> = {};
  for (const n of names) changes[`apps/${n}.yaml`] = app(n, 2, ['  env:', `    APP: ${n}`]);
  await s.pushViaWebhook(changes, 'scale everything under faults');
  await until('every job at count 2', async () => {
    const jobs = await Promise.all(names.map((n) => liveJob(s.nomad, n)));
    return jobs.every((j) => j?.TaskGroups[0]!.Count === 2) ? true : undefined;
  }, 20_000);
  // The faults were felt: failed Nomad calls are counted (whether a whole pass failed and was requeued, or the
  // client's own retry absorbed it, is chance at this error rate).
  const failed = await metricWhere(s.base, 'drover_upstream_requests_total', (l) => l.upstream === 'nomad' && /^5/.test(l.code ?? ''));
  t.true((failed ?? 0) > 0, 'failed Nomad calls are counted');
  await fetch(`${s.nomad}/_sim/faults`, { method: 'DELETE' });
  await until('all Synced', async () => {
    const { apps } = await getJson<{ apps: Array<{ sync: string }> }>(`${s.base}/apps`);
    return apps.every((a) => a.sync === 'Synced') ? true : undefined;
  }, 10_000);
  for (const n of names) {
    const j = (await liveJob(s.nomad, n))!;
    t.is(j.Version, versions[n]! + 1, `${n}: one version for one change`);
    t.is(j.TaskGroups[0]!.Tasks[0]!.Env?.APP, n, `${n}: the env landed intact`);
    t.is(j.Meta?.['drover.managed'], 'true');
  }
  // and the steady state afterwards writes nothing
  await s.drover.controller.idle(5000);
  const writes = await nomadWrites(s.nomad);
  await s.drover.controller.resync();
  await s.drover.controller.idle(5000);
  t.is(await nomadWrites(s.nomad), writes);
});

test('prune safety: an empty desired set while managed jobs exist stops nothing', async (t) => {
  const s = await syncedStack(['web', 'api']);
  const blocked = () => metric(s.base, 'drover_prune_blocked_total', { reason: 'empty-desired-set' });
  const blockedBefore = (await blocked()) ?? 0;
  const writes = await nomadWrites(s.nomad);
  await s.push({ 'apps/web.yaml': null, 'apps/api.yaml': null }, 'oops: every app deleted');
  await s.drover.controller.resync();
  await s.drover.controller.idle(5000);
  await until('prune blocked', async () => (((await blocked()) ?? 0) > blockedBefore ? true : undefined));
  for (const n of ['web', 'api']) t.false((await liveJob(s.nomad, n))!.Stop, `${n} still running`);
  t.is(await nomadWrites(s.nomad), writes, 'no DELETE reached Nomad');
  t.is(await metric(s.base, 'drover_prune_total'), 0);
});
