// drover's Traefik client against the simulated Traefik over real HTTP: missing routers are null,
// lists are followed across Traefik's pages, a reply that is not Traefik's shape is a bad-response
// DroverError, and every request is observed for drover_upstream_requests_total.
import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TraefikClient } from '../../src/clients/traefik.js';
import { createConsulSim } from '@drover/sim/consul';
import { createTraefikSim } from '@drover/sim/traefik';

test('router/service by name, null when missing; listRouters follows X-Next-Page past 100 routers; ping', async (t) => {
  const consul = createConsulSim();
  const consulUrl = await consul.listen();
  const sim = createTraefikSim({ consul: { addr: consulUrl }, refreshIntervalMs: 0 });
  const url = await sim.listen();
  t.teardown(async () => {
    await sim.close();
    await consul.close();
  });
  for (let i = 0; i < 105; i++) {
    consul.register({
      id: `svc-${i}`, name: `svc-${i}`, tags: ['traefik.enable=true', `traefik.http.routers.r${i}.rule=Host(\`h${i}\`)`], address: '10.0.0.1', port: 1000 + i,
      meta: {}, checks: [], node: 'n1', nodeAddress: '127.0.0.1',
    });
  }
  await sim.refresh();
  const seen: string[] = [];
  const client = new TraefikClient({ addr: url, timeoutMs: 2000 }, { observe: (upstream, route, code) => seen.push(`${upstream} ${route} ${code}`) });
  t.like(await client.router('http', 'r7@consulcatalog'), { name: 'r7@consulcatalog', rule: 'Host(`h7`)', status: 'enabled', service: 'svc-7' });
  t.is(await client.router('http', 'nope@consulcatalog'), null);
  t.like(await client.service('http', 'svc-7@consulcatalog'), { serverStatus: { 'http://10.0.0.1:1007': 'UP' } });
  t.is(await client.service('tcp', 'svc-7@consulcatalog'), null);
  const all = await client.listRouters('http');
  t.is(all.filter((r) => r.provider === 'consulcatalog').length, 105, 'two pages of Traefik\'s 100');
  t.is((await client.listRouters('http', { search: 'r10' })).length, 6, 'r10, r100..r104');
  await client.ping();
  t.true(seen.includes('traefik /api/http/routers/:name 404'));
  t.is(seen.filter((s) => s === 'traefik /api/http/routers 200').length, 3);
});

test('a reply that is not Traefik\'s: bad-response naming the path; no answer: unavailable', async (t) => {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(req.url === '/api/rawdata' ? '[1,2]' : req.url?.startsWith('/api/http/routers/') ? '"x"' : '{"routers":"nope"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const client = new TraefikClient({ addr: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, timeoutMs: 2000 });
  await t.throwsAsync(client.rawData(), { code: 'bad-response', message: 'traefik GET /api/rawdata: 200 reply is not an object' } as never);
  await t.throwsAsync(client.router('http', 'a@b'), { code: 'bad-response', message: /routers\/a%40b: 200 reply is not an object/ } as never);
  const closed = new TraefikClient({ addr: 'http://127.0.0.1:1', timeoutMs: 500, retry: { attempts: 1 } });
  await t.throwsAsync(closed.view(), { code: 'unavailable' } as never);
});

test('TRAEFIK_API_ADDR: unset → no client (route check off); host:port → http://; not http(s) → a config problem naming it', async (t) => {
  const { parseConfig, ConfigError } = await import('../../src/config.js');
  const { createTraefikClient } = await import('../../src/clients/traefik.js');
  t.is(createTraefikClient(parseConfig({})), undefined);
  t.is(parseConfig({}).traefik, undefined);
  t.deepEqual(parseConfig({ TRAEFIK_API_ADDR: 'traefik.service.consul:8080' }).traefik, { addr: 'http://traefik.service.consul:8080' });
  t.truthy(createTraefikClient(parseConfig({ TRAEFIK_API_ADDR: 'http://127.0.0.1:8080/' })));
  const err = t.throws(() => parseConfig({ TRAEFIK_API_ADDR: 'ftp://traefik' }), { instanceOf: ConfigError });
  t.deepEqual(err!.problems, ['TRAEFIK_API_ADDR: "ftp://traefik" is not an http(s) address (a URL such as http://127.0.0.1:4646) or host:port']);
});
