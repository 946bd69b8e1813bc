// Pure prune safety: which managed jobs that no app declares may be stopped in this pass, and why the
// others are held back. Every "never" rule of DESIGN.md "Reconciling" lives here, nowhere else.
import type { PRUNE_BLOCK_REASONS } from '../metrics.js';

export type PruneBlockReason = (typeof PRUNE_BLOCK_REASONS)[number];

export const META_MANAGED = 'drover.managed';
export const META_OWNER = 'drover.owner';
export const META_SOURCE = 'drover.source';
export const META_SPEC_HASH = 'drover.spec-hash';

/** A live job as the list endpoint shows it (`?meta=true`). */
export interface LiveJobRef {
  namespace: string;
  id: string;
  stop: boolean;
  meta: Record<string, string> | null | undefined;
}

export function jobKey(namespace: string | undefined, id: string): string {
  return `${namespace || 'default'}/${id}`;
}

/** Only jobs carrying drover's ownership Meta for this owner are ever touched. */
export function isManagedBy(meta: Record<string, string> | null | undefined, owner: string): boolean {
  return meta?.[META_MANAGED] === 'true' && meta[META_OWNER] === owner;
}

export interface PruneContext {
  owner: string;
  /** config.prune: per-app spec.sync.prune cannot apply to an app that is gone */
  prune: boolean;
  pruneMaxShare: number;
  /** false when the snapshot failed to load: nothing is known about what git wants */
  snapshotOk: boolean;
  /** keys of valid apps in the snapshot */
  desiredKeys: ReadonlySet<string>;
  brokenFiles: ReadonlySet<string>;
  invalidKeys: ReadonlySet<string>;
}

export interface PruneDecision {
  prune: LiveJobRef[];
  blocked: { job: LiveJobRef; reason: PruneBlockReason }[];
}

export function planPrune(live: readonly LiveJobRef[], ctx: PruneContext): PruneDecision {
  const managed = live.filter((j) => isManagedBy(j.meta, ctx.owner) && !j.stop);
  const orphans = managed
    .filter((j) => !ctx.desiredKeys.has(jobKey(j.namespace, j.id)))
    .sort((a, b) => jobKey(a.namespace, a.id).localeCompare(jobKey(b.namespace, b.id)));
  const out: PruneDecision = { prune: [], blocked: [] };
  const globalBlock = globalReason(ctx, managed.length);
  const limit = Math.ceil(ctx.pruneMaxShare * managed.length);
  for (const job of orphans) {
    const reason = globalBlock ?? perJobReason(job, ctx) ?? (out.prune.length >= limit ? 'share-limit' : undefined);
    if (reason) out.blocked.push({ job, reason });
    else out.prune.push(job);
  }
  return out;
}

function globalReason(ctx: PruneContext, managedCount: number): PruneBlockReason | undefined {
  if (!ctx.prune) return 'prune-disabled';
  if (!ctx.snapshotOk) return 'snapshot-failed';
  // An empty desired set with live managed jobs looks like a wiped repo or a wrong path, not an intent.
  if (ctx.desiredKeys.size === 0 && managedCount > 0) return 'empty-desired-set';
  return undefined;
}

function perJobReason(job: LiveJobRef, ctx: PruneContext): PruneBlockReason | undefined {
  const source = job.meta?.[META_SOURCE];
  if (source && ctx.brokenFiles.has(source)) return 'file-broken';
  if (ctx.invalidKeys.has(jobKey(job.namespace, job.id))) return 'file-broken';
  return undefined;
}
