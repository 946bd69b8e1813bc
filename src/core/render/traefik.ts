// Traefik tags for an app's services (consulCatalog and nomad providers read the same tags), and the
// router plans they come from — the one description of "what Traefik will route" that the renderer, the
// cross-app rules (src/spec/cross.ts) and `drover routes` (src/core/routes.ts) all share. Pure.
//
// Names. Traefik merges the dynamic configuration of every service instance by router / service name
// (pkg/provider/merge.go): two instances that define one router name with different values get the router
// dropped ("router defined multiple times with different configurations", routers have no Merge), and one
// service name's servers are merged across instances (Service.Merge / TCPService.Merge in
// pkg/config/dynamic). So every name is `<namespace>_<app>_<port>_<hash>`:
// - `_` separates the parts: namespace and app are DNS-1123 labels and cannot hold `_` (Traefik names can),
//   so no two (namespace, app, port) ever give one name — `team-x/api` is `team-x_api_…`, `team/x-api` is
//   `team_x-api_…`; the port label (`http`, `grpc`) keeps an app's two routers apart.
// - `<hash>` is 8 hex chars of sha256 over every tag of that port with the name left out. Any change to a
//   value defined under the name (rule, entrypoints, TLS, resolver, scheme, redirect) gives a new name, so
//   the old and new allocations of a rolling update define two different routers side by side instead of
//   one router with two values; a change elsewhere in the job (image, count, env) keeps the name.
//
// Tags never pin `loadbalancer.server.port`: Traefik uses that label INSTEAD of the registered port, and
// Nomad registers the host's dynamic port for bridge-mode containers. Named HTTP services are declared
// through `server.scheme`; a TCP router names its own per-app TCP service, declared through
// `server.tls=false` — without `…tcp.routers.<r>.service` Traefik would use a service named after the
// Consul service (pkg/provider/consulcatalog/config.go buildTCPServiceConfiguration, getName), which
// instances of equal Consul names in other namespaces would share.
import { hash } from 'node:crypto';
import { DroverError } from '../errors.js';
import type { ClusterDefaults } from '../cluster-defaults.js';
import type { AppSpec, GrpcSpec, IngressSpec } from '../app-spec.js';

export type PortLabel = 'http' | 'grpc';

/** The request paths an HTTP router matches (Traefik v3 `Path` = equal, `PathPrefix` = plain string prefix). */
export interface PathMatch {
  /** the path as written in the spec, `/` when none */
  path: string;
  exact?: string;
  prefix?: string;
}

/** One router drover renders, without its name. */
export interface RouterPlan {
  kind: 'http' | 'tcp';
  /** `main` routes to the app; `redirect` answers plain HTTP with a redirect to HTTPS */
  role: 'main' | 'redirect';
  /** the spec field the router comes from, for messages */
  field: (string | number)[];
  entrypoints: string[];
  rule: string;
  /** HTTP routers only */
  host?: string;
  paths?: PathMatch;
  tls: boolean;
  certResolver?: string;
}

/** Everything Traefik gets from one port's service: its routers, its service's scheme, no names yet. */
export interface PortPlan {
  port: PortLabel;
  routers: RouterPlan[];
  /** HTTP services: the scheme Traefik speaks to the backend */
  scheme?: 'http' | 'h2c';
}

/** A port plan with its names and tags. */
export interface PortRouting extends PortPlan {
  /** the name of the port's Traefik service, and of its main router */
  name: string;
  /** router names, in the order of `routers` */
  routerNames: string[];
  tags: string[];
}

const NAME = '\u0001'; // placeholder while hashing: can appear in no tag (hosts, paths and names are validated)
const HASH_HEX = 8;

/** The routed ports of an app (none, http, grpc or both), name-free. */
export function portPlans(spec: AppSpec, d: ClusterDefaults): PortPlan[] {
  const plans: PortPlan[] = [];
  if (spec.port !== undefined && spec.ingress) plans.push(ingressPlan(spec.ingress, d));
  if (spec.grpc) plans.push(grpcPlan(spec.grpc, d));
  return plans;
}

/** The port plans with their names and tags, as the job's services carry them. */
export function portRoutings(namespace: string, app: string, spec: AppSpec, d: ClusterDefaults): PortRouting[] {
  return portPlans(spec, d).map((plan) => {
    const template = planTags(plan, NAME, d.traefikPrefix);
    const name = `${namespace}_${app}_${plan.port}_${hash('sha256', template.join('\n'), 'hex').slice(0, HASH_HEX)}`;
    return {
      ...plan,
      name,
      routerNames: plan.routers.map((r) => routerName(name, r)),
      tags: template.map((t) => t.split(NAME).join(name)),
    };
  });
}

/** Tags of one port's service: its routing, or `enable=false` so `exposedByDefault` never publishes it. */
export function portTags(routings: readonly PortRouting[], port: PortLabel, d: ClusterDefaults): string[] {
  return routings.find((r) => r.port === port)?.tags ?? [`${d.traefikPrefix}.enable=false`];
}

export function isTls(x: { tls?: boolean; certResolver?: string }): boolean {
  // A cert resolver only works on a TLS router, so asking for one turns TLS on.
  return !!x.tls || x.certResolver !== undefined;
}

function ingressPlan(ingress: IngressSpec, d: ClusterDefaults): PortPlan {
  const tls = isTls(ingress);
  const paths = pathMatch(ingress.path);
  const rule = hostRule(ingress.host, paths);
  const main: RouterPlan = {
    kind: 'http', role: 'main', field: ['spec', 'ingress', 'host'],
    entrypoints: [...(ingress.entrypoints?.length ? ingress.entrypoints : tls ? d.httpsEntrypoints : d.httpEntrypoints)],
    rule, host: ingress.host, paths, tls, certResolver: ingress.certResolver,
  };
  const routers = [main];
  if (ingress.httpsRedirect) {
    if (!tls) throw new DroverError('invalid-spec', 'spec.ingress.httpsRedirect: needs spec.ingress.tls or spec.ingress.certResolver');
    routers.push({ kind: 'http', role: 'redirect', field: ['spec', 'ingress', 'httpsRedirect'], entrypoints: [...d.httpEntrypoints], rule, host: ingress.host, paths, tls: false });
  }
  return { port: 'http', routers, scheme: 'http' };
}

/**
 * With a host: an HTTP router and an h2c service (Traefik speaks HTTP/2 cleartext to the backend), TLS
 * optional. Without: a TCP router ``HostSNI(`*`)``, the only rule a non-TLS TCP router may have.
 */
function grpcPlan(grpc: GrpcSpec, d: ClusterDefaults): PortPlan {
  const tls = isTls(grpc);
  if (!grpc.host) {
    if (tls) throw new DroverError('invalid-spec', 'spec.grpc.tls: needs spec.grpc.host');
    const router: RouterPlan = { kind: 'tcp', role: 'main', field: ['spec', 'grpc'], entrypoints: [grpc.entrypoint ?? d.grpcEntrypoint], rule: 'HostSNI(`*`)', tls: false };
    return { port: 'grpc', routers: [router] };
  }
  const paths = pathMatch(undefined);
  const router: RouterPlan = {
    kind: 'http', role: 'main', field: ['spec', 'grpc', 'host'],
    entrypoints: grpc.entrypoint ? [grpc.entrypoint] : tls ? [...d.httpsEntrypoints] : [d.grpcEntrypoint],
    rule: hostRule(grpc.host, paths), host: grpc.host, paths, tls, certResolver: grpc.certResolver,
  };
  return { port: 'grpc', routers: [router], scheme: 'h2c' };
}

/** The redirect router and its redirectScheme middleware share this name (routers and middlewares are separate maps). */
function redirectName(base: string): string {
  return `${base}_redirect`;
}

function routerName(base: string, r: RouterPlan): string {
  return r.role === 'redirect' ? redirectName(base) : base;
}

function planTags(plan: PortPlan, name: string, p: string): string[] {
  const tags = [`${p}.enable=true`];
  for (const r of plan.routers) {
    const rn = routerName(name, r);
    const router = `${p}.${r.kind}.routers.${rn}`;
    tags.push(`${router}.rule=${r.rule}`, `${router}.entrypoints=${r.entrypoints.map((e) => plain(e, 'entrypoint')).join(',')}`);
    if (r.tls) tags.push(`${router}.tls=true`);
    if (r.certResolver !== undefined) tags.push(`${router}.tls.certresolver=${plain(r.certResolver, 'certResolver')}`);
    if (r.role === 'redirect') tags.push(`${router}.middlewares=${rn}`);
    tags.push(`${router}.service=${name}`);
  }
  if (plan.routers.some((r) => r.role === 'redirect')) {
    const mw = `${p}.http.middlewares.${redirectName(name)}.redirectscheme`;
    tags.push(`${mw}.scheme=https`, `${mw}.permanent=true`);
  }
  if (plan.scheme) tags.push(`${p}.http.services.${name}.loadbalancer.server.scheme=${plan.scheme}`);
  else tags.push(`${p}.tcp.services.${name}.loadbalancer.server.tls=false`);
  return tags;
}

/**
 * What `path` matches. Traefik v3's PathPrefix is a plain string prefix (pkg/muxer/http/matcher.go
 * pathPrefix: strings.HasPrefix), so ``PathPrefix(`/api`)`` would also take `/apix`. drover matches whole
 * segments instead: `/api` is ``Path(`/api`) || PathPrefix(`/api/`)``; a path ending in `/` is a prefix as
 * written; `/` (the default) adds no path condition.
 */
export function pathMatch(path: string | undefined): PathMatch {
  if (path === undefined || path === '/') return { path: '/', prefix: '/' };
  const p = plain(path, 'spec.ingress.path');
  return p.endsWith('/') ? { path: p, prefix: p } : { path: p, exact: p, prefix: `${p}/` };
}

function hostRule(host: string, paths: PathMatch): string {
  const h = `Host(\`${plain(host, 'host')}\`)`;
  if (paths.path === '/') return h;
  if (paths.exact === undefined) return `${h} && PathPrefix(\`${paths.prefix}\`)`;
  return `${h} && (Path(\`${paths.exact}\`) || PathPrefix(\`${paths.prefix}\`))`;
}

/** The validator already refuses these; the renderer still never lets a backtick or comma escape a rule. */
function plain(value: string, field: string): string {
  if (/[`\s,\u0001]/.test(value)) throw new DroverError('invalid-spec', `${field}: ${JSON.stringify(value)} may not contain backticks, commas or spaces`);
  return value;
}
