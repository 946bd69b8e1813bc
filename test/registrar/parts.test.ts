// The registrar's pieces on their own: env parsing, the Docker client over a unix socket and TCP
// (with the simulated engine's filters and version prefix), the weave lookups, and the pure helpers.
import test from 'ava';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRegistrarServices, WEAVE_SERVICES_META } from '../../src/core/render/index.js';
import { parseRegistrarConfig } from '../../src/registrar/config.js';
import { DockerClient, NOMAD_LABELS } from '../../src/registrar/docker.js';
import { pickAddress, planSync, weaveSubnet } from '../../src/registrar/desired.js';
import { WeaveClient } from '../../src/registrar/weave.js';
import { createDockerSim } from '@drover/sim/docker';
import { createWeaveSim } from '@drover/sim/weave';

test('config: defaults are off, the local docker socket and weave router', (t) => {
  const r = parseRegistrarConfig({});
  t.deepEqual(r, { ok: true, config: { enabled: false, docker: { kind: 'unix', socketPath: '/var/run/docker.sock' }, weaveRouterUrl: 'http://127.0.0.1:6784', intervalMs: 10_000 } });
});

test('config: tcp docker host, on, custom interval', (t) => {
  const r = parseRegistrarConfig({ DROVER_REGISTRAR: 'on', DOCKER_HOST: 'tcp://127.0.0.1:2375', WEAVE_ROUTER_ADDR: '127.0.0.1:16784', DROVER_REGISTRAR_INTERVAL: '2s' });
  t.deepEqual(r, { ok: true, config: { enabled: true, docker: { kind: 'tcp', host: '127.0.0.1', port: 2375 }, weaveRouterUrl: 'http://127.0.0.1:16784', intervalMs: 2000 } });
});

test('config: every problem is listed at once', (t) => {
  const r = parseRegistrarConfig({ DROVER_REGISTRAR: 'yes', DOCKER_HOST: 'ssh://node', WEAVE_ROUTER_ADDR: 'https://x:1', DROVER_REGISTRAR_INTERVAL: '5ms' });
  t.false(r.ok);
  const problems = r.ok ? [] : r.problems;
  t.is(problems.length, 4);
  t.regex(problems.join('\n'), /DROVER_REGISTRAR: "yes" must be on or off/);
  t.regex(problems.join('\n'), /DOCKER_HOST: "ssh:\/\/node" must start with unix:\/\/ or tcp:\/\//);
  t.regex(problems.join('\n'), /WEAVE_ROUTER_ADDR: .*http:\/\//);
  t.regex(problems.join('\n'), /DROVER_REGISTRAR_INTERVAL/);
});

test('docker sim + client over TCP: label filter, running only, inspect env/labels, 404, version prefix, _ping', async (t) => {
  const sim = createDockerSim();
  const url = new URL(await sim.listen());
  t.teardown(() => sim.close());
  const nomadOne = sim.addContainer({ labels: { [NOMAD_LABELS.allocId]: 'a1', [NOMAD_LABELS.taskName]: 'web' }, env: { WEAVE_CIDR: 'net:10.32.1.0/24', X: 'a=b' } });
  const stopped = sim.addContainer({ labels: { [NOMAD_LABELS.allocId]: 'a2' } });
  sim.stopContainer(stopped.id);
  sim.addContainer({ labels: { other: 'x' } });
  const client = new DockerClient({ kind: 'tcp', host: url.hostname, port: Number(url.port) });
  t.deepEqual(await client.listNomadContainers(), [{ id: nomadOne.id, labels: nomadOne.labels }]);
  const info = await client.inspect(nomadOne.id);
  t.deepEqual(info, { id: nomadOne.id, labels: nomadOne.labels, env: { WEAVE_CIDR: 'net:10.32.1.0/24', X: 'a=b' }, running: true });
  t.is(await client.inspect('f'.repeat(64)), null);
  const versioned = await (await fetch(`${sim.url}/v1.43/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: [`${NOMAD_LABELS.allocId}=a2`] }))}`)).json();
  t.deepEqual((versioned as { Id: string; State: string }[]).map((c) => [c.Id, c.State]), [[stopped.id, 'exited']]);
  t.is(await (await fetch(`${sim.url}/_ping`)).text(), 'OK');
  const bad = await fetch(`${sim.url}/containers/json?filters=nope`);
  t.is(bad.status, 400);
  t.regex(((await bad.json()) as { message: string }).message, /invalid filter/);
});

test('docker client over a unix socket (DOCKER_HOST=unix://...)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-docker-'));
  const socketPath = join(dir, 'docker.sock');
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(req.url?.startsWith('/containers/json') ? [{ Id: 'abc', Labels: { [NOMAD_LABELS.allocId]: 'a1' } }] : {}));
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  t.teardown(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const client = new DockerClient({ kind: 'unix', socketPath });
  t.deepEqual(await client.listNomadContainers(), [{ id: 'abc', labels: { [NOMAD_LABELS.allocId]: 'a1' } }]);
  const missing = new DockerClient({ kind: 'unix', socketPath: join(dir, 'nope.sock') });
  const err = await t.throwsAsync(missing.listNomadContainers());
  t.regex(err!.message, /^docker GET \/containers\/json: socket not found$/);
});

test('weave sim + client: subnet lookup, default-subnet lookup, none → [], /status', async (t) => {
  const sim = createWeaveSim();
  await sim.listen();
  t.teardown(() => sim.close());
  t.is(sim.assign('c1', '10.32.1.0/24'), '10.32.1.1/24');
  t.is(sim.assign('c2', '10.32.1.0/24'), '10.32.1.2/24');
  sim.assign('c1', '10.32.9.0/24');
  const client = new WeaveClient(sim.url);
  t.deepEqual(await client.addresses('c1', '10.32.1.0/24'), ['10.32.1.1']);
  t.deepEqual(await client.addresses('c1'), ['10.32.1.1', '10.32.9.1'], 'the default subnet 10.32.0.0/12 holds both');
  t.deepEqual(await client.addresses('c3'), []);
  t.deepEqual(await client.addresses('c2', '10.32.9.0/24'), []);
  sim.release('c1');
  t.is(sim.assign('c4', '10.32.1.0/24'), '10.32.1.1/24', 'a released address is handed out again');
  t.regex(await (await fetch(`${sim.url}/status`)).text(), /DefaultSubnet: 10\.32\.0\.0\/12/);
  const down = new WeaveClient('http://127.0.0.1:1');
  await t.throwsAsync(down.addresses('c1'), { message: /^weave GET \/ip\/c1: connection refused$/ });
});

test('WEAVE_CIDR forms and address choice', (t) => {
  t.is(weaveSubnet('net:10.32.1.0/24'), '10.32.1.0/24');
  t.is(weaveSubnet('10.2.1.1/24 net:10.32.3.0/24'), '10.32.3.0/24');
  t.is(weaveSubnet('net:default'), undefined);
  t.is(weaveSubnet('none'), undefined);
  t.is(pickAddress(['10.32.9.1', '10.32.1.5'], '10.32.1.0/24'), '10.32.1.5');
  t.is(pickAddress(['10.32.9.1'], '10.32.1.0/24'), undefined);
  t.is(pickAddress(['10.32.9.1']), '10.32.9.1');
});

test('planSync removes only this owner\'s registrations that are neither wanted nor of an unknown allocation', (t) => {
  const meta = (owner: string, alloc: string) => ({ 'drover-managed': 'true', 'drover-owner': owner, 'external-source': 'drover', 'drover-alloc': alloc });
  const current = { gone: { Meta: meta('me', 'a1') }, unsure: { Meta: meta('me', 'a2') }, theirs: { Meta: meta('you', 'a3') }, manual: { Meta: null } };
  const plan = planSync('me', [], current, new Set(['a2']));
  t.deepEqual(plan.deregister, ['gone']);
});

test('drover.services Meta: a malformed value is refused with the entry named', (t) => {
  t.is(parseRegistrarServices({}), undefined);
  t.throws(() => parseRegistrarServices({ [WEAVE_SERVICES_META]: '{' }), { message: /is not JSON/ });
  t.throws(() => parseRegistrarServices({ [WEAVE_SERVICES_META]: '[{"name":"a","port":0,"portLabel":"http","tags":[]}]' }), { message: /drover\.services\[0\]: port must be 1\.\.65535/ });
  t.deepEqual(parseRegistrarServices({ [WEAVE_SERVICES_META]: '[{"name":"a","port":80,"portLabel":"http","tags":["x"],"check":{"type":"tcp","interval":"10s","timeout":"2s"}}]' }),
    [{ name: 'a', port: 80, portLabel: 'http', tags: ['x'], check: { type: 'tcp', interval: '10s', timeout: '2s' } }]);
});

test('drover_registrar_services{state} starts at 0 and follows the last complete pass', async (t) => {
  const { Metrics } = await import('../../src/metrics.js');
  const { registrarMetrics } = await import('../../src/registrar/index.js');
  const m = new Metrics();
  const read = async () => Object.fromEntries((await m.registrarServices.get()).values.map((v) => [v.labels.state, v.value]));
  t.deepEqual(await read(), { registered: 0, pending: 0, unknown: 0 });
  const onPass = registrarMetrics(m.registrarServices);
  onPass({ containers: 3, desired: 3, registered: 2, pending: 1, deregistered: 0, unknown: 1 });
  onPass({ containers: 0, desired: 0, registered: 0, pending: 0, deregistered: 0, unknown: 0, error: 'consul down' });
  t.deepEqual(await read(), { registered: 2, pending: 1, unknown: 1 });
});
