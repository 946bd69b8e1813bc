// Consul HTTP contract: each case runs against the Consul simulator and against a real agent
// (test/helpers/consul-agent.ts). The real agent is the judge; where they differed the sim was fixed.
// Plain fetch only, so what is asserted is the wire behaviour drover's client relies on.
import test, { type ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import { createConsulSim } from '@drover/sim/consul';
import { startRealConsul } from '../helpers/consul-agent.js';
import { RawHttp } from '../helpers/raw-http.js';

class Http extends RawHttp {
  async session(body: object = {}): Promise<string> {
    const r = await this.put('/v1/session/create', body);
    if (r.status !== 200) throw new Error(`session create: ${r.status} ${r.text}`);
    return r.json.ID as string;
  }
  async index(path: string): Promise<number> {
    return Number((await this.get(path)).headers.get('x-consul-index'));
  }
}

interface Target {
  http: Http;
  version: string;
}

type Case = (t: ExecutionContext, c: Target) => Promise<void>;

const uniq = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;
const b64 = (s: string) => Buffer.from(s).toString('base64');
const elapsed = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const t0 = Date.now();
  const v = await f();
  return [v, Date.now() - t0];
};

const cases: Record<string, Case> = {
  'register: service shows in agent services, catalog and health with tags, meta, address, port': async (t, { http }) => {
    const name = uniq('web');
    const id = `${name}-1`;
    t.is((await http.put('/v1/agent/service/register', { ID: id, Name: name, Tags: ['a', 'b'], Address: '10.0.0.5', Port: 8080, Meta: { team: 'x' } })).status, 200);
    const agent = (await http.get('/v1/agent/services')).json;
    t.like(agent[id], { ID: id, Service: name, Tags: ['a', 'b'], Address: '10.0.0.5', Port: 8080, Meta: { team: 'x' } });
    const cat = await http.get(`/v1/catalog/service/${name}`);
    t.is(cat.json.length, 1);
    t.like(cat.json[0], { ServiceID: id, ServiceName: name, ServiceTags: ['a', 'b'], ServiceAddress: '10.0.0.5', ServicePort: 8080, ServiceMeta: { team: 'x' } });
    t.is(typeof cat.json[0].Node, 'string');
    t.true(Number(cat.headers.get('x-consul-index')) > 0);
    t.is(cat.headers.get('x-consul-knownleader'), 'true');
    const health = (await http.get(`/v1/health/service/${name}`)).json;
    t.like(health[0].Service, { ID: id, Service: name, Tags: ['a', 'b'], Port: 8080 });
    t.true(health[0].Checks.some((c: any) => c.CheckID === 'serfHealth' && c.Status === 'passing'));
    t.true(name in (await http.get('/v1/catalog/services')).json);
    // Consul builds this tag list from a Go map (agent/consul/state/catalog.go), so its order is not defined.
    t.deepEqual([...(await http.get(`/v1/catalog/services`)).json[name]].sort(), ['a', 'b']);
  },

  'register: service Meta keys may hold only letters, digits, _ and - (a dotted key is a 400)': async (t, { http }) => {
    const name = uniq('meta');
    const bad = await http.put('/v1/agent/service/register', { ID: name, Name: name, Port: 1, Meta: { 'drover.managed': 'true' } });
    t.is(bad.status, 400);
    t.is(bad.text.trim(), "Invalid Service Meta: Couldn't load metadata pair ('drover.managed', 'true'): Key contains invalid characters");
    t.false(name in (await http.get('/v1/agent/services')).json, 'nothing was registered');
    t.is((await http.put('/v1/agent/service/register', { ID: name, Name: name, Port: 1, Meta: { 'drover-managed': 'true', drover_owner: 'x' } })).status, 200);
  },

  'checks: TTL check starts critical, ?passing hides it, check/pass makes it passing; default CheckID and Name': async (t, { http }) => {
    const name = uniq('api');
    await http.put('/v1/agent/service/register', { ID: name, Name: name, Port: 1, Check: { TTL: '30s' } });
    const h1 = (await http.get(`/v1/health/service/${name}`)).json;
    const chk = h1[0].Checks.find((c: any) => c.ServiceID === name);
    t.like(chk, { CheckID: `service:${name}`, Name: `Service '${name}' check`, Status: 'critical', Type: 'ttl' });
    t.deepEqual((await http.get(`/v1/health/service/${name}?passing`)).json, []);
    t.is((await http.put(`/v1/agent/check/pass/service:${name}`)).status, 200);
    const h2 = (await http.get(`/v1/health/service/${name}?passing`)).json;
    t.is(h2.length, 1);
    t.is((await http.put(`/v1/agent/check/warn/service:${name}?note=slow`)).status, 200);
    t.deepEqual((await http.get(`/v1/health/service/${name}?passing`)).json, [], '?passing drops warning too');
    t.like((await http.get('/v1/agent/checks')).json[`service:${name}`], { Status: 'warning', Output: 'slow' });
    t.is((await http.put(`/v1/agent/check/update/service:${name}`, { Status: 'bogus' })).status, 400);
    t.is((await http.put(`/v1/agent/check/update/service:${name}`, { Status: 'passing', Output: 'ok' })).status, 200);
    t.is((await http.put('/v1/agent/check/fail/no-such-check')).status, 500);
    await http.put('/v1/agent/service/register', { ID: `${name}-2`, Name: name, Port: 2, Checks: [{ CheckID: 'x-' + name, TTL: '30s', Status: 'passing' }, { TTL: '30s' }] });
    const checks = (await http.get('/v1/agent/checks')).json;
    t.is(checks[`x-${name}`].Status, 'passing');
    t.is(checks[`service:${name}-2:2`].Status, 'critical');
  },

  'register with replace-existing-checks drops checks not in the new definition': async (t, { http }) => {
    const name = uniq('rc');
    await http.put('/v1/agent/service/register', { ID: name, Name: name, Checks: [{ CheckID: `${name}-a`, TTL: '30s' }] });
    await http.put('/v1/agent/service/register', { ID: name, Name: name, Checks: [{ CheckID: `${name}-b`, TTL: '30s' }] });
    let checks = (await http.get('/v1/agent/checks')).json;
    t.truthy(checks[`${name}-a`]);
    t.truthy(checks[`${name}-b`]);
    await http.put('/v1/agent/service/register?replace-existing-checks=true', { ID: name, Name: name, Checks: [{ CheckID: `${name}-c`, TTL: '30s' }] });
    checks = (await http.get('/v1/agent/checks')).json;
    t.falsy(checks[`${name}-a`]);
    t.falsy(checks[`${name}-b`]);
    t.truthy(checks[`${name}-c`]);
  },

  'deregister: gone from agent, catalog and health; unknown ID is 200 on 1.8 (404 on newer agents)': async (t, { http, version }) => {
    const name = uniq('gone');
    await http.put('/v1/agent/service/register', { ID: name, Name: name, Port: 1, Check: { TTL: '30s' } });
    t.is((await http.put(`/v1/agent/service/deregister/${name}`)).status, 200);
    t.false(name in (await http.get('/v1/agent/services')).json);
    t.deepEqual((await http.get(`/v1/catalog/service/${name}`)).json, []);
    t.deepEqual((await http.get(`/v1/health/service/${name}`)).json, []);
    t.false(`service:${name}` in (await http.get('/v1/agent/checks')).json);
    const unknown = await http.put(`/v1/agent/service/deregister/${uniq('never')}`);
    t.is(unknown.status, version.startsWith('1.8.') ? 200 : 404);
  },

  'errors are plain text: missing service name, missing key name, bad cas, unknown session': async (t, { http }) => {
    const r1 = await http.put('/v1/agent/service/register', { ID: 'x' });
    t.is(r1.status, 400);
    t.is(r1.text, 'Missing service name');
    const r2 = await http.put('/v1/kv/');
    t.is(r2.status, 400);
    t.is(r2.text, 'Missing key name');
    const r3 = await http.put(`/v1/kv/${uniq('k')}?cas=abc`, 'x');
    t.is(r3.status, 500);
    t.regex(r3.text, /invalid syntax/);
    const sid = randomUUID();
    const r4 = await http.put(`/v1/kv/${uniq('k')}?acquire=${sid}`, 'x');
    t.is(r4.status, 500);
    t.is(r4.text, `invalid session "${sid}"`);
    const r5 = await http.put(`/v1/kv/${uniq('k')}?acquire=short`, 'x');
    t.is(r5.status, 500);
    t.regex(r5.text, /UUID must be 36 characters/);
  },

  'kv: put/get base64 with flags, raw, recurse, keys, 404 with X-Consul-Index, empty value is null': async (t, { http }) => {
    const dir = uniq('kv');
    t.is((await http.put(`/v1/kv/${dir}/a?flags=42`, 'hello')).text.trim(), 'true');
    await http.put(`/v1/kv/${dir}/b/c`, 'x');
    await http.put(`/v1/kv/${dir}/empty`);
    const a = await http.get(`/v1/kv/${dir}/a`);
    t.like(a.json[0], { Key: `${dir}/a`, Value: b64('hello'), Flags: 42, LockIndex: 0 });
    t.false('Session' in a.json[0]);
    t.is(a.json[0].CreateIndex, a.json[0].ModifyIndex);
    t.is((await http.get(`/v1/kv/${dir}/a?raw`)).text, 'hello');
    t.is((await http.get(`/v1/kv/${dir}/empty`)).json[0].Value, null);
    t.deepEqual((await http.get(`/v1/kv/${dir}/?recurse`)).json.map((e: any) => e.Key), [`${dir}/a`, `${dir}/b/c`, `${dir}/empty`]);
    t.deepEqual((await http.get(`/v1/kv/${dir}/?keys&separator=/`)).json, [`${dir}/a`, `${dir}/b/`, `${dir}/empty`]);
    const missing = await http.get(`/v1/kv/${dir}/nope`);
    t.is(missing.status, 404);
    t.is(missing.text, '');
    t.true(Number(missing.headers.get('x-consul-index')) > 0);
    t.is((await http.del(`/v1/kv/${dir}/a`)).text.trim(), 'true');
    t.is((await http.get(`/v1/kv/${dir}/a`)).status, 404);
    t.is((await http.del(`/v1/kv/${dir}?recurse`)).text.trim(), 'true');
    t.is((await http.get(`/v1/kv/${dir}/?recurse`)).status, 404);
  },

  'kv cas: 0 creates only when absent, the ModifyIndex wins once, a stale index is a literal false': async (t, { http }) => {
    const key = uniq('cas');
    t.is((await http.put(`/v1/kv/${key}?cas=0`, 'one')).text.trim(), 'true');
    const r = await http.put(`/v1/kv/${key}?cas=0`, 'two');
    t.is(r.status, 200);
    t.is(r.text.trim(), 'false');
    const idx = (await http.get(`/v1/kv/${key}`)).json[0].ModifyIndex as number;
    t.is((await http.put(`/v1/kv/${key}?cas=${idx}`, 'three')).text.trim(), 'true');
    t.is((await http.put(`/v1/kv/${key}?cas=${idx}`, 'four')).text.trim(), 'false');
    t.is((await http.get(`/v1/kv/${key}?raw`)).text, 'three');
    t.is((await http.del(`/v1/kv/${key}?cas=${idx}`)).text.trim(), 'false');
  },

  'locks: acquire sets Session and LockIndex; a second session cannot acquire or release; release clears Session': async (t, { http }) => {
    const key = uniq('lock');
    const s1 = await http.session({ Name: 'one', TTL: '30s' });
    const s2 = await http.session({ Name: 'two', TTL: '30s' });
    t.is((await http.put(`/v1/kv/${key}?acquire=${s1}`, 'me')).text.trim(), 'true');
    t.like((await http.get(`/v1/kv/${key}`)).json[0], { Session: s1, LockIndex: 1, Value: b64('me') });
    t.is((await http.put(`/v1/kv/${key}?acquire=${s1}`, 'again')).text.trim(), 'true');
    t.like((await http.get(`/v1/kv/${key}`)).json[0], { Session: s1, LockIndex: 1, Value: b64('again') });
    t.is((await http.put(`/v1/kv/${key}?acquire=${s2}`, 'you')).text.trim(), 'false');
    t.is((await http.put(`/v1/kv/${key}?release=${s2}`)).text.trim(), 'false');
    t.is((await http.put(`/v1/kv/${key}?release=${s1}`)).text.trim(), 'true');
    const released = (await http.get(`/v1/kv/${key}`)).json[0];
    t.false('Session' in released);
    t.is(released.Value, null, 'release with an empty body writes an empty value');
    t.is((await http.put(`/v1/kv/${key}?acquire=${s2}`, 'you')).text.trim(), 'true', 'release starts no lock-delay');
    t.like((await http.get(`/v1/kv/${key}`)).json[0], { Session: s2, LockIndex: 2 });
    t.is((await http.put(`/v1/kv/${key}?acquire=${s1}&cas=0`)).status, 400);
  },

  'session destroy releases the lock and lock-delay blocks another session until it ends': async (t, { http }) => {
    const key = uniq('delay');
    const s1 = await http.session({ Name: 'holder', TTL: '30s', LockDelay: '1s' });
    const s2 = await http.session({ Name: 'waiter', TTL: '30s', LockDelay: '0s' });
    await http.put(`/v1/kv/${key}?acquire=${s1}`, 'x');
    const before = (await http.get(`/v1/kv/${key}`)).json[0];
    const destroyedAt = Date.now(); // the delay starts when the server handles the destroy, so never earlier than this
    t.is((await http.put(`/v1/session/destroy/${s1}`)).text.trim(), 'true');
    const after = (await http.get(`/v1/kv/${key}`)).json[0];
    t.false('Session' in after);
    t.true(after.ModifyIndex > before.ModifyIndex);
    t.is(after.Value, b64('x'), 'behavior release keeps the value');
    t.is((await http.put(`/v1/kv/${key}?acquire=${s2}`, 'y')).text.trim(), 'false', 'lock-delay refuses an immediate acquire');
    let ok = false;
    while (!ok && Date.now() - destroyedAt < 5000) {
      await new Promise((r) => setTimeout(r, 100));
      ok = (await http.put(`/v1/kv/${key}?acquire=${s2}`, 'y')).text.trim() === 'true';
    }
    t.true(ok);
    t.true(Date.now() - destroyedAt >= 990, 'not before the 1s delay');
  },

  'session Behavior delete: destroying it deletes the locked key': async (t, { http }) => {
    const key = uniq('eph');
    const s = await http.session({ Behavior: 'delete', TTL: '30s', LockDelay: '0s' });
    await http.put(`/v1/kv/${key}?acquire=${s}`, 'x');
    await http.put(`/v1/session/destroy/${s}`);
    t.is((await http.get(`/v1/kv/${key}`)).status, 404);
  },

  'sessions: info/list shapes, defaults, TTL bounds, renew of a destroyed session is 404': async (t, { http }) => {
    const s = await http.session({ Name: 'info', TTL: '15s' });
    const info = await http.get(`/v1/session/info/${s}`);
    t.like(info.json[0], { ID: s, Name: 'info', LockDelay: 15_000_000_000, Behavior: 'release', TTL: '15s' });
    t.true(Number(info.headers.get('x-consul-index')) > 0);
    t.true((await http.get('/v1/session/list')).json.some((x: any) => x.ID === s));
    const renewed = await http.put(`/v1/session/renew/${s}`);
    t.is(renewed.status, 200);
    t.is(renewed.json[0].TTL, '15s');
    const short = await http.put('/v1/session/create', { TTL: '5s' });
    t.is(short.status, 500);
    t.regex(short.text, /^Invalid Session TTL '5000000000', must be between \[10s=24h0m0s\]$/);
    t.is((await http.put('/v1/session/create', { Behavior: 'nope' })).text, "Invalid Behavior setting 'nope'");
    t.is((await http.put('/v1/session/create', { LockDelay: '1' })).status, 400);
    await http.put(`/v1/session/destroy/${s}`);
    const gone = await http.put(`/v1/session/renew/${s}`);
    t.is(gone.status, 404);
    t.is(gone.text, `Session id '${s}' not found`);
    t.deepEqual((await http.get(`/v1/session/info/${s}`)).json, []);
  },

  'session TTL expiry releases the lock (the agent waits up to 2×TTL) and starts lock-delay': async (t, { http }) => {
    const key = uniq('ttl');
    const s = await http.session({ Name: 'expiring', TTL: '10s', LockDelay: '1s' });
    const other = await http.session({ Name: 'next', TTL: '60s' });
    const start = Date.now();
    await http.put(`/v1/kv/${key}?acquire=${s}`, 'x');
    let idx = await http.index(`/v1/kv/${key}`);
    let holder: string | undefined = s;
    while (holder && Date.now() - start < 30_000) {
      const r = await http.get(`/v1/kv/${key}?index=${idx}&wait=25s`);
      idx = Number(r.headers.get('x-consul-index'));
      holder = r.json[0].Session;
    }
    const took = Date.now() - start;
    t.is(holder, undefined);
    t.true(took >= 10_000, `released after ${took}ms, not before the TTL`);
    t.true(took < 25_000, `released after ${took}ms, within 2×TTL`);
    t.is((await http.put(`/v1/session/renew/${s}`)).status, 404);
    t.is((await http.put(`/v1/kv/${key}?acquire=${other}`, 'y')).text.trim(), 'false', 'lock-delay after expiry');
  },

  'blocking query on a key: returns when it changes, not for another key, and on wait timeout with X-Consul-Index': async (t, { http }) => {
    const key = uniq('blk');
    await http.put(`/v1/kv/${key}`, 'v1');
    const idx = await http.index(`/v1/kv/${key}`);
    const [timedOut, waited] = await elapsed(() => http.get(`/v1/kv/${key}?index=${idx}&wait=1s`));
    t.true(waited >= 900, `waited ${waited}ms`);
    t.is(Number(timedOut.headers.get('x-consul-index')), idx);
    const pending = elapsed(() => http.get(`/v1/kv/${key}?index=${idx}&wait=10s`));
    await new Promise((r) => setTimeout(r, 300));
    await http.put(`/v1/kv/${uniq('other')}`, 'noise');
    await new Promise((r) => setTimeout(r, 300));
    await http.put(`/v1/kv/${key}`, 'v2');
    const [changed, took] = await pending;
    t.true(took >= 550 && took < 5000, `woke after ${took}ms`);
    t.true(Number(changed.headers.get('x-consul-index')) > idx);
    t.is(changed.json[0].Value, b64('v2'));
    const [stale, fast] = await elapsed(() => http.get(`/v1/kv/${key}?index=1&wait=5s`));
    t.is(stale.status, 200);
    t.true(fast < 1000, 'an index below the current one answers at once');
  },

  'blocking recurse query on a prefix wakes on a new key and on a delete under it, not outside it': async (t, { http }) => {
    const dir = uniq('tree');
    await http.put(`/v1/kv/${dir}/a`, '1');
    const idx = await http.index(`/v1/kv/${dir}/?recurse`);
    const pending = elapsed(() => http.get(`/v1/kv/${dir}/?recurse&index=${idx}&wait=10s`));
    await new Promise((r) => setTimeout(r, 200));
    await http.put(`/v1/kv/${uniq('elsewhere')}`, 'x');
    await new Promise((r) => setTimeout(r, 200));
    await http.put(`/v1/kv/${dir}/b`, '2');
    const [grown, took] = await pending;
    t.true(took >= 350 && took < 5000, `woke after ${took}ms`);
    t.deepEqual(grown.json.map((e: any) => e.Key), [`${dir}/a`, `${dir}/b`]);
    const idx2 = Number(grown.headers.get('x-consul-index'));
    const pendingDel = http.get(`/v1/kv/${dir}/?recurse&index=${idx2}&wait=10s`);
    await new Promise((r) => setTimeout(r, 200));
    await http.del(`/v1/kv/${dir}/a`);
    const shrunk = await pendingDel;
    t.deepEqual(shrunk.json.map((e: any) => e.Key), [`${dir}/b`]);
    t.true(Number(shrunk.headers.get('x-consul-index')) > idx2);
  },

  'catalog/services index moves when any service registers': async (t, { http }) => {
    const idx = await http.index('/v1/catalog/services');
    const pending = http.get(`/v1/catalog/services?index=${idx}&wait=10s`);
    await new Promise((r) => setTimeout(r, 200));
    const name = uniq('newsvc');
    await http.put('/v1/agent/service/register', { ID: name, Name: name, Tags: ['z'] });
    const r = await pending;
    t.true(Number(r.headers.get('x-consul-index')) > idx);
    t.deepEqual((await http.get('/v1/catalog/services')).json[name], ['z']);
  },

  'blocking health query on one service is not woken by another service': async (t, { http }) => {
    const a = uniq('blka');
    await http.put('/v1/agent/service/register', { ID: a, Name: a, Port: 1 });
    const idx = await http.index(`/v1/health/service/${a}`);
    const pending = elapsed(() => http.get(`/v1/health/service/${a}?index=${idx}&wait=1500ms`));
    await new Promise((r) => setTimeout(r, 200));
    await http.put('/v1/agent/service/register', { ID: uniq('blkb'), Name: uniq('blkb'), Port: 2 });
    const [r, took] = await pending;
    t.true(took >= 1400, `waited ${took}ms`);
    t.is(Number(r.headers.get('x-consul-index')), idx);
    const pending2 = elapsed(() => http.get(`/v1/health/service/${a}?index=${idx}&wait=10s`));
    await new Promise((r2) => setTimeout(r2, 200));
    await http.put('/v1/agent/service/register', { ID: `${a}-2`, Name: a, Port: 3 });
    const [r2, took2] = await pending2;
    t.true(took2 < 5000);
    t.is(r2.json.length, 2);
  },

  'status/leader is a non-empty address and agent/self names the node': async (t, { http }) => {
    const leader = (await http.get('/v1/status/leader')).json;
    t.regex(leader, /^[\d.]+:\d+$/);
    const self = (await http.get('/v1/agent/self')).json;
    t.is(typeof self.Config.NodeName, 'string');
    t.is(typeof self.Config.Datacenter, 'string');
  },
};

// Everything asynchronous happens before the first test is declared (ava requires declarations in one go).
const sim = createConsulSim();
const simUrl = await sim.listen(0);
const real = await startRealConsul();

test.after.always(() => sim.close());
for (const [title, body] of Object.entries(cases)) {
  test(`sim: ${title}`, (t) => body(t, { http: new Http(simUrl), version: '1.8.7' }));
}

if ('unavailable' in real) {
  if (process.env.DROVER_REQUIRE_REAL_CONSUL === '1') {
    test('real Consul agent is required (DROVER_REQUIRE_REAL_CONSUL=1) but unavailable', (t) => t.fail(real.unavailable));
  } else {
    console.log(`[contract] real Consul tests skipped: ${real.unavailable}`);
    for (const title of Object.keys(cases)) test.skip(`real: ${title} (skipped: ${real.unavailable})`, () => undefined);
  }
} else {
  test.after.always(() => real.close());
  for (const [title, body] of Object.entries(cases)) {
    test(`real ${real.version}: ${title}`, (t) => body(t, { http: new Http(real.url), version: real.version }));
  }
}
