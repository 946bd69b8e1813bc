import test from 'ava';
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Config } from '../../src/config.js';
import type { LogFields, Logger } from '../../src/core/logger.js';
import { Metrics } from '../../src/metrics.js';
import { GitSource, validateGitConfig } from '../../src/source/git.js';
import type { Snapshot } from '../../src/source/types.js';
import { createRepo, type TestRepo } from '../helpers/git.js';

function collectingLogger(): Logger & { records: Array<{ level: string; msg: string; fields: LogFields }> } {
  const records: Array<{ level: string; msg: string; fields: LogFields }> = [];
  const make = (bound: LogFields): Logger => ({
    debug: (msg, f) => records.push({ level: 'debug', msg, fields: { ...bound, ...f } }),
    info: (msg, f) => records.push({ level: 'info', msg, fields: { ...bound, ...f } }),
    warn: (msg, f) => records.push({ level: 'warn', msg, fields: { ...bound, ...f } }),
    error: (msg, f) => records.push({ level: 'error', msg, fields: { ...bound, ...f } }),
    child: (f) => make({ ...bound, ...f }),
  });
  return Object.assign(make({}), { records });
}

function gitConfig(over: Partial<Config['git']>): Config['git'] {
  return { ref: 'main', path: '.', pollIntervalMs: 60_000, ...over };
}

function setup(t: { teardown(fn: () => unknown): void }, repo: TestRepo, over: Partial<Config['git']> = {}) {
  const workDir = mkdtempSync(join(tmpdir(), 'drover-src-test-'));
  const metrics = new Metrics();
  const logger = collectingLogger();
  const source = new GitSource({ git: gitConfig({ url: repo.url, ...over }), metrics, logger, workDir });
  const seen: Snapshot[] = [];
  source.onSnapshot((s) => seen.push(s));
  t.teardown(async () => {
    await source.stop();
    rmSync(workDir, { recursive: true, force: true });
    repo.remove();
  });
  return { source, metrics, logger, workDir, seen };
}

/** every file under dir, relative, with its content */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

async function metricValue(metrics: Metrics, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value;
}

test('first snapshot holds exactly the tree of the branch head', async (t) => {
  const repo = createRepo({ files: { 'apps/web.yaml': 'a: 1\n', 'README.md': 'hi' } });
  const { source, seen, metrics } = setup(t, repo);
  await source.start();
  const st = source.state();
  t.is(st.snapshot?.revision, repo.head());
  t.deepEqual(tree(st.snapshot!.dir), { 'apps/web.yaml': 'a: 1\n', 'README.md': 'hi' });
  t.is(seen.length, 1);
  t.is(st.lastError, undefined);
  t.is(await metricValue(metrics, 'drover_git_fetch_total', { result: 'success' }), 1);
  t.is(await metricValue(metrics, 'drover_git_revision_info', { revision: repo.head() }), 1);
  t.true((await metricValue(metrics, 'drover_git_last_success_timestamp_seconds'))! > 1_600_000_000);
});

test('a new commit gives a new revision with the new files; no change gives no new snapshot', async (t) => {
  const repo = createRepo({ files: { 'apps/a.yaml': 'a' } });
  const { source, seen, metrics } = setup(t, repo);
  await source.start();
  const first = source.state().snapshot!;
  await source.refresh();
  t.is(seen.length, 1, 'unchanged remote → no new snapshot');
  const rev2 = repo.commit({ 'apps/b.yaml': 'b', 'apps/a.yaml': null }, 'second');
  await source.refresh();
  const second = source.state().snapshot!;
  t.is(second.revision, rev2);
  t.not(second.dir, first.dir);
  t.deepEqual(tree(second.dir), { 'apps/b.yaml': 'b' });
  t.deepEqual(tree(first.dir), { 'apps/a.yaml': 'a' }, 'the previous snapshot is never modified');
  t.is(seen.length, 2);
  const series = (await metrics.registry.getSingleMetric('drover_git_revision_info')!.get()).values;
  t.deepEqual(series.map((v) => v.labels.revision), [rev2], 'only the current revision series is present');
});

test('old snapshot dirs are removed once a newer one is handed out (current + previous kept)', async (t) => {
  const repo = createRepo({ files: { 'x.yaml': '1' } });
  const { source } = setup(t, repo);
  await source.start();
  const d1 = source.state().snapshot!.dir;
  repo.commit({ 'x.yaml': '2' });
  await source.refresh();
  const d2 = source.state().snapshot!.dir;
  repo.commit({ 'x.yaml': '3' });
  await source.refresh();
  const d3 = source.state().snapshot!.dir;
  t.false(existsSync(d1));
  t.true(existsSync(d2));
  t.true(existsSync(d3));
  t.is(readFileSync(join(d3, 'x.yaml'), 'utf8'), '3');
});

test('git.path selects a sub-directory; a missing path is an error that keeps the snapshot', async (t) => {
  const repo = createRepo({ files: { 'deploy/apps/web.yaml': 'web', 'other/x.yaml': 'x' } });
  const { source } = setup(t, repo, { path: 'deploy/apps' });
  await source.start();
  t.deepEqual(tree(source.state().snapshot!.dir), { 'web.yaml': 'web' });
  const good = source.state().snapshot!.revision;
  repo.commit({ 'deploy/apps/web.yaml': null }, 'remove the dir');
  await source.refresh();
  t.is(source.state().snapshot!.revision, good);
  t.regex(source.state().lastError!.message, /path "deploy\/apps" is not a directory/);
});

test('a tag ref is followed, including when the tag is moved', async (t) => {
  const repo = createRepo({ files: { 'a.yaml': 'v1' } });
  repo.tag('v1');
  repo.commit({ 'a.yaml': 'head' });
  const { source } = setup(t, repo, { ref: 'v1' });
  await source.start();
  t.is(source.state().snapshot!.revision, repo.head('v1'));
  t.is(readFileSync(join(source.state().snapshot!.dir, 'a.yaml'), 'utf8'), 'v1');
  repo.tag('v1'); // moved to head
  await source.refresh();
  t.is(readFileSync(join(source.state().snapshot!.dir, 'a.yaml'), 'utf8'), 'head');
});

test('an unknown ref is reported, not a crash', async (t) => {
  const repo = createRepo({ files: { 'a.yaml': 'x' } });
  const { source, metrics } = setup(t, repo, { ref: 'nope' });
  await source.start();
  t.is(source.state().snapshot, undefined);
  t.regex(source.state().lastError!.message, /ref "nope" is neither a branch nor a tag/);
  t.is(await metricValue(metrics, 'drover_git_fetch_total', { result: 'error' }), 1);
});

test('a force-push to an unrelated history moves to it; moving back reuses the old revision', async (t) => {
  const repo = createRepo({ files: { 'a.yaml': 'old' } });
  const old = repo.head();
  const { source, seen } = setup(t, repo);
  await source.start();
  const rewritten = repo.rewrite({ 'z.yaml': 'new world' });
  await source.refresh();
  t.is(source.state().snapshot!.revision, rewritten);
  t.deepEqual(tree(source.state().snapshot!.dir), { 'z.yaml': 'new world' });
  repo.forcePushTo(old);
  await source.refresh();
  t.is(source.state().snapshot!.revision, old);
  t.deepEqual(tree(source.state().snapshot!.dir), { 'a.yaml': 'old' });
  t.is(seen.length, 3);
});

test('remote gone → last good snapshot kept, error reported and counted; remote back → recovers', async (t) => {
  const repo = createRepo({ files: { 'a.yaml': '1' } });
  const { source, metrics, logger } = setup(t, repo);
  await source.start();
  const good = source.state().snapshot!;
  repo.hide();
  await source.refresh();
  const st = source.state();
  t.is(st.snapshot, good);
  t.truthy(st.lastError);
  t.regex(st.lastError!.message, /git fetch failed/);
  t.is(await metricValue(metrics, 'drover_git_fetch_total', { result: 'error' }), 1);
  t.true(logger.records.some((r) => r.level === 'warn' && r.fields.error === st.lastError!.message));
  t.true(existsSync(join(good.dir, 'a.yaml')));

  repo.restore();
  const rev2 = repo.commit({ 'a.yaml': '2' });
  await source.refresh();
  t.is(source.state().snapshot!.revision, rev2);
  t.is(source.state().lastError, undefined);
  t.is(await metricValue(metrics, 'drover_git_fetch_total', { result: 'success' }), 2);
});

test('concurrent refresh() calls are coalesced into at most one extra fetch', async (t) => {
  const repo = createRepo({ files: { 'a.yaml': '1' } });
  const { source, metrics } = setup(t, repo);
  await source.start();
  const before = (await metricValue(metrics, 'drover_git_fetch_total', { result: 'success' }))!;
  const calls = Array.from({ length: 10 }, () => source.refresh());
  t.is(calls[1], calls[9], 'callers during a fetch share the follow-up fetch');
  await Promise.all(calls);
  t.is((await metricValue(metrics, 'drover_git_fetch_total', { result: 'success' }))! - before, 2);
});

test('polling picks up a new commit without refresh()', async (t) => {
  const repo = createRepo({ files: { 'a.yaml': '1' } });
  const { source } = setup(t, repo, { pollIntervalMs: 50 });
  await source.start();
  const got = new Promise<Snapshot>((res) => source.onSnapshot(res));
  const rev2 = repo.commit({ 'a.yaml': '2' });
  t.is((await got).revision, rev2);
});

test('atomicity: every snapshot dir matches exactly one commit while commits race with fetches', async (t) => {
  const repo = createRepo({ files: { 'apps/0.yaml': 'rev 0' } });
  const { source, seen } = setup(t, repo);
  await source.start();
  const expected = new Map<string, Record<string, string>>([[repo.head(), { 'apps/0.yaml': 'rev 0' }]]);
  for (let i = 1; i <= 6; i++) {
    // each commit replaces every file, so a mix of two commits would show two "rev" values
    const files: Record<string, string | null> = { [`apps/${i - 1}.yaml`]: null };
    for (let k = 0; k < 3; k++) files[`apps/${i}-${k}.yaml`] = `rev ${i}`;
    files[`apps/${i - 1}-0.yaml`] = null;
    files[`apps/${i - 1}-1.yaml`] = null;
    files[`apps/${i - 1}-2.yaml`] = null;
    const p = source.refresh();
    const sha = repo.commit(files, `commit ${i}`);
    expected.set(sha, Object.fromEntries(Object.entries(files).filter(([, v]) => v !== null)) as Record<string, string>);
    await p;
  }
  await source.refresh();
  t.is(source.state().snapshot!.revision, repo.head());
  for (const s of seen.slice(-2)) t.deepEqual(tree(s.dir), expected.get(s.revision), `snapshot ${s.revision}`);
  t.true(seen.every((s) => expected.has(s.revision)));
});

test('credentials never reach errors or logs', async (t) => {
  const repo = createRepo({ files: { 'a.yaml': '1' } });
  const dir = mkdtempSync(join(tmpdir(), 'drover-cred-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const tokenFile = join(dir, 'token');
  (await import('node:fs')).writeFileSync(tokenFile, 'ghp_SuperSecretToken123\n');
  const url = 'http://alice:hunter2pass@127.0.0.1:9/org/repo.git';
  const { source, logger } = setup(t, repo, { url, credentialsFile: tokenFile });
  await source.start();
  const err = source.state().lastError!.message;
  t.truthy(err);
  const all = err + JSON.stringify(logger.records);
  t.false(all.includes('hunter2pass'), all);
  t.false(all.includes('alice:'), all);
  t.false(all.includes('SuperSecretToken'), all);
});

test('config validation names each bad variable', (t) => {
  t.deepEqual(validateGitConfig(gitConfig({ url: 'x' })), []);
  const problems = validateGitConfig(gitConfig({ url: undefined, ref: '--upload-pack=evil', path: '../etc' }));
  t.is(problems.length, 3);
  t.regex(problems.join('\n'), /DROVER_GIT_URL: required/);
  t.regex(problems.join('\n'), /DROVER_GIT_REF/);
  t.regex(problems.join('\n'), /DROVER_GIT_PATH/);
  t.throws(() => new GitSource({ git: gitConfig({}), metrics: new Metrics(), logger: collectingLogger() }), { message: /DROVER_GIT_URL/ });
});

test('a new revision hard-links the files it shares with the previous snapshot and checks out only the changed ones', async (t) => {
  const repo = createRepo({ files: { 'a.yaml': 'a1', 'deep/b.yaml': 'b1', 'deep/er/c.yaml': 'c1', 'gone.yaml': 'g' } });
  const { source } = setup(t, repo);
  await source.start();
  const d1 = source.state().snapshot!.dir;
  repo.commit({ 'a.yaml': 'a2', 'gone.yaml': null, 'deep/er/new.yaml': 'n' });
  await source.refresh();
  const d2 = source.state().snapshot!.dir;
  t.deepEqual(tree(d2), { 'a.yaml': 'a2', 'deep/b.yaml': 'b1', 'deep/er/c.yaml': 'c1', 'deep/er/new.yaml': 'n' });
  const ino = (dir: string, f: string) => statSync(join(dir, f)).ino;
  t.is(ino(d2, 'deep/b.yaml'), ino(d1, 'deep/b.yaml'), 'unchanged file is shared');
  t.is(ino(d2, 'deep/er/c.yaml'), ino(d1, 'deep/er/c.yaml'));
  t.not(ino(d2, 'a.yaml'), ino(d1, 'a.yaml'), 'changed file is a new one');
  t.is(readFileSync(join(d1, 'a.yaml'), 'utf8'), 'a1', 'the previous snapshot is not modified');
  // Two revisions later the first dir is gone; the shared files live on in the newer snapshots.
  repo.commit({ 'a.yaml': 'a3' });
  await source.refresh();
  repo.commit({ 'a.yaml': 'a4' });
  await source.refresh();
  await source.stop(); // waits for the background sweep
  t.false(existsSync(d1));
  t.deepEqual(tree(source.state().snapshot!.dir), { 'a.yaml': 'a4', 'deep/b.yaml': 'b1', 'deep/er/c.yaml': 'c1', 'deep/er/new.yaml': 'n' });
});
