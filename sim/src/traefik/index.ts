// The simulated Traefik v3: reads the catalog the way its consulCatalog and nomad providers do
// (sources.ts), builds each provider's dynamic configuration as Traefik does (labels.ts,
// provider.ts), turns it into the runtime view its API reports (runtime.ts), and serves that API
// (api.ts) on a SimServer (fault injection, counters, /_sim/*). It does not proxy traffic.
// Traefik polls its providers in the background (refreshInterval, 15 s by default). The sim reads
// them lazily instead: an API answer is preceded by a read when the last one is older than
// refreshIntervalMs. Its view is never staler than that when asked, and an unused sim sends the
// simulated Consul and Nomad nothing (their request counters and injected faults stay the tests').
// Like Traefik it keeps the last configuration of a provider whose read failed.
// /_sim/traefik/refresh reads the providers now; /_sim/traefik/log shows what Traefik would have logged.
// Imports nothing of drover (the package imports nothing from src/; the lint holds it).
import { SimServer } from '../http.js';
import { registerApiRoutes } from './api.js';
import { buildProviderConfig, type DynamicConfig, type MergeConflict, type ProviderKind, type ProviderLog } from './provider.js';
import { buildRuntime, type EntryPointSpec, type RuntimeConfig } from './runtime.js';
import { readConsulItems, readNomadItems, type ConsulSource, type NomadSource } from './sources.js';

export type { EntryPointSpec } from './runtime.js';
// The model itself, for tests that check drover's expectations against what Traefik would build from a catalog:
// labels → a provider's dynamic configuration → the runtime view → the API's JSON.
export { buildProviderConfig, type ServiceItem } from './provider.js';
export { buildRuntime } from './runtime.js';
export { goJson, rawDataJson } from './api.js';

export interface TraefikSimOptions {
  /** the consulCatalog provider reads this Consul (off when absent) */
  consul?: ConsulSource;
  /** the nomad provider reads this Nomad (off when absent); with `namespaces`, one provider `nomad-<ns>` per namespace */
  nomad?: Omit<NomadSource, 'namespace'> & { namespaces?: string[] };
  /** both providers' `prefix` (default `traefik`) */
  prefix?: string;
  /** both providers' `exposedByDefault` (default false, as manifests/traefik.nomad.hcl runs Traefik) */
  exposedByDefault?: boolean;
  /** default `web` :80, `websecure` :443, `grpc` :7233, and `traefik` :8080 serving the API (api.insecure) */
  entryPoints?: EntryPointSpec[];
  /** consulCatalog strictChecks (default passing, warning) */
  strictChecks?: string[];
  /** an API answer is preceded by a provider read when the last one is older than this (default 200 ms; Traefik polls every 15 s); 0 = only refresh() reads */
  refreshIntervalMs?: number;
  /** per provider read */
  timeoutMs?: number;
  random?: () => number;
}

export interface TraefikSim {
  readonly server: SimServer;
  readonly url: string;
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
  /** reads every provider now and rebuilds the runtime configuration */
  refresh(): Promise<void>;
  /** the runtime configuration the API serves */
  runtime(): RuntimeConfig;
  /** what Traefik would have logged while building the configuration (most recent last, bounded) */
  log(): readonly (ProviderLog & { provider: string })[];
  /** routers and services dropped by the last build because instances disagreed */
  conflicts(): readonly (MergeConflict & { provider: string })[];
  /** the last failed read per provider, until one succeeds */
  providerErrors(): Record<string, string>;
}

export const DEFAULT_ENTRYPOINTS: EntryPointSpec[] = [
  { name: 'web', address: ':80' }, { name: 'websecure', address: ':443' }, { name: 'grpc', address: ':7233' }, { name: 'traefik', address: ':8080' },
];

interface ProviderSlot {
  name: string;
  kind: ProviderKind;
  read(): Promise<import('./provider.js').ServiceItem[]>;
}

export function createTraefikSim(opts: TraefikSimOptions = {}): TraefikSim {
  const server = new SimServer({ name: 'traefik', errorForm: 'text', random: opts.random });
  const prefix = opts.prefix ?? 'traefik';
  const exposedByDefault = opts.exposedByDefault ?? false;
  const entryPoints = opts.entryPoints ?? DEFAULT_ENTRYPOINTS;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const read = { prefix, exposedByDefault, timeoutMs };
  const slots: ProviderSlot[] = [];
  if (opts.consul) {
    const src = opts.consul;
    slots.push({ name: 'consulcatalog', kind: 'consulcatalog', read: () => readConsulItems(src, read) });
  }
  if (opts.nomad) {
    const { namespaces, ...src } = opts.nomad;
    if (namespaces?.length) for (const ns of namespaces) slots.push({ name: `nomad-${ns}`, kind: 'nomad', read: () => readNomadItems({ ...src, namespace: ns }, read) });
    else slots.push({ name: 'nomad', kind: 'nomad', read: () => readNomadItems(src, read) });
  }
  const configs = new Map<string, DynamicConfig>();
  const logs: (ProviderLog & { provider: string })[] = [];
  let conflicts: (MergeConflict & { provider: string })[] = [];
  const errors: Record<string, string> = {};
  const apiEntryPoint = entryPoints.some((e) => e.name === 'traefik') ? 'traefik' : undefined;
  let runtime: RuntimeConfig = buildRuntime(configs, { entryPoints, apiEntryPoint });
  const interval = opts.refreshIntervalMs ?? 200;
  let lastRead = Number.NEGATIVE_INFINITY;
  let inflight: Promise<void> | undefined;
  let again = false;

  const refreshOnce = async (): Promise<void> => {
    const found: (MergeConflict & { provider: string })[] = [];
    await Promise.all(slots.map(async (slot) => {
      try {
        const items = await slot.read();
        const log: ProviderLog[] = [];
        const c: MergeConflict[] = [];
        configs.set(slot.name, buildProviderConfig(items, { kind: slot.kind, prefix, exposedByDefault, strictChecks: opts.strictChecks }, log, c));
        found.push(...c.map((x) => ({ ...x, provider: slot.name })));
        logs.push(...log.filter((l) => l.level !== 'debug').map((l) => ({ ...l, provider: slot.name })));
        delete errors[slot.name];
      } catch (e) {
        // Traefik retries the provider with backoff and keeps serving its last configuration.
        errors[slot.name] = (e as Error).message;
        found.push(...conflicts.filter((x) => x.provider === slot.name));
      }
    }));
    if (logs.length > 1000) logs.splice(0, logs.length - 1000);
    conflicts = found;
    runtime = buildRuntime(configs, { entryPoints, apiEntryPoint });
    lastRead = Date.now();
  };

  /** One read at a time; a refresh asked for during a read runs once more after it. */
  const refresh = (): Promise<void> => {
    if (inflight) {
      again = true;
      return inflight;
    }
    inflight = (async () => {
      do {
        again = false;
        await refreshOnce();
      } while (again);
    })().finally(() => (inflight = undefined));
    return inflight;
  };

  const fresh = async (): Promise<void> => {
    if (interval <= 0 || slots.length === 0 || Date.now() - lastRead < interval) return;
    await refresh();
  };
  registerApiRoutes(server, {
    runtime: () => runtime, fresh, entryPoints, version: '3.7.9-sim',
    providerNames: [...(opts.consul ? ['ConsulCatalog'] : []), ...(opts.nomad ? ['Nomad'] : [])],
  });
  server.route(['POST', 'PUT'], '/_sim/traefik/refresh', async () => {
    await refresh();
    return { json: { providers: slots.map((s) => s.name), errors } };
  });
  server.route('GET', '/_sim/traefik/log', () => ({ json: logs }));
  server.route('GET', '/_sim/traefik/conflicts', () => ({ json: conflicts }));

  return {
    server,
    get url() {
      return server.url;
    },
    async listen(port = 0, host = '127.0.0.1') {
      const { url } = await server.listen(port, host);
      return url;
    },
    async close() {
      await inflight?.catch(() => undefined);
      await server.close();
    },
    refresh,
    runtime: () => runtime,
    log: () => logs,
    conflicts: () => conflicts,
    providerErrors: () => ({ ...errors }),
  };
}
