// Table tests of the pure route verification. The expected side is what drover's renderer writes
// (renderJob, whatever its router naming); the observed side is Traefik's `/api/rawdata` as the
// simulated Traefik builds it from catalog instances (its pure parts, no HTTP): so each row is a
// realistic payload, not a hand-written guess at Traefik's JSON.
import test from 'ava';
import type { NomadJob } from '../../src/core/nomad-types.js';
import { renderJob } from '../../src/core/render/index.js';
import {
  expectedRoutersFromJob, expectedRoutersOfService, routeHealth, routeStatusUnreachable, routeStatusVerified, verifyRoutes, viewFromRawData,
  type RouteInstance, type RouteVerifyResult, type TraefikRawData,
} from '../../src/core/route-verify.js';
import { buildProviderConfig, buildRuntime, DEFAULT_ENTRYPOINTS, goJson, rawDataJson, type ServiceItem } from '@drover/sim/traefik';
import type { AppSpec, LoadedApp } from '../../src/spec/types.js';
import { TEST_DEFAULTS } from './render.helpers.js';

const OPTS = { prefix: 'traefik' };

function app(name: string, spec: AppSpec, namespace = 'default'): NomadJob {
  const loaded = {
    key: `${namespace}/${name}`, name, namespace, source: { file: `apps/${name}.yaml`, line: 1, col: 1 },
    manifest: { apiVersion: 'drover.io/v1alpha1', kind: 'App', metadata: { name, namespace }, spec },
  } as LoadedApp;
  return renderJob(loaded, TEST_DEFAULTS);
}

const WEB = app('web', { image: 'nginx:1', port: 8080, ingress: { host: 'web.example.com' }, count: 2 });
const WEB_V2 = app('web', { image: 'nginx:1', port: 8080, ingress: { host: 'www.example.com' }, count: 2 });
const GRPC = app('api', { image: 'api:1', grpc: { port: 9090 } });

/** The tags of the job's services, by service name. */
function tagsOf(job: NomadJob): Map<string, { tags: string[]; provider: string }> {
  const out = new Map<string, { tags: string[]; provider: string }>();
  for (const g of job.TaskGroups) for (const t of g.Tasks ?? []) for (const s of t.Services ?? []) out.set(s.Name, { tags: s.Tags ?? [], provider: s.Provider ?? 'consul' });
  return out;
}

let n = 0;
/** One instance of each of the job's services, as Nomad registers it (Consul provider unless said). */
function instancesOf(job: NomadJob, over: Partial<ServiceItem> = {}): ServiceItem[] {
  n++;
  return [...tagsOf(job)].map(([name, { tags }]) => ({ id: `_nomad-task-${n}-${name}`, node: 'node-1', name, address: `10.0.0.${n}`, port: 20000 + n, tags, status: 'passing', ...over }));
}

/** What Traefik's API would answer with these instances in Consul (and Nomad). */
function traefik(consul: ServiceItem[], nomad: Record<string, ServiceItem[]> = {}): TraefikRawData {
  const providers = new Map([['consulcatalog', buildProviderConfig(consul, { kind: 'consulcatalog', prefix: 'traefik', exposedByDefault: false })]]);
  for (const [name, items] of Object.entries(nomad)) providers.set(name, buildProviderConfig(items, { kind: 'nomad', prefix: 'traefik', exposedByDefault: false }));
  return JSON.parse(goJson(rawDataJson(buildRuntime(providers, { entryPoints: DEFAULT_ENTRYPOINTS, apiEntryPoint: 'traefik' })))) as TraefikRawData;
}

const asInstances = (items: ServiceItem[]): RouteInstance[] => items.map((i) => ({ service: i.name, tags: i.tags, status: i.status }));

function check(job: NomadJob, raw: TraefikRawData, instances?: ServiceItem[]): RouteVerifyResult {
  return verifyRoutes(expectedRoutersFromJob(job, OPTS), viewFromRawData(raw), { ...OPTS, ...(instances ? { instances: asInstances(instances) } : {}) });
}

const routerOf = (job: NomadJob, protocol: 'http' | 'tcp' = 'http') => expectedRoutersFromJob(job, OPTS).find((r) => r.protocol === protocol)!.name;

test('expected routers come from the rendered tags: the ingress router and its service, the gRPC TCP router and its default service', (t) => {
  const web = expectedRoutersFromJob(WEB, OPTS);
  t.is(web.length, 1);
  t.like(web[0], { protocol: 'http', rule: 'Host(`web.example.com`)', entryPoints: ['web'], catalogService: 'web', provider: 'consul', namespace: 'default' });
  const tags = tagsOf(WEB).get('web')!.tags;
  t.true(tags.some((tag) => tag.startsWith(`traefik.http.routers.${web[0]!.name}.rule=`)), 'the name is the one in the tags');
  t.true(tags.includes(`traefik.http.routers.${web[0]!.name}.service=${web[0]!.service}`));
  const grpc = expectedRoutersFromJob(GRPC, OPTS);
  t.is(grpc.length, 1);
  t.like(grpc[0], { protocol: 'tcp', rule: 'HostSNI(`*`)', entryPoints: ['grpc'], catalogService: 'api-grpc' });
  const explicit = tagsOf(GRPC).get('api-grpc')!.tags.find((tag) => new RegExp(`^traefik\\.tcp\\.routers\\.${grpc[0]!.name}\\.service=`).test(tag));
  t.is(grpc[0]!.service, explicit ? explicit.split('=')[1] : 'api-grpc', 'its own service, or Traefik\'s default named after the Consul service');
  t.deepEqual(expectedRoutersFromJob(app('quiet', { image: 'x:1', port: 80 }), OPTS), [], 'traefik.enable=false: nothing expected');
});

test('all routers enabled with servers UP: verified, no drift, one line per router', (t) => {
  const items = [...instancesOf(WEB), ...instancesOf(WEB)];
  const r = check(WEB, traefik(items), items);
  t.deepEqual(r.problems, []);
  t.false(r.drift);
  t.deepEqual(r.routers, [{ router: `${routerOf(WEB)}@consulcatalog`, protocol: 'http', state: 'enabled', service: `${expectedRoutersFromJob(WEB, OPTS)[0]!.service}@consulcatalog`, serversUp: 2, servers: 2 }]);
  const g = check(GRPC, traefik(instancesOf(GRPC)));
  t.deepEqual(g.problems, []);
  t.like(g.routers[0], { protocol: 'tcp', state: 'enabled', serversUp: 1 });
});

test('router missing from Traefik (nothing registered yet, or Traefik not reading that catalog): drift', (t) => {
  const r = check(WEB, traefik([]));
  t.true(r.drift);
  t.deepEqual(r.problems, [`router ${routerOf(WEB)}@consulcatalog: missing from Traefik`]);
  t.like(r.routers[0], { state: 'missing', serversUp: 0 });
});

test('two allocations define one router name with different values: Traefik drops it, and the check says why', (t) => {
  const name = routerOf(WEB);
  const v1 = instancesOf(WEB);
  // the second allocation carries the same router name with another rule (a rolling update with a name that did not change)
  const v2 = instancesOf(WEB).map((i) => ({ ...i, tags: i.tags.map((tag) => tag.startsWith(`traefik.http.routers.${name}.rule=`) ? `traefik.http.routers.${name}.rule=Host(\`www.example.com\`)` : tag) }));
  const items = [...v1, ...v2];
  const raw = traefik(items);
  t.falsy(raw.routers?.[`${name}@consulcatalog`], 'the simulated Traefik dropped it, as merge.go does');
  const r = check(WEB, raw, items);
  t.true(r.drift);
  t.is(r.problems.length, 1);
  t.is(r.problems[0], `router ${name}@consulcatalog: missing from Traefik (its instances define it with different values — rule: Host(\`web.example.com\`) | Host(\`www.example.com\`): Traefik drops a router defined multiple times with different configurations)`);
});

test('instances that merely declare other routers (old and new names during a rollout) are no conflict', (t) => {
  const v1 = instancesOf(WEB).map((i) => ({ ...i, tags: i.tags.map((tag) => tag.replace(/routers\.[^.]+\./, 'routers.old-name.')) }));
  const v2 = instancesOf(WEB_V2);
  const items = [...v1, ...v2];
  const r = check(WEB_V2, traefik(items), items);
  t.deepEqual(r.problems, [], 'the new router exists; the old one is not this job\'s business');
});

test('a missing router declared by one instance only is not explained as a conflict (the others declare other routers)', (t) => {
  const name = routerOf(WEB);
  const mine = instancesOf(WEB);
  const other = instancesOf(WEB).map((i) => ({ ...i, tags: i.tags.map((tag) => tag.replace(/routers\.[^.]+\./, 'routers.other-name.')) }));
  const r = verifyRoutes(expectedRoutersFromJob(WEB, OPTS), viewFromRawData({}), { ...OPTS, instances: asInstances([...mine, ...other]) });
  t.deepEqual(r.problems, [`router ${name}@consulcatalog: missing from Traefik`]);
});

test('the router exists with another rule than the tags (Traefik still serves the old definition): drift', (t) => {
  const name = routerOf(WEB);
  const stale = instancesOf(WEB_V2).map((i) => ({ ...i, tags: i.tags.map((tag) => tag.replace(/routers\.[^.]+\./, `routers.${name}.`)) }));
  const r = check(WEB, traefik(stale));
  t.true(r.drift);
  t.deepEqual(r.problems.filter((p) => p.includes('rule')), [`router ${name}@consulcatalog: rule is Host(\`www.example.com\`), the tags say Host(\`web.example.com\`)`]);
});

test('router disabled or in warning: Traefik\'s own error text; only disabled is drift', (t) => {
  const unknownEp = app('web', { image: 'nginx:1', port: 8080, ingress: { host: 'web.example.com', entrypoints: ['web', 'edge'] } });
  const warn = check(unknownEp, traefik(instancesOf(unknownEp)));
  t.false(warn.drift);
  t.deepEqual(warn.problems, [`router ${routerOf(unknownEp)}@consulcatalog: warning: entryPoint "edge" doesn't exist`]);
  const noEp = app('web', { image: 'nginx:1', port: 8080, ingress: { host: 'web.example.com', entrypoints: ['edge'] } });
  const off = check(noEp, traefik(instancesOf(noEp)));
  t.true(off.drift);
  t.deepEqual(off.problems, [`router ${routerOf(noEp)}@consulcatalog: disabled: entryPoint "edge" doesn't exist; no valid entryPoint for this router`]);
  t.like(off.routers[0], { state: 'disabled' });
});

test('a service with no server UP is a problem, not drift', (t) => {
  const raw = traefik(instancesOf(WEB));
  const svc = `${expectedRoutersFromJob(WEB, OPTS)[0]!.service}@consulcatalog`;
  for (const k of Object.keys(raw.services![svc]!.serverStatus!)) raw.services![svc]!.serverStatus![k] = 'DOWN'; // a Traefik health check marked it down
  const r = check(WEB, raw);
  t.false(r.drift);
  t.deepEqual(r.problems, [`service ${svc}: no server up (0 of 1)`]);
  t.like(r.routers[0], { state: 'enabled', serversUp: 0, servers: 1 });
});

test('provider nomad: found as @nomad, or as @nomad-<namespace> when Traefik runs a provider per namespace; missing names both', (t) => {
  const job = app('web', { image: 'nginx:1', port: 8080, ingress: { host: 'web.example.com' }, service: { provider: 'nomad' } }, 'team-a');
  const items = instancesOf(job, { status: undefined });
  const exp = expectedRoutersFromJob(job, OPTS);
  t.like(exp[0], { provider: 'nomad', namespace: 'team-a' });
  const flat = verifyRoutes(exp, viewFromRawData(traefik([], { nomad: items })), OPTS);
  t.deepEqual(flat.problems, []);
  t.is(flat.routers[0]!.router, `${exp[0]!.name}@nomad`);
  const perNs = verifyRoutes(exp, viewFromRawData(traefik([], { 'nomad-team-a': items, 'nomad-default': [] })), OPTS);
  t.is(perNs.routers[0]!.router, `${exp[0]!.name}@nomad-team-a`);
  const none = verifyRoutes(exp, viewFromRawData(traefik(items)), OPTS);
  t.deepEqual(none.problems, [`router ${exp[0]!.name}@{nomad-team-a|nomad}: missing from Traefik`], 'in Consul\'s provider it does not count');
});

test('tags Traefik reads: default router without any router tag, exposedByDefault, router linked to its single service, or refused among several', (t) => {
  t.like(expectedRoutersOfService({ name: 'my_app', tags: ['traefik.enable=true'], provider: 'consul' }, 'default', OPTS), [{ protocol: 'http', name: 'my-app', service: 'my-app', rule: 'Host(`my-app`)' }]);
  t.deepEqual(expectedRoutersOfService({ name: 'x', tags: [], provider: 'consul' }, 'default', OPTS), []);
  t.is(expectedRoutersOfService({ name: 'x', tags: [], provider: 'consul' }, 'default', { ...OPTS, exposedByDefault: true }).length, 1);
  t.like(expectedRoutersOfService({ name: 'x', tags: ['traefik.enable=true', 'traefik.http.routers.R.rule=Host(`r`)', 'traefik.http.services.S.loadbalancer.server.port=80'], provider: 'consul' }, 'default', OPTS),
    [{ name: 'R', service: 'S' }]);
  const two = expectedRoutersOfService({ name: 'x', tags: ['traefik.enable=true', 'traefik.http.routers.r.rule=Host(`r`)', 'traefik.http.services.a.loadbalancer.server.port=1', 'traefik.http.services.b.loadbalancer.server.port=2'], provider: 'consul' }, 'default', OPTS);
  t.regex(two[0]!.invalid ?? '', /multiple services/);
  const r = verifyRoutes(two, viewFromRawData({}), OPTS);
  t.true(r.drift);
  t.regex(r.problems[0]!, /^router r: cannot be linked automatically with multiple services \(a, b\)/);
  const spaced = ['traefik.enable = true', 'traefik.http.routers.t.rule = Host(`t`)'];
  t.like(expectedRoutersOfService({ name: 'x', tags: spaced, provider: 'nomad' }, 'default', OPTS), [{ name: 't', rule: 'Host(`t`)' }], 'nomad trims keys and values');
  t.deepEqual(expectedRoutersOfService({ name: 'x', tags: spaced, provider: 'consul' }, 'default', OPTS), [], 'consulCatalog does not: `traefik.enable ` is another key');
});

test('weave proxy-mode services (registered by drover\'s node registrar) are expected like any Consul service', (t) => {
  const job = app('tenant', { image: 'x:1', port: 8080, ingress: { host: 'tenant.example.com' }, weave: { subnet: '10.32.7.0/24' } });
  t.falsy(job.TaskGroups[0]!.Tasks[0]!.Services, 'no Nomad services: the registrar registers them');
  const exp = expectedRoutersFromJob(job, OPTS);
  t.is(exp.length, 1);
  t.like(exp[0], { provider: 'consul', catalogService: 'tenant', rule: 'Host(`tenant.example.com`)' });
});

test('status and health: verified keeps the result, unreachable keeps the last one with the reason, drift or no server UP degrades', (t) => {
  const missing = check(WEB, traefik([]));
  const s = routeStatusVerified(missing, '2026-12-01T00:00:00.000Z');
  t.like(s, { state: 'verified', drift: true, checkedAt: '2026-12-01T00:00:00.000Z' });
  t.deepEqual(routeHealth(s), { degraded: true, reasons: [`traefik: router ${routerOf(WEB)}@consulcatalog: missing from Traefik`] });
  const down = routeStatusUnreachable(s, 'unavailable: traefik GET /api/rawdata: connection refused (ECONNREFUSED)');
  t.like(down, { state: 'unreachable', drift: true, error: 'unavailable: traefik GET /api/rawdata: connection refused (ECONNREFUSED)', checkedAt: '2026-12-01T00:00:00.000Z' });
  t.deepEqual(routeHealth(down), { degraded: false, reasons: [] });
  t.like(routeStatusUnreachable(undefined, 'x'), { state: 'unreachable', drift: false, problems: [] });
  const ok = routeStatusVerified(check(WEB, traefik(instancesOf(WEB))), 'now');
  t.deepEqual(routeHealth(ok), { degraded: false, reasons: [] });
  const raw = traefik(instancesOf(WEB));
  for (const svc of Object.values(raw.services!)) for (const k of Object.keys(svc.serverStatus ?? {})) svc.serverStatus![k] = 'DOWN';
  t.true(routeHealth(routeStatusVerified(check(WEB, raw), 'now')).degraded, 'no server UP: nothing is served');
});
