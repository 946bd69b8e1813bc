// `drover sim`: runs the simulated Nomad, Consul and Vault on loopback until SIGINT/SIGTERM, and prints
// the addresses and the environment lines that point drover (or the nomad/consul CLIs) at them.
// The simulator is its own development package (@drover/sim, sim/ in the repository), absent from production
// installs and the image; this is the only module of src/ that may load it, and only when the command runs
// (the lint holds both).
import type { Command } from 'commander';
import { parseDurationMs } from '../../core/duration.js';

const SIMULATOR_PACKAGE = '@drover/sim';

/**
 * What this command uses of the simulator package. Declared here rather than imported so that drover compiles
 * where the package is absent (the image); test/cli/sim.test.ts checks that the package still fits it.
 */
export interface SimulatorApi {
  startSimCluster(opts: {
    host: string; nomadPort: number; consulPort: number; vaultPort: number; traefikPort: number; allocDelayMs?: number; vaultToken: string;
    nomad: { namespaces: string[]; drivers?: string[]; nomadVersion: string; timeScale: number };
  }): Promise<{ urls: Record<'nomad' | 'consul' | 'vault' | 'traefik' | 'docker' | 'weave', string>; close(): Promise<void> }>;
}

export const SIMULATOR_NOT_INSTALLED =
  'drover sim: the simulator is not installed here (it is the development package @drover/sim, left out of production installs and the image); run it from a clone of the drover repository: npm ci && npm run sim';

/** The simulator package, or undefined when it is not installed; any other failure to load it is thrown. */
export async function loadSimulator(specifier: string = SIMULATOR_PACKAGE): Promise<SimulatorApi | undefined> {
  try {
    // A specifier the compiler does not resolve: the image is built without the package.
    return (await import(specifier)) as SimulatorApi;
  } catch (e) {
    const err = e as { code?: unknown; message?: unknown };
    if (err?.code !== 'ERR_MODULE_NOT_FOUND' || typeof err.message !== 'string') throw e;
    if (err.message.startsWith(`Cannot find package '${specifier}'`)) return undefined;
    // Installed (the workspace link is there) but its compiled entry point is missing.
    if (err.message.includes(`/${specifier}/dist/`)) throw new Error(`${specifier} is installed but not built: run npm run build (or run drover from its sources)`);
    throw e;
  }
}

interface SimFlags {
  host: string;
  nomadPort: string;
  consulPort: string;
  vaultPort: string;
  traefikPort: string;
  allocDelay: string;
  namespaces: string;
  drivers?: string;
  nomadVersion: string;
  timeScale: string;
}

const VAULT_TOKEN = 'root';

export function registerSim(program: Command): void {
  program
    .command('sim')
    .description('Run a simulated Nomad + Consul + Vault on this machine (for demos and tests; not a real cluster)')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--nomad-port <port>', 'simulated Nomad HTTP port (0 = any free port)', '4646')
    .option('--consul-port <port>', 'simulated Consul HTTP port (0 = any free port)', '8500')
    .option('--vault-port <port>', 'simulated Vault HTTP port (0 = any free port)', '8200')
    .option('--traefik-port <port>', 'simulated Traefik API port (default 0: any free port)', '0')
    .option('--alloc-delay <duration>', 'how long a simulated allocation takes to start, e.g. 200ms', '200ms')
    // Nomad refuses jobs in a namespace that does not exist; the examples use `default` and `tenant-b` (seed 003).
    .option('--namespaces <list>', 'Nomad namespaces that exist, comma-separated', 'default,tenant-b')
    .option('--drivers <list>', "task drivers the simulated node has, comma-separated (a task needing another stays unplaced; default: every driver the simulator knows)")
    .option('--nomad-version <version>', 'the Nomad version the simulated agent reports in /v1/agent/self, e.g. 1.9.7', '2.0.5')
    .option('--time-scale <factor>', 'wall-clock time per simulated second for update-block durations (min_healthy_time, deadlines); 0 = instant, deadlines off', '0.01')
    .action(async (flags: SimFlags) => {
      const simulator = await loadSimulator();
      if (!simulator) {
        process.stderr.write(`${SIMULATOR_NOT_INSTALLED}\n`);
        process.exitCode = 1;
        return;
      }
      const problems: string[] = [];
      const port = (flag: string, v: string) => {
        const n = Number(v);
        if (!/^\d+$/.test(v) || n > 65535) problems.push(`--${flag}: "${v}" is not a port number (0-65535)`);
        return n;
      };
      const nomadPort = port('nomad-port', flags.nomadPort);
      const consulPort = port('consul-port', flags.consulPort);
      const vaultPort = port('vault-port', flags.vaultPort);
      const traefikPort = port('traefik-port', flags.traefikPort);
      const allocDelayMs = parseDurationMs(flags.allocDelay);
      if (allocDelayMs === undefined) problems.push(`--alloc-delay: "${flags.allocDelay}" is not a duration (e.g. 200ms, 1s)`);
      const namespaces = flags.namespaces.split(',').map((n) => n.trim()).filter(Boolean);
      for (const n of namespaces) if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(n)) problems.push(`--namespaces: "${n}" is not a valid namespace name`);
      if (!namespaces.includes('default')) namespaces.unshift('default');
      const drivers = flags.drivers?.split(',').map((d) => d.trim()).filter(Boolean);
      for (const d of drivers ?? []) if (!/^[a-z0-9][a-z0-9_-]*$/.test(d)) problems.push(`--drivers: "${d}" is not a driver name`);
      if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(flags.nomadVersion)) problems.push(`--nomad-version: "${flags.nomadVersion}" is not a version like 2.0.5`);
      const timeScale = Number(flags.timeScale);
      if (!/^\d+(\.\d+)?$/.test(flags.timeScale) || !(timeScale <= 1)) problems.push(`--time-scale: "${flags.timeScale}" is not a factor between 0 and 1`);
      if (problems.length) throw new Error(problems.join('; '));

      const cluster = await simulator.startSimCluster({
        host: flags.host, nomadPort, consulPort, vaultPort, traefikPort, allocDelayMs, vaultToken: VAULT_TOKEN,
        nomad: { namespaces, drivers, nomadVersion: flags.nomadVersion, timeScale },
      });
      const out = (s: string) => process.stdout.write(`${s}\n`);
      out('drover sim: simulated cluster running (Nomad, Consul, Vault, Docker Engine and weave router simulators, not real servers)');
      out(`  Nomad   ${cluster.urls.nomad}`);
      out(`  Consul  ${cluster.urls.consul}`);
      out(`  Vault   ${cluster.urls.vault}   (demo token: ${VAULT_TOKEN})`);
      out(`  Traefik ${cluster.urls.traefik}   (API only: entrypoints web, websecure, grpc; routes from the Consul and Nomad catalogs)`);
      out(`  Docker  ${cluster.urls.docker}   weave router ${cluster.urls.weave}   (running docker allocations are containers here)`);
      out('Point drover at it with:');
      out(`export NOMAD_ADDR=${cluster.urls.nomad}`);
      out(`export CONSUL_HTTP_ADDR=${cluster.urls.consul}`);
      out(`export VAULT_ADDR=${cluster.urls.vault}`);
      out(`export VAULT_TOKEN=${VAULT_TOKEN}`);
      out(`export TRAEFIK_API_ADDR=${cluster.urls.traefik}`);
      out(`export DROVER_REGISTRAR=on DOCKER_HOST=${cluster.urls.docker.replace(/^http:/, 'tcp:')} WEAVE_ROUTER_ADDR=${cluster.urls.weave}`);
      out('Press Ctrl-C to stop.');

      await new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals) => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          process.stderr.write(`drover sim: ${signal}, stopping\n`);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await cluster.close();
    });
}
