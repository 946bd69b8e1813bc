// Simulator-only behaviour of the Consul sim (what a real agent cannot be made to do on demand): the
// ServiceSink from the Nomad sim, check status control, ACL token, short session TTLs, forced expiry,
// the agent-services filter subset, fault injection and shutdown. Wire facts shared with a real
// agent are in test/contract/consul.test.ts.
import test from 'ava';
import { createConsulSim, type ConsulSimOptions } from '../src/consul/index.js';
import type { SimServiceInstance } from '../src/service-sink.js';

async function start(t: { teardown(f: () => Promise<void>): void }, opts?: ConsulSimOptions) {
  const sim = createConsulSim(opts);
  const url = await sim.listen(0);
  t.teardown(() => sim.close());
  const call = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const res = await fetch(url + path, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json, headers: res.headers };
  };
  return { sim, url, call };
}

const instance = (over: Partial<SimServiceInstance> = {}): SimServiceInstance => ({
  id: '_nomad-task-aaaa-web-web-http',
  name: 'web',
  tags: ['traefik.enable=true'],
  address: '10.32.1.7',
  port: 23456,
  meta: { 'external-source': 'nomad' },
  checks: [{ type: 'http', interval: '10s', timeout: '2s', http: 'http://10.32.1.7:23456/health' }],
  node: 'sim-node-1',
  nodeAddress: '192.168.50.11',
  ...over,
});

test('sink: a Nomad instance appears in catalog and health on its node, not in agent services, and goes away', async (t) => {
  const { sim, call } = await start(t);
  sim.register(instance());
  const cat = (await call('GET', '/v1/catalog/service/web')).json;
  t.is(cat.length, 1);
  t.like(cat[0], { Node: 'sim-node-1', Address: '192.168.50.11', ServiceID: '_nomad-task-aaaa-web-web-http', ServiceAddress: '10.32.1.7', ServicePort: 23456, ServiceTags: ['traefik.enable=true'], ServiceMeta: { 'external-source': 'nomad' } });
  const health = (await call('GET', '/v1/health/service/web?passing')).json;
  t.is(health.length, 1);
  const chk = health[0].Checks.find((c: any) => c.ServiceID === '_nomad-task-aaaa-web-web-http');
  t.regex(chk.CheckID, /^_nomad-check-[0-9a-f]+$/);
  t.like(chk, { Name: 'service: "web" check', Status: 'passing', Type: 'http', Definition: { HTTP: 'http://10.32.1.7:23456/health', Interval: '10s' } });
  t.deepEqual((await call('GET', '/v1/agent/services')).json, {});
  sim.deregister('_nomad-task-aaaa-web-web-http');
  t.deepEqual((await call('GET', '/v1/catalog/service/web')).json, []);
  t.false('web' in (await call('GET', '/v1/catalog/services')).json);
});

test('sink: a blocked health query wakes when Nomad registers an instance', async (t) => {
  const { sim, call } = await start(t);
  const first = await call('GET', '/v1/health/service/web');
  t.deepEqual(first.json, []);
  const idx = first.headers.get('x-consul-index');
  const pending = call('GET', `/v1/health/service/web?index=${idx}&wait=10s`);
  setTimeout(() => sim.register(instance()), 100);
  const t0 = Date.now();
  const woke = await pending;
  t.true(Date.now() - t0 < 5000);
  t.is(woke.json.length, 1);
  t.true(Number(woke.headers.get('x-consul-index')) > Number(idx));
});

test('control: /_sim/consul/check/:id/status makes a check critical and ?passing drops the instance', async (t) => {
  const { sim, call } = await start(t);
  sim.register(instance());
  sim.register(instance({ id: 'other', address: '10.32.1.8' }));
  const id = (await call('GET', '/v1/health/service/web')).json[0].Checks[1].CheckID;
  const r = await call('PUT', `/_sim/consul/check/${id}/status`, { Status: 'critical', Output: 'connection refused' });
  t.is(r.status, 200);
  const passing = (await call('GET', '/v1/health/service/web?passing')).json;
  t.is(passing.length, 1);
  t.is(passing[0].Service.ID, 'other');
  const all = (await call('GET', '/v1/health/service/web')).json;
  t.true(all.some((e: any) => e.Checks.some((c: any) => c.Status === 'critical' && c.Output === 'connection refused')));
  t.is((await call('PUT', `/_sim/consul/check/${id}/status?status=sick`)).status, 400);
  t.is((await call('PUT', '/_sim/consul/check/nope/status?status=passing')).status, 404);
  t.true(sim.setCheckStatus(id, 'passing'));
  t.is((await call('GET', '/v1/health/service/web?passing')).json.length, 2);
});

test('acl: with a token, requests without it are 403 "Permission denied", a wrong one "ACL not found"', async (t) => {
  const { call } = await start(t, { aclToken: 's3cret' });
  const none = await call('GET', '/v1/kv/x');
  t.is(none.status, 403);
  t.is(none.text, 'Permission denied');
  const wrong = await call('GET', '/v1/agent/services', undefined, { 'X-Consul-Token': 'nope' });
  t.is(wrong.status, 403);
  t.is(wrong.text, 'ACL not found');
  t.is((await call('PUT', '/v1/kv/x', 'v', { 'X-Consul-Token': 's3cret' })).text, 'true');
  t.is((await call('GET', '/v1/kv/x?raw&token=s3cret')).text, 'v');
  t.is((await call('GET', '/v1/kv/x?raw', undefined, { Authorization: 'Bearer s3cret' })).text, 'v');
  t.is((await call('GET', '/v1/status/leader')).status, 200, 'status needs no token');
});

test('option deregisterUnknown404 answers like agents newer than 1.8', async (t) => {
  const { call } = await start(t, { deregisterUnknown404: true });
  const r = await call('PUT', '/v1/agent/service/deregister/ghost');
  t.is(r.status, 404);
  t.is(r.text, 'Unknown service ID "ghost". Ensure that the service ID is passed, not the service name.');
  const { call: call18 } = await start(t);
  t.is((await call18('PUT', '/v1/agent/service/deregister/ghost')).status, 200);
});

test('sessions: minSessionTtlMs and sessionTtlMultiplier allow fast fail-over tests', async (t) => {
  const { call } = await start(t, { minSessionTtlMs: 100, sessionTtlMultiplier: 1 });
  const created = Date.now();
  const { ID: sid } = (await call('PUT', '/v1/session/create', { TTL: '1s', LockDelay: '0s' })).json;
  t.is((await call('PUT', `/v1/kv/leader?acquire=${sid}`, 'me')).text, 'true');
  await new Promise((r) => setTimeout(r, 600 - (Date.now() - created)));
  t.is((await call('PUT', `/v1/session/renew/${sid}`)).status, 200, 'renewed before the TTL ran out');
  await new Promise((r) => setTimeout(r, 1300 - (Date.now() - created)));
  t.is((await call('GET', '/v1/kv/leader')).json[0].Session, sid, 'still held after the first TTL thanks to the renew');
  const released = await poll(async () => !('Session' in (await call('GET', '/v1/kv/leader')).json[0]), 3000);
  t.true(released);
  t.true(Date.now() - created >= 1500, 'not before renew + TTL');
  t.is((await call('PUT', `/v1/session/renew/${sid}`)).status, 404);
  t.is((await call('PUT', '/v1/session/create', { TTL: '50ms' })).text, "Invalid Session TTL '50000000', must be between [100ms=24h0m0s]");
});

test('control: /_sim/consul/session/:id/expire invalidates at once, with lock-delay', async (t) => {
  const { sim, call } = await start(t);
  const a = (await call('PUT', '/v1/session/create', { TTL: '30s', LockDelay: '1s' })).json.ID;
  const b = (await call('PUT', '/v1/session/create', { TTL: '30s' })).json.ID;
  await call('PUT', `/v1/kv/lock?acquire=${a}`, 'a');
  const expired = Date.now();
  t.is((await call('PUT', `/_sim/consul/session/${a}/expire`)).status, 200);
  t.is((await call('PUT', `/_sim/consul/session/${a}/expire`)).status, 404);
  t.false('Session' in (await call('GET', '/v1/kv/lock')).json[0]);
  t.is((await call('PUT', `/v1/kv/lock?acquire=${b}`, 'b')).text, 'false');
  t.true(await poll(async () => (await call('PUT', `/v1/kv/lock?acquire=${b}`, 'b')).text === 'true', 3000));
  t.true(Date.now() - expired >= 990, 'not before the lock-delay ends');
  t.false(sim.expireSession('not-there'));
});

test('agent services ?filter: the supported subset matches, anything else is a 400', async (t) => {
  const { call } = await start(t);
  await call('PUT', '/v1/agent/service/register', { ID: 'a', Name: 'web', Tags: ['x'], Meta: { 'managed-by': 'drover' } });
  await call('PUT', '/v1/agent/service/register', { ID: 'b', Name: 'web', Tags: ['y'] });
  await call('PUT', '/v1/agent/service/register', { ID: 'c', Name: 'db', Meta: { 'managed-by': 'drover' } });
  const q = async (f: string) => Object.keys((await call('GET', `/v1/agent/services?filter=${encodeURIComponent(f)}`)).json ?? {}).sort();
  t.deepEqual(await q('Meta["managed-by"] == "drover"'), ['a', 'c']);
  t.deepEqual(await q('Meta.managed-by == "drover" and Service == "web"'), ['a']);
  t.deepEqual(await q('"y" in Tags'), ['b']);
  t.deepEqual(await q('Service != "web"'), ['c']);
  t.deepEqual(await q('Meta is empty'), ['b']);
  const bad = await call('GET', `/v1/agent/services?filter=${encodeURIComponent('Port > 3')}`);
  t.is(bad.status, 400);
  t.regex(bad.text, /unsupported filter clause/);
});

test('faults: fail-next answers plain text like Consul; the request is counted', async (t) => {
  const { sim, call } = await start(t);
  sim.server.setFaults({ failNext: 1, failStatus: 500, failBody: 'rpc error: No cluster leader' });
  const r = await call('GET', '/v1/kv/x');
  t.is(r.status, 500);
  t.is(r.text, 'rpc error: No cluster leader');
  t.is((await call('GET', '/v1/kv/x')).status, 404);
  t.is(sim.server.count((k) => k === 'GET /v1/kv/*key'), 2);
});

test('close() ends a blocked query instead of leaving it hanging', async (t) => {
  const sim = createConsulSim();
  const url = await sim.listen(0);
  await fetch(`${url}/v1/kv/k`, { method: 'PUT', body: 'v' });
  const idx = (await fetch(`${url}/v1/kv/k`)).headers.get('x-consul-index');
  const pending = fetch(`${url}/v1/kv/k?index=${idx}&wait=60s`).then(() => 'answered', () => 'dropped');
  await new Promise((r) => setTimeout(r, 100));
  const t0 = Date.now();
  await sim.close();
  t.regex(await pending, /answered|dropped/);
  t.true(Date.now() - t0 < 2000);
});

test('TTL checks fall back to critical when not updated in time', async (t) => {
  const { call } = await start(t);
  await call('PUT', '/v1/agent/service/register', { ID: 'w', Name: 'w', Check: { CheckID: 'w-ttl', TTL: '1s', Status: 'passing' } });
  t.is((await call('GET', '/v1/agent/checks')).json['w-ttl'].Status, 'passing');
  t.true(await poll(async () => (await call('GET', '/v1/agent/checks')).json['w-ttl'].Status === 'critical', 3000));
  t.is((await call('GET', '/v1/agent/checks')).json['w-ttl'].Output, 'TTL expired');
});

async function poll(f: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await f()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return f();
}
