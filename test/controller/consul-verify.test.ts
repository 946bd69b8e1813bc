// Service verification against the simulated cluster (Nomad sim registering into the Consul sim):
// Consul changed behind drover's back — a tag removed, an instance gone, a check critical, a weave
// address outside the subnet, Consul down — is reported in status, metrics and health, and never
// "fixed" by a Nomad write.
import test, { type ExecutionContext } from 'ava';
import { ConsulClient } from '../../src/clients/consul.js';
import { NomadClient } from '../../src/clients/nomad.js';
import { parseConfig, type Config } from '../../src/config.js';
import { nullLogger } from '../../src/core/logger.js';
import { Controller } from '../../src/controller/index.js';
import { Metrics } from '../../src/metrics.js';
import { startSimCluster, type SimCluster } from '@drover/sim';
import { FakeSource } from './harness.js';

interface World {
  cluster: SimCluster;
  config: Config;
  metrics: Metrics;
  source: FakeSource;
  controller: Controller;
  consulGet(path: string): Promise<any>;
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  nomadWrites(): number;
  /** a manual "drover sync" of one app: reconcile (no-op when in sync) and verify its services */
  sync(ns: string, name: string): Promise<void>;
}

async function startWorld(t: ExecutionContext, config: Partial<Config> = {}): Promise<World> {
  const cluster = await startSimCluster({ allocDelayMs: 5, nomad: { deploymentDelayMs: 10, namespaces: ['default', 'tenant-b'] } });
  const metrics = new Metrics();
  const base = parseConfig({ NOMAD_ADDR: cluster.urls.nomad, CONSUL_HTTP_ADDR: cluster.urls.consul, DROVER_CONCURRENCY: '8', DROVER_REQUEST_TIMEOUT: '2s' });
  const cfg: Config = { ...base, resyncIntervalMs: 60_000, ...config };
  const retry = { attempts: 2, baseMs: 5, maxMs: 20 };
  const nomad = new NomadClient({ addr: cluster.urls.nomad, timeoutMs: 2000, retry, streamIdleMs: 5000 }, metrics, nullLogger);
  const consul = new ConsulClient({ addr: cluster.urls.consul, timeoutMs: 500, retry }, metrics, nullLogger);
  const source = new FakeSource();
  const controller = new Controller({ config: cfg, nomad, consul, source, metrics, logger: nullLogger, backoff: { baseMs: 5, maxMs: 100 } });
  t.teardown(async () => {
    await controller.stop();
    await cluster.close();
    await source.cleanup();
  });
  const consulGet = async (path: string) => (await fetch(cluster.urls.consul + path)).json();
  const metric = async (name: string, labels: Record<string, string> = {}) => {
    const m = await metrics.registry.getSingleMetric(name)?.get();
    if (!m) throw new Error(`no metric ${name}`);
    return m.values.find((x) => Object.entries(labels).every(([k, v]) => String(x.labels[k]) === v))?.value ?? 0;
  };
  const nomadWrites = () => cluster.nomad.server.count((k) => /^(PUT|POST|DELETE) /.test(k) && !k.includes('/plan') && !k.includes('/_sim') && !k.includes('/v1/var'));
  const sync = async (ns: string, name: string) => {
    controller.requestSync(ns, name);
    await controller.idle();
  };
  return { cluster, config: cfg, metrics, source, controller, consulGet, metric, nomadWrites, sync };
}

const WEB = `apiVersion: drover.io/v1alpha1
kind: App
metadata:
  name: web
spec:
  image: nginx:1.27
  port: 80
  count: 2
  ingress:
    host: web.example.com
  health:
    type: http
    path: /healthz
`;

/** Starts the controller on WEB and waits until both instances are in Consul and verified. */
async function webRunning(t: ExecutionContext): Promise<World> {
  const w = await startWorld(t);
  await w.controller.start();
  await w.source.commit({ 'apps/web.yaml': WEB });
  await w.controller.idle();
  const deadline = Date.now() + 5000;
  for (;;) {
    const st = w.controller.getApp('default', 'web')!;
    if (st.health === 'Healthy' && st.consul?.state === 'verified' && !st.consul.drift && st.consul.problems.length === 0) break;
    if (Date.now() > deadline) throw new Error(`web never verified clean: ${JSON.stringify(st)}`);
    await new Promise((r) => setTimeout(r, 20));
    await w.sync('default', 'web');
  }
  return w;
}

async function webInstances(w: World): Promise<any[]> {
  const entries = (await w.consulGet('/v1/health/service/web')) as any[];
  return entries.sort((a, b) => a.Service.ID.localeCompare(b.Service.ID));
}

test('in sync: both instances verified, gauges set, health Healthy', async (t) => {
  const w = await webRunning(t);
  const st = w.controller.getApp('default', 'web')!;
  t.deepEqual(st.consul!.instances, [{ service: 'web', state: 'passing', count: 2 }]);
  t.truthy(st.consul!.checkedAt);
  t.is(await w.metric('drover_app_consul_drift', { namespace: 'default', app: 'web' }), 0);
  t.is(await w.metric('drover_service_instances', { namespace: 'default', app: 'web', service: 'web', state: 'passing' }), 2);
  t.is(await w.metric('drover_service_instances', { namespace: 'default', app: 'web', service: 'web', state: 'missing' }), 0);
  t.true((await w.metric('drover_consul_verifications_total', { result: 'ok' })) >= 1);
});

test('a Traefik tag removed in Consul: drift with the tag and instance named, Degraded, no Nomad write', async (t) => {
  const w = await webRunning(t);
  const [first] = await webInstances(w);
  const tags: string[] = first.Service.Tags;
  const removed = tags.find((x) => x.startsWith('traefik.http.routers.'))!;
  t.truthy(removed, JSON.stringify(tags));
  const writes = w.nomadWrites();
  // The agent re-registers the instance without the tag (same ID, same node).
  w.cluster.consul.register({
    id: first.Service.ID, name: 'web', tags: tags.filter((x) => x !== removed), address: first.Service.Address, port: first.Service.Port,
    meta: first.Service.Meta ?? {}, checks: [], node: first.Node.Node, nodeAddress: first.Node.Address,
  });
  await w.sync('default', 'web');
  const st = w.controller.getApp('default', 'web')!;
  t.is(st.consul!.state, 'verified');
  t.true(st.consul!.drift);
  t.deepEqual(st.consul!.problems, [`service web: tag ${removed} missing on instance ${first.Service.ID}`]);
  t.is(st.health, 'Degraded');
  t.true(st.healthReasons.includes(`consul: service web: tag ${removed} missing on instance ${first.Service.ID}`), JSON.stringify(st.healthReasons));
  t.is(st.sync, 'Synced', 'the job itself is in sync');
  t.is(await w.metric('drover_app_consul_drift', { namespace: 'default', app: 'web' }), 1);
  t.is(await w.metric('drover_app_info', { namespace: 'default', app: 'web', sync_status: 'Synced', health_status: 'Degraded' }), 1);
  await w.controller.resync();
  await w.controller.idle();
  t.is(w.nomadWrites(), writes, 'Consul drift is never "fixed" by writing the in-sync job');
  t.true(w.controller.getApp('default', 'web')!.consul!.drift, 'still reported after a resync');
});

test('an instance deregistered: count mismatch reported, missing instance counted', async (t) => {
  const w = await webRunning(t);
  const [first] = await webInstances(w);
  const writes = w.nomadWrites();
  w.cluster.consul.deregister(first.Service.ID);
  await w.controller.resync(); // the resync cadence verifies running apps
  await w.controller.idle();
  const st = w.controller.getApp('default', 'web')!;
  t.true(st.consul!.drift);
  t.deepEqual(st.consul!.problems, ['service web: 1 instance, 2 allocations running']);
  t.deepEqual(st.consul!.instances, [{ service: 'web', state: 'passing', count: 1 }, { service: 'web', state: 'missing', count: 1 }]);
  t.is(st.health, 'Degraded');
  t.is(await w.metric('drover_service_instances', { namespace: 'default', app: 'web', service: 'web', state: 'missing' }), 1);
  t.is(await w.metric('drover_service_instances', { namespace: 'default', app: 'web', service: 'web', state: 'passing' }), 1);
  t.is(w.nomadWrites(), writes);
});

test('a check critical: a problem (not drift), Degraded; passing again → Healthy', async (t) => {
  const w = await webRunning(t);
  const [first] = await webInstances(w);
  const check = (first.Checks as any[]).find((c) => c.ServiceID === first.Service.ID)!;
  const writes = w.nomadWrites();
  t.true(w.cluster.consul.setCheckStatus(check.CheckID, 'critical'));
  await w.sync('default', 'web');
  let st = w.controller.getApp('default', 'web')!;
  t.false(st.consul!.drift, 're-registering the job would not fix a failing check');
  t.deepEqual(st.consul!.problems, [`service web: check ${check.Name} critical on instance ${first.Service.ID}`]);
  t.deepEqual(st.consul!.instances, [{ service: 'web', state: 'passing', count: 1 }, { service: 'web', state: 'critical', count: 1 }]);
  t.is(st.health, 'Degraded');
  t.is(await w.metric('drover_service_instances', { namespace: 'default', app: 'web', service: 'web', state: 'critical' }), 1);
  t.is(await w.metric('drover_app_consul_drift', { namespace: 'default', app: 'web' }), 0);
  w.cluster.consul.setCheckStatus(check.CheckID, 'passing');
  await w.sync('default', 'web');
  st = w.controller.getApp('default', 'web')!;
  t.is(st.health, 'Healthy');
  t.deepEqual(st.consul!.problems, []);
  t.is(w.nomadWrites(), writes);
});

test('weave app: its registrar-registered instance at a docker bridge address is outside the subnet', async (t) => {
  const w = await startWorld(t);
  await w.controller.start();
  await w.source.commit({
    'apps/backend.yaml': `apiVersion: drover.io/v1alpha1
kind: App
metadata:
  name: httpbackend
  namespace: tenant-b
spec:
  image: bigwhite/httpbackendservice:v1.0.0
  port: 8081
  count: 1
  weave:
    subnet: 10.32.1.0/24
`,
  });
  await w.controller.idle();
  const deadline = Date.now() + 5000;
  while (w.controller.getApp('tenant-b', 'httpbackend')!.consul?.state !== 'verified') {
    if (Date.now() > deadline) throw new Error(JSON.stringify(w.controller.getApp('tenant-b', 'httpbackend')));
    await new Promise((r) => setTimeout(r, 20));
    await w.sync('tenant-b', 'httpbackend');
  }
  // Nobody registered it yet (drover's node registrar is not running here): the instance is missing.
  let st = w.controller.getApp('tenant-b', 'httpbackend')!;
  t.deepEqual(st.consul!.problems, ['service httpbackend: 0 instances, 1 allocation running']);
  const job = w.cluster.nomad.getJob('tenant-b', 'httpbackend')!;
  const promised = JSON.parse(job.TaskGroups[0]!.Tasks[0]!.Meta!['drover.services']!) as { name: string; tags: string[] }[];
  t.is(promised[0]!.name, 'httpbackend');
  const writes = w.nomadWrites();
  // A registration for this app's allocation with the docker bridge address (what Nomad itself would advertise in proxy mode).
  const allocs = (await (await fetch(`${w.cluster.urls.nomad}/v1/job/httpbackend/allocations?namespace=tenant-b`)).json()) as { ID: string }[];
  const id = `drover-${allocs[0]!.ID}-httpbackend-httpbackend`;
  w.cluster.consul.register({
    id, name: 'httpbackend', tags: promised[0]!.tags, address: '172.17.0.5', port: 8081, meta: {}, checks: [],
    node: 'nomad-client-1', nodeAddress: '192.168.56.3',
  });
  // Another app's instance under the same Consul name (a hand registration, or the same app name in another namespace): a note, not this app's drift.
  w.cluster.consul.register({
    id: 'httpbackend-by-hand', name: 'httpbackend', tags: [], address: '10.0.9.9', port: 80, meta: {}, checks: [],
    node: 'nomad-client-1', nodeAddress: '192.168.56.3',
  });
  await w.sync('tenant-b', 'httpbackend');
  st = w.controller.getApp('tenant-b', 'httpbackend')!;
  t.true(st.consul!.drift);
  t.deepEqual(st.consul!.problems, [`service httpbackend: address 172.17.0.5 outside subnet 10.32.1.0/24 on instance ${id}`]);
  t.true(st.consul!.notes.includes("service httpbackend: 1 instance(s) of other jobs or registrations share this Consul name (not counted; Traefik's consulCatalog sees them all)"), st.consul!.notes.join('; '));
  t.is(await w.metric('drover_app_consul_drift', { namespace: 'tenant-b', app: 'httpbackend' }), 1);
  t.is(w.nomadWrites(), writes);
});

test('Consul unreachable: status says so, no reconcile error, nothing written; back up → verified again', async (t) => {
  const w = await webRunning(t);
  const writes = w.nomadWrites();
  await w.cluster.consul.server.down();
  await w.sync('default', 'web');
  let st = w.controller.getApp('default', 'web')!;
  t.is(st.consul!.state, 'unreachable');
  t.regex(st.consul!.error!, /^(unavailable|timeout): /);
  t.is(st.lastError, undefined, 'not a reconcile error');
  t.is(st.sync, 'Synced');
  t.is(st.health, 'Healthy');
  t.is(await w.metric('drover_reconcile_errors_total', { code: 'unavailable' }), 0);
  t.true((await w.metric('drover_consul_verifications_total', { result: 'unreachable' })) >= 1);
  await w.cluster.consul.server.up();
  await w.sync('default', 'web');
  st = w.controller.getApp('default', 'web')!;
  t.is(st.consul!.state, 'verified');
  t.is(st.consul!.error, undefined);
  t.is(w.nomadWrites(), writes);
});

test('resync cost: one Consul request per service, Nomad requests unchanged (≤ 5), no writes; apps without services skipped', async (t) => {
  const w = await startWorld(t);
  await w.controller.start();
  const files: Record<string, string> = {};
  for (let i = 0; i < 20; i++) files[`apps/a${i}.yaml`] = WEB.replace('name: web', `name: a${i}`).replace('count: 2', 'count: 1').replace('host: web.', `host: a${i}.`);
  // a batch-like app without a port: no service, nothing to verify
  files['apps/worker.yaml'] = 'apiVersion: drover.io/v1alpha1\nkind: App\nmetadata:\n  name: worker\nspec:\n  image: busybox:1\n  command: sleep\n  args: ["3600"]\n';
  await w.source.commit(files);
  await w.controller.idle();
  const deadline = Date.now() + 8000;
  while (w.controller.listApps().filter((a) => a.consul?.state === 'verified' && a.consul.problems.length === 0).length < 20) {
    if (Date.now() > deadline) throw new Error(JSON.stringify(w.controller.listApps().map((a) => [a.name, a.sync, a.problems, a.health, a.consul])));
    await new Promise((r) => setTimeout(r, 50));
    await w.controller.resync();
    await w.controller.idle();
  }
  t.is(w.controller.getApp('default', 'worker')!.consul, undefined);
  w.cluster.nomad.server.resetCounters();
  w.cluster.consul.server.resetCounters();
  await w.controller.resync();
  await w.controller.idle();
  const nomadReqs = w.cluster.nomad.server.count((k) => !k.includes('/v1/event/stream'));
  const consulReqs = w.cluster.consul.server.count(() => true);
  t.log(`resync of 21 in-sync apps (20 with a service): ${nomadReqs} Nomad, ${consulReqs} Consul request(s)`);
  t.true(nomadReqs <= 5, JSON.stringify(w.cluster.nomad.server.counterSnapshot()));
  t.is(consulReqs, 20, JSON.stringify(w.cluster.consul.server.counterSnapshot()));
  t.is(w.nomadWrites(), 0);
});

test('resync cost, provider nomad: one read of Nomad\'s service-table index stands for all 20 apps while nothing registered changed (O(1), was one read per app)', async (t) => {
  const w = await startWorld(t);
  await w.controller.start();
  const files: Record<string, string> = {};
  for (let i = 0; i < 20; i++) {
    files[`apps/n${i}.yaml`] = WEB.replace('name: web', `name: n${i}`).replace('count: 2', 'count: 1').replace('host: web.', `host: n${i}.`)
      .replace(/\n$/, '') + '\n  service:\n    provider: nomad\n';
  }
  await w.source.commit(files);
  await w.controller.idle();
  const verifiedAll = () => w.controller.listApps().filter((a) => a.consul?.state === 'verified' && a.consul.problems.length === 0).length === 20;
  const deadline = Date.now() + 8000;
  while (!verifiedAll()) {
    if (Date.now() > deadline) throw new Error(JSON.stringify(w.controller.listApps().map((a) => [a.name, a.health, a.consul])));
    await new Promise((r) => setTimeout(r, 50));
    await w.controller.resync();
    await w.controller.idle();
  }
  // Apps verified before the last registration read an older index of the table: one resync reads those again.
  await w.controller.resync();
  await w.controller.idle();
  w.cluster.nomad.server.resetCounters();
  await w.controller.resync();
  await w.controller.idle();
  const reqs = w.cluster.nomad.server.counterSnapshot();
  const nomadReqs = w.cluster.nomad.server.count((k) => !k.includes('/v1/event/stream'));
  t.log(`resync of 20 in-sync provider-nomad apps: ${nomadReqs} Nomad request(s)`);
  t.true(nomadReqs <= 2, JSON.stringify(reqs));
  t.is(w.nomadWrites(), 0);

  // A registration elsewhere moves the table's index: the next resync reads every app's services again.
  const serviceReads = () => w.cluster.nomad.server.count((k) => k.startsWith('GET /v1/service/'));
  files['apps/n20.yaml'] = files['apps/n0.yaml']!.replace('name: n0', 'name: n20').replace('host: n0.', 'host: n20.');
  await w.source.commit(files);
  const n20Verified = () => w.controller.getApp('default', 'n20')?.consul?.state === 'verified' && w.controller.getApp('default', 'n20')!.consul!.problems.length === 0;
  const until = Date.now() + 8000;
  while (!n20Verified()) {
    if (Date.now() > until) throw new Error(JSON.stringify(w.controller.getApp('default', 'n20')));
    await new Promise((r) => setTimeout(r, 50));
    await w.controller.idle();
  }
  w.cluster.nomad.server.resetCounters();
  await w.controller.resync();
  await w.controller.idle();
  t.true(serviceReads() >= 21, `after a new registration: ${JSON.stringify(w.cluster.nomad.server.counterSnapshot())}`);
  w.cluster.nomad.server.resetCounters();
  await w.controller.resync();
  await w.controller.idle();
  t.true(serviceReads() <= 1, `settled again: ${JSON.stringify(w.cluster.nomad.server.counterSnapshot())}`);
});

test('after a rollout the services are verified again without waiting for a resync', async (t) => {
  const w = await webRunning(t);
  const before = w.controller.getApp('default', 'web')!.consul!.checkedAt!;
  await w.source.commit({ 'apps/web.yaml': WEB.replace('count: 2', 'count: 3') });
  const deadline = Date.now() + 15_000;
  for (;;) {
    await w.controller.idle();
    const c = w.controller.getApp('default', 'web')!.consul!;
    if (c.checkedAt! > before && c.instances.some((i) => i.state === 'passing' && i.count === 3)) break;
    if (Date.now() > deadline) throw new Error(JSON.stringify(w.controller.getApp('default', 'web')));
    await new Promise((r) => setTimeout(r, 20));
  }
  const st = w.controller.getApp('default', 'web')!;
  t.deepEqual(st.consul!.instances, [{ service: 'web', state: 'passing', count: 3 }]);
  t.false(st.consul!.drift);
  t.is(st.health, 'Healthy');
});

test('provider nomad: a registration of the app removed behind drover\'s back (DELETE /v1/service/:name/:id) is seen from the Service event, without a resync', async (t) => {
  const w = await startWorld(t, { resyncIntervalMs: 3_600_000 });
  await w.controller.start();
  await w.source.commit({ 'apps/web.yaml': WEB.replace(/\n$/, '') + '\n  service:\n    provider: nomad\n' });
  const web = () => w.controller.getApp('default', 'web');
  const deadline = Date.now() + 8000;
  while (!(web()?.consul?.state === 'verified' && web()!.consul!.problems.length === 0 && web()!.health === 'Healthy')) {
    if (Date.now() > deadline) throw new Error(JSON.stringify(web()));
    await new Promise((r) => setTimeout(r, 20));
  }
  const regs = (await (await fetch(`${w.cluster.urls.nomad}/v1/service/web`)).json()) as { ID: string }[];
  t.is(regs.length, 2);
  const writesBefore = w.nomadWrites();
  const del = await fetch(`${w.cluster.urls.nomad}/v1/service/web/${encodeURIComponent(regs[0]!.ID)}`, { method: 'DELETE' });
  t.is(del.status, 200);
  const until = Date.now() + 8000;
  while (!(web()?.consul?.problems.length)) {
    if (Date.now() > until) throw new Error(`not noticed: ${JSON.stringify(web())}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  t.deepEqual(web()!.consul!.instances, [{ service: 'web', state: 'passing', count: 1 }, { service: 'web', state: 'missing', count: 1 }]);
  t.is(web()!.health, 'Degraded');
  t.is(w.nomadWrites(), writesBefore + 1, 'reported, never fixed by a write (the one write is the DELETE)');
});

test('a new git revision reads no catalog: the commit\'s resync verifies nothing (the periodic one does)', async (t) => {
  const w = await webRunning(t);
  w.cluster.consul.server.resetCounters();
  await w.source.commit({ 'README.md': 'unrelated\n' });
  await w.controller.idle();
  t.is(w.controller.revision(), '0000000000000000000000000000000000000002');
  t.is(w.cluster.consul.server.count(() => true), 0, JSON.stringify(w.cluster.consul.server.counterSnapshot()));
  await w.controller.resync();
  await w.controller.idle();
  t.is(w.cluster.consul.server.count((k) => k.startsWith('GET /v1/health/service/')), 1, 'the periodic resync still verifies');
});
