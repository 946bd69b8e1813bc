// Simulator-only behaviour of the Vault sim: seeded secrets and mounts, putSecret, versions, list,
// check-and-set and fault injection in Vault's JSON error form.
import test from 'ava';
import { createVaultSim, type VaultSimOptions } from '../src/vault/index.js';

async function start(t: { teardown(f: () => Promise<void>): void }, opts?: VaultSimOptions) {
  const sim = createVaultSim(opts);
  const url = await sim.listen(0);
  t.teardown(() => sim.close());
  const call = async (method: string, path: string, body?: unknown, token: string | null = 'root') => {
    const res = await fetch(url + path, { method, headers: token ? { 'X-Vault-Token': token } : {}, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };
  return { sim, call };
}

test('seeded secrets land in their mount: plain keys in secret/, kv/ and kv/data/ prefixes in kv/', async (t) => {
  const { call } = await start(t, { secrets: { web: { a: '1' }, 'kv/otel': { b: '2' }, 'kv/data/x/y': { c: '3' } } });
  t.deepEqual((await call('GET', '/v1/secret/data/web')).json.data.data, { a: '1' });
  t.deepEqual((await call('GET', '/v1/kv/data/otel')).json.data.data, { b: '2' });
  t.deepEqual((await call('GET', '/v1/kv/data/x/y')).json.data.data, { c: '3' });
  t.is((await call('GET', '/v1/kv/metadata/otel')).status, 200);
  t.is((await call('GET', '/v1/secret/metadata/otel')).status, 404);
  t.is((await call('GET', '/v1/nomount/data/otel')).status, 404);
});

test('only the configured tokens are accepted; the default is root', async (t) => {
  const { call } = await start(t, { secrets: { web: { a: '1' } } });
  t.is((await call('GET', '/v1/secret/metadata/web')).status, 200);
  t.is((await call('GET', '/v1/secret/metadata/web', undefined, 'other')).status, 403);
  const { call: call2 } = await start(t, { tokens: ['t1', 't2'], secrets: { web: { a: '1' } } });
  t.is((await call2('GET', '/v1/secret/metadata/web', undefined, 't2')).status, 200);
  t.is((await call2('GET', '/v1/secret/metadata/web')).status, 403);
});

test('versions, ?version=, putSecret, list and check-and-set', async (t) => {
  const { sim, call } = await start(t);
  t.is(sim.putSecret('app/db', { pw: 'a' }), 1);
  t.is(sim.putSecret('secret/app/db', { pw: 'b' }), 2);
  sim.putSecret('app/cache', { pw: 'c' });
  t.deepEqual((await call('GET', '/v1/secret/data/app/db?version=1')).json.data.data, { pw: 'a' });
  t.is((await call('GET', '/v1/secret/data/app/db?version=9')).status, 404);
  t.deepEqual((await call('GET', '/v1/secret/metadata/app?list=true')).json.data.keys, ['cache', 'db']);
  t.deepEqual((await call('GET', '/v1/secret/metadata/?list=true')).json.data.keys, ['app/'], 'LIST is GET ?list=true (node http refuses the LIST verb)');
  const stale = await call('POST', '/v1/secret/data/app/db', { data: { pw: 'x' }, options: { cas: 1 } });
  t.is(stale.status, 400);
  t.is((await call('POST', '/v1/secret/data/app/db', { data: { pw: 'x' }, options: { cas: 2 } })).json.data.version, 3);
  t.is((await call('POST', '/v1/secret/data/app/db', { nodata: true })).status, 400);
});

test('injected failures use Vault\'s JSON error form', async (t) => {
  const { sim, call } = await start(t);
  sim.server.setFaults({ failNext: 1, failStatus: 503, failBody: 'Vault is sealed' });
  const r = await call('GET', '/v1/sys/health');
  t.is(r.status, 503);
  t.deepEqual(r.json, { errors: ['Vault is sealed'] });
});
