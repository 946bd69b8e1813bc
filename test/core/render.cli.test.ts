// `drover render`: the in-process command (renderCommand) over the examples, a temp directory with
// invalid and ambiguous input, and one real process run to prove the wiring (stdout, exit code).
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { renderCommand } from '../../src/cli/commands/render.js';
import { TEST_DEFAULTS } from './render.helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const examples = join(root, 'examples/apps');
const golden = (name: string) => readFileSync(join(root, 'test/golden', name), 'utf8');

const tmp = mkdtempSync(join(tmpdir(), 'drover-render-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

const WEB = `apiVersion: drover.io/v1alpha1
kind: App
metadata:
  name: web
spec:
  image: nginx:1.27
  port: 80
`;

test('a single example file prints exactly its golden job', async (t) => {
  const out = await renderCommand(join(examples, '001-pot-nginx.yaml'), {}, TEST_DEFAULTS);
  t.is(out.code, 0, out.stderr);
  t.is(out.stdout, golden('example-001-pot-nginx.job.json'));
  t.is(out.stderr, '');
});

test('a directory with several apps prints an array; --app picks one by name or namespace/name', async (t) => {
  const all = await renderCommand(examples, {}, TEST_DEFAULTS);
  t.is(all.code, 0, all.stderr);
  const bodies = JSON.parse(all.stdout) as { Job: { ID: string; Namespace: string } }[];
  t.true(Array.isArray(bodies));
  t.deepEqual(bodies.map((b) => `${b.Job.Namespace}/${b.Job.ID}`).sort(), [
    'default/httpbackend', 'default/nginx-minipot', 'default/otel-collector', 'default/webservice', 'tenant-b/httpbackend',
  ]);

  const one = await renderCommand(examples, { app: 'otel-collector' }, TEST_DEFAULTS);
  t.is(one.code, 0);
  t.is((JSON.parse(one.stdout) as { Job: { ID: string } }).Job.ID, 'otel-collector');

  const keyed = await renderCommand(examples, { app: 'tenant-b/httpbackend' }, TEST_DEFAULTS);
  t.is((JSON.parse(keyed.stdout) as { Job: { Namespace: string } }).Job.Namespace, 'tenant-b');
});

test('--app that matches nothing, or several namespaces, exits 1 with a reason', async (t) => {
  const none = await renderCommand(examples, { app: 'nope' }, TEST_DEFAULTS);
  t.is(none.code, 1);
  t.is(none.stdout, '');
  t.regex(none.stderr, /no app named nope/);
  const twice = await renderCommand(examples, { app: 'httpbackend' }, TEST_DEFAULTS);
  t.is(twice.code, 1);
  t.regex(twice.stderr, /several namespaces \(default\/httpbackend, tenant-b\/httpbackend\)/);
});

test('invalid input exits 1 with file:line:col path: reason lines and no stack trace', async (t) => {
  const dir = join(tmp, 'invalid');
  mkdirSync(dir);
  writeFileSync(join(dir, 'web.yaml'), WEB);
  writeFileSync(join(dir, 'bad.yaml'), WEB.replace('name: web', 'name: bad').replace('port: 80', 'port: 80\n  ingress:\n    host: Web_App'));
  const out = await renderCommand(dir, {}, TEST_DEFAULTS);
  t.is(out.code, 1);
  t.is(out.stdout, '', 'nothing is rendered when any app is invalid');
  t.regex(out.stderr, /^bad\.yaml:\d+:\d+ spec\.ingress\.host: .+$/m);
  t.notRegex(out.stderr, /\n\s+at /, 'no stack trace');
});

test('a missing path exits 1 with a one-line reason', async (t) => {
  const out = await renderCommand(join(tmp, 'missing.yaml'), {}, TEST_DEFAULTS);
  t.is(out.code, 1);
  t.regex(out.stderr, /^drover render: cannot read .*missing\.yaml: ENOENT\n$/);
});

test('the real CLI prints the job and exits 0; exits 1 on invalid input', async (t) => {
  const file = join(tmp, 'web.yaml');
  writeFileSync(file, WEB);
  const run = promisify(execFile);
  const env = { ...process.env, DROVER_OWNER: 'cli-test' };
  const ok = await run(process.execPath, [join(root, 'bin/drover.js'), 'render', file], { env });
  const body = JSON.parse(ok.stdout) as { Job: { ID: string; Meta: Record<string, string> } };
  t.is(body.Job.ID, 'web');
  t.is(body.Job.Meta['drover.owner'], 'cli-test', 'cluster defaults come from the environment');
  t.false('drover.source' in body.Job.Meta, 'the source file is drover\'s applied state, not job Meta');

  writeFileSync(file, WEB.replace('port: 80', 'port: "eighty"'));
  const err = await t.throwsAsync(run(process.execPath, [join(root, 'bin/drover.js'), 'render', file], { env }));
  const failed = err as unknown as { code: number; stderr: string };
  t.is(failed.code, 1);
  t.regex(failed.stderr, /^web\.yaml:\d+:\d+ spec\.port: /m);
  t.notRegex(failed.stderr, /\n\s+at /);
});
