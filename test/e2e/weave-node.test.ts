// Seed 003 end to end on the simulated node: git → job → the simulated Nomad client runs each
// allocation as a container in the simulated Docker Engine with a weave address in the tenant's
// subnet → drover's node registrar registers it in Consul → the app's catalog verification is clean
// at once (the registrar asks for it; no resync needed) → an allocation dies → its container goes,
// the registration goes, and health turns Degraded within seconds.
import test from 'ava';
import { appStatus, startStack, until } from './stack.js';

const TENANT = `apiVersion: drover.io/v1alpha1
kind: App
metadata:
  name: tenant-api
spec:
  image: ghcr.io/example/api:1.0
  port: 8080
  count: 2
  weave:
    subnet: 10.32.1.0/24
`;

test('weave proxy-mode app: containers on the node, weave addresses registered, verified clean, an alloc death seen within seconds', async (t) => {
  const s = await startStack({ registrar: true, files: { 'apps/tenant-api.yaml': TENANT }, env: { DROVER_RESYNC_INTERVAL: '1h' } });
  t.teardown(() => s.close());

  const st = await until('tenant-api Healthy with a clean catalog', async () => {
    const a = await appStatus(s.base, 'tenant-api');
    return a?.health === 'Healthy' && a.consul?.state === 'verified' && a.consul.problems.length === 0 ? a : undefined;
  }, 10_000);
  t.deepEqual(st.consul!.instances, [{ service: 'tenant-api', state: 'passing', count: 2 }]);

  const containers = s.sim.docker.containers().filter((c) => c.labels['com.hashicorp.nomad.job_id'] === 'tenant-api');
  t.is(containers.length, 2);
  t.true(containers.every((c) => c.env.WEAVE_CIDR === 'net:10.32.1.0/24'));
  const entries = (await (await fetch(`${s.sim.urls.consul}/v1/health/service/tenant-api`)).json()) as { Service: { ID: string; Address: string } }[];
  t.is(entries.length, 2);
  t.true(entries.every((e) => e.Service.Address.startsWith('10.32.1.') && e.Service.ID.startsWith('drover-')), JSON.stringify(entries.map((e) => e.Service)));

  const allocs = (await (await fetch(`${s.nomad}/v1/job/tenant-api/allocations`)).json()) as { ID: string }[];
  t.true(s.sim.nomad.setAllocClientStatus(allocs[0]!.ID, 'failed'));
  await until('the dead allocation\'s container and registration are gone', async () => {
    const left = (await (await fetch(`${s.sim.urls.consul}/v1/health/service/tenant-api`)).json()) as unknown[];
    return left.length === 1 && s.sim.docker.containers().filter((c) => c.labels['com.hashicorp.nomad.alloc_id'] === allocs[0]!.ID).length === 0 ? true : undefined;
  }, 5000);
  const degraded = await until('Degraded', async () => {
    const a = await appStatus(s.base, 'tenant-api');
    return a?.health === 'Degraded' ? a : undefined;
  }, 5000);
  t.true(degraded.healthReasons.includes('1/2 allocations running'), degraded.healthReasons.join('; '));
  t.is(degraded.sync, 'Synced');
});
