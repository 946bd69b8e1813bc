// The shipped Consul ACL policies against a REAL Consul agent (1.8.7 here) with ACLs enabled and
// default deny: each policy file is created as it ships, a token is made with it, and drover's own
// code does with that token exactly what drover does — the node registrar's passes (register,
// agent services, deregister), the controller's catalog/health reads for verification, and the
// leader lock (session create / renew / destroy, acquire and release of the leader key). Then the
// least-privilege side: what drover never does is denied. Skipped visibly without `consul` on PATH;
// a failure when DROVER_REQUIRE_REAL_CONSUL=1 (CI).
import test from 'ava';
import { readFileSync } from 'node:fs';
import { ConsulClient } from '../../src/clients/consul.js';
import { NomadClient } from '../../src/clients/nomad.js';
import { DroverError } from '../../src/core/errors.js';
import { nullLogger } from '../../src/core/logger.js';
import { renderJob } from '../../src/core/render/index.js';
import { expectedServicesFromJob, observedFromConsul, verifyConsul } from '../../src/core/verify.js';
import type { AllocListStub } from '../../src/core/nomad-types.js';
import { ConsulLeaderElector } from '../../src/leader/consul-lock.js';
import { DockerClient, NodeRegistrar } from '../../src/registrar/index.js';
import { NOMAD_LABELS } from '../../src/registrar/docker.js';
import { createDockerSim } from '@drover/sim/docker';
import { createNomadSim } from '@drover/sim/nomad';
import { createWeaveSim } from '@drover/sim/weave';
import { WeaveClient } from '../../src/registrar/index.js';
import type { AppSpec, LoadedApp } from '../../src/spec/types.js';
import { TEST_DEFAULTS } from '../core/render.helpers.js';
import { startRealConsul } from '../helpers/consul-agent.js';

const POLICY_DIR = new URL('../../manifests/acl/', import.meta.url);
const policyText = (file: string) => readFileSync(new URL(file, POLICY_DIR), 'utf8');

const agent = await startRealConsul({ acl: {} });
const required = process.env.DROVER_REQUIRE_REAL_CONSUL === '1';

/** Management calls (policy and token creation) with the master token, plain fetch. */
async function manage(url: string, master: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}${path}`, { method: 'PUT', headers: { 'X-Consul-Token': master }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`PUT ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

async function tokenWith(url: string, master: string, policyFiles: string[]): Promise<string> {
  const names: string[] = [];
  for (const file of policyFiles) {
    const name = `${file.replace(/\.policy\.hcl$/, '')}-${Math.random().toString(36).slice(2, 8)}`;
    await manage(url, master, '/v1/acl/policy', { Name: name, Rules: policyText(file) });
    names.push(name);
  }
  const tok = await manage(url, master, '/v1/acl/token', { Description: `test ${policyFiles.join('+')}`, Policies: names.map((Name) => ({ Name })) });
  return String(tok.SecretID);
}

const client = (url: string, token: string) => new ConsulClient({ addr: url, token, timeoutMs: 5000, retry: { attempts: 1 } });

async function denied(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DroverError && e.code === 'unauthorized') return e.message;
    throw e;
  }
  throw new Error('expected the call to be denied, it was allowed');
}

const SUBNET = '10.32.9.0/24';
const APP: AppSpec = {
  image: 'ghcr.io/example/httpbackend:1.0.0', port: 8080, ingress: { host: 'backend.example.com' },
  weave: { subnet: SUBNET }, health: { type: 'http', path: '/ready', interval: '5s', timeout: '1s' },
};

function loaded(name: string, spec: AppSpec): LoadedApp {
  return {
    key: `default/${name}`, name, namespace: 'default', source: { file: `apps/${name}.yaml`, line: 1, col: 1 },
    manifest: { apiVersion: 'drover.io/v1alpha1', kind: 'App', metadata: { name }, spec },
  } as LoadedApp;
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

if ('unavailable' in agent) {
  if (required) test('real Consul agent with ACLs is available (DROVER_REQUIRE_REAL_CONSUL=1)', (t) => t.fail(agent.unavailable));
  else test.skip(`shipped Consul ACL policies against a real agent — skipped: ${agent.unavailable}`, () => undefined);
} else {
  const { url, version } = agent;
  const master = agent.masterToken!;
  test.after.always(() => agent.close());

  test(`[consul ${version}, ACLs on] registrar token (drover + registrar policies): the node registrar registers, lists and deregisters weave services`, async (t) => {
    const token = await tokenWith(url, master, ['consul-drover.policy.hcl', 'consul-drover-registrar.policy.hcl']);
    const consul = client(url, token);
    const nomad = createNomadSim({ allocDelayMs: 10 });
    const docker = createDockerSim();
    const weave = createWeaveSim();
    const [nomadUrl, dockerUrl, weaveUrl] = await Promise.all([nomad.listen(), docker.listen(), weave.listen()]);
    t.teardown(() => Promise.all([nomad.close(), docker.close(), weave.close()]).then(() => undefined));
    const nomadApi = new NomadClient({ addr: nomadUrl, timeoutMs: 2000 });
    const job = renderJob(loaded('httpbackend', APP), { ...TEST_DEFAULTS, owner: 'drover' });
    await nomadApi.registerJob(job);
    const live = (await nomadApi.readJob('httpbackend')).value!;
    const task = live.TaskGroups[0]!.Tasks[0]!;
    const containers = ['0000aaaa-aaaa-4bbb-8ccc-dddddddddddd', '0000bbbb-aaaa-4bbb-8ccc-dddddddddddd'].map((allocId) => {
      const c = docker.addContainer({
        labels: {
          [NOMAD_LABELS.allocId]: allocId, [NOMAD_LABELS.jobId]: live.ID, [NOMAD_LABELS.jobName]: live.ID, [NOMAD_LABELS.taskName]: task.Name,
          [NOMAD_LABELS.namespace]: 'default', 'com.hashicorp.nomad.task_group_name': live.TaskGroups[0]!.Name,
        },
        env: { ...task.Env },
      });
      weave.assign(c.id, SUBNET);
      return c;
    });
    const u = new URL(dockerUrl);
    const registrar = new NodeRegistrar({
      owner: 'drover', nomad: nomadApi, consul, intervalMs: 100,
      docker: new DockerClient({ kind: 'tcp', host: u.hostname, port: Number(u.port) }, 2000), weave: new WeaveClient(weaveUrl, 2000),
    });

    const first = await registrar.runPass();
    t.like(first, { desired: 2, registered: 2, pending: 0 }, `register pass: ${JSON.stringify(first)}`);
    const entries = (await consul.healthService('httpbackend')).value;
    t.is(entries.length, 2, 'both weave registrations are in Consul');
    t.true(entries.every((e) => e.Service.Address.startsWith('10.32.9.')));
    t.true(entries.every((e) => (e.Service.Tags ?? []).includes('traefik.enable=true')));
    t.like(await registrar.runPass(), { registered: 2, deregistered: 0 }, 'a steady pass lists the agent services and writes nothing');

    docker.removeContainer(containers[1]!.id);
    weave.release(containers[1]!.id);
    t.like(await registrar.runPass(), { registered: 1, deregistered: 1 }, 'the stopped container\'s registration is removed');
    t.is((await consul.catalogService('httpbackend')).value.length, 1);
    docker.removeContainer(containers[0]!.id);
    weave.release(containers[0]!.id);
    t.like(await registrar.runPass(), { registered: 0, deregistered: 1 });
    t.deepEqual((await consul.catalogService('httpbackend')).value, []);
  });

  test(`[consul ${version}, ACLs on] controller token (drover policy): verification reads catalog and health of any service`, async (t) => {
    const token = await tokenWith(url, master, ['consul-drover.policy.hcl']);
    const consul = client(url, token);
    // An app's instances, registered the way Nomad's client would (with its own, stronger token).
    const job = renderJob(loaded('web', { image: 'nginx:1', port: 80, ingress: { host: 'web.example.com' }, service: { provider: 'consul' }, count: 2 }), TEST_DEFAULTS);
    const svc = job.TaskGroups[0]!.Tasks[0]!.Services![0]!;
    const allocs = ['11111111-2222-4333-8444-555555555555', '21111111-2222-4333-8444-555555555555'];
    const master$ = client(url, master);
    for (const [i, a] of allocs.entries()) {
      await master$.registerService({ ID: `_nomad-task-${a}-web-web-http`, Name: svc.Name, Tags: svc.Tags ?? [], Address: `10.0.0.${i + 10}`, Port: 20000 + i });
    }
    t.teardown(() => Promise.all(allocs.map((a) => master$.deregisterService(`_nomad-task-${a}-web-web-http`))).then(() => undefined));
    t.is((await consul.catalogService(svc.Name)).value.length, 2, 'catalog read');
    const health = (await consul.healthService(svc.Name)).value;
    t.is(health.length, 2, 'health read: Consul also filters these entries by node:read, which the policy grants');
    const running = allocs.map((ID) => ({ ID, JobID: job.ID, TaskGroup: job.TaskGroups[0]!.Name, ClientStatus: 'running' }) as AllocListStub);
    const r = verifyConsul(expectedServicesFromJob(job, running), observedFromConsul(health));
    t.false(r.drift, r.problems.join('; '));
  });

  test(`[consul ${version}, ACLs on] controller token (drover policy): the leader lock — session create, acquire, renew, release, destroy`, async (t) => {
    const token = await tokenWith(url, master, ['consul-drover.policy.hcl']);
    const consul = client(url, token);
    const elector = new ConsulLeaderElector({ consul, key: 'drover/leader', ttlMs: 10_000, lockDelayMs: 1000, id: 'acl-test#1', logger: nullLogger, retryMs: 100 });
    elector.start();
    t.teardown(() => elector.stop());
    await eventually('leadership under the drover policy', async () => elector.isLeader());
    const held = (await consul.kvGet('drover/leader')).value;
    t.is(held?.Value ? Buffer.from(held.Value, 'base64').toString() : undefined, 'acl-test#1');
    t.truthy(held?.Session, 'the key is held by the elector\'s session');
    t.deepEqual(await consul.sessionRenew(held!.Session!), { ttl: '10s' }, 'renew of the elector\'s session');
    await elector.stop();
    const after = (await consul.kvGet('drover/leader')).value;
    t.falsy(after?.Session, 'released on stop');
    await t.throwsAsync(consul.sessionRenew(held!.Session!), { message: /404|not found/i }, 'the session was destroyed on stop');
  });

  test(`[consul ${version}, ACLs on] least privilege: what drover never does is denied`, async (t) => {
    const controllerToken = await tokenWith(url, master, ['consul-drover.policy.hcl']);
    const controller = client(url, controllerToken);
    const registrar = client(url, await tokenWith(url, master, ['consul-drover.policy.hcl', 'consul-drover-registrar.policy.hcl']));
    t.regex(await denied(controller.registerService({ ID: 'x-1', Name: 'httpbackend', Port: 80 })), /Missing service:write on httpbackend/,
      'the controller alone registers nothing (only the registrar does)');
    for (const [who, c] of [['controller', controller], ['registrar', registrar]] as const) {
      t.regex(await denied(c.kvPut('drover/other', 'x')), /403|Permission denied/, `${who}: another key under drover/`);
      t.regex(await denied(c.kvPut('vault/core/seal', 'x')), /403|Permission denied/, `${who}: a key outside drover/`);
      t.regex(await denied(c.kvGet('other/config')), /403|Permission denied/, `${who}: reading another key`);
    }
    const acl = await fetch(`${url}/v1/acl/tokens`, { headers: { 'X-Consul-Token': controllerToken } });
    t.is(acl.status, 403, 'no ACL management');
    const sid = await controller.sessionCreate({ name: 'probe', ttl: '10s' });
    t.teardown(() => controller.sessionDestroy(sid));
    t.regex(await denied(controller.kvPut('drover/other', 'x', { acquire: sid })), /403|Permission denied/, 'no lock on another key');
  });
}
