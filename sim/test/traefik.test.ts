// The simulated Traefik over real HTTP, reading the simulated Consul and Nomad the way Traefik's
// providers do: router and service building from tags, the merge of several instances (identical
// definitions merge, differing ones are dropped), health-based server selection, runtime errors with
// Traefik's texts, the API's names, shapes, paging and 404s. Facts it was checked against a real
// Traefik for are in test/contract/traefik.test.ts.
import test, { type ExecutionContext } from 'ava';
import { createConsulSim, type ConsulSim } from '../src/consul/index.js';
import { createNomadSim } from '../src/nomad/index.js';
import type { SimServiceInstance } from '../src/service-sink.js';
import { createTraefikSim, type TraefikSimOptions } from '../src/traefik/index.js';

async function start(t: ExecutionContext, opts: Omit<TraefikSimOptions, 'consul'> = {}) {
  const consul = createConsulSim();
  const consulUrl = await consul.listen();
  const traefik = createTraefikSim({ consul: { addr: consulUrl }, refreshIntervalMs: 0, ...opts });
  const url = await traefik.listen();
  t.teardown(async () => {
    await traefik.close();
    await consul.close();
  });
  const get = async (path: string) => {
    const res = await fetch(url + path);
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json, headers: res.headers };
  };
  return { consul, traefik, url, get };
}

let seq = 0;
function instance(name: string, tags: string[], over: Partial<SimServiceInstance> = {}): SimServiceInstance {
  const n = ++seq;
  return {
    id: `_nomad-task-${String(n).padStart(8, '0')}-1111-2222-3333-444455556666-${name}-${name}-http`, name, tags,
    address: `10.0.0.${n}`, port: 20000 + n, meta: { 'external-source': 'nomad' },
    checks: [{ type: 'tcp', interval: '10s', timeout: '2s', tcp: `10.0.0.${n}:${20000 + n}` }],
    node: 'node-1', nodeAddress: '192.168.50.11', ...over,
  };
}

const HTTP = (router: string, rule: string, extra: string[] = []) => [
  'traefik.enable=true', `traefik.http.routers.${router}.rule=${rule}`, `traefik.http.routers.${router}.entrypoints=web`,
  `traefik.http.routers.${router}.service=${router}`, `traefik.http.services.${router}.loadbalancer.server.scheme=http`, ...extra,
];

async function checkIdOf(consul: ConsulSim, service: string, instanceId: string): Promise<string> {
  const rows = await (await fetch(`${consul.url}/v1/health/service/${service}`)).json() as any[];
  return rows.find((r) => r.Service.ID === instanceId).Checks.find((c: any) => c.ServiceID === instanceId).CheckID;
}

test('consulCatalog: two instances with identical tags merge into one router and one service with both servers UP', async (t) => {
  const { consul, traefik, get } = await start(t);
  const a = instance('web', HTTP('default-web', 'Host(`web.example.com`)'));
  const b = instance('web', HTTP('default-web', 'Host(`web.example.com`)'));
  consul.register(a);
  consul.register(b);
  await traefik.refresh();
  const r = await get('/api/http/routers/default-web@consulcatalog');
  t.is(r.status, 200);
  t.like(r.json, {
    entryPoints: ['web'], service: 'default-web', rule: 'Host(`web.example.com`)', priority: 'Host(`web.example.com`)'.length,
    status: 'enabled', using: ['web'], name: 'default-web@consulcatalog', provider: 'consulcatalog', priorityStr: String('Host(`web.example.com`)'.length),
  });
  t.false('error' in r.json);
  const s = await get('/api/http/services/default-web@consulcatalog');
  t.deepEqual(s.json.loadBalancer.servers, [{ url: `http://${a.address}:${a.port}` }, { url: `http://${b.address}:${b.port}` }]);
  t.like(s.json, { status: 'enabled', usedBy: ['default-web@consulcatalog'], type: 'loadbalancer', provider: 'consulcatalog' });
  t.deepEqual(s.json.serverStatus, { [`http://${a.address}:${a.port}`]: 'UP', [`http://${b.address}:${b.port}`]: 'UP' });
  t.like(s.json.loadBalancer, { strategy: 'wrr', passHostHeader: true, responseForwarding: { flushInterval: '100ms' } }, 'SetDefaults of a label-made load balancer');
});

test('consulCatalog: one router name with different values on two instances is dropped, with Traefik\'s error; its service stays, unused', async (t) => {
  const { consul, traefik, get } = await start(t);
  consul.register(instance('web', HTTP('default-web', 'Host(`old.example.com`)')));
  consul.register(instance('web', HTTP('default-web', 'Host(`new.example.com`)')));
  await traefik.refresh();
  t.is((await get('/api/http/routers/default-web@consulcatalog')).status, 404);
  const list = (await get('/api/http/routers')).json as any[];
  t.false(list.some((x) => x.name === 'default-web@consulcatalog'));
  t.deepEqual(traefik.conflicts().map((c) => [c.provider, c.kind, c.name, c.message]), [['consulcatalog', 'http.routers', 'default-web', 'HTTP router defined multiple times with different configurations']]);
  const s = await get('/api/http/services/default-web@consulcatalog');
  t.is(s.status, 200, 'the service definitions were equal: they merge');
  t.is(s.json.loadBalancer.servers.length, 2);
  t.false('usedBy' in s.json);
  t.false('serverStatus' in s.json, 'no router built it, so no server status');
  const missing = await get('/api/http/routers/default-web@consulcatalog');
  t.is(missing.text, '{"message":"router not found: default-web@consulcatalog"}\n');
  t.is(missing.headers.get('content-type'), 'text/plain; charset=utf-8');
});

test('consulCatalog: a service defined with different load-balancer settings is dropped and its router fails', async (t) => {
  const { consul, traefik, get } = await start(t);
  consul.register(instance('web', HTTP('r', 'Host(`a`)', ['traefik.http.services.r.loadbalancer.passhostheader=false'])));
  consul.register(instance('web', HTTP('r', 'Host(`a`)')));
  await traefik.refresh();
  t.is((await get('/api/http/services/r@consulcatalog')).status, 404);
  const r = (await get('/api/http/routers/r@consulcatalog')).json;
  t.like(r, { status: 'disabled', error: ['the service "r@consulcatalog" does not exist'] });
  t.deepEqual(traefik.conflicts().map((c) => c.message), ['HTTP service defined multiple times with different configurations']);
});

test('consulCatalog: critical instances are no servers (strictChecks passing, warning); all critical → no router at all', async (t) => {
  const { consul, traefik, get } = await start(t);
  const a = instance('web', HTTP('w', 'Host(`w`)'));
  const b = instance('web', HTTP('w', 'Host(`w`)'));
  consul.register(a);
  consul.register(b);
  consul.setCheckStatus(await checkIdOf(consul, 'web', a.id), 'critical');
  consul.setCheckStatus(await checkIdOf(consul, 'web', b.id), 'warning');
  await traefik.refresh();
  t.deepEqual(Object.keys((await get('/api/http/services/w@consulcatalog')).json.serverStatus), [`http://${b.address}:${b.port}`]);
  consul.setCheckStatus(await checkIdOf(consul, 'web', b.id), 'critical');
  await traefik.refresh();
  t.is((await get('/api/http/routers/w@consulcatalog')).status, 404);
  t.is((await get('/api/http/services/w@consulcatalog')).status, 404);
});

test('exposedByDefault false (default): only traefik.enable=true services; exposedByDefault true: the default router and rule', async (t) => {
  const off = await start(t);
  off.consul.register(instance('plain', []));
  off.consul.register(instance('disabled', ['traefik.enable=false', 'traefik.http.routers.x.rule=Host(`x`)']));
  await off.traefik.refresh();
  t.deepEqual(((await off.get('/api/http/routers')).json as any[]).filter((r) => r.provider === 'consulcatalog'), []);

  const on = await start(t, { exposedByDefault: true });
  on.consul.register(instance('my_app', []));
  on.consul.register(instance('disabled', ['traefik.enable=false']));
  await on.traefik.refresh();
  const routers = ((await on.get('/api/http/routers')).json as any[]).filter((r) => r.provider === 'consulcatalog');
  t.deepEqual(routers.map((r) => [r.name, r.rule, r.service, r.entryPoints]), [
    ['consul@consulcatalog', 'Host(`consul`)', 'consul', ['grpc', 'web', 'websecure']],
    ['my-app@consulcatalog', 'Host(`my-app`)', 'my-app', ['grpc', 'web', 'websecure']],
  ], 'named after the normalized service (Consul\'s own `consul` service too), the default rule, all entry points but traefik');
});

test('TCP: HostSNI(`*`) without a service uses the default service named after the catalog service, priority -1; HostSNI(`a`) without TLS is disabled', async (t) => {
  const { consul, traefik, get } = await start(t);
  const g = instance('api-grpc', ['traefik.enable=true', 'traefik.tcp.routers.default-api-grpc.rule=HostSNI(`*`)', 'traefik.tcp.routers.default-api-grpc.entrypoints=grpc']);
  consul.register(g);
  consul.register(instance('sni', ['traefik.enable=true', 'traefik.tcp.routers.sni.rule=HostSNI(`a.example.com`)', 'traefik.tcp.routers.sni.entrypoints=grpc']));
  await traefik.refresh();
  const r = (await get('/api/tcp/routers/default-api-grpc@consulcatalog')).json;
  t.like(r, { service: 'api-grpc', rule: 'HostSNI(`*`)', priority: -1, priorityStr: '-1', status: 'enabled', using: ['grpc'] });
  const s = (await get('/api/tcp/services/api-grpc@consulcatalog')).json;
  t.deepEqual(s.loadBalancer, { servers: [{ address: `${g.address}:${g.port}` }] });
  t.deepEqual(s.serverStatus, { [`${g.address}:${g.port}`]: 'UP' });
  t.deepEqual((await get('/api/http/routers')).json.filter((x: any) => x.provider === 'consulcatalog'), [], 'a TCP-only service gets no HTTP router');
  t.like((await get('/api/tcp/routers/sni@consulcatalog')).json, {
    status: 'disabled', error: ['invalid rule: "HostSNI(`a.example.com`)" , has HostSNI matcher, but no TLS on router'],
  });
});

test('entry points: an unknown one is a warning, none valid disables the router; overview counts them', async (t) => {
  const { consul, traefik, get } = await start(t);
  consul.register(instance('a', ['traefik.enable=true', 'traefik.http.routers.a.rule=Host(`a`)', 'traefik.http.routers.a.entrypoints=web,nope']));
  consul.register(instance('b', ['traefik.enable=true', 'traefik.http.routers.b.rule=Host(`b`)', 'traefik.http.routers.b.entrypoints=nope']));
  await traefik.refresh();
  t.like((await get('/api/http/routers/a@consulcatalog')).json, { status: 'warning', error: ['entryPoint "nope" doesn\'t exist'], using: ['web'] });
  const b = (await get('/api/http/routers/b@consulcatalog')).json;
  t.like(b, { status: 'disabled', error: ['entryPoint "nope" doesn\'t exist', 'no valid entryPoint for this router'], priorityStr: '0' });
  t.false('priority' in b, 'never built: priority stays 0 and is omitted');
  t.like((await get('/api/overview')).json.http.routers, { warnings: 1, errors: 1 });
});

test('a router naming a service that does not exist is disabled with Traefik\'s text; a middleware too', async (t) => {
  const { consul, traefik, get } = await start(t);
  consul.register(instance('a', ['traefik.enable=true', 'traefik.http.routers.a.rule=Host(`a`)', 'traefik.http.routers.a.service=elsewhere']));
  consul.register(instance('m', ['traefik.enable=true', 'traefik.http.routers.m.rule=Host(`m`)', 'traefik.http.routers.m.middlewares=auth']));
  await traefik.refresh();
  t.like((await get('/api/http/routers/a@consulcatalog')).json, { status: 'disabled', error: ['the service "elsewhere@consulcatalog" does not exist'] });
  t.like((await get('/api/http/routers/m@consulcatalog')).json, { status: 'disabled', error: ['middleware "auth@consulcatalog" does not exist'] });
});

test('a tag Traefik cannot decode skips that instance only; the other instances still route', async (t) => {
  const { consul, traefik, get } = await start(t);
  const good = instance('web', HTTP('w', 'Host(`w`)'));
  consul.register(good);
  consul.register(instance('web', [...HTTP('w', 'Host(`w`)'), 'traefik.http.routers.w.bogus=1']));
  consul.register(instance('web', [...HTTP('w', 'Host(`w`)'), 'traefik.http.routers.w.priority=high']));
  await traefik.refresh();
  t.deepEqual((await get('/api/http/services/w@consulcatalog')).json.loadBalancer.servers, [{ url: `http://${good.address}:${good.port}` }]);
  t.deepEqual(traefik.log().filter((l) => l.level === 'error').map((l) => l.message.replace(/^[^:]+: /, '')).sort(), [
    'field not found, node: bogus', 'strconv.ParseInt: parsing "high": invalid syntax',
  ]);
});

test('tags: keys match case-insensitively; tls=true, certresolver and a custom prefix', async (t) => {
  const { consul, traefik, get } = await start(t, { prefix: 'edge' });
  consul.register(instance('s', ['edge.enable=true', 'edge.http.routers.s.Rule=Host(`s`)', 'edge.http.routers.s.EntryPoints=websecure', 'edge.http.routers.s.tls=true', 'edge.http.routers.s.tls.certresolver=le', 'traefik.http.routers.ignored.rule=Host(`i`)']));
  await traefik.refresh();
  const r = (await get('/api/http/routers/s@consulcatalog')).json;
  t.like(r, { rule: 'Host(`s`)', entryPoints: ['websecure'], tls: { options: 'default', certResolver: 'le' }, service: 's', status: 'enabled' });
  t.is((await get('/api/http/routers/ignored@consulcatalog')).status, 404, 'another prefix is not read');
});

test('nomad provider: native services of the default namespace, names @nomad; per-namespace providers @nomad-<ns>', async (t) => {
  const nomad = createNomadSim({ allocDelayMs: 10, namespaces: ['default', 'team-a'] });
  const nomadUrl = await nomad.listen();
  const flat = createTraefikSim({ nomad: { addr: nomadUrl }, refreshIntervalMs: 0 });
  const perNs = createTraefikSim({ nomad: { addr: nomadUrl, namespaces: ['default', 'team-a'] }, refreshIntervalMs: 0 });
  const [flatUrl, perNsUrl] = await Promise.all([flat.listen(), perNs.listen()]);
  t.teardown(() => Promise.all([flat.close(), perNs.close(), nomad.close()]).then(() => undefined));
  // Plain HTTP, as any Nomad API client would send it (the simulator's tests use none of drover's code).
  const nomadApi = async (method: string, path: string, body?: unknown): Promise<any> => {
    const res = await fetch(nomadUrl + path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const job = (ns: string) => ({
    ID: 'web', Name: 'web', Namespace: ns, Type: 'service', Datacenters: ['dc1'],
    TaskGroups: [{
      Name: 'web', Count: 2, Networks: [{ DynamicPorts: [{ Label: 'http', To: 8080 }] }],
      Tasks: [{ Name: 'web', Driver: 'docker', Config: { image: 'nginx' }, Services: [{ Name: 'web', PortLabel: 'http', Provider: 'nomad', Tags: HTTP(`${ns}-web`, `Host(\`${ns}.example.com\`)`) }] }],
    }],
  });
  await nomadApi('PUT', '/v1/jobs?namespace=default', { Job: job('default') });
  await nomadApi('PUT', '/v1/jobs?namespace=team-a', { Job: job('team-a') });
  const until = Date.now() + 10_000;
  for (;;) {
    const regs = [...(await nomadApi('GET', '/v1/service/web?namespace=default')), ...(await nomadApi('GET', '/v1/service/web?namespace=team-a'))];
    if (regs.length === 4) break;
    if (Date.now() > until) return t.fail(`only ${regs.length} registrations`);
    await new Promise((r) => setTimeout(r, 25));
  }
  await Promise.all([flat.refresh(), perNs.refresh()]);
  const names = async (u: string) => ((await (await fetch(`${u}/api/http/routers`)).json()) as any[]).filter((r) => r.provider !== 'internal').map((r) => r.name);
  t.deepEqual(await names(flatUrl), ['default-web@nomad'], 'a provider without namespaces reads the default namespace only');
  t.deepEqual(await names(perNsUrl), ['default-web@nomad-default', 'team-a-web@nomad-team-a']);
  const svc = await (await fetch(`${flatUrl}/api/http/services/default-web@nomad`)).json() as any;
  t.is(svc.loadBalancer.servers.length, 2, 'both allocations are servers');
  t.deepEqual((await (await fetch(`${flatUrl}/api/overview`)).json() as any).providers, ['Nomad']);
});

test('API: paging with X-Next-Page, a page past the end is a 400, search and status filters, rawdata keyed by name', async (t) => {
  const { consul, traefik, get } = await start(t);
  for (const n of ['a', 'b', 'c']) consul.register(instance(n, HTTP(n, `Host(\`${n}\`)`)));
  await traefik.refresh();
  const p1 = await get('/api/http/routers?per_page=2');
  t.deepEqual(p1.json.map((r: any) => r.name), ['a@consulcatalog', 'api@internal']);
  t.is(p1.headers.get('x-next-page'), '2');
  const last = await get('/api/http/routers?per_page=2&page=3');
  t.is(last.headers.get('x-next-page'), '1');
  const past = await get('/api/http/routers?per_page=2&page=9');
  t.is(past.status, 400);
  t.is(past.text, '{"message":"invalid request: page: 9, per_page: 2"}\n');
  t.deepEqual((await get('/api/http/routers?search=b%40')).json.map((r: any) => r.name), ['b@consulcatalog']);
  t.deepEqual((await get('/api/http/routers?status=disabled')).json, []);
  const raw = (await get('/api/rawdata')).json;
  t.deepEqual(Object.keys(raw.routers).filter((k) => k.endsWith('@consulcatalog')), ['a@consulcatalog', 'b@consulcatalog', 'c@consulcatalog']);
  t.false('name' in raw.routers['a@consulcatalog'], 'rawdata entries are the runtime infos, without name/provider');
  t.truthy(raw.services['a@consulcatalog'].serverStatus);
  t.deepEqual((await get('/api/entrypoints')).json.map((e: any) => [e.name, e.address]), [['grpc', ':7233'], ['traefik', ':8080'], ['web', ':80'], ['websecure', ':443']]);
});

test('a provider that cannot be read keeps its last configuration (Traefik retries with backoff)', async (t) => {
  const { consul, traefik, get } = await start(t);
  consul.register(instance('web', HTTP('w', 'Host(`w`)')));
  await traefik.refresh();
  await consul.server.down();
  await traefik.refresh();
  t.regex(traefik.providerErrors().consulcatalog ?? '', /fetch failed|ECONNREFUSED/);
  t.is((await get('/api/http/routers/w@consulcatalog')).status, 200);
  await consul.server.up();
  await traefik.refresh();
  t.deepEqual(traefik.providerErrors(), {});
});
