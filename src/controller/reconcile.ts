// Reconcile one app, level-triggered: read the live job afresh, diff against the desired job, and
// (self-heal on) confirm with Nomad's plan before registering with EnforceIndex. Every branch bumps a
// metric and leaves the app's status describing what was seen and done.
import type { NomadApi, VaultApi } from '../clients/types.js';
import type { Clock } from '../core/clock.js';
import { diffJob, type JobDiffResult } from '../core/diff.js';
import { DroverError, toDroverError } from '../core/errors.js';
import { isHealthFinal, jobHealth } from '../core/health.js';
import type { Logger } from '../core/logger.js';
import type { NomadJob } from '../core/nomad-types.js';
import { redactPatch } from '../core/redact.js';
import { OWNERSHIP_META } from '../core/render/index.js';
import type { DRIFT_SOURCES, Metrics } from '../metrics.js';
import { seenFrom, slimAllocs, type AppRecord } from './app-record.js';
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
  /** set when VAULT_ADDR is: jobs whose Vault templates changed are pre-flighted before a write */
  vault?: VaultApi;
  /** reports whether the last Nomad call reached Nomad (for readiness) */
  nomadReached: (ok: boolean) => void;
  /** bumped by publish() (issue #9: /apps and /metrics are rendered again only when it moved) */
  statusVersion?: { bump(): void };
  /** an exception that is not a DroverError (a bug): counted in drover_bugs_total, logged with its cause */
  onBug?: (key: string, error: unknown) => void;
}

export async function reconcileApp(rec: AppRecord, source: DriftSource, ctx: ReconcileContext): Promise<WorkResult> {
  const started = ctx.clock.now();
  try {
    const result = await reconcileOnce(rec, source, ctx);
    rec.failed = false;
    rec.status.lastError = undefined;
    ctx.metrics.reconcileTotal.inc({ result });
    return 'done';
  } catch (e) {
    const err = toDroverError(e);
    if (err.code === 'internal') ctx.onBug?.(rec.key, e);
    rec.failed = true;
    if (err.upstream === 'nomad' || err.code === 'unavailable' || err.code === 'timeout') ctx.nomadReached(err.code !== 'unavailable' && err.code !== 'timeout');
    rec.status.lastError = { code: err.code, message: err.message, at: iso(ctx.clock) };
    ctx.metrics.reconcileTotal.inc({ result: 'error' });
    ctx.metrics.reconcileErrors.inc({ code: err.code });
    ctx.logger.warn('reconcile failed', { app: rec.key, code: err.code, error: err.message, retry: err.retryable });
    publish(rec, ctx);
    return err.retryable ? 'retry' : 'done';
  } finally {
    ctx.metrics.reconcileDuration.observe((ctx.clock.now() - started) / 1000);
  }
}

type Result = 'applied' | 'noop' | 'invalid';

async function reconcileOnce(rec: AppRecord, source: DriftSource, ctx: ReconcileContext): Promise<Result> {
  if (rec.problems || !rec.desired || !rec.app) {
    rec.status.sync = 'Invalid';
    rec.status.problems = rec.problems ?? ['no valid spec'];
    rec.status.lastAction = 'none';
    publish(rec, ctx);
    return 'invalid';
  }
  const desired = rec.desired;
  const ns = rec.namespace;
  const { value: live } = await ctx.nomad.readJob(desired.ID, { namespace: ns });
  ctx.nomadReached(true);
  const diff = diffJob(desired, live, { ignoreCount: rec.app.manifest.spec.scaling !== undefined });
  const existedBefore = rec.seen?.exists === true;
  const changed = !rec.seen || rec.seen.modifyIndex !== (live?.ModifyIndex ?? 0) || rec.seen.exists !== (live !== null);
  rec.seen = seenFrom(live);
  rec.status.job = live ? { version: live.Version, jobModifyIndex: live.JobModifyIndex, status: live.Status, stop: live.Stop } : undefined;

  if (diff.kind === 'in-sync') {
    markInSync(rec, ctx, 'noop');
    await refreshHealth(rec, live, changed, ctx);
    publish(rec, ctx);
    return 'noop';
  }

  // A rollout is git moving ahead of a job drover wrote (the live spec hash is an older one of ours): it is
  // applied whatever self-heal says, and it is not drift. Drift is the live job moving away from what git says
  // while git stayed put (same spec hash), or the job stopped/vanishing behind drover's back. A new app's first
  // create is neither.
  const rollout = live !== null && !live.Stop && live.Meta?.[OWNERSHIP_META.specHash] !== rec.hash;
  if (!rollout && (live || existedBefore)) recordDrift(rec, diff, source, ctx);
  if (!rec.status.selfHeal && live && !rollout) {
    rec.status.sync = 'OutOfSync';
    rec.status.lastAction = 'none';
    await refreshHealth(rec, live, changed, ctx);
    publish(rec, ctx);
    return 'noop';
  }
  if (live) {
    const plan = await ctx.nomad.planJob(desired, { namespace: ns, diff: true });
    if (plan.Diff?.Type === 'None') {
      // Our local diff disagrees with Nomad: trust Nomad, never write, and count it so the diff can be fixed.
      ctx.metrics.falseDrift.inc();
      ctx.logger.warn('local diff saw drift but Nomad plan says nothing would change; not writing', { app: rec.key, fields: diff.fields });
      markInSync(rec, ctx, 'noop');
      publish(rec, ctx);
      return 'noop';
    }
  }
  await vaultGate(rec, live, ctx);
  if (!ctx.canWrite()) throw new DroverError('not-leader', 'this instance may not write to Nomad (not the leader)');
  const resp = await ctx.nomad.registerJob(desired, { namespace: ns, enforceIndex: true, jobModifyIndex: live?.JobModifyIndex ?? 0 });
  if (live && !rollout) ctx.metrics.selfHeal.inc({ namespace: ns, app: rec.name });
  ctx.logger.info(rollout ? 'job rolled out' : live ? 'job healed' : 'job created', { app: rec.key, kind: diff.kind, fields: diff.fields, jobModifyIndex: resp.JobModifyIndex });
  // What we just wrote is what the next pass will see; the event for our own write then costs one read.
  rec.seen = { exists: true, jobModifyIndex: resp.JobModifyIndex, modifyIndex: resp.JobModifyIndex, stop: false, specHash: rec.hash };
  markInSync(rec, ctx, live ? 'update' : 'create');
  rec.healthFinal = false;
  rec.baseHealth = { status: 'Progressing', reasons: ['new job version submitted'] };
  applyHealth(rec);
  publish(rec, ctx);
  return 'applied';
}

function recordDrift(rec: AppRecord, diff: JobDiffResult, source: DriftSource, ctx: ReconcileContext): void {
  const labels = { namespace: rec.namespace, app: rec.name };
  if (rec.status.drift.length === 0 && !rec.status.driftFirstSeen) {
    const now = ctx.clock.now();
    rec.status.driftFirstSeen = new Date(now).toISOString();
    ctx.metrics.driftDetected.inc({ ...labels, source });
    ctx.metrics.driftFirstSeen.set(labels, Math.floor(now / 1000));
  }
  rec.status.drift = redactPatch(diff.patch, rec.desired);
  ctx.metrics.appDrift.set(labels, 1);
  ctx.metrics.appDriftFields.set(labels, diff.fields);
}

function markInSync(rec: AppRecord, ctx: ReconcileContext, action: 'noop' | 'create' | 'update'): void {
  const labels = { namespace: rec.namespace, app: rec.name };
  rec.status.sync = 'Synced';
  rec.status.drift = [];
  rec.status.driftFirstSeen = undefined;
  rec.status.problems = undefined;
  // lastAction records the last write; a confirming read after it must not hide it.
  if (action !== 'noop' || !rec.status.lastAction || rec.status.lastAction === 'none') rec.status.lastAction = action;
  rec.status.lastSync = iso(ctx.clock);
  ctx.metrics.appDrift.set(labels, 0);
  ctx.metrics.appDriftFields.set(labels, 0);
  ctx.metrics.driftFirstSeen.set(labels, 0);
}

/** Allocations and deployment are read only when the job changed or health is not final yet. */
async function refreshHealth(rec: AppRecord, live: NomadJob | null, changed: boolean, ctx: ReconcileContext): Promise<void> {
  if (!live || live.Stop) {
    rec.baseHealth = jobHealth(live, [], null);
    rec.allocs = [];
    applyHealth(rec);
    rec.healthFinal = true;
    return;
  }
  if (!changed && rec.healthFinal) return;
  const [allocs, dep] = await Promise.all([
    ctx.nomad.jobAllocations(live.ID, { namespace: rec.namespace }),
    ctx.nomad.jobDeployment(live.ID, { namespace: rec.namespace }),
  ]);
  rec.baseHealth = jobHealth(live, allocs.value, dep.value);
  rec.allocs = slimAllocs(allocs.value);
  applyHealth(rec);
  rec.healthFinal = isHealthFinal(rec.baseHealth.status);
  // Health just settled (a rollout finished, or first sight of the job): compare the service catalog now.
  if (rec.healthFinal) rec.verifyDue = true;
}

export function publish(rec: AppRecord, ctx: { metrics: Metrics; statusVersion?: { bump(): void } }): void {
  ctx.statusVersion?.bump();
  ctx.metrics.setAppInfo(rec.namespace, rec.name, rec.status.sync, rec.status.health);
}

function iso(clock: Clock): string {
  return new Date(clock.now()).toISOString();
}
