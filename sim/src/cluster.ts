// The composed simulated cluster: Nomad, Consul and Vault simulators on loopback, with the Nomad sim's
// Consul-provider services flowing into the Consul sim (the way Nomad clients register with their
// local agent). Used by `drover sim`, the demo and end-to-end tests. Vault is seeded with the secrets
// examples/apps reads and the demo token `root`.
import { createConsulSim, type ConsulSim, type ConsulSimOptions } from './consul/index.js';
import { createNomadSim, type NomadSim, type NomadSimOptions } from './nomad/index.js';
import { createVaultSim, type VaultSim } from './vault/index.js';
import { createDockerSim, type DockerSim } from './docker/index.js';
import type { AllocRuntime } from './nomad/scheduler.js';
import { createWeaveSim, type WeaveSim } from './weave/index.js';
import { createTraefikSim, type TraefikSim, type TraefikSimOptions } from './traefik/index.js';

export interface SimClusterOptions {
  host?: string;
  /** 0 (default) picks a free port */
  nomadPort?: number;
  consulPort?: number;
  vaultPort?: number;
  dockerPort?: number;
  weavePort?: number;
  /** the simulated Traefik's API (entrypoints web, websecure, grpc; reads the Consul and Nomad sims) */
  traefikPort?: number;
  traefik?: Omit<TraefikSimOptions, 'consul' | 'nomad'>;
  /** how long a simulated allocation takes to start running */
  allocDelayMs?: number;
  /** the token the Vault sim accepts (default `root`) */
  vaultToken?: string;
  /** extra Vault secrets, merged over the example ones (see createVaultSim for the key form) */
  secrets?: Record<string, Record<string, string>>;
  /** further Nomad sim options (its serviceSink is always the Consul sim) */
  nomad?: Omit<NomadSimOptions, 'serviceSink' | 'allocDelayMs'>;
  /** Consul sim options, e.g. a short minSessionTtlMs for fail-over tests */
  consul?: ConsulSimOptions;
}

export interface SimCluster {
  nomad: NomadSim;
  consul: ConsulSim;
  vault: VaultSim;
  /** the node's Docker Engine API: every running docker allocation is a container here */
  docker: DockerSim;
  /** the node's weave router API: weave apps' containers get addresses here */
  weave: WeaveSim;
  traefik: TraefikSim;
  urls: { nomad: string; consul: string; vault: string; docker: string; weave: string; traefik: string };
  close(): Promise<void>;
}

/** Secrets the apps in examples/apps read (000-hashiqube-otel-collector: kv/data/otel-collector). */
export const EXAMPLE_SECRETS: Readonly<Record<string, Record<string, string>>> = {
  'kv/otel-collector': { 'lightstep-access-token': 'sim-lightstep-token' },
};

export async function startSimCluster(opts: SimClusterOptions = {}): Promise<SimCluster> {
  const host = opts.host ?? '127.0.0.1';
  const consul = createConsulSim(opts.consul);
  const vault = createVaultSim({ tokens: [opts.vaultToken ?? 'root'], secrets: { ...EXAMPLE_SECRETS, ...opts.secrets } });
  const docker = createDockerSim();
  const weave = createWeaveSim();
  const nomad = createNomadSim({ ...opts.nomad, serviceSink: consul, allocDelayMs: opts.allocDelayMs, runtime: nodeRuntime(docker, weave) });
  const started: { close(): Promise<void> }[] = [];
  const listen = async (name: string, sim: { listen(p?: number, h?: string): Promise<string>; close(): Promise<void> }, port = 0) => {
    try {
      const url = await sim.listen(port, host);
      started.push(sim);
      return url;
    } catch (e) {
      await Promise.all(started.map((s) => s.close()));
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'EADDRINUSE' ? 'the address is in use' : code === 'EADDRNOTAVAIL' ? 'the address is not available here' : (e as Error).message;
      throw new Error(`cannot start the simulated ${name} on ${host}:${port}: ${why}`);
    }
  };
  const urls = {
    nomad: await listen('Nomad', nomad, opts.nomadPort),
    consul: await listen('Consul', consul, opts.consulPort),
    vault: await listen('Vault', vault, opts.vaultPort),
    docker: await listen('Docker Engine', docker, opts.dockerPort),
    weave: await listen('weave router', weave, opts.weavePort),
  };
  // Traefik's consulCatalog and nomad providers read the simulated catalogs over HTTP, as a real Traefik would.
  const traefik = createTraefikSim({ consul: { addr: urls.consul }, nomad: { addr: urls.nomad }, ...opts.traefik });
  const traefikUrl = await listen('Traefik', traefik, opts.traefikPort);
  let closing: Promise<void> | undefined;
  return {
    nomad, consul, vault, docker, weave, traefik, urls: { ...urls, traefik: traefikUrl },
    close: () => (closing ??= Promise.all([traefik.close(), nomad.close(), consul.close(), vault.close(), docker.close(), weave.close()]).then(() => undefined)),
  };
}

// Nomad's docker driver labels (the node registrar finds allocations by them).
const LABEL = {
  allocId: 'com.hashicorp.nomad.alloc_id', jobId: 'com.hashicorp.nomad.job_id', jobName: 'com.hashicorp.nomad.job_name',
  taskName: 'com.hashicorp.nomad.task_name', namespace: 'com.hashicorp.nomad.namespace', group: 'com.hashicorp.nomad.task_group_name',
};

/**
 * A node as seed 003 runs it: the docker driver starts a container per docker task, weave's proxy gives
 * it an address — in its `WEAVE_CIDR=net:<subnet>` (proxy mode) or the default range (`network_mode =
 * "weave"`); other containers stay on the bridge only. A stopped allocation's container goes away.
 */
function nodeRuntime(docker: DockerSim, weave: WeaveSim): AllocRuntime {
  const byAlloc = new Map<string, string[]>();
  return {
    started(a) {
      const env = Object.fromEntries(Object.entries((a.task.Env as Record<string, string> | null) ?? {}).map(([k, v]) => [k, String(v)]));
      const config = (a.task.Config as Record<string, unknown> | null) ?? {};
      const c = docker.addContainer({
        name: `${String(a.task.Name)}-${a.id}`, image: String(config.image ?? ''), env, bridgeIp: a.bridgeIp,
        labels: { [LABEL.allocId]: a.id, [LABEL.jobId]: a.jobId, [LABEL.jobName]: a.jobName, [LABEL.taskName]: String(a.task.Name), [LABEL.namespace]: a.namespace, [LABEL.group]: a.group },
      });
      const cidr = env.WEAVE_CIDR;
      try {
        if (cidr?.startsWith('net:')) weave.assign(c.id, cidr.slice(4));
        else if (config.network_mode === 'weave') weave.assign(c.id);
      } catch {
        // a full or malformed subnet: the container keeps its bridge address only, as weave would leave it
      }
      byAlloc.set(a.id, [...(byAlloc.get(a.id) ?? []), c.id]);
    },
    stopped(allocId) {
      for (const id of byAlloc.get(allocId) ?? []) {
        weave.release(id);
        docker.removeContainer(id);
      }
      byAlloc.delete(allocId);
    },
  };
}
