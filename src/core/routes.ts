// The routing table a snapshot gives Traefik, and which app a request reaches. Pure. The rows are the
// routers the renderer writes (render/traefik.ts portRoutings); the matching follows Traefik v3's own code:
// - a connection on an entrypoint: a non-TLS one goes to the non-TLS TCP routers first and only then to
//   the HTTP handler; when the entrypoint has non-TLS TCP routers and no TLS or HTTPS router at all,
//   every connection goes to them unread (pkg/server/router/tcp/router.go ServeTCP);
// - HTTP routers are split by TLS: a plain request only sees routers without TLS, an HTTPS request only
//   routers with it (pkg/config/runtime/runtime_http.go GetRoutersByEntryPoints);
// - among those, routes are tried by priority, highest first; the default priority is the rule's length
//   (pkg/muxer/http/mux.go GetRulePriority, routes.Less); equal priorities are sorted with sort.Sort,
//   which is not stable, so Traefik picks one of them;
// - Host compares case-insensitively with the request host without its port (pkg/muxer/muxer.go
//   DomainMatchHostExpression), Path compares equal and PathPrefix is a plain string prefix of the routing
//   path, in which every percent-encoded character but the reserved ones is decoded
//   (pkg/muxer/http/matcher.go path/pathPrefix, mux.go withRoutingPath).
import type { ClusterDefaults } from './cluster-defaults.js';
import type { LoadedApp } from './app-spec.js';
import { portRoutings, type PathMatch, type PortLabel } from './render/traefik.js';

export interface RouteRow {
  entrypoint: string;
  kind: 'http' | 'tcp';
  rule: string;
  /** Traefik's default: the rule's length */
  priority: number;
  tls: boolean;
  /** a redirect router answers plain HTTP with a permanent redirect to HTTPS instead of reaching the app */
  redirect: boolean;
  /** `namespace/name` */
  app: string;
  port: PortLabel;
  router: string;
  service: string;
  /** HTTP routers */
  host?: string;
  paths?: PathMatch;
}

/** One row per (router, entrypoint); by entrypoint, TCP routers first (Traefik tries them first), then priority. */
export function routeTable(apps: readonly LoadedApp[], d: ClusterDefaults): RouteRow[] {
  const rows: RouteRow[] = [];
  for (const a of apps) {
    for (const pr of portRoutings(a.namespace, a.name, a.manifest.spec, d)) {
      pr.routers.forEach((r, k) => {
        for (const entrypoint of r.entrypoints) {
          const row: RouteRow = {
            entrypoint, kind: r.kind, rule: r.rule, priority: r.rule.length, tls: r.tls, redirect: r.role === 'redirect',
            app: a.key, port: pr.port, router: pr.routerNames[k]!, service: pr.name,
          };
          if (r.host !== undefined) row.host = r.host;
          if (r.paths) row.paths = r.paths;
          rows.push(row);
        }
      });
    }
  }
  return rows.sort(byPlace);
}

function byPlace(a: RouteRow, b: RouteRow): number {
  if (a.entrypoint !== b.entrypoint) return a.entrypoint < b.entrypoint ? -1 : 1;
  if (a.kind !== b.kind) return a.kind === 'tcp' ? -1 : 1;
  return b.priority - a.priority || (a.router < b.router ? -1 : a.router > b.router ? 1 : 0);
}

export interface RouteRequest {
  host: string;
  /** the request path, starting with `/` (a query string is ignored) */
  path: string;
  /** every entrypoint of the table when absent */
  entrypoint?: string;
  tls: boolean;
}

export type RouteOutcome =
  | { entrypoint: string; result: 'app' | 'redirect' | 'tcp'; row: RouteRow }
  | { entrypoint: string; result: 'tie'; rows: RouteRow[] }
  | { entrypoint: string; result: 'none' };

/** Which router takes the request on each entrypoint looked at. */
export function matchRequest(table: readonly RouteRow[], req: RouteRequest): RouteOutcome[] {
  const entrypoints = req.entrypoint !== undefined ? [req.entrypoint] : [...new Set(table.map((r) => r.entrypoint))].sort();
  const host = canonicalHost(req.host);
  const path = routingPath(req.path);
  return entrypoints.map((entrypoint): RouteOutcome => {
    const here = table.filter((r) => r.entrypoint === entrypoint);
    const tcp = here.filter((r) => r.kind === 'tcp'); // drover renders only non-TLS HostSNI(`*`) TCP routers
    const anyTls = here.some((r) => r.kind === 'http' && r.tls);
    if (tcp.length > 0 && (!req.tls || !anyTls)) return pick(entrypoint, tcp, 'tcp');
    const candidates = here.filter((r) => r.kind === 'http' && r.tls === req.tls && r.host === host && pathMatches(r.paths!, path));
    if (candidates.length === 0) return { entrypoint, result: 'none' };
    const best = candidates.filter((r) => r.priority === Math.max(...candidates.map((c) => c.priority)));
    return pick(entrypoint, best, best[0]!.redirect ? 'redirect' : 'app');
  });
}

function pick(entrypoint: string, rows: RouteRow[], result: 'app' | 'redirect' | 'tcp'): RouteOutcome {
  return rows.length === 1 ? { entrypoint, result, row: rows[0]! } : { entrypoint, result: 'tie', rows };
}

function pathMatches(p: PathMatch, path: string): boolean {
  return (p.exact !== undefined && path === p.exact) || (p.prefix !== undefined && path.startsWith(p.prefix));
}

/** The request host as Traefik compares it: lower case, without port and trailing dot. */
export function canonicalHost(host: string): string {
  let h = host.trim().toLowerCase();
  const v6 = /^\[[^\]]*\]/.exec(h);
  if (v6) h = v6[0];
  else if (/:\d*$/.test(h)) h = h.slice(0, h.lastIndexOf(':'));
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

// pkg/muxer/http/mux.go reservedCharacters: these stay encoded in the routing path, everything else is decoded.
const RESERVED = new Set(['%3A', '%2F', '%3F', '%23', '%5B', '%5D', '%40', '%21', '%24', '%26', '%27', '%28', '%29', '%2A', '%2B', '%2C', '%3B', '%3D', '%25']);

function routingPath(path: string): string {
  const q = path.search(/[?#]/);
  const p = q >= 0 ? path.slice(0, q) : path;
  return p.replace(/(%[0-9A-Fa-f]{2})+/g, (run) => {
    let out = '';
    let bytes: number[] = [];
    const flush = () => {
      out += Buffer.from(bytes).toString('utf8');
      bytes = [];
    };
    for (let i = 0; i < run.length; i += 3) {
      const enc = run.slice(i, i + 3);
      if (RESERVED.has(enc)) {
        flush();
        out += enc;
      } else bytes.push(parseInt(enc.slice(1), 16));
    }
    flush();
    return out;
  });
}
