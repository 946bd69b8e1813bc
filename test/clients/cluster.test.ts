// createClients(config) against the composed simulated cluster (src/sim/cluster.ts): a job registered
// through the Nomad client shows up as a Consul service seen through the Consul client, a Nomad-provider
// service through Nomad's own registrations, and the Vault pre-flight answers from the Vault sim.
import test from 'ava';
import { createClients } from '../../src/clients/index.js';
import { parseConfig } from '../../src/config.js';
import type { NomadJob } from '../../src/core/nomad-types.js';
import { startSimCluster } from '@drover/sim';
import { collectingObserver } from './helpers.js';

function job(id: string, provider: 'consul' | 'nomad'): NomadJob {
  return {
    ID: id, Name: id, Type: 'service', Datacenters: ['dc1'],
    TaskGroups: [{
      Name: id, Count: 2,
      Networks: [{ DynamicPorts: [{ Label: 'http', To: 8080 }] }],
      Services: [{ Name: id, PortLabel: 'http', Provider: provider, Tags: ['traefik.enable=true'] }],
      Tasks: [{ Name: id, Driver: 'docker', Config: { image: 'nginx:1.27', ports: ['http'] } }],
    }],
  };
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 4000): Promise<T> {
  const deadline = Date.now() + ms;
  let v = await read();
  while (!ok(v) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    v = await read();
  }
  return v;
}

test('createClients against the sim cluster: Nomad → Consul services, Nomad services, Vault pre-flight', async (t) => {
  const cluster = await startSimCluster({ allocDelayMs: 20, vaultToken: 'drv-vault-token-cluster' });
  t.teardown(() => cluster.close());
  const config = parseConfig({
    NOMAD_ADDR: cluster.urls.nomad, CONSUL_HTTP_ADDR: cluster.urls.consul, VAULT_ADDR: cluster.urls.vault, VAULT_TOKEN: 'drv-vault-token-cluster',
    DROVER_REQUEST_TIMEOUT: '3s',
  });
  const obs = collectingObserver();
  const { nomad, consul, vault } = createClients(config, obs);

  await nomad.ping();
  await consul.ping();
  await nomad.registerJob(job('web', 'consul'), { enforceIndex: true, jobModifyIndex: 0 });
  await nomad.registerJob(job('api', 'nomad'), { enforceIndex: true, jobModifyIndex: 0 });

  const cat = await until(() => consul.catalogService('web'), (r) => r.value.length === 2);
  t.is(cat.value.length, 2);
  t.true(cat.value.every((e) => e.ServiceID.startsWith('_nomad-task-') && (e.ServiceTags ?? []).includes('traefik.enable=true')));
  const native = await until(() => nomad.listServiceRegistrations('api'), (r) => r.value.length === 2);
  t.deepEqual(native.value.map((s) => s.JobID), ['api', 'api']);

  t.true(await vault!.secretExists('kv/data/otel-collector'));
  t.false(await vault!.secretExists('secret/data/nope'));

  await nomad.stopJob('web');
  const gone = await until(() => consul.catalogService('web'), (r) => r.value.length === 0);
  t.deepEqual(gone.value, []);
  t.deepEqual([...new Set(obs.seen.map((o) => o.upstream))].sort(), ['consul', 'nomad', 'vault']);
});
