// A node for registrar tests: simulated Nomad, Consul (the node's local agent), Docker and weave on
// loopback, the real clients, and a helper that starts a container the way Nomad's docker driver
// would (its labels, the job's env) and attaches it to weave the way the weave proxy would.
import type { Scheduler } from '../../src/core/scheduler.js';
import type { ExecutionContext } from 'ava';
import { ConsulClient } from '../../src/clients/consul.js';
import { NomadClient } from '../../src/clients/nomad.js';
import { renderJob } from '../../src/core/render/index.js';
import type { NomadJob } from '../../src/core/nomad-types.js';
import { DockerClient, NodeRegistrar, WeaveClient, type RegistrarPassStats } from '../../src/registrar/index.js';
import { NOMAD_LABELS } from '../../src/registrar/docker.js';
import { createConsulSim, type ConsulSim } from '@drover/sim/consul';
import { createDockerSim, type DockerSim, type SimContainer } from '@drover/sim/docker';
import { createNomadSim, type NomadSim } from '@drover/sim/nomad';
import { createWeaveSim, type WeaveSim } from '@drover/sim/weave';
import type { AppSpec, LoadedApp } from '../../src/spec/types.js';
import { TEST_DEFAULTS } from '../core/render.helpers.js';

export interface Node {
  nomad: NomadSim;
  consulSim: ConsulSim;
  docker: DockerSim;
  weave: WeaveSim;
  nomadApi: NomadClient;
  consulApi: ConsulClient;
  registrar(opts?: { owner?: string; intervalMs?: number; onPass?: (s: RegistrarPassStats) => void; scheduler?: Scheduler }): NodeRegistrar;
  submit(name: string, spec: AppSpec, owner?: string): Promise<NomadJob>;
  /** a running container of the job's task, as Nomad would start it; weave-attached when it has WEAVE_CIDR */
  startContainer(job: NomadJob, opts?: { allocId?: string; env?: Record<string, string>; attach?: boolean }): SimContainer;
  stopContainer(c: SimContainer): void;
}

export async function startNode(t: ExecutionContext): Promise<Node> {
  const consulSim = createConsulSim();
  const nomad = createNomadSim({ allocDelayMs: 10 });
  const docker = createDockerSim();
  const weave = createWeaveSim();
  const [nomadUrl, consulUrl, dockerUrl, weaveUrl] = await Promise.all([nomad.listen(), consulSim.listen(), docker.listen(), weave.listen()]);
  const registrars: NodeRegistrar[] = [];
  t.teardown(async () => {
    await Promise.all(registrars.map((r) => r.stop()));
    await Promise.all([nomad.close(), consulSim.close(), docker.close(), weave.close()]);
  });
  const fast = { attempts: 1 };
  const nomadApi = new NomadClient({ addr: nomadUrl, timeoutMs: 2000, retry: fast });
  const consulApi = new ConsulClient({ addr: consulUrl, timeoutMs: 2000, retry: fast });
  const dockerUrlParts = new URL(dockerUrl);
  let allocSeq = 0;
  return {
    nomad, consulSim, docker, weave, nomadApi, consulApi,
    registrar(o = {}) {
      const r = new NodeRegistrar({
        owner: o.owner ?? 'drover', nomad: nomadApi, consul: consulApi, intervalMs: o.intervalMs ?? 100, onPass: o.onPass, ...(o.scheduler ? { scheduler: o.scheduler } : {}),
        docker: new DockerClient({ kind: 'tcp', host: dockerUrlParts.hostname, port: Number(dockerUrlParts.port) }, 2000),
        weave: new WeaveClient(weaveUrl, 2000),
      });
      registrars.push(r);
      return r;
    },
    async submit(name, spec, owner = 'drover') {
      const job = renderJob(loaded(name, spec), { ...TEST_DEFAULTS, owner });
      await nomadApi.registerJob(job);
      return (await nomadApi.readJob(name)).value!;
    },
    startContainer(job, o = {}) {
      const task = job.TaskGroups[0]!.Tasks[0]!;
      const allocId = o.allocId ?? `0000${String(++allocSeq).padStart(4, '0')}-aaaa-4bbb-8ccc-${'d'.repeat(12)}`;
      const c = docker.addContainer({
        labels: {
          [NOMAD_LABELS.allocId]: allocId, [NOMAD_LABELS.jobId]: job.ID, [NOMAD_LABELS.jobName]: job.Name ?? job.ID,
          [NOMAD_LABELS.taskName]: task.Name, [NOMAD_LABELS.namespace]: job.Namespace ?? 'default', 'com.hashicorp.nomad.task_group_name': job.TaskGroups[0]!.Name,
        },
        env: { ...task.Env, ...o.env },
      });
      const cidr = c.env.WEAVE_CIDR;
      if (cidr && o.attach !== false) weave.assign(c.id, cidr.startsWith('net:') ? cidr.slice(4) : undefined);
      return c;
    },
    stopContainer(c) {
      docker.removeContainer(c.id);
      weave.release(c.id);
    },
  };
}

function loaded(name: string, spec: AppSpec): LoadedApp {
  return {
    key: `default/${name}`, name, namespace: 'default', source: { file: `apps/${name}.yaml`, line: 1, col: 1 },
    manifest: { apiVersion: 'drover.io/v1alpha1', kind: 'App', metadata: { name }, spec },
  } as LoadedApp;
}

/** Polls until `check` holds, failing after `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, ms = 5000, what = 'condition'): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
