// One prune pass: the pure planPrune decides; this persists the ledger *first* (so a stop is charged
// to its revision's budget before it is made — no crash, restart or cascade of passes can stop more),
// then stops (never purges) what the plan allows, and reports what is held. The results are kept as
// status entries for managed jobs no app declares.
import type { NomadApi } from '../clients/types.js';
import type { Config } from '../config.js';
import type { Clock } from '../core/clock.js';
import { toDroverError } from '../core/errors.js';
import { isOurs } from '../core/decide.js';
import type { Logger } from '../core/logger.js';
import { emptyLedger, encodeLedger, metaSource, planPrune, type LiveJobRef, type PruneBlockReason, type PruneDecision } from '../core/prune.js';
import type { AppStatus } from '../core/status.js';
import type { Metrics } from '../metrics.js';
import type { AppliedStore } from './applied-store.js';
import type { AppRecord } from './app-record.js';
import type { DesiredState } from './desired.js';

/** Held for a reason a person may overrule with an approval. */
export const APPROVABLE: ReadonlySet<PruneBlockReason> = new Set<PruneBlockReason>(['share-limit', 'not-descendant', 'empty-desired-set']);

export interface OrphanStatus {
  status: AppStatus;
}

export interface PrunePassDeps {
  config: Config;
  nomad: NomadApi;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  canWrite: () => boolean;
  records: Map<string, AppRecord>;
  store: AppliedStore;
  /** does `revision` descend from `ancestor`? (git merge-base --is-ancestor) */
  descends: (ancestor: string, revision: string) => Promise<boolean>;
}

/** The plan of a pass, given the store's ledger (pure apart from the ancestry question). */
export async function planPrunePass(live: readonly LiveJobRef[], desired: DesiredState, deps: Pick<PrunePassDeps, 'config' | 'store' | 'descends' | 'clock'>): Promise<PruneDecision & { ledgerOk: boolean }> {
  const ledger = deps.store.loaded ? deps.store.ledger() : undefined;
  const last = ledger?.lastRevision;
  const descendsFromLast = last === undefined || last === desired.revision ? undefined : await deps.descends(last, desired.revision);
  const decision = planPrune({
    live, owner: deps.config.cluster.owner, prune: deps.config.prune, pruneMaxShare: deps.config.pruneMaxShare,
    snapshotOk: true, // a failed load never reaches here: the last good desired set is used
    desiredKeys: desired.keys, brokenFiles: desired.brokenFiles, invalidKeys: desired.invalidKeys,
    revision: desired.revision, descendsFromLast, pruneOnRewrite: deps.config.pruneOnRewrite,
    sourceOf: (key, job) => {
      const i = key.indexOf('/');
      return deps.store.get(key.slice(0, i), key.slice(i + 1))?.source ?? metaSource(job);
    },
    ledger: ledger ?? emptyLedger(),
    now: new Date(deps.clock.now()).toISOString(),
  });
  if (ledger) return { ...decision, ledgerOk: true };
  // Without the ledger nothing can be charged: everything waits.
  const held = [...decision.held, ...decision.stop.map((s) => ({ job: s.job, key: s.key, reason: 'ledger-unavailable' as const, revision: s.revision }))]
    .map((h) => (h.reason === 'prune-disabled' ? h : { ...h, reason: 'ledger-unavailable' as const }));
  return { stop: [], held, ledger: decision.ledger, ledgerOk: false };
}

export async function runPrunePass(live: LiveJobRef[], desired: DesiredState, deps: PrunePassDeps): Promise<OrphanStatus[]> {
  let plan = await planPrunePass(live, desired, deps);
  const out: OrphanStatus[] = [];
  const at = new Date(deps.clock.now()).toISOString();
  if (plan.ledgerOk && deps.canWrite() && encodeLedger(plan.ledger) !== encodeLedger(deps.store.ledger()!)) {
    try {
      await deps.store.saveLedger(plan.ledger);
    } catch (e) {
      const err = toDroverError(e);
      deps.logger.warn('prune ledger could not be written; nothing is stopped this pass', { code: err.code, error: err.message });
      plan = { ...plan, stop: [], held: [...plan.held, ...plan.stop.map((s) => ({ job: s.job, key: s.key, reason: 'ledger-unavailable' as const, revision: s.revision }))] };
    }
  }
  let held = 0;
  for (const h of plan.held) {
    deps.metrics.pruneBlocked.inc({ reason: h.reason });
    if (APPROVABLE.has(h.reason)) held += 1;
    if (deps.records.has(h.key)) continue; // invalid apps report their own status
    out.push({ status: orphanStatus(h.job, { state: 'held', reason: h.reason, ...(h.revision ? { revision: h.revision } : {}), ...(h.since ? { heldSince: h.since } : {}) }, [`prune held: ${h.reason}`]) });
  }
  for (const s of plan.stop) {
    const { job } = s;
    if (!deps.canWrite()) {
      deps.metrics.pruneBlocked.inc({ reason: 'not-leader' });
      out.push({ status: orphanStatus(job, { state: 'held', reason: 'not-leader', revision: s.revision }, ['prune held: not-leader']) });
      continue;
    }
    try {
      await deps.nomad.stopJob(job.id, { namespace: job.namespace, purge: false });
      deps.metrics.prune.inc();
      const rec = deps.store.get(job.namespace, job.id);
      // Remembered as pruned: the app coming back in git is git changing it, never a heal.
      deps.store.set(job.namespace, job.id, { specHash: rec?.specHash ?? '', ...(rec?.source ? { source: rec.source } : {}), pruned: true });
      deps.logger.info('pruned: stopped a managed job no app declares', { job: s.key, revision: s.revision, approved: s.approved });
      out.push({ status: { ...orphanStatus(job, { state: 'stopped', revision: s.revision }, ['stopped: no app declares it']), lastAction: 'delete', lastSync: at } });
    } catch (e) {
      const err = toDroverError(e);
      deps.metrics.reconcileErrors.inc({ code: err.code });
      deps.logger.warn('prune failed', { job: s.key, code: err.code, error: err.message });
      out.push({ status: { ...orphanStatus(job, { state: 'held', revision: s.revision }, ['prune failed; retried on the next resync']), lastError: { code: err.code, message: err.message, at } } });
    }
  }
  // Jobs drover stopped because git dropped their app stay listed (lastAction delete) until Nomad forgets them.
  const listed = new Set(out.map((o) => `${o.status.namespace}/${o.status.name}`));
  for (const job of live) {
    const key = `${job.namespace}/${job.id}`;
    if (!job.stop || listed.has(key) || desired.keys.has(key) || deps.records.has(key) || !isOurs(job.meta, deps.config.cluster.owner)) continue;
    if (deps.store.get(job.namespace, job.id)?.pruned) out.push({ status: { ...orphanStatus(job, { state: 'stopped' }, ['stopped: no app declares it']), lastAction: 'delete' } });
  }
  deps.metrics.pruneHeld.set(held);
  return out;
}

function orphanStatus(job: LiveJobRef, pruning: NonNullable<AppStatus['pruning']>, reasons: string[]): AppStatus {
  return {
    namespace: job.namespace, name: job.id, sync: 'OutOfSync', health: 'Unknown', healthReasons: reasons, drift: [],
    selfHeal: false, prune: true, lastAction: 'none', pruning,
  };
}

