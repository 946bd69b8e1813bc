// The incremental loader must give exactly what a fresh full loadAppDir gives after every kind of edit
// (change, add, remove, break, cross-app conflicts that appear and disappear because of another file),
// while re-parsing only files whose bytes changed and remembering no file that is gone.
import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config.js';
import type { LoadResult } from '../../src/spec/index.js';
import { createIncrementalLoader, loadAppDir } from '../../src/source/spec-files.js';

const defaults = parseConfig({}).cluster;
const app = (name: string, spec = '  image: nginx\n  port: 8080\n', meta = '') =>
  `apiVersion: drover.io/v1alpha1\nkind: App\nmetadata:\n  name: ${name}\n${meta}spec:\n${spec}`;
const routed = (name: string, host: string) => app(name, `  image: x\n  port: 80\n  ingress: {host: ${host}}\n`);

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'drover-incr-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A fresh copy of the tree per step, like a new snapshot checkout (fresh mtimes, new paths). */
function snapshot(t: { teardown(fn: () => void): void }, files: Record<string, string>): string {
  const dir = tempDir(t);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

const manifestOf = (r: LoadResult, key: string) => r.apps.find((a) => a.key === key)?.manifest;

test('every edit gives the same result as a fresh full load, cross-app conflicts included', async (t) => {
  const loader = createIncrementalLoader(defaults, { maxFileBytes: 2000 });
  const files: Record<string, string> = {
    'a.yaml': routed('a', 'a.example.com'),
    'b.yaml': routed('b', 'b.example.com'),
    'team/c.yml': app('c', '  image: nginx\n  port: 0\n'),
    'multi.yaml': `${app('d')}---\n${app('e', '  image: nginx\n  port: 70000\n')}`,
    'notes.yaml': 'apiVersion: v1\nkind: ConfigMap\n',
  };
  const steps: Array<[string, (f: Record<string, string>) => void]> = [
    ['initial', () => {}],
    ['nothing changed', () => {}],
    ['b now routes the host of a: both rejected', (f) => (f['b.yaml'] = routed('b', 'a.example.com'))],
    ['a moves away: the conflict in b disappears though b did not change', (f) => (f['a.yaml'] = routed('a', 'z.example.com'))],
    ['a second definition of b in a new file', (f) => (f['dup.yaml'] = app('b'))],
    ['the duplicate becomes invalid YAML: broken file', (f) => (f['dup.yaml'] = 'apiVersion: [\n')],
    ['the invalid app is fixed', (f) => (f['team/c.yml'] = app('c'))],
    ['a file grows past the size limit', (f) => (f['multi.yaml'] = `${app('d')}# ${'x'.repeat(2500)}\n`)],
    ['files removed', (f) => { delete f['dup.yaml']; delete f['a.yaml']; }],
    ['a removed file comes back with its old bytes', (f) => (f['a.yaml'] = routed('a', 'b.example.com'))],
    ['an invalid app in two files concatenates its problems', (f) => { f['x1.yaml'] = app('x', '  image: nginx\n  port: 0\n'); f['x2.yaml'] = app('x', '  port: 0\n'); }],
  ];
  let previous: LoadResult | undefined;
  for (const [what, edit] of steps) {
    edit(files);
    const dir = snapshot(t, files);
    const incremental = await loader.load(dir);
    const full = await loadAppDir(dir, defaults, { maxFileBytes: 2000 });
    t.deepEqual(incremental, full, what);
    t.is(loader.cachedFiles, Object.keys(files).filter((f) => files[f]!.length <= 2000).length, `${what}: cache holds only present, loadable files`);
    if (what === 'nothing changed') t.is(manifestOf(incremental, 'default/d'), manifestOf(previous!, 'default/d'), 'an unchanged file is not parsed again');
    previous = incremental;
  }
  // Sanity: the sequence really exercised conflicts and breakage.
  const seen = await loader.load(snapshot(t, { ...files, 'b.yaml': routed('b', 'b.example.com') }));
  t.true(seen.problems.some((p) => p.message.includes('is also routed by')));
});

test('a changed file is parsed again; its unchanged neighbour is reused', async (t) => {
  const loader = createIncrementalLoader(defaults);
  const first = await loader.load(snapshot(t, { 'a.yaml': app('a'), 'b.yaml': app('b') }));
  const second = await loader.load(snapshot(t, { 'a.yaml': app('a'), 'b.yaml': app('b', '  image: nginx\n  port: 9090\n') }));
  t.is(manifestOf(second, 'default/a'), manifestOf(first, 'default/a'));
  t.not(manifestOf(second, 'default/b'), manifestOf(first, 'default/b'));
  t.is(manifestOf(second, 'default/b')!.spec.port, 9090);
});

test('the same bytes under a new path are parsed again (problems name the file)', async (t) => {
  const loader = createIncrementalLoader(defaults);
  const bad = app('c', '  image: nginx\n  port: 0\n');
  await loader.load(snapshot(t, { 'old.yaml': bad }));
  const r = await loader.load(snapshot(t, { 'new.yaml': bad }));
  t.deepEqual(r.problems.map((p) => p.file), ['new.yaml']);
  t.is(loader.cachedFiles, 1);
});

test('an unreadable directory throws like loadAppDir and keeps the cache', async (t) => {
  const loader = createIncrementalLoader(defaults);
  await loader.load(snapshot(t, { 'a.yaml': app('a') }));
  await t.throwsAsync(loader.load(join(tempDir(t), 'missing')), { message: /cannot read spec directory/ });
  t.is(loader.cachedFiles, 1);
});
