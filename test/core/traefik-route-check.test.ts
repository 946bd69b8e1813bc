// The route check end to end on the simulated cluster, with drover's real pieces: renderJob writes
// the job, the simulated Nomad runs it and registers its allocations in the simulated Consul, the
// simulated Traefik reads that catalog as Traefik does, drover's TraefikClient reads Traefik's API,
// and route-verify compares. The check is told nothing but the job and what the APIs answer.
import test, { type ExecutionContext } from 'ava';
import { ConsulClient } from '../../src/clients/consul.js';
import { NomadClient } from '../../src/clients/nomad.js';
import { TraefikClient } from '../../src/clients/traefik.js';
import type { NomadJob } from '../../src/core/nomad-types.js';
import { renderJob } from '../../src/core/render/index.js';
import { expectedRoutersFromJob, verifyRoutes } from '../../src/core/route-verify.js';
import { observedFromConsul } from '../../src/core/verify.js';
import { startSimCluster } from '@drover/sim';
import type { AppSpec, LoadedApp } from '../../src/spec/types.js';
import { TEST_DEFAULTS } from '../core/render.helpers.js';

const OPTS = { prefix: TEST_DEFAULTS.traefikPrefix };

function render(name: string, spec: AppSpec): NomadJob {
  return renderJob({
    key: `default/${name}`, name, namespace: 'default', source: { file: `apps/${name}.yaml`, line: 1, col: 1 },
    manifest: { apiVersion: 'drover.io/v1alpha1', kind: 'App', metadata: { name }, spec },
  } as LoadedApp, TEST_DEFAULTS);
}

async function cluster(t: ExecutionContext) {
  const c = await startSimCluster({ allocDelayMs: 10, traefik: { refreshIntervalMs: 0 } });
  t.teardown(() => c.close());
  const nomad = new NomadClient({ addr: c.urls.nomad, timeoutMs: 2000 });
  const consul = new ConsulClient({ addr: c.urls.consul, timeoutMs: 2000 });
  const traefik = new TraefikClient({ addr: c.urls.traefik, timeoutMs: 2000, retry: { attempts: 1 } });
  return { c, nomad, consul, traefik };
}

async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const WEB: AppSpec = { image: 'nginx:1.27', port: 8080, ingress: { host: 'web.example.com' }, count: 2 };

test('a running app: its router enabled, both allocations UP as servers, no drift', async (t) => {
  const { c, nomad, consul, traefik } = await cluster(t);
  const job = render('web', WEB);
  await nomad.registerJob(job);
  await until('two instances in Consul', async () => (await consul.healthService('web')).value.length === 2);
  await c.traefik.refresh();
  const expected = expectedRoutersFromJob(job, OPTS);
  const r = verifyRoutes(expected, await traefik.view(), OPTS);
  t.deepEqual(r.problems, []);
  t.false(r.drift);
  t.like(r.routers[0], { router: `${expected[0]!.name}@consulcatalog`, state: 'enabled', serversUp: 2, servers: 2 });
  const perName = verifyRoutes(expected, await traefik.viewOf(expected), OPTS);
  t.deepEqual(perName, r, 'per-name reads see what rawdata shows');
});

test('two allocations of one app register different values for one router name: Traefik drops the router, the check says so and why', async (t) => {
  const { c, nomad, consul, traefik } = await cluster(t);
  const job = render('web', { ...WEB, count: 1 });
  await nomad.registerJob(job);
  const [running] = await until('the allocation in Consul', async () => {
    const v = (await consul.healthService('web')).value;
    return v.length === 1 ? v : undefined;
  });
  // An allocation of the previous version still runs: same router name (parsed from the tags), another rule.
  const router = expectedRoutersFromJob(job, OPTS)[0]!.name;
  const ruleKey = `traefik.http.routers.${router}.rule=`;
  const oldTags = running!.Service.Tags!.map((tag) => (tag.startsWith(ruleKey) ? `${ruleKey}Host(\`old.example.com\`)` : tag));
  c.consul.register({
    id: '_nomad-task-99999999-8888-4777-8666-555555555555-web-web-http', name: 'web', tags: oldTags, address: '10.0.0.99', port: 31999,
    meta: { 'external-source': 'nomad' }, checks: [], node: 'sim-node-1', nodeAddress: '127.0.0.1',
  });
  await c.traefik.refresh();
  t.is(await traefik.router('http', `${router}@consulcatalog`), null, 'Traefik\'s API has no such router');
  const instances = observedFromConsul((await consul.healthService('web')).value);
  const r = verifyRoutes(expectedRoutersFromJob(job, OPTS), await traefik.view(), { ...OPTS, instances });
  t.true(r.drift);
  t.like(r.routers[0], { state: 'missing' });
  t.deepEqual(r.problems, [
    `router ${router}@consulcatalog: missing from Traefik (its instances define it with different values — rule: Host(\`old.example.com\`) | Host(\`web.example.com\`): Traefik drops a router defined multiple times with different configurations)`,
  ]);
  t.deepEqual(c.traefik.conflicts().map((x) => x.message), ['HTTP router defined multiple times with different configurations']);

  // The old allocation goes away: the router comes back.
  c.consul.deregister('_nomad-task-99999999-8888-4777-8666-555555555555-web-web-http');
  await c.traefik.refresh();
  const healed = verifyRoutes(expectedRoutersFromJob(job, OPTS), await traefik.view(), OPTS);
  t.deepEqual(healed.problems, []);
});

test('a gRPC app: its TCP router on the grpc entry point with its allocation as server', async (t) => {
  const { c, nomad, consul, traefik } = await cluster(t);
  const job = render('api', { image: 'api:1', grpc: { port: 9090 } });
  await nomad.registerJob(job);
  await until('the gRPC instance in Consul', async () => (await consul.healthService('api-grpc')).value.length === 1);
  await c.traefik.refresh();
  const r = verifyRoutes(expectedRoutersFromJob(job, OPTS), await traefik.view(), OPTS);
  t.deepEqual(r.problems, []);
  t.like(r.routers[0], { protocol: 'tcp', state: 'enabled', serversUp: 1 });
});

test('Traefik unreachable: the client fails with a DroverError the check reports as unreachable', async (t) => {
  const { c, traefik } = await cluster(t);
  await c.traefik.server.down();
  const err = await t.throwsAsync(traefik.view());
  t.like(err, { name: 'DroverError', code: 'unavailable', upstream: 'traefik' });
  t.regex(err!.message, /^traefik GET \/api\/rawdata: connection refused/);
});
