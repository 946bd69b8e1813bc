// The Consul and Vault clients against the simulated Consul and Vault (src/sim/consul, src/sim/vault),
// plus the Consul retry rules (which writes are safe to repeat) on a fake with injected faults.
import test, { type ExecutionContext } from 'ava';
import { ConsulClient } from '../../src/clients/consul.js';
import { metadataPath, VaultClient } from '../../src/clients/vault.js';
import { DroverError } from '../../src/core/errors.js';
import { createConsulSim } from '@drover/sim/consul';
import { createVaultSim } from '@drover/sim/vault';
import { assertNoToken, collectingObserver, FAST_RETRY, rejection, startServer, TOKEN } from './helpers.js';

async function consulSim(t: ExecutionContext) {
  const sim = createConsulSim({ aclToken: TOKEN, minSessionTtlMs: 1000 });
  const url = await sim.listen(0);
  t.teardown(() => sim.close());
  const obs = collectingObserver();
  return { sim, url, obs, consul: new ConsulClient({ addr: url, token: TOKEN, timeoutMs: 3000, retry: FAST_RETRY }, obs) };
}

test('consul: register a service, see it in the agent, catalog and (once passing) health', async (t) => {
  const { sim, consul, obs } = await consulSim(t);
  await consul.registerService({
    ID: 'web-1', Name: 'web', Tags: ['traefik.enable=true'], Address: '10.32.1.5', Port: 8080,
    Check: { CheckID: 'web-1-ttl', TTL: '30s', DeregisterCriticalServiceAfter: '1m' },
  }, { replaceExistingChecks: true });
  const agent = await consul.agentServices();
  t.is(agent['web-1']?.Service, 'web');
  t.deepEqual(agent['web-1']?.Tags, ['traefik.enable=true']);
  const cat = await consul.catalogService('web');
  t.deepEqual(cat.value.map((e) => [e.ServiceID, e.ServiceAddress, e.ServicePort]), [['web-1', '10.32.1.5', 8080]]);
  t.true(cat.index > 0);
  t.deepEqual((await consul.healthService('web', { passing: true })).value, []);
  t.true(sim.setCheckStatus('web-1-ttl', 'passing'));
  const healthy = await consul.healthService('web', { passing: true });
  t.deepEqual(healthy.value.map((h) => h.Service.ID), ['web-1']);
  await consul.deregisterService('web-1');
  await consul.deregisterService('web-1'); // already gone is fine
  t.deepEqual((await consul.catalogService('web')).value, []);
  t.true(obs.seen.some((o) => o.upstream === 'consul' && o.route === '/v1/catalog/service/:name'));
});

test('consul: deregistering an unknown ID is success on agents that answer 404', async (t) => {
  const sim = createConsulSim({ deregisterUnknown404: true });
  const url = await sim.listen(0);
  t.teardown(() => sim.close());
  await t.notThrowsAsync(new ConsulClient({ addr: url, timeoutMs: 3000 }).deregisterService('never-was'));
});

test('consul: KV get/put with cas, and a blocking get that wakes on a change', async (t) => {
  const { consul } = await consulSim(t);
  t.is((await consul.kvGet('drover/x')).value, null);
  t.true(await consul.kvPut('drover/x', 'one'));
  const one = await consul.kvGet('drover/x');
  t.is(Buffer.from(one.value!.Value!, 'base64').toString(), 'one');
  t.false(await consul.kvPut('drover/x', 'two', { cas: one.value!.ModifyIndex + 100 }));
  t.true(await consul.kvPut('drover/x', 'two', { cas: one.value!.ModifyIndex }));
  const two = await consul.kvGet('drover/x');
  const blocked = consul.kvGet('drover/x', { index: two.index, waitMs: 5000 });
  setTimeout(() => void consul.kvPut('drover/x', 'three'), 80);
  const three = await blocked;
  t.is(Buffer.from(three.value!.Value!, 'base64').toString(), 'three');
  t.true(three.index > two.index);
});

test('consul: sessions, lock acquire/release, renew TTL, destroy then renew is not-found', async (t) => {
  const { consul } = await consulSim(t);
  const a = await consul.sessionCreate({ name: 'drover-a', ttl: '15s', behavior: 'release', lockDelay: '0s' });
  const b = await consul.sessionCreate({ name: 'drover-b', ttl: '15s' });
  t.not(a, b);
  t.true(await consul.kvPut('drover/leader', 'a', { acquire: a }));
  t.false(await consul.kvPut('drover/leader', 'b', { acquire: b }));
  t.is((await consul.kvGet('drover/leader')).value?.Session, a);
  t.deepEqual(await consul.sessionRenew(a), { ttl: '15s' });
  t.true(await consul.kvPut('drover/leader', 'a', { release: a }));
  await consul.sessionDestroy(a);
  const err = (await rejection(consul.sessionRenew(a))) as DroverError;
  t.is(err.code, 'not-found');
  assertNoToken(t, err);
  await t.notThrowsAsync(consul.ping());
});

test('consul: a wrong token is unauthorized and never printed', async (t) => {
  const { url } = await consulSim(t);
  const wrong = 'drv-wrong-consul-token-4411';
  const c = new ConsulClient({ addr: url, token: wrong, timeoutMs: 3000, retry: FAST_RETRY });
  const err = (await rejection(c.kvGet('drover/x'))) as DroverError;
  t.is(err.code, 'unauthorized');
  t.is(err.upstream, 'consul');
  assertNoToken(t, err, wrong);
});

test('consul retry rules: plain put, renew and register are retried; cas/acquire put and session create are not', async (t) => {
  const s = await startServer(t, 'consul');
  s.route('PUT', '/v1/kv/*key', () => ({ json: true }));
  s.route('PUT', '/v1/session/create', () => ({ json: { ID: 'sid' } }));
  s.route('PUT', '/v1/session/renew/:id', () => ({ json: [{ ID: 'sid', TTL: '30s' }] }));
  s.route('PUT', '/v1/agent/service/register', () => ({ json: null }));
  const consul = new ConsulClient({ addr: s.url, token: TOKEN, timeoutMs: 2000, retry: FAST_RETRY });
  const burst = () => s.setFaults({ failNext: 2, failStatus: 500, failBody: 'rpc error: No cluster leader' });

  burst();
  t.true(await consul.kvPut('k', 'v'));
  burst();
  t.deepEqual(await consul.sessionRenew('sid'), { ttl: '30s' });
  burst();
  await consul.registerService({ ID: 'a', Name: 'a' });
  t.is(s.count(), 9);

  for (const call of [() => consul.kvPut('k', 'v', { cas: 3 }), () => consul.kvPut('k', 'v', { acquire: 'sid' }), () => consul.sessionCreate({ name: 'n', ttl: '10s' })]) {
    s.resetCounters();
    burst();
    const err = (await rejection(call())) as DroverError;
    t.is(err.code, 'server-error');
    t.is(s.count(), 1);
    assertNoToken(t, err);
    s.clearFaults();
  }
});

test('consul: a KV put reply that is not a literal boolean is bad-response', async (t) => {
  const s = await startServer(t, 'consul');
  s.route('PUT', '/v1/kv/*key', () => ({ status: 200, text: 'ok' }));
  const err = (await rejection(new ConsulClient({ addr: s.url, timeoutMs: 2000 }).kvPut('k', 'v'))) as DroverError;
  t.is(err.code, 'bad-response');
  t.is(err.message, 'consul PUT /v1/kv/k: 200 reply is neither true nor false');
});

async function vaultSim(t: ExecutionContext) {
  const sim = createVaultSim({ tokens: [TOKEN], secrets: { web: { password: 'hunter2' }, 'kv/otel/collector': { key: 'v' } } });
  const url = await sim.listen(0);
  t.teardown(() => sim.close());
  return { sim, url };
}

test('vault: secretExists through the metadata endpoint only, for both path forms', async (t) => {
  const { sim, url } = await vaultSim(t);
  const obs = collectingObserver();
  const vault = new VaultClient({ addr: url, token: TOKEN, timeoutMs: 3000 }, obs);
  t.true(await vault.secretExists('secret/data/web'));
  t.true(await vault.secretExists('secret/web'));
  t.true(await vault.secretExists('kv/data/otel/collector'));
  t.false(await vault.secretExists('secret/data/missing'));
  t.true(sim.server.requestLog().every((r) => r.path.includes('/metadata/')), 'values are never read');
  t.true(obs.seen.every((o) => o.upstream === 'vault' && o.route === '/v1/:mount/metadata/*path'));
});

test('vault: a bad token is unauthorized (Vault JSON error unwrapped), token-free', async (t) => {
  const { url } = await vaultSim(t);
  const wrong = 'hvs.drv-wrong-vault-token-0042';
  const err = (await rejection(new VaultClient({ addr: url, token: wrong, timeoutMs: 3000 }).secretExists('secret/data/web'))) as DroverError;
  t.is(err.code, 'unauthorized');
  t.is(err.message, 'vault GET /v1/secret/metadata/web: 403 permission denied');
  assertNoToken(t, err, wrong);
});

test('vault: metadataPath maps template and plain forms, and refuses a bare mount', (t) => {
  t.is(metadataPath('secret/data/app'), '/v1/secret/metadata/app');
  t.is(metadataPath('secret/app'), '/v1/secret/metadata/app');
  t.is(metadataPath('/v1/kv/data/team/db pass'), '/v1/kv/metadata/team/db%20pass');
  t.is(metadataPath('secret/metadata/app'), '/v1/secret/metadata/app');
  const err = t.throws(() => metadataPath('secret/data')) as DroverError;
  t.is(err.code, 'rejected');
});
