// Health that follows the job without polling it (issue #14): the event stream brings allocations, the
// deployment and evaluations (controller/observed.ts), and this turns them into the app's health with
// the real numbers (core/health.ts appHealth). Reads happen only to seed an app drover has not seen since it
// started (allocations + deployment, once), and for the bounded re-read of apps whose health has not settled.
//
// It also keeps the flap guard: when the deployment of the spec drover wrote fails (and Nomad may have
// reverted the job), the spec hash is recorded as failed in drover's applied state, so decide() does not
// apply it again until git changes the app — across restarts too.
import type { NomadApi } from '../clients/types.js';
import { appHealth, isHealthFinal } from '../core/health.js';
import type { Logger } from '../core/logger.js';
import type { Deployment, NomadJob } from '../core/nomad-types.js';
import type { AppliedStore } from './applied-store.js';
import type { AppRecord } from './app-record.js';
import { slimJob } from './app-record.js';
import { allocList, observeEvaluation, seed } from './observed.js';
import { applyHealth } from './service-verify.js';

export interface HealthContext {
  nomad: NomadApi;
  store: AppliedStore;
  logger: Logger;
  canWrite: () => boolean;
  clock: { now(): number };
}

/** What a pass saw of the live job (null: none); the observation health works from. */
export function observeLive(rec: AppRecord, live: NomadJob | null): void {
  rec.observed.job = live ? slimJob(live) : null;
}

/** The pass of an app whose job exists: seed its observations once, then compute its health. */
export async function followHealth(rec: AppRecord, live: NomadJob | null, ctx: HealthContext): Promise<boolean> {
  observeLive(rec, live);
  if (live && !live.Stop && rec.observed.allocs === undefined) await readHealth(rec, ctx);
  return recomputeHealth(rec, ctx);
}

/** Reads allocations and the latest deployment (and, while allocations are missing, the evaluations) afresh. */
export async function readHealth(rec: AppRecord, ctx: HealthContext): Promise<void> {
  const job = rec.observed.job;
  if (!job || job.Stop) return;
  const opts = { namespace: rec.namespace };
  const [allocs, dep] = await Promise.all([ctx.nomad.jobAllocations(job.ID, opts), ctx.nomad.jobDeployment(job.ID, opts)]);
  seed(rec.observed, allocs.value, dep.value);
  rec.healthReadAt = ctx.clock.now();
  const desired = (job.TaskGroups ?? []).reduce((n, tg) => n + (tg.Count ?? 1), 0);
  const running = allocs.value.filter((a) => a.DesiredStatus === 'run' && a.ClientStatus === 'running').length;
  if (running < desired) {
    // Fewer running than wanted: the newest evaluation says whether Nomad could place them at all.
    const evals = (await ctx.nomad.jobEvaluations(job.ID, opts)).value;
    const newest = [...evals].sort((a, b) => Number(b.ModifyIndex ?? 0) - Number(a.ModifyIndex ?? 0))[0];
    rec.observed.placement = null;
    rec.observed.evalIndex = 0;
    if (newest) observeEvaluation(rec.observed, newest);
  }
}

/**
 * Health from the observations, with the flap guard laid over it. Returns true when health has just
 * settled (Healthy, Degraded, Missing): the caller verifies the app's services then.
 */
export function recomputeHealth(rec: AppRecord, ctx: HealthContext): boolean {
  const o = rec.observed;
  const wasFinal = rec.healthFinal;
  noteFailedDeployment(rec, o.deployment, ctx);
  const base = appHealth({ job: o.job, allocs: allocList(o), deployment: o.deployment, placement: o.placement });
  const memory = ctx.store.get(rec.namespace, rec.name);
  if (rec.hash && memory?.failedSpecHash === rec.hash) {
    base.status = 'Degraded';
    base.reasons = [`the deployment of git's spec failed; it is not applied again until git changes the app (Nomad may have reverted the job)`, ...base.reasons];
  }
  rec.baseHealth = base;
  rec.healthFinal = isHealthFinal(base.status);
  applyHealth(rec);
  return rec.healthFinal && !wasFinal;
}

/** A failed deployment of the very write drover made (its JobSpecModifyIndex) marks that spec hash failed. */
function noteFailedDeployment(rec: AppRecord, dep: Deployment | null, ctx: HealthContext): void {
  if (!dep || dep.Status !== 'failed' || !ctx.canWrite()) return;
  const memory = ctx.store.get(rec.namespace, rec.name);
  if (!memory || memory.pruned || !memory.jobModifyIndex || memory.jobModifyIndex !== dep.JobSpecModifyIndex || memory.failedSpecHash === memory.specHash) return;
  ctx.store.set(rec.namespace, rec.name, { ...memory, failedSpecHash: memory.specHash });
  ctx.logger.warn('the deployment of this spec failed: it is not applied again until git changes the app', { app: rec.key, deployment: dep.ID, reason: dep.StatusDescription });
}
