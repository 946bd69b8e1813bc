// Traefik's API over the simulated runtime (pkg/api/handler*.go, criterion.go, sort.go): the same
// paths, JSON shapes (fields in Go's declaration order, `omitempty` honoured), `name`/`provider`/
// `priorityStr` on list and item representations, `type` and `serverStatus` on services, default
// paging of 100 with `X-Next-Page`, `search`/`status`/`serviceName`/`middlewareName` filters,
// `sortBy`/`direction`, and errors as Traefik writes them: `{"message":"router not found: x"}` with
// the status, through Go's http.Error (text/plain, a trailing newline).
import type { SimReply, SimRequest, SimServer } from '../http.js';
import type { Obj } from './provider.js';
import type { EntryPointSpec, RouterInfo, RuntimeConfig, ServiceInfo } from './runtime.js';

export interface ApiState {
  runtime(): RuntimeConfig;
  /** awaited before every answer that shows the runtime (the sim reads its providers lazily) */
  fresh(): Promise<void>;
  entryPoints: EntryPointSpec[];
  /** providers as the overview names them (`ConsulCatalog`, `Nomad`) */
  providerNames: string[];
  version: string;
}

// ---- Go-shaped JSON --------------------------------------------------------------------------------

/** Keeps `keys` in order; drops undefined and Go's omitempty zero values unless listed in `keep`. */
function ordered(src: Obj, keys: string[], keep: string[] = []): Obj {
  const out: Obj = {};
  for (const k of keys) {
    const v = src[k];
    if (v === undefined || v === null) continue;
    if (!keep.includes(k) && isEmpty(v)) continue;
    out[k] = v;
  }
  return out;
}

/** Go's encoding/json writes map keys sorted. */
function sortedKeys<T>(m: Record<string, T> | undefined): Record<string, T> | undefined {
  return m && Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function isEmpty(v: unknown): boolean {
  if (v === false || v === 0 || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (v instanceof Map) return v.size === 0;
  return false;
}

const ROUTER_KEYS = ['entryPoints', 'middlewares', 'service', 'rule', 'parentRefs', 'ruleSyntax', 'priority', 'tls', 'observability', 'error', 'status', 'using'];
const TCP_ROUTER_KEYS = ['entryPoints', 'middlewares', 'service', 'rule', 'ruleSyntax', 'priority', 'tls', 'error', 'status', 'using'];
const SERVICE_KEYS = ['middlewares', 'loadBalancer', 'highestRandomWeight', 'weighted', 'mirroring', 'failover', 'error', 'status', 'usedBy'];
const TCP_SERVICE_KEYS = ['loadBalancer', 'weighted', 'error', 'status', 'usedBy'];

function routerTls(tls: Obj | undefined, tcp: boolean, representation: boolean): Obj | undefined {
  if (!tls) return undefined;
  // newRouterRepresentation fills the default TLS options name (pkg/api/handler_http.go); rawdata shows
  // the runtime as it is (in Traefik that fill mutates the runtime, so rawdata shows it after a list call)
  const t = tcp ? { passthrough: false, ...tls } : representation ? { ...tls, options: tls.options || 'default' } : tls;
  return tcp
    ? ordered(t, ['passthrough', 'options', 'certResolver', 'domains'], ['passthrough'])
    : ordered(t, ['options', 'certResolver', 'domains']);
}

function routerJson(r: RouterInfo, tcp: boolean, representation = false): Obj {
  const obs = r.observability as Obj | undefined;
  const shaped: Obj = {
    ...r,
    tls: routerTls(r.tls as Obj | undefined, tcp, representation),
    observability: obs ? ordered(obs, ['accessLogs', 'metrics', 'tracing', 'traceVerbosity'], ['accessLogs', 'metrics', 'tracing']) : undefined,
  };
  return ordered(shaped, tcp ? TCP_ROUTER_KEYS : ROUTER_KEYS);
}

function loadBalancerJson(lb: Obj | undefined, tcp: boolean): Obj | undefined {
  if (!lb) return undefined;
  if (tcp) {
    const servers = ((lb.servers as Obj[] | undefined) ?? []).map((s) => ordered(s, ['address', 'tls']));
    return ordered({ ...lb, servers }, ['servers', 'serversTransport', 'proxyProtocol', 'terminationDelay', 'healthCheck']);
  }
  const servers = ((lb.servers as Obj[] | undefined) ?? []).map((s) => ordered(s, ['url', 'weight', 'preservePath', 'fenced']));
  return ordered({ ...lb, servers }, ['sticky', 'servers', 'strategy', 'healthCheck', 'passiveHealthCheck', 'passHostHeader', 'responseForwarding', 'serversTransport'], ['passHostHeader']);
}

function serviceBody(s: ServiceInfo, tcp: boolean): Obj {
  return ordered({ ...s, loadBalancer: loadBalancerJson(s.loadBalancer as Obj | undefined, tcp) }, tcp ? TCP_SERVICE_KEYS : SERVICE_KEYS);
}

function serviceType(s: ServiceInfo): string | undefined {
  for (const k of ['loadBalancer', 'highestRandomWeight', 'weighted', 'mirroring', 'failover']) if (s[k] !== undefined) return k.toLowerCase();
  return undefined;
}

const providerOf = (name: string) => name.split('@')[1] ?? '';

function routerRepr(name: string, r: RouterInfo, tcp: boolean): Obj {
  return { ...routerJson(r, tcp, true), name, provider: providerOf(name), priorityStr: String(r.priority ?? 0) };
}

function serviceRepr(name: string, s: ServiceInfo, tcp: boolean): Obj {
  return ordered({ ...serviceBody(s, tcp), name, provider: providerOf(name), type: serviceType(s), serverStatus: sortedKeys(s.serverStatus) },
    [...(tcp ? TCP_SERVICE_KEYS : SERVICE_KEYS), 'name', 'provider', 'type', 'serverStatus']);
}

// ---- replies ---------------------------------------------------------------------------------------

/** Go's json.Encoder adds a newline; the sim server would not, so the body is written as text. 64-bit integers (BigInt) are written as bare numbers. */
function jsonReply(value: unknown, status = 200, headers: Record<string, string> = {}): SimReply {
  return { status, text: `${goJson(value)}\n`, headers: { 'Content-Type': 'application/json', ...headers } };
}

/** JSON text as Traefik writes it: 64-bit integers (BigInt here) as bare numbers. */
export function goJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `@@int64:${v}@@` : v)).replace(/"@@int64:(-?\d+)@@"/g, '$1');
}

/** writeError → http.Error: text/plain, nosniff, the JSON message and a newline. */
function apiError(message: string, status: number): SimReply {
  return { status, text: `${JSON.stringify({ message })}\n`, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' } };
}

interface Criterion {
  search: string;
  status: string;
  serviceName: string;
  middlewareName: string;
}

function criterion(q: URLSearchParams): Criterion | undefined {
  const c = { search: q.get('search') ?? '', status: q.get('status') ?? '', serviceName: q.get('serviceName') ?? '', middlewareName: q.get('middlewareName') ?? '' };
  return c.search || c.status || c.serviceName || c.middlewareName ? c : undefined;
}

function searchIn(c: Criterion, ...values: string[]): boolean {
  return !c.search || values.some((v) => v.toLowerCase().includes(c.search.toLowerCase()));
}

function keepRouter(name: string, r: RouterInfo, c: Criterion | undefined): boolean {
  if (!c) return true;
  const svc = String(r.service ?? '');
  const serviceOk = !c.serviceName || (svc.includes('@') ? c.serviceName === svc : c.serviceName.split('@')[0] === svc);
  const mws = (r.middlewares as string[] | undefined) ?? [];
  return (!c.status || c.status.toLowerCase() === r.status) && searchIn(c, String(r.rule ?? ''), name) && serviceOk && (!c.middlewareName || mws.includes(c.middlewareName));
}

function keepService(name: string, s: ServiceInfo, c: Criterion | undefined): boolean {
  return !c || ((!c.status || c.status.toLowerCase() === s.status) && searchIn(c, name));
}

function intParam(q: URLSearchParams, key: string, def: number): number | string {
  const raw = q.get(key);
  if (!raw) return def;
  const n = /^[+-]?\d+$/.test(raw) ? Number(raw) : 0;
  if (n <= 0) return `invalid request: ${key}: ${n}`;
  return n;
}

function page<T>(q: URLSearchParams, items: T[]): { items: T[]; next: number } | string {
  const perPage = intParam(q, 'per_page', 100);
  if (typeof perPage === 'string') return perPage;
  const p = intParam(q, 'page', 1);
  if (typeof p === 'string') return p;
  const start = (p - 1) * perPage;
  if (start !== 0 && start >= items.length) return `invalid request: page: ${p}, per_page: ${perPage}`;
  return { items: items.slice(start, Math.min(start + perPage, items.length)), next: p * perPage < items.length ? p + 1 : 1 };
}

function sorted<T extends Obj>(q: URLSearchParams, items: T[], fields: Record<string, (x: T) => string | number>): T[] {
  const desc = (q.get('direction') || 'asc') !== 'asc';
  const by = fields[q.get('sortBy') ?? ''];
  const name = (x: T) => String(x.name);
  const cmp = (a: T, b: T): number => {
    if (by) {
      const va = by(a);
      const vb = by(b);
      if (va !== vb) return va < vb ? -1 : 1;
    }
    return name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0;
  };
  return [...items].sort((a, b) => (desc ? -cmp(a, b) : cmp(a, b)));
}

const ROUTER_SORT: Record<string, (x: Obj) => string | number> = {
  provider: (x) => String(x.provider), priority: (x) => Number(x.priority ?? 0), status: (x) => String(x.status),
  rule: (x) => String(x.rule ?? ''), service: (x) => String(x.service ?? ''), entryPoints: (x) => ((x.entryPoints as string[] | undefined) ?? []).length,
};
const SERVICE_SORT: Record<string, (x: Obj) => string | number> = {
  type: (x) => String(x.type ?? ''), provider: (x) => String(x.provider), status: (x) => String(x.status),
  servers: (x) => (((x.loadBalancer as Obj | undefined)?.servers as unknown[] | undefined) ?? []).length,
};

function listReply(req: SimRequest, items: Obj[], sortFields: Record<string, (x: Obj) => string | number>): SimReply {
  const p = page(req.query, sorted(req.query, items, sortFields));
  if (typeof p === 'string') return apiError(p, 400);
  return jsonReply(p.items, 200, { 'X-Next-Page': String(p.next) });
}

function decodeId(raw: string): string {
  return raw; // SimServer already percent-decodes path parameters (url.PathUnescape in Traefik)
}

/** `GET /api/rawdata`'s body (pkg/api/handler.go getRuntimeConfiguration). */
export function rawDataJson(rt: RuntimeConfig): Obj {
  const obj = <T>(m: Map<string, T>, f: (v: T) => Obj) => (m.size ? Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, f(v)])) : undefined);
  return ordered({
    routers: obj(rt.routers, (r) => routerJson(r, false)),
    middlewares: obj(rt.middlewares, (m) => m),
    services: obj(rt.services, (s) => ordered({ ...serviceBody(s, false), serverStatus: sortedKeys(s.serverStatus) }, [...SERVICE_KEYS, 'serverStatus'])),
    tcpRouters: obj(rt.tcpRouters, (r) => routerJson(r, true)),
    tcpServices: obj(rt.tcpServices, (s) => ordered({ ...serviceBody(s, true), serverStatus: sortedKeys(s.serverStatus) }, [...TCP_SERVICE_KEYS, 'serverStatus'])),
    udpRouters: obj(rt.udpRouters, (r) => routerJson(r, true)),
    udpServices: obj(rt.udpServices, (s) => serviceBody(s, true)),
  }, ['routers', 'middlewares', 'services', 'tcpRouters', 'tcpMiddlewares', 'tcpServices', 'udpRouters', 'udpServices']);
}

export function registerApiRoutes(server: SimServer, st: ApiState): void {
  const route = (path: string, handler: (req: SimRequest) => SimReply) => server.route('GET', path, async (req) => {
    await st.fresh();
    return handler(req);
  });
  const routers = (tcp: boolean) => (tcp ? st.runtime().tcpRouters : st.runtime().routers);
  const services = (tcp: boolean) => (tcp ? st.runtime().tcpServices : st.runtime().services);
  for (const [proto, tcp] of [['http', false], ['tcp', true]] as const) {
    route(`/api/${proto}/routers`, (req) =>
      listReply(req, [...routers(tcp)].filter(([n, r]) => keepRouter(n, r, criterion(req.query))).map(([n, r]) => routerRepr(n, r, tcp)), ROUTER_SORT));
    route(`/api/${proto}/routers/:id`, (req) => {
      const id = decodeId(req.params.id ?? '');
      const r = routers(tcp).get(id);
      return r ? jsonReply(routerRepr(id, r, tcp)) : apiError(`router not found: ${id}`, 404);
    });
    route(`/api/${proto}/services`, (req) =>
      listReply(req, [...services(tcp)].filter(([n, s]) => keepService(n, s, criterion(req.query))).map(([n, s]) => serviceRepr(n, s, tcp)), SERVICE_SORT));
    route(`/api/${proto}/services/:id`, (req) => {
      const id = decodeId(req.params.id ?? '');
      const s = services(tcp).get(id);
      return s ? jsonReply(serviceRepr(id, s, tcp)) : apiError(`service not found: ${id}`, 404);
    });
  }
  route('/api/rawdata', () => jsonReply(rawDataJson(st.runtime())));
  route('/api/overview', () => {
    const rt = st.runtime();
    const section = (m: Map<string, { status?: unknown }>) => {
      let warnings = 0;
      let errors = 0;
      for (const v of m.values()) {
        if (v.status === 'disabled') errors++;
        else if (v.status === 'warning') warnings++;
      }
      return { total: m.size, warnings, errors };
    };
    return jsonReply({
      http: { routers: section(rt.routers), services: section(rt.services), middlewares: section(rt.middlewares) },
      tcp: { routers: section(rt.tcpRouters), services: section(rt.tcpServices), middlewares: section(new Map()) },
      udp: { routers: section(rt.udpRouters), services: section(rt.udpServices) },
      certificates: { total: 0, warnings: 0, errors: 0 },
      features: { tracing: '', metrics: '', accessLog: false },
      providers: st.providerNames,
    });
  });
  // static.EntryPoint with its SetDefaults (pkg/config/static/entrypoints.go), as Traefik v3.7 serves it
  const epJson = (e: EntryPointSpec) => ({
    address: e.address, transport: { lifeCycle: { graceTimeOut: '10s' }, respondingTimeouts: { readTimeout: '1m0s', idleTimeout: '3m0s' } },
    forwardedHeaders: {}, http: { sanitizePath: true, maxHeaderBytes: 1048576, underscoreHeadersStrategy: 'keep' },
    http2: { maxConcurrentStreams: 250, maxDecoderHeaderTableSize: 4096, maxEncoderHeaderTableSize: 4096 }, udp: { timeout: '3s' }, name: e.name,
  });
  server.route('GET', '/api/entrypoints', (req) => {
    const p = page(req.query, [...st.entryPoints].sort((a, b) => (a.name < b.name ? -1 : 1)));
    if (typeof p === 'string') return apiError(p, 400);
    return jsonReply(p.items.map(epJson), 200, { 'X-Next-Page': String(p.next) });
  });
  server.route('GET', '/api/entrypoints/:id', (req) => {
    const e = st.entryPoints.find((x) => x.name === req.params.id);
    return e ? jsonReply(epJson(e)) : apiError(`entry point not found: ${req.params.id}`, 404);
  });
  server.route('GET', '/api/version', () => jsonReply({ Version: st.version, Codename: 'sim', startDate: new Date(0).toISOString() }));
}
