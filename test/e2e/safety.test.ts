// drover's safety promises end to end: a real git repository, the simulated cluster over HTTP and the real
// `drover run` path. Jobs drover does not own survive a same-name App byte for byte; one revision stops no
// more than its budget and the rest waits for an approval; a force-push stops nothing; self-heal off with a
// job purged by hand is reported, not re-created (also after a restart); `drover diff` says what run does.
import test from 'ava';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDiff } from '../../src/cli/commands/diff.js';
import type { AppStatus } from '../../src/core/status.js';
import { ADMIN_TOKEN, app, appStatus, getJson, liveJob, metric, nomadWrites, registerBehindBack, startStack, until, type LiveJob } from './stack.js';

/** The stored job without the fields Nomad moves on its own (Status, ModifyIndex, and Stable once its deployment succeeds). */
function stable(j: LiveJob): unknown {
  const { Status: _s, ModifyIndex: _m, Stable: _st, ...rest } = j;
  return rest;
}

const foreignJob = (id: string, meta: Record<string, string> | undefined) => ({
  ID: id, Name: id, Type: 'service', Datacenters: ['dc1'], ...(meta ? { Meta: meta } : {}),
  TaskGroups: [{ Name: id, Count: 1, Tasks: [{ Name: id, Driver: 'docker', Config: { image: 'redis:7' } }] }],
});

test('a hand-made job and another owner\'s job survive a same-name App byte for byte (sync Conflict, metric, never written)', async (t) => {
  const s = await startStack({ files: { 'apps/keep.yaml': app('keep'), 'README.md': 'x' } });
  t.teardown(() => s.close());
  await registerBehindBack(s.nomad, foreignJob('manual', undefined) as never);
  await registerBehindBack(s.nomad, foreignJob('theirs', { 'drover.managed': 'true', 'drover.owner': 'someone-else' }) as never);
  const before = { manual: stable((await liveJob(s.nomad, 'manual'))!), theirs: stable((await liveJob(s.nomad, 'theirs'))!) };
  const writes = await nomadWrites(s.nomad);
  await s.push({ 'apps/manual.yaml': app('manual', 3), 'apps/theirs.yaml': app('theirs', 2, ['  sync:', '    selfHeal: false']) }, 'same names as jobs drover does not own');
  for (const name of ['manual', 'theirs']) {
    const st = await until(`${name} in Conflict`, async () => {
      const a = await appStatus(s.base, name);
      return a.sync === 'Conflict' ? a : undefined;
    });
    t.truthy(st.conflict?.message);
  }
  t.is((await appStatus(s.base, 'theirs')).conflict?.owner, 'someone-else');
  t.false((await appStatus(s.base, 'manual')).conflict?.managed);
  // Resyncs and events come and go: still nothing written.
  await new Promise((r) => setTimeout(r, 1500));
  t.deepEqual(stable((await liveJob(s.nomad, 'manual'))!), before.manual);
  t.deepEqual(stable((await liveJob(s.nomad, 'theirs'))!), before.theirs);
  t.is(await nomadWrites(s.nomad), writes, 'not one job write');
  t.is(await metric(s.base, 'drover_conflicts'), 2);
  t.is(await metric(s.base, 'drover_app_info', { app: 'manual', sync_status: 'Conflict' }), 1);

  // Taking over an unmanaged job is possible on purpose; another owner's, never.
  await s.push({ 'apps/manual.yaml': app('manual', 3, ['  sync:', '    adopt: true']), 'apps/theirs.yaml': app('theirs', 2, ['  sync:', '    adopt: true']) }, 'adopt');
  const adopted = await until('manual adopted', async () => {
    const j = await liveJob(s.nomad, 'manual');
    return j?.Meta?.['drover.managed'] === 'true' ? j : undefined;
  });
  t.is(adopted.TaskGroups[0]!.Count, 3);
  t.deepEqual(stable((await liveJob(s.nomad, 'theirs'))!), before.theirs);
  t.is((await appStatus(s.base, 'theirs')).sync, 'Conflict');
});

test('removing 15 of 20 apps stops at most ceil(0.3 × 20) = 6, holds the rest visibly, and an approval releases one', async (t) => {
  const files: Record<string, string> = { 'README.md': 'x' };
  for (let i = 0; i < 20; i++) files[`apps/a${i}.yaml`] = app(`a${i}`);
  const s = await startStack({ files, env: { DROVER_PRUNE_MAX_SHARE: '0.3' } });
  t.teardown(() => s.close());
  await until('20 jobs running', async () => {
    const jobs = await getJson<{ ID: string; Stop: boolean }[]>(`${s.nomad}/v1/jobs`);
    return jobs.filter((j) => !j.Stop).length === 20 ? true : undefined;
  });
  const gone: Record<string, null> = {};
  for (let i = 5; i < 20; i++) gone[`apps/a${i}.yaml`] = null;
  await s.push(gone, 'remove 15 apps');
  const held = await until('9 stops held', async () => {
    const r = await getJson<{ prunes: AppStatus[] }>(`${s.base}/prunes`);
    return r.prunes.length === 9 ? r.prunes : undefined;
  });
  t.true(held.every((p) => p.pruning?.reason === 'share-limit' && p.pruning.state === 'held'));
  const stoppedNow = async () => (await getJson<{ ID: string; Stop: boolean }[]>(`${s.nomad}/v1/jobs`)).filter((j) => j.Stop).length;
  t.is(await stoppedNow(), 6);
  // Every stop emitted events and resyncs ran since (1 s interval): the budget holds.
  await new Promise((r) => setTimeout(r, 2500));
  t.is(await stoppedNow(), 6);
  t.is(await metric(s.base, 'drover_prune_held'), 9);

  const one = held[0]!;
  const approve = (auth?: string) => fetch(`${s.base}/apps/${one.namespace}/${one.name}/approve-prune`, { method: 'POST', headers: auth ? { authorization: auth } : {} });
  t.is((await approve()).status, 401, 'an unauthenticated approval is refused');
  t.is(await stoppedNow(), 6);
  t.is((await approve(`Bearer ${ADMIN_TOKEN}`)).status, 202);
  await until('the approved job stopped', async () => ((await liveJob(s.nomad, one.name))?.Stop ? true : undefined));
  t.is(await stoppedNow(), 7);
  t.is(await metric(s.base, 'drover_prune_approved_total'), 1);

  // A later revision that declares held apps again cancels their holds.
  const back: Record<string, string> = {};
  for (const p of held.slice(1)) back[`apps/${p.name}.yaml`] = app(p.name);
  await s.push(back, 'bring the held apps back');
  await until('no more held prunes', async () => ((await getJson<{ prunes: AppStatus[] }>(`${s.base}/prunes`)).prunes.length === 0 ? true : undefined));
  t.is(await stoppedNow(), 7);
});

test('a force-push to an old commit stops nothing (it still creates); drover diff says the same', async (t) => {
  const s = await startStack({ files: { 'apps/a.yaml': app('a'), 'README.md': 'x' } });
  t.teardown(() => s.close());
  const old = s.repo.head();
  const files: Record<string, string> = {};
  for (const n of ['b', 'c', 'd', 'e', 'f']) files[`apps/${n}.yaml`] = app(n);
  await s.push(files, 'five more apps');
  await until('six jobs', async () => ((await getJson<{ Stop: boolean }[]>(`${s.nomad}/v1/jobs`)).filter((j) => !j.Stop).length === 6 ? true : undefined));
  s.repo.forcePushTo(old);
  s.repo.commit({ 'apps/g.yaml': app('g') }, 'new work on the old base');
  await s.drover.source.refresh();
  await until('g created', () => liveJob(s.nomad, 'g'));
  await until('five stops held', async () => ((await getJson<{ prunes: AppStatus[] }>(`${s.base}/prunes`)).prunes.length === 5 ? true : undefined));
  const prunes = (await getJson<{ prunes: AppStatus[] }>(`${s.base}/prunes`)).prunes;
  t.true(prunes.every((p) => p.pruning?.reason === 'not-descendant'), JSON.stringify(prunes.map((p) => p.pruning)));
  t.is((await getJson<{ Stop: boolean }[]>(`${s.nomad}/v1/jobs`)).filter((j) => j.Stop).length, 0, 'nothing stopped');

  // drover diff over a checkout of the same commit prints the same holds and nothing to do.
  const out: string[] = [];
  const code = await runDiff(join(s.repo.dir, 'apps'), { env: { NOMAD_ADDR: s.nomad }, out: (l) => out.push(l), err: () => {} });
  t.is(code, 0, out.join('\n'));
  t.is(out.filter((l) => /^! held\s+default\/[b-f] \(not-descendant\)/.test(l)).length, 5, out.join('\n'));
});

test('self-heal off: a job purged by hand is reported, not re-created — also after drover restarts', async (t) => {
  const s = await startStack({ files: { 'apps/web.yaml': app('web', 1, ['  sync:', '    selfHeal: false']), 'README.md': 'x' } });
  t.teardown(() => s.close());
  await until('web registered', () => liveJob(s.nomad, 'web'));
  await until('web Synced', async () => ((await appStatus(s.base, 'web')).sync === 'Synced' ? true : undefined));
  await s.drover.controller.idle();
  await fetch(`${s.nomad}/v1/job/web?purge=true`, { method: 'DELETE' });
  const st = await until('drift reported', async () => {
    const a = await appStatus(s.base, 'web');
    return a.sync === 'OutOfSync' && a.decision?.action === 'report-only' ? a : undefined;
  });
  t.true(st.drift.length > 0);
  await new Promise((r) => setTimeout(r, 1500));
  t.is(await liveJob(s.nomad, 'web'), undefined, 'not re-created');

  await s.restart();
  await until('reported again after the restart', async () => ((await appStatus(s.base, 'web')).decision?.action === 'report-only' ? true : undefined));
  await new Promise((r) => setTimeout(r, 1500));
  t.is(await liveJob(s.nomad, 'web'), undefined, 'what drover applied survived the restart (Nomad Variables)');

  // Git changing the app is a rollout: applied with self-heal off.
  await s.push({ 'apps/web.yaml': app('web', 2, ['  sync:', '    selfHeal: false']) }, 'scale web');
  const job = await until('re-created by the rollout', () => liveJob(s.nomad, 'web'));
  t.is(job.TaskGroups[0]!.Count, 2);
});

test('drover diff exit codes and output match what run then does', async (t) => {
  // run fetches only when told (refresh below): a poll between the commit and the diff would let run act first
  const s = await startStack({ files: { 'apps/a.yaml': app('a'), 'apps/b.yaml': app('b'), 'README.md': 'x' }, env: { DROVER_GIT_POLL_INTERVAL: '1h' } });
  t.teardown(() => s.close());
  await until('a and b', async () => ((await liveJob(s.nomad, 'a')) && (await liveJob(s.nomad, 'b')) ? true : undefined));
  await s.drover.controller.idle();
  const dir = mkdtempSync(join(tmpdir(), 'drover-diff-e2e-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const diff = async () => {
    const out: string[] = [];
    const code = await runDiff(dir, { env: { NOMAD_ADDR: s.nomad }, revision: s.repo.head(), out: (l) => out.push(l), err: () => {} });
    return { code, out };
  };
  // What the next commit will hold: a changed, b removed, c new.
  mkdirSync(join(dir, 'x'));
  writeFileSync(join(dir, 'x/a.yaml'), app('a', 3));
  writeFileSync(join(dir, 'x/c.yaml'), app('c'));
  // (a wrong revision would fool the budget, so the diff is taken at the commit run will see)
  const rev = s.repo.commit({ 'apps/a.yaml': app('a', 3), 'apps/b.yaml': null, 'apps/c.yaml': app('c') }, 'a scaled, b removed, c added');
  const out: string[] = [];
  const code = await runDiff(dir, { env: { NOMAD_ADDR: s.nomad }, revision: rev, out: (l) => out.push(l), err: () => {} });
  t.is(code, 2);
  const plan = out.filter((l) => /^(create|update|stop)\s/.test(l)).sort();
  t.deepEqual(plan, ['create  default/c (new)', 'stop    default/b (pruned)', 'update  default/a (rollout)']);
  await s.drover.source.refresh();
  await until('run did it', async () => {
    const [a, b, c] = await Promise.all([liveJob(s.nomad, 'a'), liveJob(s.nomad, 'b'), liveJob(s.nomad, 'c')]);
    return a?.TaskGroups[0]!.Count === 3 && b?.Stop === true && c ? true : undefined;
  });
  await s.drover.controller.idle();
  const after = await diff();
  t.is(after.code, 0, after.out.join('\n'));
});
