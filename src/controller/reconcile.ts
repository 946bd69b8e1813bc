// Reconcile one app, level-triggered: read the live job afresh (or know from the latest listing that
// there is none), let the pure decide() say what to do, and carry it out: register with EnforceIndex
// (updates confirmed by Nomad's plan first), record what was applied, or do nothing and report why.
// Status is derived from the decision and the outcome in publish(), nowhere else.
import type { NomadApi, VaultApi } from '../clients/types.js';
import type { Clock } from '../core/clock.js';
import { decide, desiredApp, isWrite, type AppAction, type DesiredApp } from '../core/decide.js';
import type { JobDiffResult } from '../core/diff.js';
import { DroverError, toDroverError, type Upstream } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { NomadJob } from '../core/nomad-types.js';
import type { NomadVersion } from '../core/nomad-version.js';
import { planConfirmsUpdate } from '../core/plan.js';
import { redactPatch } from '../core/redact.js';
import { withLegacyMeta } from '../core/render/index.js';
import { deriveSync } from '../core/status.js';
import type { DRIFT_SOURCES, Metrics } from '../metrics.js';
import type { AppliedStore } from './applied-store.js';
import type { HistorySink } from './history.js';
import { seenFrom, slimJob, type AppRecord } from './app-record.js';
import { followHealth, observeLive, recomputeHealth } from './health-follow.js';
import { seed } from './observed.js';
import { applyHealth } from './service-verify.js';
import { vaultGate } from './vault-gate.js';
import type { WorkResult } from './workqueue.js';

export type DriftSource = (typeof DRIFT_SOURCES)[number];

export interface ReconcileContext {
  nomad: NomadApi;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  canWrite: () => boolean;
  /** what drover last applied (Nomad Variables) */
  store: AppliedStore;
  /** DROVER_OWNER */
  owner: string;
  /** cluster defaults for apps without spec.sync */
  selfHeal: boolean;
  /** the revision of the current snapshot */
  revision: () => string | undefined;
  /** set when VAULT_ADDR is: jobs whose Vault templates changed are pre-flighted before a write */
  vault?: VaultApi;
  /** every upstream call's outcome, for readiness: undefined = it answered */
  reached: (upstream: Upstream, error?: DroverError) => void;
  /** Nomad could not be reached by the last call: every app's sync is Unknown */
  nomadUnreachable: () => boolean;
  /** a write to this key is about to be made: a job listing that started earlier no longer vouches for it */
  touch: (key: string) => void;
  /** the Nomad version drover talks to, once known */
  nomadVersion: () => NomadVersion | undefined;
  /** the per-app event log (web UI, notifications) */
  history?: HistorySink;
  /** bumped by publish(): /apps and /metrics are rendered again only when it moved */
  statusVersion?: { bump(): void };
  /** an exception that is not a DroverError (a bug): counted in drover_bugs_total{where=reconcile}, logged with its cause */
  onBug?: (key: string, error: unknown) => void;
}

export async function reconcileApp(rec: AppRecord, source: DriftSource, ctx: ReconcileContext): Promise<WorkResult> {
  const started = ctx.clock.now();
  let decided = false;
  try {
    const result = await reconcileOnce(rec, source, ctx, () => (decided = true));
    rec.failed = false;
    rec.error = undefined;
    ctx.metrics.reconcileTotal.inc({ result });
    publish(rec, ctx);
    return 'done';
  } catch (e) {
    const bug = !(e instanceof DroverError);
    const err = toDroverError(e);
    rec.failed = true;
    rec.applied = false;
    if (err.upstream) ctx.reached(err.upstream, err);
    rec.error = { code: bug ? 'internal' : err.code, message: err.message, at: iso(ctx.clock), afterDecision: decided, ...(err.upstream ? { upstream: err.upstream } : {}) };
    ctx.metrics.reconcileTotal.inc({ result: 'error' });
    if (bug) {
      // A bug is not an upstream fault: counted apart, logged with its cause, not retried until something changes.
      if (ctx.onBug) ctx.onBug(rec.key, e);
      else {
        ctx.metrics.bugs.inc({ where: 'reconcile' });
        ctx.logger.error('reconcile failed: unexpected error (a bug in drover)', { app: rec.key, error: err.message });
      }
    } else {
      ctx.metrics.reconcileErrors.inc({ code: err.code });
      ctx.logger.warn('reconcile failed', { app: rec.key, code: err.code, error: err.message, retry: err.retryable });
    }
    publish(rec, ctx);
    return !bug && err.retryable ? 'retry' : 'done';
  } finally {
    ctx.metrics.reconcileDuration.observe((ctx.clock.now() - started) / 1000);
  }
}

type Result = 'applied' | 'noop' | 'invalid';

async function reconcileOnce(rec: AppRecord, source: DriftSource, ctx: ReconcileContext, onDecided: () => void): Promise<Result> {
  rec.applied = false;
  if (rec.problems || !rec.desired || !rec.app || !rec.hash) {
    rec.decision = decide({ desired: { kind: 'invalid', problems: rec.problems ?? ['no valid spec'] }, live: null, memory: undefined, owner: ctx.owner });
    onDecided();
    return 'invalid';
  }
  // Nothing is decided without knowing what drover last applied: a missing record would turn a heal into a rollout.
  if (!ctx.store.loaded) await ctx.store.load();
  const ns = rec.namespace;
  let live: NomadJob | null;
  if (rec.listedAbsent) {
    live = null; // the latest listing has no such job; a create with EnforceIndex 0 fails if one appeared since
  } else if (rec.eventJob !== undefined) {
    live = rec.eventJob; // the Job event carried the whole job at its index: no read (EnforceIndex guards a stale one)
  } else {
    live = (await ctx.nomad.readJob(rec.desired.ID, { namespace: ns })).value;
    ctx.reached('nomad');
  }
  rec.listedAbsent = false;
  rec.eventJob = undefined;
  rec.seen = seenFrom(live);
  observeLive(rec, live);

  const memory = ctx.store.get(ns, rec.name);
  const decision = decide({ desired: desiredOf(rec, ctx), live, memory, owner: ctx.owner, nomadVersion: ctx.nomadVersion() });
  rec.decision = decision;
  onDecided();
  if (decision.drift && decision.diff) recordDrift(rec, decision.diff, source, ctx);
  else if (decision.action.kind !== 'blocked') clearDrift(rec, ctx);

  const action = decision.action;
  switch (action.kind) {
    case 'noop':
      // Git's spec is what runs. Record it as applied if the record says otherwise (a job from before the
      // store, or a write whose record was lost), so the next manual change is told apart from a rollout.
      if (memory?.specHash !== rec.hash || memory.pruned) recordApplied(rec, ctx, memory?.failedSpecHash, live?.JobModifyIndex);
      rec.status.lastSync = iso(ctx.clock);
      if (await followHealth(rec, live, ctx)) rec.verifyDue = true;
      return 'noop';
    case 'conflict':
      logConflictOnce(rec, ctx, decision.reasons[0]!);
      rec.baseHealth = { status: 'Unknown', reasons: ['the job is not drover\'s'] };
      rec.healthFinal = true;
      applyHealth(rec);
      return 'noop';
    case 'report-only':
    case 'blocked':
      if (await followHealth(rec, live, ctx)) rec.verifyDue = true;
      return 'noop';
    default:
      return apply(rec, action, live, ctx);
  }
}

async function apply(rec: AppRecord, action: Extract<AppAction, { kind: 'create' | 'update' }>, live: NomadJob | null, ctx: ReconcileContext): Promise<Result> {
  // The body planned and registered: the desired job with any legacy drover Meta of the live job carried over.
  const body = withLegacyMeta(rec.desired!, live);
  const ns = rec.namespace;
  if (action.kind === 'update') {
    // An update is confirmed by Nomad first: plan runs the same mutators as register. A create needs no plan.
    const plan = await ctx.nomad.planJob(body, { namespace: ns, diff: true });
    if (!planConfirmsUpdate(plan)) {
      // Our local diff disagrees with Nomad: trust Nomad, never write, and count it so the diff can be fixed.
      ctx.metrics.falseDrift.inc();
      ctx.logger.warn('local diff saw drift but Nomad plan says nothing would change; not writing', { app: rec.key, fields: rec.decision?.diff?.fields });
      rec.applied = true;
      rec.status.lastSync = iso(ctx.clock);
      clearDrift(rec, ctx);
      return 'noop';
    }
  }
  await vaultGate(rec, live, ctx);
  if (!ctx.canWrite()) throw new DroverError('not-leader', 'this instance may not write to Nomad (not the leader)');
  ctx.touch(rec.key);
  rec.listedAbsent = false;
  // A job being created has no allocations: from here on every allocation and deployment event is of the job
  // this register creates — and Nomad may publish them before its answer to the register arrives.
  if (!live) seed(rec.observed, [], null);
  const resp = await ctx.nomad.registerJob(body, { namespace: ns, enforceIndex: true, jobModifyIndex: live?.JobModifyIndex ?? 0 });
  // A listing answered while this register was in flight may not hold the job yet: it vouches for nothing now.
  ctx.touch(rec.key);
  rec.listedAbsent = false;
  ctx.reached('nomad');
  recordApplied(rec, ctx, undefined, resp.JobModifyIndex);
  if (action.cause === 'heal') ctx.metrics.selfHeal.inc({ namespace: ns, app: rec.name });
  const what = action.cause === 'heal' ? 'job healed' : action.cause === 'adopt' ? 'job adopted' : action.cause === 'rollout' ? 'job rolled out' : 'job created';
  ctx.logger.info(what, { app: rec.key, action: action.kind, cause: action.cause, fields: rec.decision?.diff?.fields, jobModifyIndex: resp.JobModifyIndex });
  const kind = action.cause === 'heal' ? 'drift-healed' : action.cause === 'new' ? 'created' : 'rollout-started';
  const fields = rec.decision?.diff?.fields ?? 0;
  ctx.history?.record({
    namespace: ns, name: rec.name, kind,
    message: `${action.cause === 'heal' ? `drift healed (${fields} fields)` : action.cause === 'adopt' ? 'unmanaged job adopted' : action.cause === 'new' ? 'job created' : 'new spec registered'}, job modify index ${resp.JobModifyIndex}`,
    ...(rec.status.source?.revision ? { revision: rec.status.source.revision } : {}),
  });
  // What we just wrote is what the next pass will see; the event for our own write then costs one read.
  rec.seen = { exists: true, jobModifyIndex: resp.JobModifyIndex, modifyIndex: resp.JobModifyIndex, stop: false };
  rec.applied = true;
  rec.status.lastAction = action.kind;
  rec.status.lastSync = iso(ctx.clock);
  clearDrift(rec, ctx);
  // From here health follows the events: a job drover just created has no allocations yet (nothing to read);
  // an update keeps what is known of the old ones, and the new ones and the deployment arrive as events.
  // Events of this write that came before its answer (the job's at or after its index) are kept, and health
  // is computed from them; otherwise it is Progressing until they come.
  const known = rec.observed.job;
  const eventsFirst = known !== null && (known.JobModifyIndex ?? 0) >= resp.JobModifyIndex;
  if (!eventsFirst) {
    rec.observed.job = { ...slimJob(body), Version: live ? (live.Version ?? 0) + 1 : 0, Status: 'pending', Stop: false, JobModifyIndex: resp.JobModifyIndex, ModifyIndex: resp.JobModifyIndex };
  }
  if (rec.observed.evalIndex < resp.JobModifyIndex) rec.observed.placement = null;
  if (eventsFirst) {
    if (recomputeHealth(rec, ctx)) rec.verifyDue = true;
  } else {
    rec.healthFinal = false;
    rec.baseHealth = { status: 'Progressing', reasons: ['new job version submitted'] };
    applyHealth(rec);
  }
  return 'applied';
}

function desiredOf(rec: AppRecord, ctx: ReconcileContext): DesiredApp {
  return desiredApp(rec.app!, rec.desired!, rec.hash!, { selfHeal: ctx.selfHeal });
}

function recordApplied(rec: AppRecord, ctx: ReconcileContext, failedSpecHash?: string, jobModifyIndex?: number): void {
  if (!ctx.canWrite()) return; // a follower keeps its hands off the store too
  const revision = ctx.revision()?.slice(0, 12);
  ctx.store.set(rec.namespace, rec.name, {
    specHash: rec.hash!, ...(revision ? { revision } : {}), source: rec.app!.source.file, ...(failedSpecHash ? { failedSpecHash } : {}),
    ...(jobModifyIndex ? { jobModifyIndex } : {}),
  });
}

function logConflictOnce(rec: AppRecord, ctx: ReconcileContext, reason: string): void {
  const revision = ctx.revision() ?? '';
  if (rec.conflictLoggedAt === revision) return;
  rec.conflictLoggedAt = revision;
  ctx.logger.warn('conflict: a job with this app\'s ID is not drover\'s; it is not written', { app: rec.key, reason });
}

function recordDrift(rec: AppRecord, diff: JobDiffResult, source: DriftSource, ctx: ReconcileContext): void {
  const labels = { namespace: rec.namespace, app: rec.name };
  if (!rec.status.driftFirstSeen) {
    const now = ctx.clock.now();
    rec.status.driftFirstSeen = new Date(now).toISOString();
    ctx.metrics.driftDetected.inc({ ...labels, source });
    ctx.metrics.driftFirstSeen.set(labels, Math.floor(now / 1000));
    ctx.history?.record({ namespace: rec.namespace, name: rec.name, kind: 'drift-detected', message: `${diff.kind === 'drift' ? `${diff.fields} fields differ from git` : `the job is ${diff.kind}`} (seen by ${source})`, revision: rec.status.source?.revision });
  }
  rec.status.drift = redactPatch(diff.patch, rec.desired);
  ctx.metrics.appDrift.set(labels, 1);
  ctx.metrics.appDriftFields.set(labels, diff.fields);
}

function clearDrift(rec: AppRecord, ctx: ReconcileContext): void {
  const labels = { namespace: rec.namespace, app: rec.name };
  rec.status.drift = [];
  rec.status.driftFirstSeen = undefined;
  ctx.metrics.appDrift.set(labels, 0);
  ctx.metrics.appDriftFields.set(labels, 0);
  ctx.metrics.driftFirstSeen.set(labels, 0);
}

/**
 * The one place an app's served status is derived: sync from the decision and its outcome, the decision
 * itself, conflict and error details. Everything else only records observations on the record.
 */
export function publish(rec: AppRecord, ctx: { metrics: Metrics; nomadUnreachable?: () => boolean; history?: HistorySink; statusVersion?: { bump(): void } }): void {
  ctx.statusVersion?.bump();
  const d = rec.decision;
  const st = rec.status;
  st.sync = deriveSync({
    invalid: rec.problems !== undefined,
    nomadUnreachable: ctx.nomadUnreachable?.() ?? false,
    decision: d,
    applied: rec.applied === true,
    failed: rec.error?.afterDecision === true,
  });
  st.problems = rec.problems ?? (d?.action.kind === 'blocked' && d.action.reason === 'unsupported-by-nomad' ? d.reasons.slice(1) : undefined);
  st.decision = d ? { action: d.action.kind, ...(causeOf(d.action) ? { cause: causeOf(d.action) } : {}), reasons: d.reasons } : undefined;
  st.conflict = d?.action.kind === 'conflict'
    ? { ...(d.action.liveOwner ? { owner: d.action.liveOwner } : {}), managed: d.action.ownership === 'other-owner', message: d.reasons[0]! }
    : undefined;
  st.lastError = rec.error ? { code: rec.error.code, message: rec.error.message, at: rec.error.at } : undefined;
  const job = rec.observed.job;
  st.job = job ? { version: job.Version, jobModifyIndex: job.JobModifyIndex, status: job.Status, stop: job.Stop } : undefined;
  if (rec.problems) st.lastAction = 'none';
  ctx.metrics.setAppInfo(rec.namespace, rec.name, st.sync, st.health);
  ctx.history?.observe(st);
}

function causeOf(a: AppAction): string | undefined {
  if (isWrite(a)) return a.cause;
  if (a.kind === 'blocked') return a.reason;
  return undefined;
}

function iso(clock: Clock): string {
  return new Date(clock.now()).toISOString();
}
