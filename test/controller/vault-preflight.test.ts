// Vault pre-flight in the running controller (issue #5), against the simulated cluster: a job whose
// Vault secret is missing or forbidden is not written (the previous version keeps running), only that
// app is blocked, the status names the path and nothing secret, and the write goes through once the
// secret exists (next resync) or the spec changes.
import test, { type ExecutionContext } from 'ava';
import { NomadClient } from '../../src/clients/nomad.js';
import { VaultClient } from '../../src/clients/vault.js';
import { parseConfig } from '../../src/config.js';
import { nullLogger } from '../../src/core/logger.js';
import { Controller } from '../../src/controller/index.js';
import { Metrics } from '../../src/metrics.js';
import { startSimCluster, type SimCluster } from '@drover/sim';
import { appYaml, FakeSource } from './harness.js';

const TOKEN = 'root-token-never-shown';
const SECRET_VALUE = 'sup3r-s3cret-value';

interface World {
  cluster: SimCluster;
  source: FakeSource;
  controller: Controller;
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  registers(): number;
}

async function startWorld(t: ExecutionContext, vaultToken = TOKEN): Promise<World> {
  const cluster = await startSimCluster({ allocDelayMs: 5, vaultToken: TOKEN, secrets: { 'secret/present': { password: SECRET_VALUE } } });
  const metrics = new Metrics();
  const config = { ...parseConfig({ NOMAD_ADDR: cluster.urls.nomad, DROVER_CONCURRENCY: '8' }), resyncIntervalMs: 60_000 };
  const retry = { attempts: 2, baseMs: 5, maxMs: 20 };
  const nomad = new NomadClient({ addr: cluster.urls.nomad, timeoutMs: 2000, retry, streamIdleMs: 5000 }, metrics, nullLogger);
  const vault = new VaultClient({ addr: cluster.urls.vault, token: vaultToken, timeoutMs: 2000, retry }, metrics, nullLogger);
  const source = new FakeSource();
  const controller = new Controller({ config, nomad, vault, source, metrics, logger: nullLogger, backoff: { baseMs: 5, maxMs: 100 } });
  t.teardown(async () => {
    await controller.stop();
    await cluster.close();
    await source.cleanup();
  });
  const metric = async (name: string, labels: Record<string, string> = {}) => {
    const m = await metrics.registry.getSingleMetric(name)?.get();
    if (!m) throw new Error(`no metric ${name}`);
    return m.values.find((x) => Object.entries(labels).every(([k, v]) => String(x.labels[k]) === v))?.value ?? 0;
  };
  const registers = () => cluster.nomad.server.count((k) => k === 'PUT /v1/jobs' || k === 'POST /v1/jobs');
  return { cluster, source, controller, metric, registers };
}

async function until(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function vaultApp(name: string, path: string, image = 'nginx:1.27'): string {
  return `${appYaml(name, { image })}  vault:\n    role: ${name}\n    secrets:\n      - path: ${path}\n        env:\n          DB_PASSWORD: password\n`;
}

test('a missing secret blocks only that app; the other rolls out; creating the secret + a resync rolls it out', async (t) => {
  const w = await startWorld(t);
  await w.controller.start();
  await w.source.commit({ 'apps/db.yaml': vaultApp('db', 'secret/data/db'), 'apps/web.yaml': appYaml('web') });
  await w.controller.idle();
  t.truthy(w.cluster.nomad.getJob('default', 'web'), 'the other app in the snapshot rolls out');
  t.is(w.cluster.nomad.getJob('default', 'db'), undefined, 'no write for the blocked app');
  const st = w.controller.getApp('default', 'db')!;
  t.is(st.sync, 'OutOfSync');
  t.is(st.lastError!.code, 'vault-preflight');
  t.is(st.lastError!.message, 'vault secrets not usable (missing: secret/data/db)');
  t.false(JSON.stringify(st).includes(TOKEN));
  // The snapshot pass and the resync that follows a snapshot each looked once.
  const failures = await w.metric('drover_vault_preflight_failures_total', { namespace: 'default', app: 'db' });
  t.true(failures >= 1 && failures <= 2, String(failures));
  t.is(await w.metric('drover_vault_preflight_failures_total', { namespace: 'default', app: 'web' }), 0);
  t.is(await w.metric('drover_reconcile_errors_total', { code: 'vault-preflight' }), failures);
  t.is(w.controller.getApp('default', 'web')!.sync, 'Synced');

  // Terminal until the next resync or spec change: no backoff retries pile up meanwhile.
  await new Promise((r) => setTimeout(r, 150));
  await w.controller.idle();
  t.is(await w.metric('drover_vault_preflight_failures_total', { namespace: 'default', app: 'db' }), failures);
  await w.controller.resync();
  await w.controller.idle();
  t.is(await w.metric('drover_vault_preflight_failures_total', { namespace: 'default', app: 'db' }), failures + 1, 'a resync looks again');
  t.is(w.cluster.nomad.getJob('default', 'db'), undefined);

  w.cluster.vault.putSecret('secret/db', { password: SECRET_VALUE });
  await w.controller.resync();
  await w.controller.idle();
  t.truthy(w.cluster.nomad.getJob('default', 'db'), 'rolled out once the secret exists');
  const after = w.controller.getApp('default', 'db')!;
  t.is(after.sync, 'Synced');
  t.is(after.lastError, undefined);
  t.is(after.lastAction, 'create');
  t.false(JSON.stringify(after).includes(SECRET_VALUE));
});

test('a running app whose new version reads a missing secret: the previous job keeps running; a spec fix rolls out', async (t) => {
  const w = await startWorld(t);
  await w.controller.start();
  await w.source.commit({ 'apps/api.yaml': vaultApp('api', 'secret/data/present', 'nginx:1.27') });
  await w.controller.idle();
  const v0 = w.cluster.nomad.getJob('default', 'api')!;
  t.is(v0.TaskGroups[0]!.Tasks[0]!.Config!.image, 'nginx:1.27');
  const writes = w.registers();

  await w.source.commit({ 'apps/api.yaml': vaultApp('api', 'secret/data/api-v2', 'nginx:1.28') });
  await w.controller.idle();
  let st = w.controller.getApp('default', 'api')!;
  t.is(w.registers(), writes, 'nothing written');
  t.is(w.cluster.nomad.getJob('default', 'api')!.TaskGroups[0]!.Tasks[0]!.Config!.image, 'nginx:1.27', 'previous version keeps running');
  t.is(st.sync, 'OutOfSync');
  t.is(st.lastError!.message, 'vault secrets not usable (missing: secret/data/api-v2)');

  await w.source.commit({ 'apps/api.yaml': vaultApp('api', 'secret/data/present', 'nginx:1.28') });
  await w.controller.idle();
  st = w.controller.getApp('default', 'api')!;
  t.is(st.sync, 'Synced');
  t.is(st.lastError, undefined);
  t.is(w.cluster.nomad.getJob('default', 'api')!.TaskGroups[0]!.Tasks[0]!.Config!.image, 'nginx:1.28');
});

test('unchanged Vault templates are not pre-flighted: an image bump goes through while Vault is down', async (t) => {
  const w = await startWorld(t);
  await w.controller.start();
  await w.source.commit({ 'apps/api.yaml': vaultApp('api', 'secret/data/present', 'nginx:1.27') });
  await w.controller.idle();
  t.truthy(w.cluster.nomad.getJob('default', 'api'));
  await w.cluster.vault.server.down();
  const vaultCalls = await w.metric('drover_upstream_requests_total', { upstream: 'vault' });
  await w.source.commit({ 'apps/api.yaml': vaultApp('api', 'secret/data/present', 'nginx:1.28') });
  await w.controller.idle();
  t.is(w.cluster.nomad.getJob('default', 'api')!.TaskGroups[0]!.Tasks[0]!.Config!.image, 'nginx:1.28');
  t.is(w.controller.getApp('default', 'api')!.sync, 'Synced');
  t.is(await w.metric('drover_upstream_requests_total', { upstream: 'vault' }), vaultCalls, 'Vault not asked');
});

test('Vault down while a changed secret path must be checked: held (OutOfSync), retried, written once Vault answers', async (t) => {
  const w = await startWorld(t);
  await w.controller.start();
  await w.cluster.vault.server.down();
  await w.source.commit({ 'apps/db.yaml': vaultApp('db', 'secret/data/present') });
  // Retryable (unavailable): the queue keeps retrying with backoff, so wait on the status, not on idle().
  await until('held', () => w.controller.getApp('default', 'db')?.lastError !== undefined);
  let st = w.controller.getApp('default', 'db')!;
  t.is(w.cluster.nomad.getJob('default', 'db'), undefined);
  t.is(st.sync, 'OutOfSync');
  t.regex(st.lastError!.message, /^vault pre-flight of secret\/data\/present: /);
  t.is(st.lastError!.code, 'unavailable');
  t.false(JSON.stringify(st).includes(TOKEN));
  await w.cluster.vault.server.up();
  await until('written', () => w.cluster.nomad.getJob('default', 'db') !== undefined);
  await w.controller.idle();
  st = w.controller.getApp('default', 'db')!;
  t.truthy(w.cluster.nomad.getJob('default', 'db'));
  t.is(st.sync, 'Synced');
});

test('a forbidden path (token Vault refuses) is reported as forbidden, the token never shown', async (t) => {
  const w = await startWorld(t, 'wrong-token-xyz');
  await w.controller.start();
  await w.source.commit({ 'apps/db.yaml': vaultApp('db', 'secret/data/present') });
  await w.controller.idle();
  const st = w.controller.getApp('default', 'db')!;
  t.is(w.cluster.nomad.getJob('default', 'db'), undefined);
  t.is(st.lastError!.code, 'vault-preflight');
  t.is(st.lastError!.message, 'vault secrets not usable (forbidden: secret/data/present)');
  t.false(JSON.stringify(st).includes('wrong-token-xyz'));
  t.false(JSON.stringify(st).includes(SECRET_VALUE));
});
