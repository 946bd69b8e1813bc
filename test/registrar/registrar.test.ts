// The node registrar against simulated Docker, weave, Nomad and Consul over real HTTP: weave
// proxy-mode containers of managed jobs get registered with their weave address, removed when they
// stop, cleaned after a drover restart, kept through a Consul outage; everything else is ignored.
import test from 'ava';
import ipaddr from 'ipaddr.js';
import type { RegistrarPassStats } from '../../src/registrar/index.js';
import { registrationId, REGISTRATION_META } from '../../src/registrar/index.js';
import type { AppSpec } from '../../src/spec/types.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { eventually, startNode } from './helpers.js';

const SUBNET = '10.32.7.0/24';
const WEB: AppSpec = {
  image: 'ghcr.io/example/tenant-web:1.0.0', port: 8081, ingress: { host: 'tenant.example.com' },
  weave: { subnet: SUBNET }, health: { type: 'http', path: '/ready', interval: '5s', timeout: '1s' },
};
const inSubnet = (ip: string, cidr: string) => ipaddr.parse(ip).match(ipaddr.parseCIDR(cidr));

test('containers appear → registered with weave addresses inside the subnet, the Traefik tags and a check on the weave address', async (t) => {
  const node = await startNode(t);
  const job = await node.submit('tenant-web', WEB);
  t.falsy(job.TaskGroups[0]!.Tasks[0]!.Services, 'Nomad is not asked to register proxy-mode services');
  const a = node.startContainer(job);
  const b = node.startContainer(job);
  const r = node.registrar();
  const stats = await r.runPass();
  t.like(stats, { containers: 2, desired: 2, registered: 2, pending: 0, deregistered: 0, unknown: 0 });

  const catalog = (await node.consulApi.catalogService('tenant-web')).value;
  t.is(catalog.length, 2);
  const weaveIps = [a, b].map((c) => node.weave.addressesOf(c.id)[0]!.split('/')[0]);
  for (const entry of catalog) {
    t.true(inSubnet(entry.ServiceAddress, SUBNET), `${entry.ServiceAddress} is inside ${SUBNET}`);
    t.true(weaveIps.includes(entry.ServiceAddress), 'the address is the one weave assigned');
    t.false(entry.ServiceAddress.startsWith('172.17.'), 'never the docker bridge address');
    t.is(entry.ServicePort, 8081, 'the container port: the weave address reaches the container directly');
    t.true(entry.ServiceTags!.includes('traefik.enable=true'));
    t.true(entry.ServiceTags!.some((tag) => tag.includes('Host(`tenant.example.com`)')));
    t.like(entry.ServiceMeta, { [REGISTRATION_META.managed]: 'true', [REGISTRATION_META.owner]: 'drover', [REGISTRATION_META.source]: 'drover' });
  }
  const allocA = a.labels['com.hashicorp.nomad.alloc_id']!;
  t.truthy(catalog.find((e) => e.ServiceID === registrationId(allocA, 'tenant-web', 'tenant-web')), 'ID drover-<alloc>-<task>-<service>');
  const health = (await node.consulApi.healthService('tenant-web')).value;
  const ipA = node.weave.addressesOf(a.id)[0]!.split('/')[0];
  const checkA = health.find((h) => h.Service.Address === ipA)!.Checks.find((c) => c.ServiceID !== '')!;
  t.is(checkA.Status, 'passing');
  t.regex(JSON.stringify(checkA), new RegExp(`http://${ipA.replace(/\./g, '\\.')}:8081/ready`), 'http check against <weaveIP>:<port><path>');

  const again = await r.runPass();
  t.like(again, { registered: 2, deregistered: 0 });
  t.is(node.consulSim.server.count((k) => k.startsWith('PUT /v1/agent/service/register')), 2, 'a steady pass writes nothing');
});

test('container stops → deregistered by the next pass of the polling loop (fake clock: one interval later)', async (t) => {
  const node = await startNode(t);
  const job = await node.submit('tenant-web', WEB);
  const a = node.startContainer(job);
  const b = node.startContainer(job);
  const clock = new FakeClock();
  const passes: RegistrarPassStats[] = [];
  node.registrar({ intervalMs: 10_000, scheduler: clock, onPass: (s) => passes.push(s) }).start();
  await eventually(async () => (passes.length === 1 ? true : undefined), 10_000, 'the first pass, at start');
  t.is((await node.consulApi.catalogService('tenant-web')).value.length, 2);
  node.stopContainer(a);
  await clock.waitFor('registrar-pass');
  await clock.advance(9_999);
  t.is(passes.length, 1, 'no pass before the interval is up');
  await clock.advance(1);
  await eventually(async () => (passes.length === 2 ? true : undefined), 10_000, 'the second pass');
  t.like(passes[1], { deregistered: 1, registered: 1 });
  const left = (await node.consulApi.catalogService('tenant-web')).value;
  t.is(left.length, 1);
  t.is(left[0]!.ServiceMeta![REGISTRATION_META.alloc], b.labels['com.hashicorp.nomad.alloc_id']);
});

test('drover restarts (new NodeRegistrar) → no duplicates, and stale entries of a dead container are cleaned', async (t) => {
  const node = await startNode(t);
  const job = await node.submit('tenant-web', WEB);
  const a = node.startContainer(job);
  const b = node.startContainer(job);
  const first = node.registrar();
  await first.runPass();
  await first.stop(); // the crash: registrations stay behind
  node.stopContainer(a); // and a container dies while no drover runs
  // another owner's and someone else's registrations must survive the cleanup
  await node.consulApi.registerService({ ID: 'drover-x-y-z', Name: 'other', Port: 1, Meta: { [REGISTRATION_META.managed]: 'true', [REGISTRATION_META.owner]: 'other-drover', [REGISTRATION_META.source]: 'drover' } });
  await node.consulApi.registerService({ ID: 'hand-made', Name: 'tenant-web', Port: 2 });

  const second = node.registrar();
  const stats = await second.runPass();
  t.like(stats, { desired: 1, registered: 1, deregistered: 1 });
  const services = await node.consulApi.agentServices();
  const mine = Object.values(services).filter((s) => s.Meta?.[REGISTRATION_META.owner] === 'drover');
  t.deepEqual(mine.map((s) => s.ID), [registrationId(b.labels['com.hashicorp.nomad.alloc_id']!, 'tenant-web', 'tenant-web')]);
  t.truthy(services['drover-x-y-z'], "another owner's registration is not touched");
  t.truthy(services['hand-made'], 'a registration without drover Meta is not touched');
  t.is(node.consulSim.server.count((k) => k.startsWith('PUT /v1/agent/service/register')), 2 + 2, 'the restart did not re-register the unchanged one');
});

test('Consul unreachable → the pass fails, nothing is removed, and the next pass ends registered', async (t) => {
  const node = await startNode(t);
  const job = await node.submit('tenant-web', WEB);
  const a = node.startContainer(job);
  const seen: RegistrarPassStats[] = [];
  const r = node.registrar({ intervalMs: 100, onPass: (s) => seen.push(s) });
  await r.runPass();
  await node.consulSim.server.down(); // until up(): the outage must not end by the clock on a busy machine
  node.startContainer(job); // appears during the outage
  const during = await r.runPass();
  t.truthy(during.error, 'the pass reports why it stopped');
  t.regex(during.error!, /consul/);
  await node.consulSim.server.up();
  r.start();
  await eventually(async () => (await node.consulApi.catalogService('tenant-web')).value.length === 2, 5000, 'both registered after the outage');
  const ids = (await node.consulApi.catalogService('tenant-web')).value.map((e) => e.ServiceMeta![REGISTRATION_META.alloc]);
  t.true(ids.includes(a.labels['com.hashicorp.nomad.alloc_id']!), 'the one registered before the outage is still there');
  t.true(seen.some((s) => s.error) && seen.at(-1)!.error === undefined);
});

test('ignored: unmanaged jobs, another owner’s jobs, containers without WEAVE_CIDR, plugin-mode apps, non-Nomad containers', async (t) => {
  const node = await startNode(t);
  const mine = await node.submit('tenant-web', WEB);
  const foreign = await node.submit('foreign', { ...WEB, ingress: undefined }, 'someone-else');
  const plugin = await node.submit('plugin', { image: 'x:1', port: 80, weave: {} });
  // a job nobody manages: registered by hand, no drover Meta, with a drover.services-looking task Meta
  const unmanaged = structuredClone(mine);
  Object.assign(unmanaged, { ID: 'unmanaged', Name: 'unmanaged', Meta: null });
  unmanaged.TaskGroups[0]!.Name = 'unmanaged';
  delete (unmanaged as Record<string, unknown>).JobModifyIndex;
  await node.nomadApi.registerJob(unmanaged);
  node.startContainer(foreign);
  node.startContainer(plugin, { env: {} });
  node.startContainer({ ...unmanaged, TaskGroups: [{ ...unmanaged.TaskGroups[0]!, Tasks: [{ ...unmanaged.TaskGroups[0]!.Tasks[0]!, Name: 'tenant-web' }] }] });
  node.startContainer(mine, { env: { WEAVE_CIDR: '' } }); // WEAVE_CIDR removed: not proxy mode
  node.docker.addContainer({ env: { WEAVE_CIDR: `net:${SUBNET}` } }); // not started by Nomad
  const stats = await node.registrar().runPass();
  t.like(stats, { containers: 0, desired: 0, registered: 0, deregistered: 0 });
  t.deepEqual(Object.keys(await node.consulApi.agentServices()), []);
  // the same node does register a managed proxy-mode container, so the ignoring above is selective
  const ok = node.startContainer(mine);
  t.like(await node.registrar().runPass(), { containers: 1, registered: 1 });
  t.deepEqual(Object.keys(await node.consulApi.agentServices()), [registrationId(ok.labels['com.hashicorp.nomad.alloc_id']!, 'tenant-web', 'tenant-web')]);
});

test('a container weave has not attached yet is looked at again, and an existing registration is kept meanwhile', async (t) => {
  const node = await startNode(t);
  const job = await node.submit('tenant-web', WEB);
  const c = node.startContainer(job, { attach: false });
  const r = node.registrar();
  t.like(await r.runPass(), { unknown: 1, desired: 0 });
  node.weave.assign(c.id, SUBNET);
  t.like(await r.runPass(), { unknown: 0, registered: 1 });
  node.weave.release(c.id); // weave briefly answers nothing: not a reason to remove a live container
  t.like(await r.runPass(), { unknown: 1, deregistered: 0 });
  t.is((await node.consulApi.catalogService('tenant-web')).value.length, 1);
});

test('a changed job (new tags) re-registers, read from Nomad only when JobModifyIndex moved', async (t) => {
  const node = await startNode(t);
  const job = await node.submit('tenant-web', WEB);
  node.startContainer(job);
  const r = node.registrar();
  await r.runPass();
  await r.runPass();
  const reads = () => node.nomad.server.count((k) => k === 'GET /v1/job/:id');
  const readsBefore = reads();
  await r.runPass();
  t.is(reads(), readsBefore, 'an unchanged job is not read again');
  await node.submit('tenant-web', { ...WEB, service: { tags: ['tenant=7'] } });
  const readsAfterSubmit = reads(); // the helper's own read of the submitted job
  t.like(await r.runPass(), { registered: 1, deregistered: 0 });
  t.is(reads(), readsAfterSubmit + 1, 'the moved JobModifyIndex makes one read');
  const entry = (await node.consulApi.catalogService('tenant-web')).value[0]!;
  t.true(entry.ServiceTags!.includes('tenant=7'));
});

test('Nomad or Docker unreachable → registrations are kept as they are, never removed on a guess', async (t) => {
  const node = await startNode(t);
  const job = await node.submit('tenant-web', WEB);
  node.startContainer(job);
  const r = node.registrar();
  t.like(await r.runPass(), { registered: 1 });
  await r.runPass(); // cached job
  await node.nomad.server.down();
  node.startContainer(job, { allocId: 'fresh' }); // a new container: its job cannot be asked about now
  const noNomad = await r.runPass();
  // the job list is what says a cached job is current, so both containers are unknown this pass
  t.like(noNomad, { unknown: 2, desired: 0, deregistered: 0 });
  await node.docker.server.down();
  const noDocker = await r.runPass();
  t.regex(noDocker.error ?? '', /^docker GET \/containers\/json: connection refused$/);
  t.is((await node.consulApi.catalogService('tenant-web')).value.length, 1);
  await Promise.all([node.nomad.server.up(), node.docker.server.up()]);
  t.like(await r.runPass(), { registered: 2, unknown: 0 });
});
