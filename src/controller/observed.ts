// What the event stream tells drover about one app's job between reads: the job itself (Job events carry it
// whole), its allocations, its latest deployment and its latest evaluation. Health is computed from these
// (core/health.ts appHealth), so a rollout is followed without polling Nomad: a create costs one register,
// and its allocations, deployment and placement arrive as events. Reads seed or repair it: the first sight of
// a job drover did not create reads allocations and deployment once, and apps whose health has not settled
// are re-read (boundedly) on every resync in case events were missed.
import type { PlacementFailure } from '../core/health.js';
import { placementReasons } from '../core/health.js';
import type { AllocListStub, Deployment, DeploymentTG, NomadJob } from '../core/nomad-types.js';

export interface ObservedJob {
  /** the live job as the latest Job event or read showed it (null: none) */
  job: NomadJob | null;
  /** allocations by ID; undefined until read once or known empty (a job drover just created) */
  allocs?: Map<string, AllocListStub>;
  deployment: Deployment | null;
  /** the latest evaluation's placement failure, if any */
  placement: PlacementFailure | null;
  /** ModifyIndex of the latest evaluation seen, so an older one cannot override a newer */
  evalIndex: number;
}

export function emptyObserved(): ObservedJob {
  return { job: null, deployment: null, placement: null, evalIndex: 0 };
}

/** The fields of an allocation health needs, from an event payload or a list stub. */
export function slimAlloc(a: Record<string, unknown>): AllocListStub | undefined {
  if (typeof a.ID !== 'string' || typeof a.JobID !== 'string') return undefined;
  const ds = a.DeploymentStatus as AllocListStub['DeploymentStatus'] | undefined;
  return {
    ID: a.ID, EvalID: String(a.EvalID ?? ''), Name: String(a.Name ?? ''), Namespace: String(a.Namespace ?? 'default'),
    NodeID: String(a.NodeID ?? ''), NodeName: String(a.NodeName ?? ''), JobID: a.JobID,
    // an event's payload has no JobVersion (the allocation's job is left out): NaN until observeAlloc infers it
    JobVersion: a.JobVersion === undefined ? Number.NaN : Number(a.JobVersion),
    AllocModifyIndex: Number(a.AllocModifyIndex ?? 0), DeploymentID: typeof a.DeploymentID === 'string' ? a.DeploymentID : undefined,
    TaskGroup: String(a.TaskGroup ?? ''), DesiredStatus: String(a.DesiredStatus ?? ''), ClientStatus: String(a.ClientStatus ?? ''),
    DeploymentStatus: ds ? { Healthy: ds.Healthy ?? null, ...(ds.Canary !== undefined ? { Canary: ds.Canary } : {}) } : null,
    CreateIndex: Number(a.CreateIndex ?? 0), ModifyIndex: Number(a.ModifyIndex ?? 0),
  };
}

/** An allocation event: newer states replace older ones; allocations that are done and no longer wanted are forgotten. */
export function observeAlloc(o: ObservedJob, alloc: AllocListStub): boolean {
  if (!o.allocs) return false; // not seeded: the next read brings the whole set
  const known = o.allocs.get(alloc.ID);
  if (known && known.ModifyIndex > alloc.ModifyIndex) return false;
  if (Number.isNaN(alloc.JobVersion)) alloc.JobVersion = inferVersion(o, alloc, known);
  if (alloc.DesiredStatus !== 'run' && TERMINAL.has(alloc.ClientStatus)) {
    return o.allocs.delete(alloc.ID);
  }
  if (known && known.ClientStatus === alloc.ClientStatus && known.DesiredStatus === alloc.DesiredStatus && known.JobVersion === alloc.JobVersion
    && known.DeploymentStatus?.Healthy === alloc.DeploymentStatus?.Healthy) {
    o.allocs.set(alloc.ID, alloc);
    return false;
  }
  o.allocs.set(alloc.ID, alloc);
  return true;
}

/**
 * The job version of an allocation an event describes (Nomad leaves the allocation's job out of the
 * payload): the version of the deployment it belongs to when that is the one known; for one the scheduler
 * just wrote (new, or updated in place: its AllocModifyIndex moved) the job's current version; otherwise
 * what was known of it.
 */
function inferVersion(o: ObservedJob, alloc: AllocListStub, known: AllocListStub | undefined): number {
  const dep = o.deployment;
  if (dep && alloc.DeploymentID && alloc.DeploymentID === dep.ID) return dep.JobVersion;
  const current = o.job?.Version ?? 0;
  if (!known) return current;
  if (Number(alloc.AllocModifyIndex ?? 0) > Number(known.AllocModifyIndex ?? 0)) return current;
  return known.JobVersion;
}

export function observeDeployment(o: ObservedJob, d: Deployment): boolean {
  const cur = o.deployment;
  if (cur && (cur.CreateIndex > d.CreateIndex || (cur.ID === d.ID && cur.ModifyIndex > d.ModifyIndex))) return false;
  o.deployment = slimDeployment(d);
  return true;
}

/**
 * The fields of a deployment health, the flap guard and the canary count read: kept for every app between
 * passes, so not the whole payload (≈ 1 KB an app at 5,000 apps).
 */
export function slimDeployment(d: Deployment): Deployment {
  const groups: Record<string, DeploymentTG> = {};
  for (const [name, tg] of Object.entries(d.TaskGroups ?? {})) {
    groups[name] = {
      DesiredTotal: tg.DesiredTotal, PlacedAllocs: tg.PlacedAllocs, HealthyAllocs: tg.HealthyAllocs, UnhealthyAllocs: tg.UnhealthyAllocs,
      ...(tg.DesiredCanaries !== undefined ? { DesiredCanaries: tg.DesiredCanaries } : {}),
      ...(Array.isArray(tg.PlacedCanaries) && tg.PlacedCanaries.length > 0 ? { PlacedCanaries: tg.PlacedCanaries } : {}),
      ...(tg.Promoted !== undefined ? { Promoted: tg.Promoted } : {}),
      ...(tg.AutoPromote !== undefined ? { AutoPromote: tg.AutoPromote } : {}),
    };
  }
  return {
    ID: d.ID, Namespace: d.Namespace, JobID: d.JobID, JobVersion: d.JobVersion, JobModifyIndex: d.JobModifyIndex,
    JobSpecModifyIndex: d.JobSpecModifyIndex, TaskGroups: groups, Status: d.Status, StatusDescription: d.StatusDescription,
    CreateIndex: d.CreateIndex, ModifyIndex: d.ModifyIndex,
  };
}

/** An evaluation: a blocked one (or one with FailedTGAllocs) is a placement failure; a later clean one clears it. */
export function observeEvaluation(o: ObservedJob, ev: Record<string, unknown>): boolean {
  const index = Number(ev.ModifyIndex ?? ev.CreateIndex ?? 0);
  if (index < o.evalIndex) return false;
  o.evalIndex = index;
  const failed = ev.FailedTGAllocs as Record<string, unknown> | null | undefined;
  const before = o.placement;
  if (failed && Object.keys(failed).length > 0) {
    const queued = Object.values((ev.QueuedAllocations as Record<string, number> | null) ?? {}).reduce((n, v) => n + (Number(v) || 0), 0);
    o.placement = { reasons: placementReasons(failed), queued: queued || Object.keys(failed).length };
  } else if (ev.Status === 'complete') {
    o.placement = null;
  }
  return JSON.stringify(before) !== JSON.stringify(o.placement);
}

/** A fresh read of allocations and deployment replaces what events built up. */
export function seed(o: ObservedJob, allocs: readonly AllocListStub[], deployment: Deployment | null): void {
  o.allocs = new Map(allocs.map((a) => [a.ID, slimAlloc(a as unknown as Record<string, unknown>) ?? a]));
  o.deployment = deployment && slimDeployment(deployment);
}

export function allocList(o: ObservedJob): AllocListStub[] | null {
  return o.allocs ? [...o.allocs.values()] : null;
}

const TERMINAL = new Set(['complete', 'failed', 'lost']);
