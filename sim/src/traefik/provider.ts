// One provider's dynamic configuration from its service instances, as Traefik's consulCatalog and
// nomad providers build it (pkg/provider/consulcatalog/config.go, pkg/provider/nomad/config.go,
// pkg/provider/configuration.go, pkg/provider/merge.go):
// - per instance: keep it (enabled, healthy enough), decode its labels, add the instance as the one
//   server of each service it declares (or of a default service named after the catalog service),
//   link routers without `service` to the single service, and with no router at all give the HTTP side
//   a default router named after the service with the default rule `Host(`<normalized name>`)`;
// - merge the instances (ordered by `<node>-<service>-<id>`, normalized): identical routers merge;
//   services merge their server lists when everything else is equal; a router or service defined with
//   different values by two instances is dropped altogether, with the error Traefik logs:
//   "<kind> defined multiple times with different configurations".
import { consulTagsToLabels, decodeConfiguration, enableFromLabels, LabelError, nomadTagsToLabels, type Labels } from './labels.js';

export type ProviderKind = 'consulcatalog' | 'nomad';

export interface ServiceItem {
  /** Consul service ID / Nomad registration ID */
  id: string;
  node: string;
  /** the catalog service name */
  name: string;
  address: string;
  port: number;
  tags: string[];
  /** consulCatalog: the aggregated check status (passing | warning | critical | maintenance) */
  status?: string;
}

export interface ProviderOptions {
  kind: ProviderKind;
  prefix: string;
  exposedByDefault: boolean;
  /** consulCatalog only: statuses allowed to take traffic (default passing, warning) */
  strictChecks?: string[];
}

export type Obj = Record<string, unknown>;

export interface DynamicConfig {
  http: { routers: Map<string, Obj>; services: Map<string, Obj>; middlewares: Map<string, Obj> };
  tcp: { routers: Map<string, Obj>; services: Map<string, Obj>; middlewares: Map<string, Obj> };
  udp: { routers: Map<string, Obj>; services: Map<string, Obj> };
}

export interface ProviderLog {
  level: 'error' | 'info' | 'debug';
  message: string;
  /** the router/service the line is about, when there is one */
  name?: string;
}

export function emptyConfig(): DynamicConfig {
  return {
    http: { routers: new Map(), services: new Map(), middlewares: new Map() },
    tcp: { routers: new Map(), services: new Map(), middlewares: new Map() },
    udp: { routers: new Map(), services: new Map() },
  };
}

/** provider.Normalize: every run of characters that are not letters or digits becomes one `-`. */
export function normalize(name: string): string {
  return name.split(/[^\p{L}\p{N}]+/u).filter((s) => s.length > 0).join('-');
}

const DEFAULT_STRICT_CHECKS = ['passing', 'warning'];

export function buildProviderConfig(items: ServiceItem[], opts: ProviderOptions, log: ProviderLog[] = [], conflicts: MergeConflict[] = []): DynamicConfig {
  const perItem = new Map<string, DynamicConfig>();
  for (const item of items) {
    const key = normalize(`${item.node}-${item.name}-${item.id}`);
    const labels = opts.kind === 'nomad' ? nomadTagsToLabels(item.tags, opts.prefix) : consulTagsToLabels(item.tags, opts.prefix);
    try {
      if (!keep(item, labels, opts, log)) continue;
      const conf = itemConfig(item, labels, log);
      if (conf) perItem.set(key, conf);
    } catch (e) {
      if (!(e instanceof LabelError)) throw e;
      log.push({ level: 'error', message: `${key}: ${e.message}` });
    }
  }
  return merge([...perItem.keys()].sort().map((k) => perItem.get(k)!), log, conflicts);
}

function keep(item: ServiceItem, labels: Labels, opts: ProviderOptions, log: ProviderLog[]): boolean {
  if (!enableFromLabels(labels, opts.exposedByDefault, opts.kind === 'nomad' ? 'equalFold' : 'decode')) return false;
  if (opts.kind === 'consulcatalog') {
    const allowed = opts.strictChecks ?? DEFAULT_STRICT_CHECKS;
    if (!allowed.includes(item.status ?? 'any')) {
      log.push({ level: 'debug', message: `${item.id}: status "${item.status}" is not included in the configured strictChecks of "${allowed.join(',')}"` });
      return false;
    }
  }
  return true;
}

function itemConfig(item: ServiceItem, labels: Labels, log: ProviderLog[]): DynamicConfig | undefined {
  const decoded = decodeConfiguration(labels);
  const conf: DynamicConfig = { http: decoded.http, tcp: decoded.tcp, udp: decoded.udp };
  const defaultName = normalize(item.name);
  let tcpOrUdp = false;
  if (conf.tcp.routers.size > 0 || conf.tcp.services.size > 0) {
    tcpOrUdp = true;
    if (conf.tcp.services.size === 0) conf.tcp.services.set(defaultName, { loadBalancer: {} });
    for (const [name, svc] of conf.tcp.services) {
      const err = addTcpServer(item, svc);
      if (err) {
        log.push({ level: 'error', message: `${name}: ${err}` });
        return undefined;
      }
    }
    linkRouters(conf.tcp.routers, conf.tcp.services, log, true);
  }
  if (conf.udp.routers.size > 0 || conf.udp.services.size > 0) {
    tcpOrUdp = true;
    if (conf.udp.services.size === 0) conf.udp.services.set(defaultName, { loadBalancer: {} });
    for (const svc of conf.udp.services.values()) addTcpServer(item, svc);
    linkRouters(conf.udp.routers, conf.udp.services, log, false);
  }
  if (tcpOrUdp && conf.http.routers.size === 0 && conf.http.middlewares.size === 0 && conf.http.services.size === 0) return conf;

  if (conf.http.services.size === 0) {
    conf.http.services.set(defaultName, { loadBalancer: { strategy: 'wrr', passHostHeader: true, responseForwarding: { flushInterval: '100ms' } } });
  }
  for (const [name, svc] of conf.http.services) {
    const err = addHttpServer(item, svc);
    if (err) {
      log.push({ level: 'error', message: `${name}: ${err}` });
      return undefined;
    }
  }
  if (conf.http.routers.size === 0) {
    if (conf.http.services.size > 1) log.push({ level: 'info', message: 'Could not create a router for the container: too many services' });
    else conf.http.routers.set(defaultName, {});
  }
  for (const [name, router] of conf.http.routers) {
    if (!router.rule) {
      // The default rule template `Host(`{{ normalize .Name }}`)` (pkg/provider/consulcatalog/consul_catalog.go).
      router.rule = `Host(\`${normalize(item.name)}\`)`;
    }
    if (!router.service) {
      if (conf.http.services.size > 1) {
        conf.http.routers.delete(name);
        log.push({ level: 'error', name, message: `Router ${name} cannot be linked automatically with multiple Services: ${goQuoted([...conf.http.services.keys()])}` });
        continue;
      }
      router.service = [...conf.http.services.keys()][0];
    }
  }
  return conf;
}

/** BuildTCPRouterConfiguration / BuildUDPRouterConfiguration. */
function linkRouters(routers: Map<string, Obj>, services: Map<string, Obj>, log: ProviderLog[], needsRule: boolean): void {
  for (const [name, router] of routers) {
    if (needsRule && !router.rule) {
      routers.delete(name);
      log.push({ level: 'error', name, message: 'Empty rule' });
      continue;
    }
    if (router.service) continue;
    if (services.size > 1) {
      routers.delete(name);
      log.push({ level: 'error', name, message: `Router ${name} cannot be linked automatically with multiple Services: ${goQuoted([...services.keys()])}` });
      continue;
    }
    router.service = [...services.keys()][0];
  }
}

function addHttpServer(item: ServiceItem, svc: Obj): string | undefined {
  const lb = svc.loadBalancer as Obj | undefined;
  if (!lb) return 'load-balancer is not defined';
  const servers = (lb.servers as Obj[] | undefined) ?? [{}];
  lb.servers = servers;
  const first = servers[0]!;
  if (!item.address) return 'address is missing';
  if (first.url) {
    if (first.scheme || first.port) return 'defining scheme or port is not allowed when URL is defined';
    return undefined;
  }
  const port = (first.port as string | undefined) || (item.port > 0 ? String(item.port) : '');
  delete first.port;
  if (!port) return 'port is missing';
  const scheme = (first.scheme as string | undefined) || 'http';
  delete first.scheme;
  first.url = `${scheme}://${joinHostPort(item.address, port)}`;
  return undefined;
}

function addTcpServer(item: ServiceItem, svc: Obj): string | undefined {
  const lb = svc.loadBalancer as Obj | undefined;
  if (!lb) return 'load-balancer is not defined';
  const servers = (lb.servers as Obj[] | undefined) ?? [{}];
  lb.servers = servers;
  const first = servers[0]!;
  if (!item.address) return 'address is missing';
  const port = (first.port as string | undefined) || (item.port > 0 ? String(item.port) : '');
  delete first.port;
  if (!port) return 'port is missing';
  first.address = joinHostPort(item.address, port);
  return undefined;
}

function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Go's %q of a []string: ["a" "b"]. */
function goQuoted(names: string[]): string {
  return `[${names.map((n) => JSON.stringify(n)).join(' ')}]`;
}

// ---- provider.Merge with ResourceStrategyMerge ---------------------------------------------------

const KIND_WORDS: Record<string, string> = {
  'http.routers': 'HTTP router', 'http.services': 'HTTP service', 'http.middlewares': 'HTTP middleware',
  'tcp.routers': 'TCP router', 'tcp.services': 'TCP service', 'tcp.middlewares': 'TCP middleware',
  'udp.routers': 'UDP router', 'udp.services': 'UDP service',
};

/** What merge.go logs for a dropped resource: the message and the instances that defined it. */
export interface MergeConflict {
  kind: string;
  name: string;
  message: string;
}

export function merge(configs: DynamicConfig[], log: ProviderLog[] = [], conflicts: MergeConflict[] = []): DynamicConfig {
  const out = emptyConfig();
  const sections: [keyof DynamicConfig, string][] = [['http', 'routers'], ['http', 'services'], ['http', 'middlewares'], ['tcp', 'routers'], ['tcp', 'services'], ['tcp', 'middlewares'], ['udp', 'routers'], ['udp', 'services']];
  for (const [proto, kind] of sections) {
    const dst = (out[proto] as Record<string, Map<string, Obj>>)[kind]!;
    const doomed = new Set<string>();
    for (const c of configs) {
      const src = (c[proto] as Record<string, Map<string, Obj>>)[kind]!;
      for (const [name, value] of src) {
        const have = dst.get(name);
        if (!have) {
          dst.set(name, structuredClone(value));
          continue;
        }
        if (!tryMerge(have, value, kind === 'services')) doomed.add(name);
      }
    }
    for (const name of doomed) {
      dst.delete(name);
      const message = `${KIND_WORDS[`${proto}.${kind}`]} defined multiple times with different configurations`;
      log.push({ level: 'error', name, message });
      conflicts.push({ kind: `${proto}.${kind}`, name, message });
    }
  }
  return out;
}

/** Service.Merge / ServersLoadBalancer.Merge: equal apart from servers → servers appended (deduplicated by url/address). */
function tryMerge(dst: Obj, src: Obj, isService: boolean): boolean {
  if (!isService) return deepEqual(dst, src);
  const a = dst.loadBalancer as Obj | undefined;
  const b = src.loadBalancer as Obj | undefined;
  if (!a || !b) return deepEqual(dst, src);
  const { servers: sa, ...restA } = a;
  const { servers: sb, ...restB } = b;
  const { loadBalancer: _a, ...outerA } = dst;
  const { loadBalancer: _b, ...outerB } = src;
  if (!deepEqual(restA, restB) || !deepEqual(outerA, outerB)) return false;
  const key = (s: Obj) => String(s.url ?? s.address ?? '');
  const merged = [...((sa as Obj[] | undefined) ?? [])];
  const seen = new Set(merged.map(key));
  for (const s of (sb as Obj[] | undefined) ?? []) {
    if (seen.has(key(s))) continue;
    seen.add(key(s));
    merged.push(structuredClone(s));
  }
  a.servers = merged;
  return true;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (a instanceof Map || b instanceof Map) return a instanceof Map && b instanceof Map && deepEqual(Object.fromEntries(a), Object.fromEntries(b));
  const ka = Object.keys(a as object).filter((k) => (a as Obj)[k] !== undefined);
  const kb = Object.keys(b as object).filter((k) => (b as Obj)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Obj)[k], (b as Obj)[k]));
}
