// Traefik API contract: each case registers services in a Consul, waits until Traefik's API shows
// the result, and asserts on what the API answers. Always runs against the simulated Traefik
// reading the simulated Consul; also against a real Traefik when DROVER_CONTRACT_TRAEFIK_ADDR is
// set, together with DROVER_CONTRACT_TRAEFIK_CONSUL_ADDR, the Consul that Traefik's consulCatalog
// provider reads (the test registers and removes its own uniquely named services there). The real
// Traefik must run like manifests/traefik.nomad.hcl: prefix `traefik`, exposedByDefault=false,
// entry points web (:80), websecure (:443), grpc (:7233), the API on `traefik` (api.insecure), and a
// short refreshInterval (or watch) so cases do not wait 15 s each. Plain fetch: what is asserted is
// the wire behaviour drover's client and route check rely on.
import test, { type ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import { renderJob } from '../../src/core/render/index.js';
import { expectedRoutersFromJob, verifyRoutes, viewFromRawData, type TraefikRawData } from '../../src/core/route-verify.js';
import { createConsulSim } from '@drover/sim/consul';
import { createTraefikSim } from '@drover/sim/traefik';
import type { LoadedApp } from '../../src/spec/types.js';
import { TEST_DEFAULTS } from '../core/render.helpers.js';

interface Target {
  traefik: string;
  consul: string;
  label: string;
}

const WAIT_MS = 30_000;

class Env {
  private readonly registered: string[] = [];
  constructor(readonly target: Target, private readonly t: ExecutionContext) {
    t.teardown(() => Promise.all(this.registered.map((id) => fetch(`${target.consul}/v1/agent/service/deregister/${id}`, { method: 'PUT' }))).then(() => undefined));
  }

  async register(name: string, tags: string[], o: { address?: string; port?: number; check?: 'critical' | 'passing' } = {}): Promise<{ id: string; address: string; port: number }> {
    const id = `${name}-${randomUUID().slice(0, 8)}`;
    const address = o.address ?? `10.99.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
    const port = o.port ?? 20000 + Math.floor(Math.random() * 20000);
    const body: Record<string, unknown> = { ID: id, Name: name, Tags: tags, Address: address, Port: port };
    if (o.check) body.Check = { CheckID: `check-${id}`, TTL: '10m', Status: o.check };
    const res = await fetch(`${this.target.consul}/v1/agent/service/register`, { method: 'PUT', body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`register ${name}: ${res.status} ${await res.text()}`);
    this.registered.push(id);
    return { id, address, port };
  }

  async get(path: string): Promise<{ status: number; text: string; json: any; headers: Headers }> {
    const res = await fetch(`${this.target.traefik}${path}`);
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json, headers: res.headers };
  }

  /** Polls `path` until `ok` holds (Traefik reads Consul on its own schedule). */
  async until(path: string, ok: (r: Awaited<ReturnType<Env['get']>>) => boolean, what: string): Promise<Awaited<ReturnType<Env['get']>>> {
    const end = Date.now() + WAIT_MS;
    for (;;) {
      const r = await this.get(path);
      if (ok(r)) return r;
      if (Date.now() > end) throw new Error(`[${this.target.label}] timed out waiting for ${what}: last ${r.status} ${r.text.slice(0, 300)}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }
}

const uniq = (p: string) => `${p}-${randomUUID().slice(0, 6)}`;
const http = (r: string, rule: string, extra: string[] = []) => [
  'traefik.enable=true', `traefik.http.routers.${r}.rule=${rule}`, `traefik.http.routers.${r}.entrypoints=web`,
  `traefik.http.routers.${r}.service=${r}`, `traefik.http.services.${r}.loadbalancer.server.scheme=http`, ...extra,
];

type Case = (t: ExecutionContext, e: Env) => Promise<void>;

const cases: Record<string, Case> = {
  'two instances with identical tags: one router, one service with both servers UP, Traefik\'s representation': async (t, e) => {
    const r = uniq('same');
    const rule = `Host(\`${r}.example.com\`)`;
    const a = await e.register(r, http(r, rule));
    const b = await e.register(r, http(r, rule));
    const router = (await e.until(`/api/http/routers/${r}@consulcatalog`, (x) => x.status === 200, 'the router')).json;
    t.deepEqual(router, {
      entryPoints: ['web'], service: r, rule, priority: rule.length,
      observability: { accessLogs: true, metrics: true, tracing: true, traceVerbosity: 'minimal' },
      status: 'enabled', using: ['web'], name: `${r}@consulcatalog`, provider: 'consulcatalog', priorityStr: String(rule.length),
    });
    const svc = (await e.until(`/api/http/services/${r}@consulcatalog`, (x) => x.json?.loadBalancer?.servers?.length === 2, 'two servers')).json;
    t.deepEqual(svc.loadBalancer.servers.map((s: any) => s.url).sort(), [`http://${a.address}:${a.port}`, `http://${b.address}:${b.port}`].sort());
    t.like(svc, { status: 'enabled', usedBy: [`${r}@consulcatalog`], name: `${r}@consulcatalog`, provider: 'consulcatalog', type: 'loadbalancer' });
    t.like(svc.loadBalancer, { strategy: 'wrr', passHostHeader: true, responseForwarding: { flushInterval: '100ms' } });
    t.deepEqual(svc.serverStatus, { [`http://${a.address}:${a.port}`]: 'UP', [`http://${b.address}:${b.port}`]: 'UP' });
  },

  'one router name with different rules on two instances: the router is dropped (404), the equal service stays without usedBy or serverStatus': async (t, e) => {
    const r = uniq('clash');
    await e.register(r, http(r, `Host(\`${r}-a.example.com\`)`));
    await e.until(`/api/http/routers/${r}@consulcatalog`, (x) => x.status === 200, 'the first definition');
    await e.register(r, http(r, `Host(\`${r}-b.example.com\`)`));
    const gone = await e.until(`/api/http/routers/${r}@consulcatalog`, (x) => x.status === 404, 'the router dropped');
    t.is(gone.text, `{"message":"router not found: ${r}@consulcatalog"}\n`);
    t.is(gone.headers.get('content-type'), 'text/plain; charset=utf-8');
    const svc = (await e.until(`/api/http/services/${r}@consulcatalog`, (x) => x.json?.loadBalancer?.servers?.length === 2, 'the merged service')).json;
    t.false('usedBy' in svc);
    t.false('serverStatus' in svc);
    const raw = (await e.get('/api/rawdata')).json as TraefikRawData;
    t.false(`${r}@consulcatalog` in (raw.routers ?? {}));
  },

  'TCP HostSNI(`*`) without a service: the default service named after the Consul service, priority -1': async (t, e) => {
    const name = uniq('grpc');
    const r = `${name}-router`;
    const g = await e.register(name, ['traefik.enable=true', `traefik.tcp.routers.${r}.rule=HostSNI(\`*\`)`, `traefik.tcp.routers.${r}.entrypoints=grpc`]);
    const router = (await e.until(`/api/tcp/routers/${r}@consulcatalog`, (x) => x.status === 200, 'the TCP router')).json;
    t.deepEqual(router, {
      entryPoints: ['grpc'], service: name, rule: 'HostSNI(`*`)', priority: -1, status: 'enabled', using: ['grpc'],
      name: `${r}@consulcatalog`, provider: 'consulcatalog', priorityStr: '-1',
    });
    const svc = (await e.until(`/api/tcp/services/${name}@consulcatalog`, (x) => x.status === 200, 'the TCP service')).json;
    t.deepEqual(svc, {
      loadBalancer: { servers: [{ address: `${g.address}:${g.port}` }] }, status: 'enabled', usedBy: [`${r}@consulcatalog`],
      name: `${name}@consulcatalog`, provider: 'consulcatalog', type: 'loadbalancer', serverStatus: { [`${g.address}:${g.port}`]: 'UP' },
    });
  },

  'errors as Traefik reports them: unknown entry point (warning), none valid, missing service, HostSNI without TLS (disabled)': async (t, e) => {
    const [w, d, m, s] = ['warn', 'noep', 'nosvc', 'sni'].map(uniq) as [string, string, string, string];
    await e.register(w, ['traefik.enable=true', `traefik.http.routers.${w}.rule=Host(\`${w}\`)`, `traefik.http.routers.${w}.entrypoints=web,nope`]);
    await e.register(d, ['traefik.enable=true', `traefik.http.routers.${d}.rule=Host(\`${d}\`)`, `traefik.http.routers.${d}.entrypoints=nope`]);
    await e.register(m, ['traefik.enable=true', `traefik.http.routers.${m}.rule=Host(\`${m}\`)`, `traefik.http.routers.${m}.entrypoints=web`, `traefik.http.routers.${m}.service=elsewhere`]);
    await e.register(s, ['traefik.enable=true', `traefik.tcp.routers.${s}.rule=HostSNI(\`${s}.example.com\`)`, `traefik.tcp.routers.${s}.entrypoints=grpc`]);
    t.like((await e.until(`/api/http/routers/${w}@consulcatalog`, (x) => x.status === 200, 'warn')).json,
      { status: 'warning', error: ['entryPoint "nope" doesn\'t exist'], using: ['web'] });
    const noEp = (await e.until(`/api/http/routers/${d}@consulcatalog`, (x) => x.status === 200, 'noep')).json;
    t.like(noEp, { status: 'disabled', error: ['entryPoint "nope" doesn\'t exist', 'no valid entryPoint for this router'], priorityStr: '0' });
    t.false('using' in noEp);
    t.like((await e.until(`/api/http/routers/${m}@consulcatalog`, (x) => x.status === 200, 'nosvc')).json,
      { status: 'disabled', error: ['the service "elsewhere@consulcatalog" does not exist'] });
    t.like((await e.until(`/api/tcp/routers/${s}@consulcatalog`, (x) => x.status === 200, 'sni')).json,
      { status: 'disabled', error: [`invalid rule: "HostSNI(\`${s}.example.com\`)" , has HostSNI matcher, but no TLS on router`] });
  },

  'health: a critical instance is no server; traefik.enable=false or no enable tag is not routed (exposedByDefault=false)': async (t, e) => {
    const r = uniq('health');
    const up = await e.register(r, http(r, `Host(\`${r}\`)`), { check: 'passing' });
    await e.register(r, http(r, `Host(\`${r}\`)`), { check: 'critical' });
    const off = uniq('off');
    await e.register(off, ['traefik.enable=false', `traefik.http.routers.${off}.rule=Host(\`${off}\`)`]);
    const plain = uniq('plain');
    await e.register(plain, [`traefik.http.routers.${plain}.rule=Host(\`${plain}\`)`]);
    const svc = (await e.until(`/api/http/services/${r}@consulcatalog`, (x) => x.status === 200, 'the service')).json;
    t.deepEqual(svc.loadBalancer.servers, [{ url: `http://${up.address}:${up.port}` }]);
    t.is((await e.get(`/api/http/routers/${off}@consulcatalog`)).status, 404);
    t.is((await e.get(`/api/http/routers/${plain}@consulcatalog`)).status, 404);
  },

  'drover\'s rendered tags: the route check finds every router enabled with its servers UP': async (t, e) => {
    const name = uniq('app');
    const job = renderJob({
      key: `default/${name}`, name, namespace: 'default', source: { file: 'apps/x.yaml', line: 1, col: 1 },
      manifest: { apiVersion: 'drover.io/v1alpha1', kind: 'App', metadata: { name }, spec: { image: 'x:1', port: 8080, ingress: { host: `${name}.example.com` }, grpc: { port: 9090 } } },
    } as LoadedApp, TEST_DEFAULTS);
    for (const s of job.TaskGroups[0]!.Tasks[0]!.Services ?? []) await e.register(s.Name, s.Tags ?? []);
    const expected = expectedRoutersFromJob(job, { prefix: 'traefik' });
    t.is(expected.length, 2);
    for (const x of expected) await e.until(`/api/${x.protocol}/routers/${x.name}@consulcatalog`, (r) => r.status === 200, `router ${x.name}`);
    const view = viewFromRawData((await e.get('/api/rawdata')).json as TraefikRawData);
    const r = verifyRoutes(expected, view, { prefix: 'traefik' });
    t.deepEqual(r.problems, []);
    t.deepEqual(r.routers.map((x) => [x.protocol, x.state, x.serversUp]), [['http', 'enabled', 1], ['tcp', 'enabled', 1]]);
  },

  'representation details: TLS options, qualified middlewares, a disabled router\'s service still built, TCP passthrough false, merge by value': async (t, e) => {
    const [tls, mw, tcp, order, scheme, two] = ['tls', 'mw', 'tcptls', 'order', 'scheme', 'twosvc'].map(uniq) as [string, string, string, string, string, string];
    await e.register(tls, ['traefik.enable=true', `traefik.http.routers.${tls}.rule=Host(\`${tls}\`)`, `traefik.http.routers.${tls}.entrypoints=websecure`, `traefik.http.routers.${tls}.tls=true`, `traefik.http.routers.${tls}.tls.certresolver=le`]);
    const m = await e.register(mw, ['traefik.enable=true', `traefik.http.routers.${mw}.rule=Host(\`${mw}\`)`, `traefik.http.routers.${mw}.middlewares=nope`]);
    await e.register(tcp, ['traefik.enable=true', `traefik.tcp.routers.${tcp}.rule=HostSNI(\`${tcp}.example.com\`)`, `traefik.tcp.routers.${tcp}.entrypoints=grpc`, `traefik.tcp.routers.${tcp}.tls=true`]);
    for (const eps of ['web,websecure', 'websecure,web']) await e.register(order, ['traefik.enable=true', `traefik.http.routers.${order}.rule=Host(\`${order}\`)`, `traefik.http.routers.${order}.entrypoints=${eps}`]);
    for (const sch of ['h2c', 'http']) await e.register(scheme, ['traefik.enable=true', `traefik.http.routers.${scheme}.rule=Host(\`${scheme}\`)`, `traefik.http.services.${scheme}.loadbalancer.server.scheme=${sch}`]);
    await e.register(two, ['traefik.enable=true', `traefik.tcp.routers.${two}.rule=HostSNI(\`*\`)`, `traefik.tcp.routers.${two}.entrypoints=grpc`, `traefik.tcp.services.${two}-a.loadbalancer.server.port=1`, `traefik.tcp.services.${two}-b.loadbalancer.server.port=2`]);
    const tlsRouter = (await e.until(`/api/http/routers/${tls}@consulcatalog`, (x) => x.status === 200, 'tls')).json;
    t.deepEqual(tlsRouter.tls, { options: 'default', certResolver: 'le' }, 'the item representation names the default TLS options');
    const mwRouter = (await e.until(`/api/http/routers/${mw}@consulcatalog`, (x) => x.status === 200, 'mw')).json;
    t.like(mwRouter, { middlewares: ['nope@consulcatalog'], status: 'disabled', error: ['middleware "nope@consulcatalog" does not exist'] });
    t.deepEqual((await e.get(`/api/http/services/${mw}@consulcatalog`)).json.serverStatus, { [`http://${m.address}:${m.port}`]: 'UP' }, 'the service was built before the middleware chain failed');
    t.like((await e.until(`/api/tcp/routers/${tcp}@consulcatalog`, (x) => x.status === 200, 'tcp tls')).json, { tls: { passthrough: false }, status: 'enabled' });
    await e.until(`/api/http/services/${scheme}@consulcatalog`, (x) => x.json?.loadBalancer?.servers?.length === 2, 'scheme merge');
    const schemes = (await e.get(`/api/http/services/${scheme}@consulcatalog`)).json.loadBalancer.servers.map((x: any) => x.url.split(':')[0]).sort();
    t.deepEqual(schemes, ['h2c', 'http'], 'the scheme goes into each server URL: services with different schemes still merge');
    await e.until(`/api/http/services/${order}@consulcatalog`, (x) => x.json?.loadBalancer?.servers?.length === 2, 'order instances read');
    t.is((await e.get(`/api/http/routers/${order}@consulcatalog`)).status, 404, 'entry points in another order are another value: dropped');
    t.is((await e.get(`/api/tcp/routers/${two}@consulcatalog`)).status, 404, 'a router without service among two services is dropped');
    const api = (await e.get('/api/http/routers/api@internal')).text;
    t.regex(api, /"ruleSyntax":"default","priority":9223372036854775806,/);
    t.regex(api, /"priorityStr":"9223372036854775806"/);
  },

  'API plumbing: entry points, paging past the end is a 400 with Traefik\'s message, X-Next-Page': async (t, e) => {
    const eps = (await e.get('/api/entrypoints')).json as any[];
    for (const ep of [['grpc', ':7233'], ['web', ':80'], ['websecure', ':443']]) t.true(eps.some((x) => x.name === ep[0] && x.address === ep[1]), `entry point ${ep[0]}`);
    const { address: _a, name: _n, ...web } = eps.find((x) => x.name === 'web');
    t.deepEqual(web, {
      transport: { lifeCycle: { graceTimeOut: '10s' }, respondingTimeouts: { readTimeout: '1m0s', idleTimeout: '3m0s' } }, forwardedHeaders: {},
      http: { sanitizePath: true, maxHeaderBytes: 1048576, underscoreHeadersStrategy: 'keep' },
      http2: { maxConcurrentStreams: 250, maxDecoderHeaderTableSize: 4096, maxEncoderHeaderTableSize: 4096 }, udp: { timeout: '3s' },
    }, 'an entry point with its defaults');
    const list = await e.get('/api/http/routers?per_page=1');
    t.is(list.json.length, 1);
    t.is(list.headers.get('x-next-page'), '2');
    const past = await e.get('/api/http/routers?per_page=1&page=100000');
    t.is(past.status, 400);
    t.is(past.text, '{"message":"invalid request: page: 100000, per_page: 1"}\n');
    t.like((await e.get('/api/overview')).json, { providers: ['ConsulCatalog'], certificates: { total: 0, warnings: 0, errors: 0 }, features: { tracing: '', metrics: '', accessLog: false } });
  },
};

// ---- targets ---------------------------------------------------------------------------------------

const consulSim = createConsulSim();
const simConsulUrl = await consulSim.listen();
const traefikSim = createTraefikSim({ consul: { addr: simConsulUrl }, refreshIntervalMs: 50 });
const simTraefikUrl = await traefikSim.listen();

const realTraefik = process.env.DROVER_CONTRACT_TRAEFIK_ADDR?.replace(/\/+$/, '');
const realConsul = process.env.DROVER_CONTRACT_TRAEFIK_CONSUL_ADDR?.replace(/\/+$/, '');
// (every await before the first test declaration: ava wants them declared synchronously)
const version = realTraefik
  ? await fetch(`${realTraefik}/api/version`).then((r) => r.json() as Promise<{ Version?: string }>).then((v) => v.Version ?? '?', () => '?')
  : '';

test.after.always(async () => {
  await traefikSim.close();
  await consulSim.close();
});

for (const [title, body] of Object.entries(cases)) {
  test(`sim: ${title}`, (t) => body(t, new Env({ traefik: simTraefikUrl, consul: simConsulUrl, label: 'sim' }, t)));
}

if (realTraefik && realConsul) {
  for (const [title, body] of Object.entries(cases)) {
    test(`real traefik ${version}: ${title}`, (t) => body(t, new Env({ traefik: realTraefik, consul: realConsul, label: `traefik ${version}` }, t)));
  }
} else if (realTraefik || realConsul) {
  test('real Traefik contract needs both DROVER_CONTRACT_TRAEFIK_ADDR and DROVER_CONTRACT_TRAEFIK_CONSUL_ADDR', (t) => t.fail());
} else {
  for (const title of Object.keys(cases)) test.skip(`real: ${title} (skipped: DROVER_CONTRACT_TRAEFIK_ADDR not set)`, () => undefined);
}
