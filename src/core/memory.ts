// What drover remembers across restarts, and how it is laid out in Nomad Variables. Pure: encoding,
// decoding and shard assignment only; src/controller/applied-store.ts does the reads and writes.
//
// Why not job Meta: job Meta reaches tasks as NOMAD_META_*, so Nomad treats any Meta change as a
// destructive update (scheduler/util.go tasksUpdated compares CombinedTaskMeta) — a spec hash in Meta
// turned every count change into a rolling restart. A Nomad Variable is outside the job, ACL-able, and
// survives a restart of drover.
//
// Layout: per app namespace, SHARD_COUNT variables `drover/<owner>/applied/<nn>`, each item one app
// (`<name>` → compact JSON). One variable per app would cost one extra write per created app; shards
// let a cold sync of thousands of apps write a few dozen variables. Nomad caps a variable at 64 KiB of
// item keys + values (nomad/structs/variables.go maxVariableSize), ≈ 600 apps per shard here.
import { hash } from 'node:crypto';

export interface AppliedRecord {
  /** hash of the rendered job drover last registered for this app */
  specHash: string;
  /** the git revision (12 hex) that was current when it was applied */
  revision?: string;
  /** the spec file that defined the app then (the prune rule "never for an app whose file is broken") */
  source?: string;
  /** drover stopped the job because git no longer declares the app */
  pruned?: boolean;
  /** the spec hash whose deployment failed: not applied again until git changes the app (flap guard) */
  failedSpecHash?: string;
  /** the JobModifyIndex Nomad answered to that write (a deployment's JobSpecModifyIndex names it) */
  jobModifyIndex?: number;
}

export const SHARD_COUNT = 32;
/** Nomad's limit on the item keys + values of one variable */
export const MAX_VARIABLE_BYTES = 65536;
/** Nomad's variable path syntax (nomad/structs/variables.go validVariablePath) */
export const VARIABLE_PATH = /^[a-zA-Z0-9\-_~/]{1,128}$/;

/** DROVER_OWNER allows '.', which variable paths do not: it is spelled '~' there. */
function ownerPath(owner: string): string {
  return owner.replaceAll('.', '~');
}

export function appliedPrefix(owner: string): string {
  return `drover/${ownerPath(owner)}/applied/`;
}

export function shardOf(name: string): number {
  return Number.parseInt(hash('sha256', name, 'hex').slice(0, 4), 16) % SHARD_COUNT;
}

export function shardPath(owner: string, shard: number): string {
  return `${appliedPrefix(owner)}${String(shard).padStart(2, '0')}`;
}

export function prunePath(owner: string): string {
  return `drover/${ownerPath(owner)}/prune`;
}

export function encodeRecord(r: AppliedRecord): string {
  const o: Record<string, string | number> = { h: r.specHash };
  if (r.revision) o.r = r.revision;
  if (r.source) o.s = r.source;
  if (r.pruned) o.p = 1;
  if (r.failedSpecHash) o.f = r.failedSpecHash;
  if (r.jobModifyIndex) o.j = r.jobModifyIndex;
  return JSON.stringify(o);
}

/** undefined for an item that is not one of ours (a hand edit): it is ignored, never trusted. */
export function decodeRecord(text: string): AppliedRecord | undefined {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!o || typeof o !== 'object') return undefined;
  const v = o as Record<string, unknown>;
  if (typeof v.h !== 'string') return undefined;
  const r: AppliedRecord = { specHash: v.h };
  if (typeof v.r === 'string') r.revision = v.r;
  if (typeof v.s === 'string') r.source = v.s;
  if (v.p === 1) r.pruned = true;
  if (typeof v.f === 'string') r.failedSpecHash = v.f;
  if (typeof v.j === 'number') r.jobModifyIndex = v.j;
  return r;
}

/** Size as Nomad counts it: the bytes of every item key and value. */
export function itemsSize(items: Record<string, string>): number {
  let n = 0;
  for (const [k, v] of Object.entries(items)) n += Buffer.byteLength(k) + Buffer.byteLength(v);
  return n;
}
