// `drover routes`: the in-process command (routesCommand) over the examples and temp directories — the
// table, a request's answer, exit codes 0/1/2, bad flags and invalid specs as one line each — and one real
// process run to prove the wiring.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { routesCommand } from '../../src/cli/commands/routes.js';
import { TEST_DEFAULTS } from '../core/render.helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const examples = join(ROOT, 'examples/apps');
const tmp = mkdtempSync(join(tmpdir(), 'drover-routes-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

const app = (name: string, spec: string) => `apiVersion: drover.io/v1alpha1\nkind: App\nmetadata:\n  name: ${name}\nspec:\n  image: x\n${spec}`;
function writeDir(name: string, files: Record<string, string>): string {
  const d = mkdtempSync(join(tmp, `${name}-`));
  for (const [f, text] of Object.entries(files)) writeFileSync(join(d, f), text);
  return d;
}

test('the table of the examples', async (t) => {
  const out = await routesCommand(examples, {}, TEST_DEFAULTS);
  t.is(out.code, 0, out.stderr);
  t.is(out.stderr, '');
  t.is(out.stdout, [
    'ENTRYPOINT  KIND  PRIORITY  RULE                                   APP                     ROUTER',
    'grpc        tcp   12        HostSNI(`*`)                           default/otel-collector  default_otel-collector_grpc_62a82a48',
    'web         http  37        Host(`otel-collector-http.localhost`)  default/otel-collector  default_otel-collector_http_dbab84f4',
    'web         http  25        Host(`hello-web.minipot`)              default/nginx-minipot   default_nginx-minipot_http_35a5e2df',
    '',
  ].join('\n'));
  const json = JSON.parse((await routesCommand(examples, { json: true, entrypoint: 'web' }, TEST_DEFAULTS)).stdout) as { routes: { app: string }[] };
  t.deepEqual(json.routes.map((r) => r.app), ['default/otel-collector', 'default/nginx-minipot']);
});

test('a request: which app on each entrypoint; exit 0 when something takes it, 2 when nothing does', async (t) => {
  const d = writeDir('req', {
    'api.yaml': app('api', '  port: 80\n  ingress: {host: h.example.com, path: /api}\n'),
    'portal.yaml': app('portal', '  port: 80\n  ingress: {host: p.example.com, certResolver: le, httpsRedirect: true}\n'),
  });
  let out = await routesCommand(d, { host: 'h.example.com', path: '/api/v1' }, TEST_DEFAULTS);
  t.is(out.code, 0);
  t.is(out.stdout, [
    'web: default/api via default_api_http_8131a572 (rule Host(`h.example.com`) && (Path(`/api`) || PathPrefix(`/api/`)), priority 62)',
    'websecure: no router matches (Traefik answers 404)',
    '',
  ].join('\n'));
  out = await routesCommand(d, { host: 'h.example.com', path: '/apix', entrypoint: 'web' }, TEST_DEFAULTS);
  t.is(out.code, 2);
  t.is(out.stdout, 'web: no router matches (Traefik answers 404)\n');
  out = await routesCommand(d, { host: 'p.example.com', entrypoint: 'web' }, TEST_DEFAULTS);
  t.is(out.code, 0);
  t.regex(out.stdout, /^web: redirected to https by default_portal_http_[0-9a-f]{8}_redirect \(default\/portal, rule Host\(`p\.example\.com`\), priority 21\)\n$/);
  out = await routesCommand(d, { host: 'p.example.com', entrypoint: 'websecure', tls: true, json: true }, TEST_DEFAULTS);
  t.is(out.code, 0);
  t.like(JSON.parse(out.stdout), { request: { host: 'p.example.com', path: '/', entrypoint: 'websecure', tls: true }, outcomes: [{ entrypoint: 'websecure', result: 'app', row: { app: 'default/portal', tls: true } }] });
});

test('bad flags and invalid specs: exit 1 with one readable line each, nothing on stdout', async (t) => {
  for (const [opts, line] of [
    [{ path: '/x' }, 'drover routes: --path needs --host'],
    [{ tls: true }, 'drover routes: --tls needs --host'],
    [{ host: 'a b' }, `drover routes: --host "a b" is not a host name (letters, digits, '.' and '-', optionally :port)`],
    [{ host: 'a.example.com', path: 'api' }, `drover routes: --path "api" must start with '/'`],
    [{ entrypoint: 'web secure' }, `drover routes: --entrypoint "web secure" is not an entrypoint name (letters, digits, '_' and '-')`],
  ] as const) {
    const out = await routesCommand(examples, opts, TEST_DEFAULTS);
    t.deepEqual([out.code, out.stdout, out.stderr], [1, '', `${line}\n`]);
  }
  const missing = await routesCommand(join(tmp, 'no-such-dir'), {}, TEST_DEFAULTS);
  t.deepEqual([missing.code, missing.stderr], [1, `drover routes: cannot read ${join(tmp, 'no-such-dir')}: ENOENT\n`]);
  const d = writeDir('invalid', {
    'a.yaml': app('a', '  grpc: {port: 90, entrypoint: web}\n'),
    'b.yaml': app('b', '  port: 80\n  ingress: {host: b.example.com}\n'),
  });
  const out = await routesCommand(d, {}, TEST_DEFAULTS);
  t.is(out.code, 1);
  t.is(out.stdout, '');
  t.deepEqual(out.stderr.trimEnd().split('\n'), [
    'a.yaml:7:9 spec.grpc: the TCP router HostSNI(*) on entrypoint web takes every plain connection there (Traefik tries TCP routers first), but web also carries HTTP routers of default/b (b.yaml:8:19); give the gRPC port an entrypoint of its own or set grpc.host',
    'b.yaml:8:19 spec.ingress.host: host b.example.com on entrypoint web would never be reached: the TCP router HostSNI(*) of default/a (a.yaml:7:9) takes every plain connection there',
    'drover routes: the specs are invalid; fix them first',
  ]);
});

test('the real CLI: drover routes is registered, exit 2 for a request nothing takes, no stack trace', async (t) => {
  const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'routes', 'examples/apps', '--host', 'nope.example.com', '--entrypoint', 'web'],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
  t.deepEqual(r, { code: 2, stdout: 'web: no router matches (Traefik answers 404)\n', stderr: '' });
});
