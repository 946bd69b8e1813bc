// Loading: what comes back (apps, sources, invalidApps, brokenFiles), limits that must fail fast, the
// directory walk (dot-dirs, symlinks, file cap) and hostile values that must never pass.
import test from 'ava';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/config.js';
import { DEFAULT_LIMITS, loadAppTexts, problemToString, type LoadResult } from '../../src/spec/index.js';
import { loadAppDir } from '../../src/source/spec-files.js';
import { openApiToJsonSchema } from '../../src/spec/schema.js';

const defaults = parseConfig({}).cluster;
const VALID = fileURLToPath(new URL('../fixtures/valid/', import.meta.url));
const app = (name: string, spec = '  image: nginx\n  port: 8080\n', meta = '') =>
  `apiVersion: drover.io/v1alpha1\nkind: App\nmetadata:\n  name: ${name}\n${meta}spec:\n${spec}`;
const lines = (r: LoadResult) => r.problems.map(problemToString);

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'drover-spec-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('valid fixtures load with every field, namespace resolved and sources recorded', async (t) => {
  const r = await loadAppDir(VALID, defaults);
  t.deepEqual(r.apps.map((a) => a.key).sort(), ['default/nginx-minipot', 'default/temporal', 'team-a/shop', 'team-a/worker']);
  t.deepEqual(r.problems.filter((p) => p.severity === 'error'), []);
  t.deepEqual(r.brokenFiles, []);
  const shop = r.apps.find((a) => a.name === 'shop')!;
  t.deepEqual(shop.source, { file: 'every-field.yaml', line: 3, col: 1 });
  t.is(shop.namespace, 'team-a');
  t.deepEqual(shop.manifest.spec.vault?.secrets?.[1], { path: 'secret/data/shop/stripe', env: { STRIPE_KEY: 'api-key' } });
  t.is(shop.manifest.spec.env?.PORT, '8080');
  t.deepEqual(lines(r), ['every-field.yaml:94:1: skipped: not a drover.io/v1alpha1 App (apiVersion "v1", kind "ConfigMap")']);
  t.is(r.problems[0]!.severity, 'warning');
});

test('a valid app next to an invalid one in the same file is still returned; the invalid one is named', (t) => {
  const r = loadAppTexts([{ file: 'apps/x.yaml', text: `${app('bad', '  image: nginx\n  port: 0\n')}---\n${app('good')}` }], defaults);
  t.deepEqual(r.apps.map((a) => a.key), ['default/good']);
  t.deepEqual([...r.invalidApps.keys()], ['default/bad']);
  t.deepEqual(r.invalidApps.get('default/bad')!.map(problemToString), ['apps/x.yaml:7:9 spec.port: must be at least 1, not 0']);
  t.is(r.problems[0]!.app, 'default/bad');
  t.deepEqual(r.brokenFiles, []);
});

test('a YAML syntax error marks the file broken; other files are unaffected', (t) => {
  const r = loadAppTexts(
    [
      { file: 'a.yaml', text: 'apiVersion: drover.io/v1alpha1\nkind: App\n metadata: x\n' },
      { file: 'b.yaml', text: app('b') },
    ],
    defaults,
  );
  t.deepEqual(r.brokenFiles, ['a.yaml']);
  t.deepEqual(r.apps.map((a) => a.key), ['default/b']);
  t.regex(lines(r)[0]!, /^a\.yaml:2:7: invalid YAML: Nested mappings/);
});

test('empty documents are ignored, foreign documents are warnings, a drover apiVersion typo is an error', (t) => {
  const r = loadAppTexts([{ file: 'm.yaml', text: `---\n# nothing\n---\napiVersion: v1\nkind: Service\n---\n${app('x').replace('v1alpha1', 'v1beta1')}` }], defaults);
  t.deepEqual(lines(r), [
    'm.yaml:4:1: skipped: not a drover.io/v1alpha1 App (apiVersion "v1", kind "Service")',
    'm.yaml:7:13 apiVersion: "drover.io/v1beta1" is not supported; use drover.io/v1alpha1',
  ]);
  t.deepEqual([...r.invalidApps.keys()], ['default/x']);
});

test('a billion-laughs document fails fast with one clear problem', (t) => {
  let text = 'apiVersion: drover.io/v1alpha1\nkind: App\nmetadata:\n  name: x\nspec:\n  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  for (let i = 1; i < 30; i++) text += `  a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(',')}]\n`;
  const t0 = performance.now();
  const r = loadAppTexts([{ file: 'bomb.yaml', text }], defaults);
  t.true(performance.now() - t0 < 500, `took ${performance.now() - t0}ms`);
  t.deepEqual(lines(r), ['bomb.yaml:1:1: YAML aliases expand beyond the limit (100); refusing a possible "billion laughs" document']);
  t.deepEqual(r.brokenFiles, ['bomb.yaml']);
});

test('deep flow nesting is refused before parsing, quickly', (t) => {
  const text = `${'['.repeat(400_000)}${']'.repeat(400_000)}`;
  const t0 = performance.now();
  const r = loadAppTexts([{ file: 'deep.yaml', text }], defaults);
  t.true(performance.now() - t0 < 500, `took ${performance.now() - t0}ms`);
  t.deepEqual(lines(r), ['deep.yaml:1:1: nesting is deeper than 32 levels']);
});

test('limits can be lowered per load: size, documents, depth', (t) => {
  const text = `${app('a')}---\n${app('b')}`;
  t.deepEqual(lines(loadAppTexts([{ file: 'f.yaml', text }], defaults, { maxFileBytes: 100 })), [`f.yaml:1:1: file is ${Buffer.byteLength(text)} bytes; the limit is 100`]);
  t.deepEqual(lines(loadAppTexts([{ file: 'f.yaml', text }], defaults, { maxDocumentsPerFile: 1 })), ['f.yaml:1:1: more than 1 YAML documents in one file']);
  t.deepEqual(lines(loadAppTexts([{ file: 'f.yaml', text }], defaults, { maxDepth: 1 })), ['f.yaml:1:1: nesting is deeper than 1 levels', 'f.yaml:9:1: nesting is deeper than 1 levels']);
  t.is(DEFAULT_LIMITS.maxFileBytes, 1024 * 1024);
});

test('an oversized file on disk is refused by size before it is read', async (t) => {
  const dir = tempDir(t);
  const big = `${app('big')}# ${'x'.repeat(DEFAULT_LIMITS.maxFileBytes)}\n`;
  writeFileSync(join(dir, 'big.yaml'), big);
  writeFileSync(join(dir, 'ok.yaml'), app('ok'));
  const r = await loadAppDir(dir, defaults);
  t.deepEqual(lines(r), [`big.yaml:1:1: file is ${Buffer.byteLength(big)} bytes; the limit is ${DEFAULT_LIMITS.maxFileBytes}`]);
  t.deepEqual(r.brokenFiles, ['big.yaml']);
  t.deepEqual(r.apps.map((a) => a.key), ['default/ok']);
});

test('the walk skips dot-directories and non-YAML files, refuses symlinks out of the root, uses forward slashes', async (t) => {
  const dir = tempDir(t);
  const outside = tempDir(t);
  mkdirSync(join(dir, '.git'));
  mkdirSync(join(dir, 'team', 'deep'), { recursive: true });
  writeFileSync(join(dir, '.git', 'x.yaml'), 'not: [valid');
  writeFileSync(join(dir, 'README.md'), '# not yaml');
  writeFileSync(join(dir, 'team', 'deep', 'a.yml'), app('a', '  image: nginx\n  port: 99999\n'));
  writeFileSync(join(outside, 'secret.yaml'), app('stolen'));
  symlinkSync(join(outside, 'secret.yaml'), join(dir, 'link.yaml'));
  const r = await loadAppDir(dir, defaults);
  t.deepEqual(lines(r), [
    'link.yaml:1:1: skipped: symlink points outside the spec directory',
    'team/deep/a.yml:7:9 spec.port: must be at most 65535, not 99999',
  ]);
  t.deepEqual(r.apps, []);
});

test('beyond maxFiles the walk stops loading and marks the rest broken so nothing they define is pruned', async (t) => {
  const dir = tempDir(t);
  for (const n of ['a', 'b', 'c', 'd']) writeFileSync(join(dir, `${n}.yaml`), app(n));
  const r = await loadAppDir(dir, defaults, { maxFiles: 2 });
  t.deepEqual(r.apps.map((a) => a.name), ['a', 'b']);
  t.deepEqual(r.brokenFiles, ['c.yaml', 'd.yaml']);
  t.deepEqual(lines(r), ['c.yaml:1:1: more than 2 spec files; this file and the rest were not loaded']);
});

test('an unreadable spec directory is one DroverError, not a crash', async (t) => {
  const e = await t.throwsAsync(loadAppDir('/nonexistent/drover-specs', defaults));
  t.is(e?.message, 'cannot read spec directory /nonexistent/drover-specs: ENOENT');
});

const hostile = test.macro({
  exec(t, host: string) {
    const r = loadAppTexts([{ file: 'h.yaml', text: app('h', `  image: nginx\n  port: 80\n  ingress:\n    host: ${JSON.stringify(host)}\n`) }], defaults);
    t.deepEqual(r.apps, []);
    t.is(r.problems.length, 1);
    t.is(r.problems[0]!.path, 'spec.ingress.host');
    t.regex(r.problems[0]!.message, / is not a valid hostname /);
  },
  title: (_p, host: string) => `ingress.host ${JSON.stringify(host)} never passes`,
});
for (const h of ['a`b.example.com', 'a b.example.com', 'a"b.example.com', "a'b.example.com", '$host.example.com', 'a{b}.example.com', 'Web.example.com', 'a\nb', '-a.example.com', `${'a'.repeat(64)}.example.com`, 'a..b']) {
  test(hostile, h);
}

test('cross-app: identical weave subnets, distinct hosts/paths, host-routed gRPC on its own entrypoint and other entrypoints are fine', (t) => {
  const r = loadAppTexts(
    [
      { file: 'a.yaml', text: app('a', '  image: x\n  port: 80\n  ingress: {host: a.example.com}\n  weave: {subnet: 10.32.1.0/24}\n  grpc: {port: 90}\n') },
      { file: 'b.yaml', text: app('b', '  image: x\n  port: 80\n  ingress: {host: a.example.com, path: /b}\n  weave: {subnet: 10.32.1.0/24}\n  grpc: {port: 90, host: b.example.com, entrypoint: grpc-h2c}\n') },
      { file: 'c.yaml', text: app('c', '  image: x\n  port: 80\n  weave: {subnet: 10.32.2.0/24}\n  grpc: {port: 90, entrypoint: grpc2}\n') },
      { file: 'd.yaml', text: app('a', '  image: x\n', '  namespace: other\n') },
    ],
    defaults,
  );
  t.deepEqual(lines(r), []);
  t.is(r.apps.length, 4);
});

test('cross-app: an explicit path "/" clashes with the default path and both apps become invalid', (t) => {
  const r = loadAppTexts(
    [
      { file: 'a.yaml', text: app('a', '  image: x\n  port: 80\n  ingress: {host: a.example.com}\n') },
      { file: 'b.yaml', text: app('b', '  image: x\n  port: 80\n  ingress: {host: a.example.com, path: /}\n') },
    ],
    defaults,
  );
  t.deepEqual(r.apps, []);
  t.deepEqual([...r.invalidApps.keys()].sort(), ['default/a', 'default/b']);
  t.deepEqual(lines(r), [
    'a.yaml:8:19 spec.ingress.host: host a.example.com path / on entrypoint web is also routed by default/b (b.yaml:8:19)',
    'b.yaml:8:19 spec.ingress.host: host a.example.com path / on entrypoint web is also routed by default/a (a.yaml:8:19)',
  ]);
});

test('semantic rules that depend on cluster defaults', (t) => {
  const d = { ...defaults, serviceProvider: 'nomad' as const, weaveRange: '10.40.0.0/16' };
  const r = loadAppTexts([{ file: 'a.yaml', text: app('a', '  image: x\n  grpc: {port: 90}\n  health: {type: grpc}\n  weave: {subnet: 10.32.1.0/24}\n') }], d);
  t.deepEqual(lines(r), [
    'a.yaml:8:18 spec.health.type: a grpc check needs the consul service provider (Nomad\'s own checks are http or tcp)',
    'a.yaml:9:19 spec.weave.subnet: needs the consul service provider, but the cluster default (DROVER_SERVICE_PROVIDER) is nomad: Nomad would advertise the docker bridge address, not the weave address; set spec.service.provider: consul',
    'a.yaml:9:19 spec.weave.subnet: "10.32.1.0/24" is outside the weave range 10.40.0.0/16',
  ]);
});

test('the OpenAPI conversion handles nullable and preserve-unknown-fields', (t) => {
  const out = openApiToJsonSchema({
    type: 'object',
    properties: {
      a: { type: 'string', nullable: true },
      b: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { c: { type: 'integer' } } },
      l: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
    },
  });
  t.deepEqual(out, {
    type: 'object',
    additionalProperties: false,
    properties: {
      a: { type: ['string', 'null'] },
      b: { type: 'object', properties: { c: { type: 'integer' } } },
      l: { type: 'array', uniqueItems: true, items: { type: 'string' } },
    },
  });
});

test('process.env is the real one again after a full-parser load', (t) => {
  const before = process.env;
  const r = loadAppTexts([{ file: 'a.yaml', text: `${app('a')}  env: &e {A: "1"}\n` }], defaults);
  t.is(process.env, before);
  t.deepEqual(r.apps[0]!.manifest.spec.env, { A: '1' });
});
