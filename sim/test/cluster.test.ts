// The composed simulated cluster: three simulators up on free ports, Vault seeded for examples/apps,
// Nomad's Consul-provider services flowing into the Consul sim, and clean failure on a taken port.
import test from 'ava';
import net from 'node:net';
import { startSimCluster } from '../src/cluster.js';

const until = async <T>(f: () => Promise<T | undefined>, ms: number): Promise<T | undefined> => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  return undefined;
};

test('the three simulators answer and Vault holds the example secrets for token root', async (t) => {
  const c = await startSimCluster();
  t.teardown(() => c.close());
  t.is((await fetch(`${c.urls.nomad}/v1/jobs`)).status, 200);
  t.truthy(await (await fetch(`${c.urls.consul}/v1/status/leader`)).json());
  t.is((await fetch(`${c.urls.vault}/v1/sys/health`)).status, 200);
  const meta = await fetch(`${c.urls.vault}/v1/kv/metadata/otel-collector`, { headers: { 'X-Vault-Token': 'root' } });
  t.is(meta.status, 200);
  const data = (await (await fetch(`${c.urls.vault}/v1/kv/data/otel-collector`, { headers: { 'X-Vault-Token': 'root' } })).json()) as any;
  t.true('lightstep-access-token' in data.data.data);
  t.not(c.urls.nomad, c.urls.consul);
});

test('a Nomad job with a Consul service shows up in the Consul catalog once running, and leaves on stop', async (t) => {
  const c = await startSimCluster({ allocDelayMs: 20 });
  t.teardown(() => c.close());
  const job = {
    ID: 'web', Name: 'web', Type: 'service', Datacenters: ['dc1'],
    TaskGroups: [{
      Name: 'web', Count: 2,
      Networks: [{ DynamicPorts: [{ Label: 'http', To: 8080 }] }],
      Tasks: [{
        Name: 'web', Driver: 'docker', Config: { image: 'nginx:1.27', ports: ['http'] },
        Services: [{ Name: 'web', PortLabel: 'http', Tags: ['traefik.enable=true'], Provider: 'consul',
          Checks: [{ Type: 'tcp', Interval: 10e9, Timeout: 2e9 }] }],
      }],
    }],
  };
  const reg = await fetch(`${c.urls.nomad}/v1/jobs`, { method: 'PUT', body: JSON.stringify({ Job: job }) });
  t.is(reg.status, 200, await reg.clone().text());
  const entries = await until(async () => {
    const r = (await (await fetch(`${c.urls.consul}/v1/catalog/service/web`)).json()) as any[];
    return r.length === 2 ? r : undefined;
  }, 5000);
  t.truthy(entries, 'two instances registered in Consul');
  t.true(entries!.every((e) => e.ServiceTags.includes('traefik.enable=true') && e.ServicePort > 0));
  t.true(entries!.every((e) => e.ServiceID.startsWith('_nomad-task-')));
  await fetch(`${c.urls.nomad}/v1/job/web`, { method: 'DELETE' });
  const gone = await until(async () => {
    const r = (await (await fetch(`${c.urls.consul}/v1/catalog/service/web`)).json()) as any[];
    return r.length === 0 ? true : undefined;
  }, 5000);
  t.true(gone, 'instances deregistered after stop');
});

test('a taken port fails with a clear message naming the simulator and address', async (t) => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => blocker.close(() => r())));
  const port = (blocker.address() as net.AddressInfo).port;
  const err = await t.throwsAsync(() => startSimCluster({ consulPort: port }));
  t.is(err?.message, `cannot start the simulated Consul on 127.0.0.1:${port}: the address is in use`);
});
