// Rules over the whole snapshot: duplicate apps, Traefik routers that would take each other's traffic,
// service names that meet in one catalog, and weave subnets that partially overlap. Every offending app
// gets its own problem naming the others and where they are. Pure.
//
// The routers compared here are the ones the renderer writes (src/core/render/traefik.ts portPlans), so
// the rules and the tags cannot drift apart. What Traefik would get wrong silently:
// - a non-TLS TCP router ``HostSNI(`*`)`` takes every plain connection on its entrypoint: Traefik tries
//   TCP routers before the HTTP handler (pkg/server/router/tcp/router.go ServeTCP), so it needs an
//   entrypoint no HTTP router and no other catch-all uses;
// - two HTTP routers with the same host and path on one entrypoint have the same rule, so the same
//   priority (rule length, pkg/muxer/http/mux.go GetRulePriority), and Traefik picks one;
// - two apps whose service names meet in one catalog: Consul has one service catalog for every Nomad
//   namespace and matches names case-insensitively (a real Consul 1.8.7 answers
//   /v1/catalog/service/web with instances registered as `Web`: test/spec/cross-consul-real.test.ts), so their instances, health and DNS
//   answers mix; Nomad's own catalog is per namespace.
import type { ClusterDefaults } from '../core/cluster-defaults.js';
import { consulServiceNames } from '../core/render/services.js';
import { portPlans, type RouterPlan } from '../core/render/traefik.js';
import type { AppManifest } from './types.js';
import type { FieldProblem } from './messages.js';
import { formatPath, type Seg } from './paths.js';
import { cidrEnd, parseIpv4Cidr, type Ipv4Cidr } from './net.js';

export interface CrossInput {
  key: string;
  manifest: AppManifest;
}

/** `where(i, segs)` gives `file:line:col` of app i's field, for messages naming the other app. */
export type Where = (index: number, segs: Seg[]) => string;

/** Host and path of an HTTP router; `/api` and `/api/` count as one path (both take `/api/…`). */
export function httpRouterKey(r: RouterPlan): string {
  const path = r.paths?.path ?? '/';
  return `${r.host ?? ''}\u0000${path.length > 1 ? path.replace(/\/+$/, '') : path}`;
}

export function showField(r: RouterPlan): string {
  return formatPath(r.field);
}

interface Placed {
  i: number;
  r: RouterPlan;
}

export function checkAcrossApps(apps: readonly CrossInput[], d: ClusterDefaults, where: Where): Map<number, FieldProblem[]> {
  const out = new Map<number, FieldProblem[]>();
  const add = (i: number, p: FieldProblem) => {
    const list = out.get(i) ?? [];
    list.push(p);
    out.set(i, list);
  };
  const named = (js: Iterable<{ j: number; segs: Seg[] }>) =>
    [...new Set([...js].map(({ j, segs }) => `${apps[j]!.key} (${where(j, segs)})`))].join(', ');

  const nameSegs = ['metadata', 'name'];
  for (const group of groupsOf(apps, (a) => a.key)) {
    for (const i of group) {
      const at = group.filter((j) => j !== i).map((j) => where(j, nameSegs)).join(', ');
      add(i, { segs: nameSegs, message: `app ${apps[i]!.key} is also defined at ${at}` });
    }
  }
  // Two documents of one app are reported above; comparing their routes or names would only repeat it.
  const distinct = (i: number, j: number) => apps[i]!.key !== apps[j]!.key;

  checkRouters(apps, d, distinct, named, add);
  checkServiceNames(apps, d, distinct, named, add);

  for (const [i, j] of overlappingSubnets(apps)) {
    const segs = ['spec', 'weave', 'subnet'];
    const si = apps[i]!.manifest.spec.weave!.subnet!;
    const sj = apps[j]!.manifest.spec.weave!.subnet!;
    add(i, { segs, message: `${si} partially overlaps ${sj} of ${apps[j]!.key} (${where(j, segs)}); subnets must be identical or disjoint` });
    add(j, { segs, message: `${sj} partially overlaps ${si} of ${apps[i]!.key} (${where(i, segs)}); subnets must be identical or disjoint` });
  }
  return out;
}

type Named = (js: Iterable<{ j: number; segs: Seg[] }>) => string;
type Add = (i: number, p: FieldProblem) => void;

function checkRouters(apps: readonly CrossInput[], d: ClusterDefaults, distinct: (i: number, j: number) => boolean, named: Named, add: Add): void {
  const catchAll = new Map<string, Placed[]>();
  const httpOn = new Map<string, Placed[]>();
  const byRoute = new Map<string, Placed[]>();
  const push = (m: Map<string, Placed[]>, k: string, v: Placed) => {
    const list = m.get(k);
    if (list) list.push(v);
    else m.set(k, [v]);
  };
  apps.forEach((a, i) => {
    for (const r of routersOf(a, d)) {
      if (r.kind === 'tcp') for (const ep of r.entrypoints) push(catchAll, ep, { i, r });
      else {
        for (const ep of r.entrypoints) push(httpOn, ep, { i, r });
        push(byRoute, httpRouterKey(r), { i, r });
      }
    }
  });

  for (const [ep, group] of catchAll) {
    for (const { i, r } of group) {
      const rivals = group.filter((o) => distinct(o.i, i));
      if (rivals.length > 0) {
        add(i, {
          segs: r.field,
          message: `entrypoint ${ep} can carry one TCP gRPC router (HostSNI(*)) but is also used by ${named(rivals.map((o) => ({ j: o.i, segs: o.r.field })))}; set grpc.host or another entrypoint`,
        });
      }
      const shadowed = (httpOn.get(ep) ?? []).filter((o) => distinct(o.i, i));
      if (shadowed.length === 0) continue;
      add(i, {
        segs: r.field,
        message: `the TCP router HostSNI(*) on entrypoint ${ep} takes every plain connection there (Traefik tries TCP routers first), but ${ep} also carries HTTP routers of ${named(shadowed.map((o) => ({ j: o.i, segs: o.r.field })))}; give the gRPC port an entrypoint of its own or set grpc.host`,
      });
      for (const o of shadowed) {
        add(o.i, {
          segs: o.r.field,
          message: `host ${o.r.host} on entrypoint ${ep} would never be reached: the TCP router HostSNI(*) of ${named([{ j: i, segs: r.field }])} takes every plain connection there`,
        });
      }
    }
  }

  for (const group of byRoute.values()) {
    if (group.length < 2) continue;
    for (const { i, r } of group) {
      // other routers of this host+path, by the entrypoints they share with this one
      const byShared = new Map<string, { j: number; segs: Seg[] }[]>();
      for (const o of group) {
        if (!distinct(o.i, i)) continue;
        const shared = r.entrypoints.filter((ep) => o.r.entrypoints.includes(ep));
        if (shared.length === 0) continue;
        const k = shared.join(', ');
        byShared.set(k, [...(byShared.get(k) ?? []), { j: o.i, segs: o.r.field }]);
      }
      for (const [eps, others] of byShared) {
        const on = eps.includes(',') ? `entrypoints ${eps}` : `entrypoint ${eps}`;
        add(i, { segs: r.field, message: `host ${r.host} path ${r.paths!.path} on ${on} is also routed by ${named(others)}` });
      }
    }
  }
}

/** An app's routers; none when its spec cannot be planned (checkApp has already said why). */
function routersOf(a: CrossInput, d: ClusterDefaults): RouterPlan[] {
  try {
    return portPlans(a.manifest.spec, d).flatMap((p) => p.routers);
  } catch {
    return [];
  }
}

function checkServiceNames(apps: readonly CrossInput[], d: ClusterDefaults, distinct: (i: number, j: number) => boolean, named: Named, add: Add): void {
  const byName = new Map<string, { i: number; name: string; port: string; segs: Seg[] }[]>();
  apps.forEach((a, i) => {
    const spec = a.manifest.spec;
    const provider = spec.service?.provider ?? d.serviceProvider;
    const namespace = a.key.slice(0, a.key.indexOf('/'));
    const segs = spec.service?.name !== undefined ? ['spec', 'service', 'name'] : ['metadata', 'name'];
    for (const s of consulServiceNames(a.manifest.metadata.name, spec)) {
      const k = provider === 'nomad' ? `nomad\u0000${namespace}\u0000${s.name.toLowerCase()}` : `consul\u0000${s.name.toLowerCase()}`;
      byName.set(k, [...(byName.get(k) ?? []), { i, name: s.name, port: s.port, segs }]);
    }
  });
  for (const [k, group] of byName) {
    const consul = k.startsWith('consul');
    for (const m of group) {
      const others = group.filter((o) => distinct(o.i, m.i));
      if (others.length === 0) continue;
      const why = consul
        ? 'Consul has one service catalog for every Nomad namespace and matches names case-insensitively'
        : "Nomad's service catalog holds one service of a name per namespace";
      add(m.i, {
        segs: m.segs,
        message: `${consul ? 'Consul' : 'Nomad'} service ${m.name} (port ${m.port}) is also registered by ${named(others.map((o) => ({ j: o.i, segs: o.segs })))}; ${why}: give one of them another spec.service.name`,
      });
    }
  }
}

/** Indices of apps sharing a key, for every key held by more than one app. */
function groupsOf(apps: readonly CrossInput[], keyOf: (a: CrossInput) => string | undefined): number[][] {
  const by = new Map<string, number[]>();
  apps.forEach((a, i) => {
    const k = keyOf(a);
    if (k === undefined) return;
    const list = by.get(k);
    if (list) list.push(i);
    else by.set(k, [i]);
  });
  return [...by.values()].filter((g) => g.length > 1);
}

/**
 * Pairs (i, j) of apps whose subnets overlap without being identical. CIDR blocks are either nested or
 * disjoint, so after sorting by start (wider first) a block overlaps exactly the open blocks it starts in.
 */
function overlappingSubnets(apps: readonly CrossInput[]): Array<[number, number]> {
  const blocks: Array<{ c: Ipv4Cidr; i: number }> = [];
  apps.forEach((a, i) => {
    const s = a.manifest.spec.weave?.subnet;
    const c = s === undefined ? undefined : parseIpv4Cidr(s);
    if (c) blocks.push({ c, i });
  });
  blocks.sort((x, y) => x.c.start - y.c.start || x.c.prefix - y.c.prefix);
  const pairs: Array<[number, number]> = [];
  const open: Array<{ c: Ipv4Cidr; i: number }> = [];
  for (const b of blocks) {
    while (open.length && cidrEnd(open[open.length - 1]!.c) <= b.c.start) open.pop();
    for (const o of open) if (o.c.prefix !== b.c.prefix) pairs.push([o.i, b.i]);
    open.push(b);
  }
  return pairs;
}
