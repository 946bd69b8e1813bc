// Pure prune safety: which managed jobs that no app declares may be stopped now, which are held and
// why. Every "never" rule of DESIGN.md "Reconciling" lives here, nowhere else.
//
// The share limit is a blast-radius budget per git revision, not a rate: each job no app declares is
// charged to the revision that removed it (the first revision seen without it), and a revision may stop
// at most ceil(share × the managed jobs that were running when it was first seen). Stops are counted in
// the ledger *before* they are made (the ledger is persisted first), so no cascade of passes, events or
// restarts can exceed a budget. Beyond it, a stop waits for a person (approval). A revision that does not
// descend from the last one applied (force-push, reset) stops nothing by itself.
import { isOurs, META_SOURCE } from './decide.js';

export const PRUNE_BLOCK_REASONS = [
  'snapshot-failed', 'file-broken', 'empty-desired-set', 'share-limit', 'not-descendant', 'prune-disabled', 'not-leader', 'ledger-unavailable',
] as const;
export type PruneBlockReason = (typeof PRUNE_BLOCK_REASONS)[number];

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

export interface RevisionBudget {
  /** managed jobs of this owner running when the revision was first seen */
  managedWhenSeen: number;
  /** stops charged to this revision so far (counted before they are made) */
  stopped: number;
  /** the revision did not descend from the one applied before it */
  nonDescendant: boolean;
}

export interface PruneLedger {
  /** the last revision a prune pass ran for */
  lastRevision?: string;
  revisions: Record<string, RevisionBudget>;
  /** job key → the revision that removed its app (charged for its stop) and when that was first seen */
  orphans: Record<string, { revision: string; since: string }>;
  /** job keys a person approved for stopping (POST /apps/:ns/:name/approve-prune) */
  approved: string[];
}

export function emptyLedger(): PruneLedger {
  return { revisions: {}, orphans: {}, approved: [] };
}

export interface PruneInput {
  live: readonly LiveJobRef[];
  owner: string;
  /** DROVER_PRUNE */
  prune: boolean;
  /** DROVER_PRUNE_MAX_SHARE */
  pruneMaxShare: number;
  /** false when the snapshot failed to load: nothing is known about what git wants */
  snapshotOk: boolean;
  /** keys of valid apps in the snapshot */
  desiredKeys: ReadonlySet<string>;
  brokenFiles: ReadonlySet<string>;
  invalidKeys: ReadonlySet<string>;
  revision: string;
  /** does `revision` descend from `ledger.lastRevision`? undefined when there is no last revision */
  descendsFromLast: boolean | undefined;
  /** DROVER_PRUNE_ON_REWRITE: a non-descendant revision may stop jobs within its budget too */
  pruneOnRewrite: boolean;
  /** the spec file that last defined a job (drover's applied record, else the job's drover.source Meta) */
  sourceOf: (key: string, job: LiveJobRef) => string | undefined;
  ledger: PruneLedger;
  /** ISO time, for `since` */
  now: string;
}

export interface PruneDecision {
  stop: { job: LiveJobRef; key: string; revision: string; approved: boolean }[];
  held: { job: LiveJobRef; key: string; reason: PruneBlockReason; revision?: string; since?: string }[];
  /** the ledger with this pass's stops already charged: persist it before stopping anything */
  ledger: PruneLedger;
}

export function planPrune(input: PruneInput): PruneDecision {
  const { owner, revision } = input;
  const managed = input.live.filter((j) => isOurs(j.meta, owner) && !j.stop);
  const orphans = managed
    .map((job) => ({ job, key: jobKey(job.namespace, job.id) }))
    .filter((o) => !input.desiredKeys.has(o.key))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  const prev = input.ledger;
  const revisions: Record<string, RevisionBudget> = {};
  const current: RevisionBudget = prev.revisions[revision]
    ? { ...prev.revisions[revision]! }
    : { managedWhenSeen: managed.length, stopped: 0, nonDescendant: input.descendsFromLast === false };
  revisions[revision] = current;
  const ledger: PruneLedger = { lastRevision: revision, revisions, orphans: {}, approved: [] };
  const approved = new Set(prev.approved);
  const out: PruneDecision = { stop: [], held: [], ledger };

  const globalBlock = globalReason(input, managed.length);
  for (const { job, key } of orphans) {
    const known = prev.orphans[key];
    const charged = known && prev.revisions[known.revision] ? known : { revision, since: input.now };
    ledger.orphans[key] = charged;
    const budget = (revisions[charged.revision] ??= { ...prev.revisions[charged.revision]! });
    const isApproved = approved.has(key);
    if (isApproved) ledger.approved.push(key);

    const source = input.sourceOf(key, job);
    const blocked: PruneBlockReason | undefined =
      globalBlock === 'prune-disabled' || globalBlock === 'snapshot-failed' ? globalBlock
        : (source && input.brokenFiles.has(source)) || input.invalidKeys.has(key) ? 'file-broken'
          : isApproved ? undefined
            : globalBlock
              ?? (budget.nonDescendant && !input.pruneOnRewrite ? 'not-descendant'
                : budget.stopped >= Math.ceil(input.pruneMaxShare * budget.managedWhenSeen) ? 'share-limit' : undefined);
    if (blocked) {
      out.held.push({ job, key, reason: blocked, revision: charged.revision, since: charged.since });
      continue;
    }
    budget.stopped += 1;
    out.stop.push({ job, key, revision: charged.revision, approved: isApproved });
  }
  return out;
}

/** A person approved stopping this job: recorded in the ledger, acted on by the next prune pass. */
export function approvePrune(ledger: PruneLedger, key: string): { ledger: PruneLedger; known: boolean } {
  if (!ledger.orphans[key]) return { ledger, known: false };
  if (ledger.approved.includes(key)) return { ledger, known: true };
  return { ledger: { ...ledger, approved: [...ledger.approved, key] }, known: true };
}

function globalReason(input: PruneInput, managedCount: number): PruneBlockReason | undefined {
  if (!input.prune) return 'prune-disabled';
  if (!input.snapshotOk) return 'snapshot-failed';
  // An empty desired set with live managed jobs looks like a wiped repo or a wrong path, not an intent.
  if (input.desiredKeys.size === 0 && managedCount > 0) return 'empty-desired-set';
  return undefined;
}

/** The spec file a job's Meta names (jobs written by drover carry `drover.source`). */
export function metaSource(job: LiveJobRef): string | undefined {
  return job.meta?.[META_SOURCE];
}

export function encodeLedger(l: PruneLedger): string {
  return JSON.stringify(l);
}

/** undefined when the stored text is not a ledger: prunes are then held (ledger-unavailable), never re-budgeted from zero. */
export function decodeLedger(text: string | undefined): PruneLedger | undefined {
  if (!text) return emptyLedger();
  try {
    const v = JSON.parse(text) as Partial<PruneLedger>;
    const out = emptyLedger();
    if (typeof v.lastRevision === 'string') out.lastRevision = v.lastRevision;
    for (const [rev, b] of Object.entries(v.revisions ?? {})) {
      if (b && typeof b.managedWhenSeen === 'number' && typeof b.stopped === 'number') out.revisions[rev] = { managedWhenSeen: b.managedWhenSeen, stopped: b.stopped, nonDescendant: b.nonDescendant === true };
    }
    for (const [key, o] of Object.entries(v.orphans ?? {})) if (o && typeof o.revision === 'string') out.orphans[key] = { revision: o.revision, since: String(o.since ?? '') };
    if (Array.isArray(v.approved)) out.approved = v.approved.filter((k): k is string => typeof k === 'string');
    return out;
  } catch {
    return undefined;
  }
}
