// `drover validate` through the real CLI process (node --import tsx src/cli/main.ts, cwd /work/main):
// exit codes, exact output lines, JSON format, and never a stack trace. The full invalid corpus runs
// in-process in test/spec/invalid-corpus.test.ts; this spawns a sample of it.
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLEAN_ENV = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };

function drover(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env: { ...CLEAN_ENV, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const noStack = (s: string) => !s.includes('    at ');

const invalid = test.macro({
  async exec(t, fixture: string, expected: string[]) {
    const r = await drover(['validate', `test/fixtures/invalid/${fixture}`]);
    t.is(r.code, 1);
    t.deepEqual(r.stdout.trimEnd().split('\n').slice(0, -1), expected);
    t.true(noStack(r.stdout + r.stderr));
  },
  title: (_p, fixture: string) => `CLI: ${fixture} exits 1 with its problem lines`,
});

test(invalid, 'yaml-syntax.yaml', ['yaml-syntax.yaml:8:1: invalid YAML: All mapping items must start at the same column']);
test(invalid, 'alias-bomb.yaml', ['alias-bomb.yaml:1:1: YAML aliases expand beyond the limit (100); refusing a possible "billion laughs" document']);
test(invalid, 'host-backtick.yaml', [
  'host-backtick.yaml:9:11 spec.ingress.host: "web.example.com`) || Host(`evil.com" is not a valid hostname (RFC 1123: lower-case letters, digits and \'-\' in dot-separated labels of at most 63 characters)',
]);
test(invalid, 'cross-weave-overlap', [
  'a.yaml:9:13 spec.weave.subnet: 10.32.0.0/16 partially overlaps 10.32.1.0/24 of default/tenant-b (b.yaml:9:13); subnets must be identical or disjoint',
  'b.yaml:9:13 spec.weave.subnet: 10.32.1.0/24 partially overlaps 10.32.0.0/16 of default/web (a.yaml:9:13); subnets must be identical or disjoint',
]);

test('CLI: the driver allow-list comes from DROVER_ALLOWED_DRIVERS', async (t) => {
  const r = await drover(['validate', 'test/fixtures/invalid/driver-not-allowed.yaml'], { DROVER_ALLOWED_DRIVERS: 'docker,pot' });
  t.is(r.code, 1);
  t.is(r.stdout, 'driver-not-allowed.yaml:6:11 spec.driver: driver "exec" is not allowed on this cluster (allowed: docker, pot)\n1 error; 0 apps valid\n');
});

test('CLI: valid fixtures exit 0 with warnings printed and a summary', async (t) => {
  const r = await drover(['validate', 'test/fixtures/valid']);
  t.is(r.code, 0);
  t.is(r.stdout, 'warning: every-field.yaml:94:1: skipped: not a drover.io/v1alpha1 App (apiVersion "v1", kind "ConfigMap")\n4 apps valid\n');
});

test('CLI: --format json lists app keys and problems', async (t) => {
  const r = await drover(['validate', 'test/fixtures/invalid/mixed-valid-invalid.yaml', '--format', 'json']);
  t.is(r.code, 1);
  const out = JSON.parse(r.stdout) as { apps: string[]; problems: Array<Record<string, unknown>> };
  t.deepEqual(out.apps, ['default/api']);
  t.deepEqual(out.problems, [
    { file: 'mixed-valid-invalid.yaml', line: 8, col: 9, path: 'spec.port', message: 'must be at least 1, not 0', severity: 'error', app: 'default/web' },
  ]);
});

test('CLI: an unreadable directory is one line and exit 1', async (t) => {
  const r = await drover(['validate', '/nonexistent/drover-apps']);
  t.is(r.code, 1);
  t.is(r.stdout + r.stderr, 'drover: cannot read spec directory /nonexistent/drover-apps: ENOENT\n');
});

test('CLI: a bad --format is one line and exit 1', async (t) => {
  const r = await drover(['validate', 'test/fixtures/valid', '--format', 'xml']);
  t.is(r.code, 1);
  t.true(noStack(r.stdout + r.stderr));
  t.regex(r.stderr, /--format must be text or json/);
});

test('CLI: an oversized file fails by size', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-validate-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'huge.yaml'), `# ${'x'.repeat(1024 * 1024)}\n`);
  const r = await drover(['validate', dir]);
  t.is(r.code, 1);
  t.is(r.stdout, `huge.yaml:1:1: file is ${1024 * 1024 + 3} bytes; the limit is 1048576\n1 error; 0 apps valid\n`);
});

test('CLI: examples/apps validates cleanly', async (t) => {
  if (!existsSync(join(ROOT, 'examples/apps'))) {
    t.pass('examples/apps is not there yet');
    return;
  }
  const r = await drover(['validate', 'examples/apps']);
  t.is(r.code, 0, r.stdout);
  t.regex(r.stdout, /^\d+ apps? valid\n$/m);
});
