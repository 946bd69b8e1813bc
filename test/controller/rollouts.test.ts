// Rollouts on the simulated Nomad, which now rolls out as a real one does (in-place vs destructive
// updates, max_parallel, canaries and promotion, auto-revert): issue #14's four findings and the rollout
// strategy. Health follows the event stream; the harness's resync is 60 s, so nothing here waits for one.
import test, { type ExecutionContext } from 'ava';
import { ConsulClient } from '../../src/clients/consul.js';
import { NomadClient } from '../../src/clients/nomad.js';
import { TraefikClient } from '../../src/clients/traefik.js';
import { parseConfig } from '../../src/config.js';
import { nullLogger } from '../../src/core/logger.js';
import { Controller } from '../../src/controller/index.js';
import { Metrics } from '../../src/metrics.js';
import { startSimCluster } from '@drover/sim';
import { appYaml, FakeSource, startHarness, type Harness } from './harness.js';

const withLines = (yaml: string, ...lines: string[]) => `${yaml.replace(/\n$/, '')}\n${lines.join('\n')}\n`;
const allocs = async (h: Harness, id: string) =>
  (await h.call('GET', `/v1/job/${id}/allocations`)) as { ID: string; ClientStatus: string; DesiredStatus: string; JobVersion: number }[];
const runningIds = async (h: Harness, id: string) => (await allocs(h, id)).filter((a) => a.DesiredStatus === 'run' && a.ClientStatus === 'running').map((a) => a.ID).sort();

test('a scale-up is an in-place update: the running allocations keep their IDs, one more is placed, nothing restarts', async (t) => {
  const h = await startHarness(t);
  await h.controller.start();
  await h.source.commit({ 'apps/web.yaml': appYaml('web', { count: 2 }) });
  await h.until('healthy at 2', () => h.controller.getApp('default', 'web')?.health === 'Healthy', 5000);
  const before = await runningIds(h, 'web');
  t.is(before.length, 2);
  await h.source.commit({ 'apps/web.yaml': appYaml('web', { count: 3 }) });
  await h.until('healthy at 3', async () => h.controller.getApp('default', 'web')?.health === 'Healthy' && (await runningIds(h, 'web')).length === 3, 5000);
  const after = await runningIds(h, 'web');
  t.true(before.every((id) => after.includes(id)), `kept ${JSON.stringify(before)} in ${JSON.stringify(after)}`);
  // and the plan drover's bookkeeping would cause: none — the job's Meta did not change
  const job = h.sim.getJob('default', 'web')!;
  t.deepEqual(Object.keys(job.Meta ?? {}).sort(), ['drover.managed', 'drover.owner']);
});

test('an allocation that fails and comes back: Degraded at once, Healthy again at once — never stuck (events, not a resync)', async (t) => {
  const h = await startHarness(t);
  await h.controller.start();
  await h.source.commit({ 'apps/web.yaml': appYaml('web', { count: 3 }) });
  await h.until('healthy', () => h.controller.getApp('default', 'web')?.health === 'Healthy', 5000);
  const [victim] = await runningIds(h, 'web');
  await h.call('PUT', `/_sim/nomad/allocation/${victim}/client-status`, { ClientStatus: 'failed' });
  await h.until('Degraded with the real count', () => {
    const a = h.controller.getApp('default', 'web')!;
    return a.health === 'Degraded' && a.healthReasons.includes('2/3 allocations running');
  }, 5000);
  await h.call('PUT', `/_sim/nomad/allocation/${victim}/client-status`, { ClientStatus: 'running' });
  await h.until('Healthy again', () => h.controller.getApp('default', 'web')?.health === 'Healthy', 5000);
  t.deepEqual(h.controller.getApp('default', 'web')!.healthReasons, ['3/3 allocations running']);
  t.is(h.sim.server.count((k) => k === 'PUT /v1/jobs'), 1, 'health is reported, never "fixed" by a write');
});

test('canaries: during the rollout /apps says what runs (old and new) and that a canary waits; promote finishes it', async (t) => {
  const h = await startHarness(t);
  await h.controller.start();
  const spec = (image: string) => withLines(appYaml('web', { count: 2, image }), '  rollout:', '    canaries: 1', '    maxParallel: 1');
  await h.source.commit({ 'apps/web.yaml': spec('nginx:1.27') });
  await h.until('healthy v0', () => h.controller.getApp('default', 'web')?.health === 'Healthy', 5000);
  await h.source.commit({ 'apps/web.yaml': spec('nginx:1.28') });
  const st = await (async () => {
    await h.until('a canary pending promotion', () => (h.controller.getApp('default', 'web')?.healthReasons ?? []).includes('1 canary healthy, pending promotion'), 8000);
    return h.controller.getApp('default', 'web')!;
  })();
  t.is(st.health, 'Progressing');
  t.true(st.healthReasons.includes('3 allocations running (1 of version 1, 2 of older versions) for 2 wanted'), st.healthReasons.join(' | '));
  t.is(st.sync, 'Synced', 'git\'s spec is what Nomad was given');
  const r = await h.controller.promote('default', 'web');
  t.is(r.outcome, 'promoted');
  await h.until('Healthy on the new version', async () => {
    const a = h.controller.getApp('default', 'web')!;
    const live = await allocs(h, 'web');
    return a.health === 'Healthy' && live.filter((x) => x.DesiredStatus === 'run' && x.ClientStatus === 'running').every((x) => x.JobVersion === 1);
  }, 8000);
  t.deepEqual(h.controller.getApp('default', 'web')!.healthReasons, ['2/2 allocations running']);
});

test('the flap guard: a spec whose deployment failed and was auto-reverted is not applied again until git changes it', async (t) => {
  const h = await startHarness(t);
  await h.controller.start();
  const spec = (image: string) => withLines(appYaml('web', { count: 2, image }), '  rollout:', '    autoRevert: true');
  await h.source.commit({ 'apps/web.yaml': spec('nginx:1.27') });
  await h.until('healthy and stable', async () => h.controller.getApp('default', 'web')?.health === 'Healthy' && h.sim.getJob('default', 'web')?.Stable === true, 5000);
  h.sim.markImageBroken('nginx:broken');
  await h.source.commit({ 'apps/web.yaml': spec('nginx:broken') });
  const st = await (async () => {
    await h.until('held by the flap guard', () => h.controller.getApp('default', 'web')?.decision?.cause === 'deployment-failed', 10_000);
    return h.controller.getApp('default', 'web')!;
  })();
  t.is(st.health, 'Degraded');
  t.regex(st.healthReasons[0]!, /^the deployment of git's spec failed; it is not applied again until git changes the app/);
  t.is(st.sync, 'OutOfSync');
  // Nomad reverted to the stable version; drover leaves it there: no second register of the broken spec
  await h.until('reverted by Nomad', () => (h.sim.getJob('default', 'web')?.TaskGroups[0]!.Tasks[0]!.Config as { image?: string })?.image === 'nginx:1.27', 5000);
  const registers = h.sim.server.count((k) => k === 'PUT /v1/jobs');
  for (let i = 0; i < 3; i++) {
    h.controller.requestSync('default', 'web');
    await h.controller.idle();
  }
  t.is(h.sim.server.count((k) => k === 'PUT /v1/jobs'), registers, 'the failed spec is not re-applied');
  await h.until('counted in drover_deployment_failed_apps', async () => (await h.metric('drover_deployment_failed_apps')) === 1, 5000);
  // a new commit is git changing the app: applied
  await h.source.commit({ 'apps/web.yaml': spec('nginx:1.29') });
  await h.until('the fixed spec rolls out', () => (h.sim.getJob('default', 'web')?.TaskGroups[0]!.Tasks[0]!.Config as { image?: string })?.image === 'nginx:1.29', 5000);
  await h.until('Healthy again', () => h.controller.getApp('default', 'web')?.health === 'Healthy', 8000);
});

async function routeWorld(t: ExecutionContext) {
  const cluster = await startSimCluster({ allocDelayMs: 5, nomad: { deploymentDelayMs: 10 }, traefik: { refreshIntervalMs: 0 } });
  const metrics = new Metrics();
  const config = { ...parseConfig({ NOMAD_ADDR: cluster.urls.nomad, CONSUL_HTTP_ADDR: cluster.urls.consul, TRAEFIK_API_ADDR: cluster.urls.traefik }), resyncIntervalMs: 60_000 };
  const retry = { attempts: 2, baseMs: 5, maxMs: 20 };
  const nomad = new NomadClient({ addr: cluster.urls.nomad, timeoutMs: 2000, retry, streamIdleMs: 5000 }, metrics, nullLogger);
  const consul = new ConsulClient({ addr: cluster.urls.consul, timeoutMs: 1000, retry }, metrics, nullLogger);
  const traefik = new TraefikClient({ addr: cluster.urls.traefik, timeoutMs: 1000, retry: { attempts: 1 } }, metrics, nullLogger);
  const source = new FakeSource();
  const controller = new Controller({ config, nomad, consul, traefik, source, metrics, logger: nullLogger, backoff: { baseMs: 5, maxMs: 100 } });
  t.teardown(async () => {
    await controller.stop();
    await cluster.close();
    await source.cleanup();
  });
  return { cluster, controller, source, metrics, consul };
}

test('the route check: a router Traefik dropped (two instances define it differently) turns the app Degraded with Traefik\'s reason', async (t) => {
  const w = await routeWorld(t);
  await w.controller.start();
  await w.source.commit({ 'apps/web.yaml': withLines(appYaml('web'), '  ingress:', '    host: web.example.com') });
  const verified = async () => {
    await w.cluster.traefik.refresh(); // the simulated Traefik reads its providers when asked (refreshIntervalMs 0)
    w.controller.requestSync('default', 'web');
    await w.controller.idle();
    return w.controller.getApp('default', 'web')!;
  };
  await (async () => {
    const deadline = Date.now() + 8000;
    while ((await verified()).routes?.state !== 'verified' || w.controller.getApp('default', 'web')!.health !== 'Healthy') {
      if (Date.now() > deadline) throw new Error(`no verified route: ${JSON.stringify(w.controller.getApp('default', 'web'))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  t.false(w.controller.getApp('default', 'web')!.routes!.drift);
  // A second instance of the service (an old allocation, say) carries the same router name with another rule.
  const [running] = (await w.consul.healthService('web')).value;
  const ruleTag = running!.Service.Tags!.find((x) => x.includes('.rule='))!;
  const ruleKey = ruleTag.slice(0, ruleTag.indexOf('=') + 1);
  w.cluster.consul.register({
    id: '_nomad-task-99999999-8888-4777-8666-555555555555-web-web-http', name: 'web',
    tags: running!.Service.Tags!.map((x) => (x.startsWith(ruleKey) ? `${ruleKey}Host(\`old.example.com\`)` : x)),
    address: '10.0.0.99', port: 31999, meta: { 'external-source': 'nomad' }, checks: [], node: 'sim-node-1', nodeAddress: '127.0.0.1',
  });
  // drover reads Traefik's view at most once a second for all apps: poll until the check has seen the new one
  const deadline = Date.now() + 8000;
  let st = await verified();
  while (!st.routes?.drift && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    st = await verified();
  }
  t.true(st.routes!.drift);
  t.is(st.health, 'Degraded');
  t.true(st.healthReasons.some((r) => r.startsWith('traefik: router ') && r.includes('defined multiple times with different configurations')), st.healthReasons.join(' | '));
  t.is(await w.metrics.registry.getSingleMetric('drover_app_route_drift')!.get().then((m) => m.values.find((v) => v.labels.app === 'web')?.value), 1);
  t.true(w.controller.readiness().some((c) => c.name === 'traefik' && c.ok));
});
