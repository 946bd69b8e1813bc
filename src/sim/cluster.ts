// The composed simulated cluster: Nomad, Consul and Vault simulators on loopback, with the Nomad sim's
// Consul-provider services flowing into the Consul sim (the way Nomad clients register with their
// local agent). Used by `drover sim`, the demo and end-to-end tests. Vault is seeded with the secrets
// examples/apps reads and the demo token `root`.
import { createConsulSim, type ConsulSim, type ConsulSimOptions } from './consul/index.js';
import { createNomadSim, type NomadSim, type NomadSimOptions } from './nomad/index.js';
import { createVaultSim, type VaultSim } from './vault/index.js';

export interface SimClusterOptions {
  host?: string;
  /** 0 (default) picks a free port */
  nomadPort?: number;
  consulPort?: number;
  vaultPort?: number;
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
  urls: { nomad: string; consul: string; vault: string };
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
  const nomad = createNomadSim({ ...opts.nomad, serviceSink: consul, allocDelayMs: opts.allocDelayMs });
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
  };
  let closing: Promise<void> | undefined;
  return {
    nomad, consul, vault, urls,
    close: () => (closing ??= Promise.all([nomad.close(), consul.close(), vault.close()]).then(() => undefined)),
  };
}
