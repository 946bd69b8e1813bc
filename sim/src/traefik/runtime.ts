// The runtime configuration Traefik's API reports: the providers' configurations merged under
// qualified names (`<name>@<provider>`, pkg/server/aggregator.go), routers without entry points given
// the default ones, the default observability of HTTP routers, then what building the handlers
// records on each router and service (pkg/config/runtime/*.go, pkg/server/router/router.go,
// pkg/server/router/tcp/manager.go, pkg/server/service/service.go):
// - an entry point that does not exist: warning `entryPoint "x" doesn't exist`; none valid: disabled
//   `no valid entryPoint for this router`; `using` lists the valid ones;
// - priority 0 becomes the rule's length for HTTP (`HostSNI(`*`)` alone is -1 for TCP);
// - a router's service or middleware that does not exist: disabled `the service "s@p" does not exist`
//   / `middleware "m@p" does not exist`;
// - TCP: no service, no rule, a HostSNI other than `*` without TLS: disabled with Traefik's text;
// - a service built for a router marks each of its servers UP (no health check is simulated), so a
//   service no router uses has no serverStatus, as in Traefik.
import type { DynamicConfig, Obj } from './provider.js';

export interface EntryPointSpec {
  name: string;
  /** `:80` */
  address: string;
  /** entryPoints.<name>.asDefault */
  asDefault?: boolean;
}

export interface RouterInfo extends Obj {
  status: 'enabled' | 'disabled' | 'warning';
  error?: string[];
  using?: string[];
}

export interface ServiceInfo extends Obj {
  status: 'enabled' | 'disabled' | 'warning';
  error?: string[];
  usedBy?: string[];
  /** keyed by server URL/address; absent until a router's handler built the service */
  serverStatus?: Record<string, 'UP' | 'DOWN'>;
}

export interface RuntimeConfig {
  routers: Map<string, RouterInfo>;
  services: Map<string, ServiceInfo>;
  middlewares: Map<string, Obj>;
  tcpRouters: Map<string, RouterInfo>;
  tcpServices: Map<string, ServiceInfo>;
  udpRouters: Map<string, RouterInfo>;
  udpServices: Map<string, ServiceInfo>;
}

/** `api.insecure=true`: Traefik's own routers and services (pkg/provider/traefik/internal.go). */
function internalConfig(apiEntryPoint: string): DynamicConfig {
  const c: DynamicConfig = {
    http: { routers: new Map(), services: new Map(), middlewares: new Map() },
    tcp: { routers: new Map(), services: new Map(), middlewares: new Map() },
    udp: { routers: new Map(), services: new Map() },
  };
  // Go int priorities math.MaxInt64-1 and -2: BigInt here, written as bare numbers by api.ts
  c.http.routers.set('api', { entryPoints: [apiEntryPoint], service: 'api@internal', rule: 'PathPrefix(`/api`)', ruleSyntax: 'default', priority: 9223372036854775806n });
  c.http.routers.set('dashboard', {
    entryPoints: [apiEntryPoint], middlewares: ['dashboard_redirect@internal', 'dashboard_stripprefix@internal'], service: 'dashboard@internal',
    rule: 'PathPrefix(`/`)', ruleSyntax: 'default', priority: 9223372036854775805n,
  });
  c.http.services.set('api', {});
  c.http.services.set('dashboard', {});
  c.http.services.set('noop', {});
  c.http.middlewares.set('dashboard_redirect', { redirectRegex: { regex: '^(http:\\/\\/(\\[[\\w:.]+\\]|[\\w\\._-]+)(:\\d+)?)\\/$', replacement: '${1}/dashboard/', permanent: true } });
  c.http.middlewares.set('dashboard_stripprefix', { stripPrefix: { prefixes: ['/dashboard/', '/dashboard'] } });
  return c;
}

export interface RuntimeOptions {
  entryPoints: EntryPointSpec[];
  /** the entry point serving the API (`traefik`), when api.insecure is on */
  apiEntryPoint?: string;
}

export function defaultEntryPoints(eps: EntryPointSpec[]): string[] {
  const flagged = eps.some((e) => e.asDefault);
  return eps.filter((e) => (!flagged || e.asDefault) && e.name !== 'traefik').map((e) => e.name).sort();
}

export function buildRuntime(providers: Map<string, DynamicConfig>, opts: RuntimeOptions): RuntimeConfig {
  const rt: RuntimeConfig = {
    routers: new Map(), services: new Map(), middlewares: new Map(), tcpRouters: new Map(), tcpServices: new Map(), udpRouters: new Map(), udpServices: new Map(),
  };
  const all = new Map(providers);
  if (opts.apiEntryPoint) all.set('internal', internalConfig(opts.apiEntryPoint));
  const defaults = defaultEntryPoints(opts.entryPoints);
  for (const [pvd, conf] of all) {
    for (const [name, r] of conf.http.routers) {
      const router = structuredClone(r);
      if (!(router.entryPoints as string[] | undefined)?.length) router.entryPoints = [...defaults];
      // applyDefaultObservabilityModel (pkg/server/aggregator.go): unset fields default to on, verbosity minimal
      const obs = (router.observability as Obj | undefined) ?? {};
      router.observability = { accessLogs: obs.accessLogs ?? true, metrics: obs.metrics ?? true, tracing: obs.tracing ?? true, traceVerbosity: obs.traceVerbosity || 'minimal' };
      rt.routers.set(`${name}@${pvd}`, { ...router, status: 'enabled' } as RouterInfo);
    }
    for (const [name, s] of conf.http.services) rt.services.set(`${name}@${pvd}`, { ...structuredClone(s), status: 'enabled' } as ServiceInfo);
    for (const [name, m] of conf.http.middlewares) rt.middlewares.set(`${name}@${pvd}`, { ...structuredClone(m), status: 'enabled' });
    for (const [name, r] of conf.tcp.routers) {
      const router = structuredClone(r);
      if (!(router.entryPoints as string[] | undefined)?.length) router.entryPoints = [...defaults];
      rt.tcpRouters.set(`${name}@${pvd}`, { ...router, status: 'enabled' } as RouterInfo);
    }
    for (const [name, s] of conf.tcp.services) rt.tcpServices.set(`${name}@${pvd}`, { ...structuredClone(s), status: 'enabled' } as ServiceInfo);
    for (const [name, r] of conf.udp.routers) rt.udpRouters.set(`${name}@${pvd}`, { ...structuredClone(r), status: 'enabled' } as RouterInfo);
    for (const [name, s] of conf.udp.services) rt.udpServices.set(`${name}@${pvd}`, { ...structuredClone(s), status: 'enabled' } as ServiceInfo);
  }
  populateUsedBy(rt);
  const epNames = new Set(opts.entryPoints.map((e) => e.name));
  buildHttp(rt, epNames);
  buildTcp(rt, epNames);
  return rt;
}

export function addError(info: RouterInfo | ServiceInfo, message: string, critical: boolean): void {
  info.error ??= [];
  if (info.error.includes(message)) return;
  info.error.push(message);
  if (critical) info.status = 'disabled';
  else if (info.status !== 'disabled') info.status = 'warning';
}

function providerOf(name: string): string {
  return name.split('@')[1] ?? '';
}

function qualified(provider: string, name: string): string {
  return name.includes('@') ? name : `${name}@${provider}`;
}

function populateUsedBy(rt: RuntimeConfig): void {
  const link = (routers: Map<string, RouterInfo>, services: Map<string, ServiceInfo>) => {
    for (const [name, r] of routers) {
      const svc = services.get(qualified(providerOf(name), String(r.service ?? '')));
      if (svc) (svc.usedBy ??= []).push(name);
    }
    for (const s of services.values()) s.usedBy?.sort();
  };
  link(rt.routers, rt.services);
  link(rt.tcpRouters, rt.tcpServices);
  link(rt.udpRouters, rt.udpServices);
  for (const [name, r] of rt.routers) {
    for (const m of (r.middlewares as string[] | undefined) ?? []) {
      const mid = rt.middlewares.get(qualified(providerOf(name), m));
      if (mid) ((mid.usedBy as string[] | undefined) ?? (mid.usedBy = [])).push(name);
    }
  }
}

/** GetRoutersByEntryPoints: entry point checks, `using`. */
function checkEntryPoints(r: RouterInfo, epNames: Set<string>): boolean {
  const using: string[] = [];
  for (const ep of (r.entryPoints as string[] | undefined) ?? []) {
    if (!epNames.has(ep)) addError(r, `entryPoint ${JSON.stringify(ep)} doesn't exist`, false);
    else using.push(ep);
  }
  if (using.length === 0) {
    addError(r, 'no valid entryPoint for this router', true);
    return false;
  }
  r.using = [...new Set(using)].sort();
  return true;
}

function buildHttp(rt: RuntimeConfig, epNames: Set<string>): void {
  for (const [name, r] of [...rt.routers].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!checkEntryPoints(r, epNames)) continue;
    if (!r.priority) r.priority = String(r.rule ?? '').length;
    const pvd = providerOf(name);
    // buildHTTPHandler: middlewares are qualified, the service is built (its servers marked UP), then the chain
    const middlewares = ((r.middlewares as string[] | undefined) ?? []).map((m) => qualified(pvd, m));
    if (middlewares.length) r.middlewares = middlewares;
    const svcName = qualified(pvd, String(r.service ?? ''));
    const svc = rt.services.get(svcName);
    if (!svc) {
      addError(r, `the service ${JSON.stringify(svcName)} does not exist`, true);
      continue;
    }
    if (svc.status === 'disabled') {
      addError(r, (svc.error ?? []).join(', '), true);
      continue;
    }
    if (!hasType(svc)) {
      const err = `the service ${JSON.stringify(svcName)} does not have any type defined`;
      addError(svc, err, true);
      addError(r, err, true);
      continue;
    }
    markServersUp(svc, 'url');
    const missing = middlewares.find((m) => !rt.middlewares.has(m));
    if (missing) addError(r, `middleware ${JSON.stringify(missing)} does not exist`, true);
  }
}

function hasType(svc: ServiceInfo): boolean {
  // internal services (api, dashboard, noop) are built by Traefik itself
  return svc.loadBalancer !== undefined || svc.weighted !== undefined || svc.mirroring !== undefined || svc.failover !== undefined
    || svc.highestRandomWeight !== undefined || Object.keys(svc).every((k) => ['status', 'usedBy', 'error', 'serverStatus'].includes(k));
}

function markServersUp(svc: ServiceInfo, key: 'url' | 'address'): void {
  const lb = svc.loadBalancer as Obj | undefined;
  for (const s of (lb?.servers as Obj[] | undefined) ?? []) {
    const id = s[key];
    if (typeof id !== 'string' || id === '') continue;
    (svc.serverStatus ??= {})[id] = 'UP';
  }
}

/** A HostSNI matcher's domains, as tcpmuxer.ParseHostSNI finds them (enough for the `*`-or-TLS rule). */
function hostSniDomains(rule: string): string[] {
  return [...rule.matchAll(/HostSNI\(([^)]*)\)/g)].flatMap((m) => [...m[1]!.matchAll(/[`"]([^`"]*)[`"]/g)].map((x) => x[1]!));
}

function buildTcp(rt: RuntimeConfig, epNames: Set<string>): void {
  for (const [name, r] of [...rt.tcpRouters].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!checkEntryPoints(r, epNames)) continue;
    const rule = String(r.rule ?? '');
    if (!r.priority) {
      const domains = hostSniDomains(rule);
      r.priority = /^\s*HostSNI\(\s*`\*`\s*\)\s*$/.test(rule) && domains.length === 1 ? -1 : rule.length;
    }
    if (!r.service) {
      addError(r, 'the service is missing on the router', true);
      continue;
    }
    if (!rule) {
      addError(r, 'router has no rule', true);
      continue;
    }
    const domains = hostSniDomains(rule);
    if (domains.length > 0 && r.tls === undefined && domains[0] !== '*') {
      addError(r, `invalid rule: ${JSON.stringify(rule)} , has HostSNI matcher, but no TLS on router`, true);
      continue;
    }
    const middlewares = ((r.middlewares as string[] | undefined) ?? []).map((m) => qualified(providerOf(name), m));
    if (middlewares.length) r.middlewares = middlewares;
    const svcName = qualified(providerOf(name), String(r.service));
    const svc = rt.tcpServices.get(svcName);
    if (!svc) {
      addError(r, `the service ${JSON.stringify(svcName)} does not exist`, true);
      continue;
    }
    markServersUp(svc, 'address');
  }
}
