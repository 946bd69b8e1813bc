// Route verification (pure): the routers and services an app's rendered services declare in their
// Traefik tags, against what Traefik's API reports. Callers fetch Traefik's view; no I/O here.
//
// What is expected comes from the tags alone, read the way Traefik's providers read them (the
// prefix replaced by `traefik.`, keys matched case-insensitively, `traefik.enable` against
// exposedByDefault, a router without `service` linked to the one service of its protocol or to the
// default service named after the catalog service, and, with no router at all on the HTTP side, the
// default router named after the service: pkg/provider/consulcatalog/config.go,
// pkg/provider/nomad/config.go, pkg/provider/configuration.go). Router names are never derived from
// the app: whatever naming scheme the renderer uses, the tags say it.
//
// Decisions:
// - Drift (routing differs from what git says): a router missing, disabled, or with another rule or
//   entry points than its tags. A router in `warning` (e.g. one of its entry points does not exist)
//   still routes: a problem, not drift. A service with no server UP is a problem (health), not
//   drift: re-registering the job would not bring a server up.
// - Traefik drops a router (or service) that two instances define with different values ("defined
//   multiple times with different configurations", pkg/provider/merge.go) and says so only in its
//   log; when the catalog instances are given, a missing router is explained by the values they
//   disagree on.
// - Names are qualified by provider: `<name>@consulcatalog` for Consul, `<name>@nomad` for Nomad's
//   own catalog, or `<name>@nomad-<namespace>` when Traefik's nomad provider is set up per namespace
//   (a plain nomad provider reads the `default` namespace only).
import { parseRegistrarServices } from './render/services.js';
import type { NomadJob, NomadService } from './nomad-types.js';

// ---- Traefik's API shapes (pkg/api/handler.go `RunTimeRepresentation`, pkg/config/runtime) ----------

export interface TraefikRouterInfo {
  entryPoints?: string[];
  middlewares?: string[];
  service?: string;
  rule?: string;
  priority?: number;
  tls?: Record<string, unknown>;
  status?: 'enabled' | 'disabled' | 'warning' | string;
  error?: string[];
  using?: string[];
  [k: string]: unknown;
}

export interface TraefikServiceInfo {
  loadBalancer?: { servers?: { url?: string; address?: string }[]; [k: string]: unknown };
  status?: 'enabled' | 'disabled' | 'warning' | string;
  error?: string[];
  usedBy?: string[];
  /** keyed by server URL (HTTP) or address (TCP): UP | DOWN */
  serverStatus?: Record<string, string>;
  [k: string]: unknown;
}

/** `GET /api/rawdata`: every map keyed by the qualified name. */
export interface TraefikRawData {
  routers?: Record<string, TraefikRouterInfo>;
  services?: Record<string, TraefikServiceInfo>;
  tcpRouters?: Record<string, TraefikRouterInfo>;
  tcpServices?: Record<string, TraefikServiceInfo>;
  [k: string]: unknown;
}

/** Traefik's view as route verification reads it; built from rawdata or from per-name reads. */
export interface TraefikView {
  http: { routers: ReadonlyMap<string, TraefikRouterInfo>; services: ReadonlyMap<string, TraefikServiceInfo> };
  tcp: { routers: ReadonlyMap<string, TraefikRouterInfo>; services: ReadonlyMap<string, TraefikServiceInfo> };
}

export function viewFromRawData(raw: TraefikRawData): TraefikView {
  const m = <T>(o: Record<string, T> | undefined) => new Map(Object.entries(o ?? {}));
  return { http: { routers: m(raw.routers), services: m(raw.services) }, tcp: { routers: m(raw.tcpRouters), services: m(raw.tcpServices) } };
}

// ---- what the tags declare -------------------------------------------------------------------------

export type RouteProvider = 'consul' | 'nomad';
export type RouteProtocol = 'http' | 'tcp';

export interface ExpectedRouter {
  protocol: RouteProtocol;
  /** as in the tags (unqualified) */
  name: string;
  /** the service it uses: its `service` tag, or the one Traefik links it to */
  service: string;
  /** from the tags; absent when Traefik fills it (default router) */
  rule?: string;
  entryPoints?: string[];
  /** the catalog service whose tags declare it */
  catalogService: string;
  provider: RouteProvider;
  /** Nomad namespace of the job (picks `nomad-<ns>` when Traefik runs one nomad provider per namespace) */
  namespace: string;
  /** a declaration Traefik refuses (router without service among several); reported as a problem */
  invalid?: string;
}

export interface RouteOptions {
  /** the tag prefix Traefik's providers use (DROVER_TRAEFIK_PREFIX) */
  prefix: string;
  /** Traefik's exposedByDefault (the shipped Traefik runs with false; drover always renders traefik.enable) */
  exposedByDefault?: boolean;
}

interface Label {
  key: string;
  value: string;
}

/** Tags → Traefik labels keyed by lower-cased key (consulCatalog keeps spaces, nomad trims). */
function labelsOf(tags: readonly string[], prefix: string, provider: RouteProvider): Map<string, Label> {
  const out = new Map<string, Label>();
  for (const tag of tags) {
    if (!tag.startsWith(prefix) || tag.includes('${')) continue;
    const eq = tag.indexOf('=');
    if (eq < 0) continue;
    let left = tag.slice(0, eq);
    let value = tag.slice(eq + 1);
    if (provider === 'nomad') {
      left = left.trim();
      value = value.trim();
    }
    const key = `traefik.${left.startsWith(`${prefix}.`) ? left.slice(prefix.length + 1) : left}`;
    const lower = key.toLowerCase();
    const prev = out.get(lower);
    // paerser merges keys case-insensitively; the first spelling in sorted order names the node
    out.set(lower, { key: prev && prev.key < key ? prev.key : key, value });
  }
  return out;
}

function enabled(labels: Map<string, Label>, exposedByDefault: boolean, provider: RouteProvider): boolean {
  const v = labels.get('traefik.enable')?.value;
  if (v === undefined) return exposedByDefault;
  if (provider === 'nomad') return v.toLowerCase() === 'true';
  return ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v);
}

/** provider.Normalize: runs of characters other than letters and digits become one `-`. */
export function normalizeName(name: string): string {
  return name.split(/[^\p{L}\p{N}]+/u).filter((s) => s.length > 0).join('-');
}

interface Declared {
  routers: Map<string, { spelling: string; fields: Map<string, string> }>;
  services: Map<string, { spelling: string; fields: Map<string, string> }>;
}

/** Groups `traefik.<proto>.<routers|services>.<name>.<field…>` labels by protocol, kind and name. */
function declared(labels: Map<string, Label>): Record<'http' | 'tcp' | 'udp', Declared> {
  const out = { http: empty(), tcp: empty(), udp: empty() };
  for (const { key, value } of [...labels.values()].sort((a, b) => (a.key < b.key ? -1 : 1))) {
    const m = /^traefik\.(http|tcp|udp)\.(routers|services|middlewares)\.([^.]+)(?:\.(.*))?$/i.exec(key);
    if (!m) continue;
    const proto = m[1]!.toLowerCase() as 'http' | 'tcp' | 'udp';
    const kind = m[2]!.toLowerCase();
    if (kind === 'middlewares') {
      (out[proto] as Declared & { middlewares?: boolean }).middlewares = true;
      continue;
    }
    const table = kind === 'routers' ? out[proto].routers : out[proto].services;
    const id = m[3]!.toLowerCase();
    const entry = table.get(id) ?? { spelling: m[3]!, fields: new Map<string, string>() };
    table.set(id, entry);
    if (m[4] !== undefined) entry.fields.set(m[4].toLowerCase(), value);
  }
  return out;
}

function empty(): Declared {
  return { routers: new Map(), services: new Map() };
}

/** The routers one catalog service's tags declare. */
export function expectedRoutersOfService(
  svc: { name: string; tags: readonly string[]; provider: RouteProvider }, namespace: string, opts: RouteOptions,
): ExpectedRouter[] {
  const labels = labelsOf(svc.tags, opts.prefix, svc.provider);
  if (!enabled(labels, opts.exposedByDefault ?? false, svc.provider)) return [];
  const d = declared(labels);
  const defaultName = normalizeName(svc.name);
  const out: ExpectedRouter[] = [];
  const base = { catalogService: svc.name, provider: svc.provider, namespace };
  const tcpOrUdp = d.tcp.routers.size + d.tcp.services.size + d.udp.routers.size + d.udp.services.size > 0;
  const link = (proto: 'http' | 'tcp', fields: Map<string, string>): { service: string; invalid?: string } => {
    const explicit = fields.get('service');
    if (explicit) return { service: explicit };
    const services = [...d[proto].services.values()].map((s) => s.spelling);
    if (services.length === 0) return { service: defaultName };
    if (services.length === 1) return { service: services[0]! };
    return { service: '', invalid: `cannot be linked automatically with multiple services (${services.join(', ')}): Traefik drops it` };
  };
  for (const { spelling, fields } of d.tcp.routers.values()) {
    out.push({ ...base, protocol: 'tcp', name: spelling, ...link('tcp', fields), ...ruleAndEntryPoints(fields) });
  }
  const httpDeclared = d.http.routers.size + d.http.services.size > 0 || (d.http as { middlewares?: boolean }).middlewares === true;
  if (tcpOrUdp && !httpDeclared) return out;
  if (d.http.routers.size === 0) {
    if (d.http.services.size <= 1) {
      const service = d.http.services.size === 1 ? [...d.http.services.values()][0]!.spelling : defaultName;
      out.push({ ...base, protocol: 'http', name: defaultName, service, rule: `Host(\`${defaultName}\`)` });
    }
    return out;
  }
  for (const { spelling, fields } of d.http.routers.values()) {
    out.push({ ...base, protocol: 'http', name: spelling, rule: fields.get('rule') ?? `Host(\`${defaultName}\`)`, ...link('http', fields), ...entryPointsOf(fields) });
  }
  return out;
}

function ruleAndEntryPoints(fields: Map<string, string>): { rule?: string; entryPoints?: string[] } {
  return { ...(fields.has('rule') ? { rule: fields.get('rule')! } : {}), ...entryPointsOf(fields) };
}

function entryPointsOf(fields: Map<string, string>): { entryPoints?: string[] } {
  const v = fields.get('entrypoints');
  return v ? { entryPoints: v.split(',').map((s) => s.trim()) } : {};
}

/**
 * The routers a rendered job declares: every group and task service, plus the services drover's
 * node registrar registers for weave proxy-mode tasks (task Meta `drover.services`, provider consul).
 */
export function expectedRoutersFromJob(job: NomadJob, opts: RouteOptions): ExpectedRouter[] {
  const namespace = job.Namespace ?? 'default';
  const seen = new Set<string>();
  const out: ExpectedRouter[] = [];
  const add = (svc: { name: string; tags: readonly string[]; provider: RouteProvider }) => {
    for (const r of expectedRoutersOfService(svc, namespace, opts)) {
      const key = `${r.provider}/${r.protocol}/${r.name.toLowerCase()}`;
      if (seen.has(key)) continue; // two groups declaring the same service: one router in Traefik
      seen.add(key);
      out.push(r);
    }
  };
  const fromNomad = (s: NomadService, owner: string[]) => add({ name: s.Name || owner.filter(Boolean).join('-'), tags: s.Tags ?? [], provider: s.Provider === 'nomad' ? 'nomad' : 'consul' });
  for (const g of job.TaskGroups ?? []) {
    for (const s of g.Services ?? []) fromNomad(s, [job.ID, g.Name]);
    for (const t of g.Tasks ?? []) {
      for (const s of t.Services ?? []) fromNomad(s, [job.ID, g.Name, t.Name]);
      for (const r of parseRegistrarServices(t.Meta) ?? []) add({ name: r.name, tags: r.tags, provider: 'consul' });
    }
  }
  return out.sort((a, b) => (a.protocol === b.protocol ? (a.name < b.name ? -1 : 1) : a.protocol < b.protocol ? -1 : 1));
}

// ---- comparison ------------------------------------------------------------------------------------

export type RouterState = 'enabled' | 'warning' | 'disabled' | 'missing' | 'invalid';

export interface RouteRouterResult {
  /** qualified name as Traefik reports it (or the first one looked for, when missing) */
  router: string;
  protocol: RouteProtocol;
  state: RouterState;
  /** qualified service name */
  service: string;
  /** servers of that service Traefik reports UP, and how many it has */
  serversUp: number;
  servers: number;
}

export interface RouteVerifyResult {
  /** routing differs from what the tags declare: a router missing, disabled, or with another rule / entry points */
  drift: boolean;
  /** one line per problem, with Traefik's own error text where it gave one */
  problems: string[];
  notes: string[];
  routers: RouteRouterResult[];
}

/** One catalog instance's tags (the Consul verification's observed instances carry these). */
export interface RouteInstance {
  service: string;
  tags: string[];
  /** Consul check status; Traefik's consulCatalog skips critical instances (strictChecks: passing, warning) */
  status?: string;
}

export interface RouteVerifyOptions extends RouteOptions {
  /** the app's catalog instances: explain a missing router whose instances disagree */
  instances?: RouteInstance[];
}

/** The Traefik provider names that may hold an app's routers, most specific first. */
function providerCandidates(exp: ExpectedRouter): string[] {
  return exp.provider === 'nomad' ? [`nomad-${exp.namespace}`, 'nomad'] : ['consulcatalog'];
}

function find<T>(table: ReadonlyMap<string, T>, name: string, providers: string[]): [string, T] | undefined {
  for (const p of providers) {
    const v = table.get(`${name}@${p}`);
    if (v) return [`${name}@${p}`, v];
  }
  // a Consul Enterprise namespace provider: consulcatalog-<ns>
  if (providers[0] === 'consulcatalog') {
    for (const [k, v] of table) if (k.startsWith(`${name}@consulcatalog-`)) return [k, v];
  }
  return undefined;
}

export function verifyRoutes(expected: ExpectedRouter[], view: TraefikView, opts: RouteVerifyOptions): RouteVerifyResult {
  const r: RouteVerifyResult = { drift: false, problems: [], notes: [], routers: [] };
  for (const exp of expected) {
    const providers = providerCandidates(exp);
    const table = view[exp.protocol];
    const label = exp.protocol === 'tcp' ? 'TCP router' : 'router';
    if (exp.invalid) {
      r.problems.push(`${label} ${exp.name}: ${exp.invalid}`);
      r.drift = true;
      r.routers.push({ router: `${exp.name}@${providers[0]}`, protocol: exp.protocol, state: 'invalid', service: '', serversUp: 0, servers: 0 });
      continue;
    }
    const found = find(table.routers, exp.name, providers);
    const svcName = (qualifiedIn: string) => (exp.service.includes('@') ? exp.service : `${exp.service}@${qualifiedIn.split('@')[1]}`);
    if (!found) {
      const why = conflictReason(exp, opts);
      r.problems.push(`${label} ${exp.name}@${providers.length > 1 ? `{${providers.join('|')}}` : providers[0]}: missing from Traefik${why ? ` (${why})` : ''}`);
      r.drift = true;
      r.routers.push({ router: `${exp.name}@${providers[0]}`, protocol: exp.protocol, state: 'missing', service: svcName(`x@${providers[0]}`), serversUp: 0, servers: 0 });
      continue;
    }
    const [qname, info] = found;
    const state = routerState(info.status);
    if (state === 'disabled') {
      r.problems.push(`${label} ${qname}: disabled: ${(info.error ?? []).join('; ') || 'no reason given'}`);
      r.drift = true;
    } else if (state === 'warning') {
      r.problems.push(`${label} ${qname}: warning: ${(info.error ?? []).join('; ') || 'no reason given'}`);
    }
    if (exp.rule !== undefined && info.rule !== undefined && info.rule !== exp.rule) {
      r.problems.push(`${label} ${qname}: rule is ${info.rule}, the tags say ${exp.rule}`);
      r.drift = true;
    }
    if (exp.entryPoints && info.entryPoints && !sameSet(exp.entryPoints, info.entryPoints)) {
      r.problems.push(`${label} ${qname}: entry points are ${info.entryPoints.join(',')}, the tags say ${exp.entryPoints.join(',')}`);
      r.drift = true;
    }
    const svcQualified = info.service ? (info.service.includes('@') ? info.service : `${info.service}@${qname.split('@')[1]}`) : svcName(qname);
    if (exp.service && info.service && info.service.split('@')[0] !== exp.service.split('@')[0]) {
      r.problems.push(`${label} ${qname}: service is ${info.service}, the tags say ${exp.service}`);
      r.drift = true;
    }
    const svc = table.services.get(svcQualified);
    const servers = Object.values(svc?.serverStatus ?? {});
    const up = servers.filter((s) => s === 'UP').length;
    if (svc && state !== 'disabled' && up === 0) {
      const total = svc.loadBalancer?.servers?.length ?? servers.length;
      r.problems.push(`service ${svcQualified}: no server up${total ? ` (0 of ${total})` : ' (no servers)'}`);
    }
    r.routers.push({ router: qname, protocol: exp.protocol, state, service: svcQualified, serversUp: up, servers: svc?.loadBalancer?.servers?.length ?? servers.length });
  }
  return r;
}

function routerState(status: string | undefined): RouterState {
  if (status === 'disabled') return 'disabled';
  if (status === 'warning') return 'warning';
  return 'enabled';
}

function sameSet(a: string[], b: string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

/**
 * Why Traefik would have dropped the router: the instances it reads declare it, or its service,
 * with different values. Undefined when the instances agree (or none were given).
 */
function conflictReason(exp: ExpectedRouter, opts: RouteVerifyOptions): string | undefined {
  const mine = (opts.instances ?? []).filter((i) => i.service === exp.catalogService && (exp.provider === 'nomad' || i.status !== 'critical'));
  if (mine.length < 2) return undefined;
  const perInstance = mine.map((i) => labelsOf(i.tags, opts.prefix, exp.provider)).filter((l) => enabled(l, opts.exposedByDefault ?? false, exp.provider));
  const routerKey = `traefik.${exp.protocol}.routers.${exp.name.toLowerCase()}.`;
  // Only instances that declare the router take part in the merge of its definition.
  const declaring = (prefix: string) => perInstance.filter((l) => [...l.keys()].some((k) => k.startsWith(prefix)));
  const routerDiff = differing(declaring(routerKey), (k) => k.startsWith(routerKey), routerKey.length);
  if (routerDiff.length > 0) {
    return `its instances define it with different values — ${routerDiff.join('; ')}: Traefik drops a router defined multiple times with different configurations`;
  }
  const svcKey = `traefik.${exp.protocol}.services.${exp.service.split('@')[0]!.toLowerCase()}.`;
  const svcDiff = differing(declaring(svcKey), (k) => k.startsWith(svcKey) && !/\.loadbalancer\.server(s\[\d+\])?\./.test(k.slice(svcKey.length - 1)), svcKey.length);
  if (svcDiff.length > 0) {
    return `its service's instances define it with different values — ${svcDiff.join('; ')}: Traefik drops a service defined multiple times with different configurations`;
  }
  return undefined;
}

/** `field: a | b` for every field (after `cut` characters of the key) whose value differs across instances. */
function differing(perInstance: Map<string, Label>[], pick: (lowerKey: string) => boolean, cut: number): string[] {
  const fields = new Set<string>();
  for (const l of perInstance) for (const k of l.keys()) if (pick(k)) fields.add(k);
  const out: string[] = [];
  for (const k of [...fields].sort()) {
    const values = [...new Set(perInstance.map((l) => l.get(k)?.value ?? '(unset)'))].sort();
    if (values.length > 1) out.push(`${k.slice(cut)}: ${values.join(' | ')}`);
  }
  return out;
}

// ---- status (what `/apps` shows, shaped like the Consul verification's) ---------------------------

export interface RouteVerifyStatus {
  /** verified: the fields below are from checkedAt; unreachable: the last read of Traefik failed (see error), the fields are the last known */
  state: 'verified' | 'unreachable';
  drift: boolean;
  problems: string[];
  notes: string[];
  routers: RouteRouterResult[];
  /** ISO time of the last successful check */
  checkedAt?: string;
  /** why Traefik could not be read (state unreachable) */
  error?: string;
}

export function routeStatusVerified(r: RouteVerifyResult, checkedAt: string): RouteVerifyStatus {
  return { state: 'verified', drift: r.drift, problems: [...r.problems], notes: [...r.notes], routers: [...r.routers], checkedAt };
}

/** Traefik unreachable: the last known result stays, marked unreachable with the reason. */
export function routeStatusUnreachable(prev: RouteVerifyStatus | undefined, error: string): RouteVerifyStatus {
  return { ...(prev ?? { drift: false, problems: [], notes: [], routers: [] }), state: 'unreachable', error };
}

/**
 * What the route check adds to an app's health: its problems as reasons (`traefik: …`), and Degraded
 * when routing drifted (a router missing or disabled routes nothing). Nothing while unreachable:
 * an unanswered question is not a fault of the app.
 */
export function routeHealth(s: RouteVerifyStatus | undefined): { degraded: boolean; reasons: string[] } {
  if (!s || s.state !== 'verified') return { degraded: false, reasons: [] };
  return { degraded: s.drift || s.routers.some((x) => x.state !== 'missing' && x.state !== 'invalid' && x.servers > 0 && x.serversUp === 0), reasons: s.problems.map((p) => `traefik: ${p}`) };
}
