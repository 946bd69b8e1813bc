// Rules over the whole snapshot: duplicate apps, clashing ingress routes, TCP gRPC entrypoints that can
// carry only one HostSNI(`*`) router, and weave subnets that partially overlap. Every offending app gets
// its own problem naming the others and where they are. Pure.
import type { ClusterDefaults } from '../config.js';
import type { AppManifest } from './types.js';
import type { FieldProblem } from './messages.js';
import type { Seg } from './paths.js';
import { cidrEnd, parseIpv4Cidr, type Ipv4Cidr } from './net.js';

export interface CrossInput {
  key: string;
  manifest: AppManifest;
}

/** `where(i, segs)` gives `file:line:col` of app i's field, for messages naming the other app. */
export type Where = (index: number, segs: Seg[]) => string;

export function checkAcrossApps(apps: readonly CrossInput[], d: ClusterDefaults, where: Where): Map<number, FieldProblem[]> {
  const out = new Map<number, FieldProblem[]>();
  const add = (i: number, p: FieldProblem) => {
    const list = out.get(i) ?? [];
    list.push(p);
    out.set(i, list);
  };
  const others = (group: number[], i: number, segs: Seg[]) =>
    group.filter((j) => j !== i).map((j) => `${apps[j]!.key} (${where(j, segs)})`).join(', ');

  const nameSegs = ['metadata', 'name'];
  for (const group of groupsOf(apps, (a) => a.key)) {
    for (const i of group) {
      const at = group.filter((j) => j !== i).map((j) => where(j, nameSegs)).join(', ');
      add(i, { segs: nameSegs, message: `app ${apps[i]!.key} is also defined at ${at}` });
    }
  }
  const hostSegs = ['spec', 'ingress', 'host'];
  for (const group of groupsOf(apps, (a) => (a.manifest.spec.ingress ? `${a.manifest.spec.ingress.host}\u0000${a.manifest.spec.ingress.path ?? '/'}` : undefined))) {
    const ing = apps[group[0]!]!.manifest.spec.ingress!;
    for (const i of group) {
      add(i, { segs: hostSegs, message: `host ${ing.host} path ${ing.path ?? '/'} is also routed by ${others(group, i, hostSegs)}` });
    }
  }
  const grpcSegs = ['spec', 'grpc'];
  for (const group of groupsOf(apps, (a) => (a.manifest.spec.grpc && !a.manifest.spec.grpc.host ? a.manifest.spec.grpc.entrypoint ?? d.grpcEntrypoint : undefined))) {
    const ep = apps[group[0]!]!.manifest.spec.grpc!.entrypoint ?? d.grpcEntrypoint;
    for (const i of group) {
      add(i, {
        segs: grpcSegs,
        message: `entrypoint ${ep} can carry one TCP gRPC router (HostSNI(*)) but is also used by ${others(group, i, grpcSegs)}; set grpc.host or another entrypoint`,
      });
    }
  }
  for (const [i, j] of overlappingSubnets(apps)) {
    const segs = ['spec', 'weave', 'subnet'];
    const si = apps[i]!.manifest.spec.weave!.subnet!;
    const sj = apps[j]!.manifest.spec.weave!.subnet!;
    add(i, { segs, message: `${si} partially overlaps ${sj} of ${apps[j]!.key} (${where(j, segs)}); subnets must be identical or disjoint` });
    add(j, { segs, message: `${sj} partially overlaps ${si} of ${apps[i]!.key} (${where(i, segs)}); subnets must be identical or disjoint` });
  }
  return out;
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
