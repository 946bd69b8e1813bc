// Pure health assessment of one Nomad service job from its allocations and latest deployment
// (gitops-engine's habit: a string enum with an ordering, one small function). Facts from
// reference/nomad-wire-shapes.md §6.
import type { AllocListStub, Deployment, NomadJob } from './nomad-types.js';
import type { HealthStatus } from './status.js';

/** Best first; a later entry is "worse than" an earlier one (gitops-engine's order). */
export const HEALTH_ORDER: readonly HealthStatus[] = ['Healthy', 'Progressing', 'Missing', 'Degraded', 'Unknown'];

export function isWorse(a: HealthStatus, b: HealthStatus): boolean {
  return HEALTH_ORDER.indexOf(a) > HEALTH_ORDER.indexOf(b);
}

export function worstHealth(statuses: readonly HealthStatus[]): HealthStatus {
  return statuses.reduce<HealthStatus>((w, s) => (isWorse(s, w) ? s : w), 'Healthy');
}

/** Health is final when nothing will change it without a new job version or an outside event. */
export function isHealthFinal(s: HealthStatus): boolean {
  return s === 'Healthy' || s === 'Degraded' || s === 'Missing';
}

export interface HealthResult {
  status: HealthStatus;
  reasons: string[];
}

const FAILED_CLIENT = new Set(['failed', 'lost']);

/** A placement failure seen on the job's latest blocked evaluation (FailedTGAllocs), or in its summary (Queued). */
export interface PlacementFailure {
  /** e.g. "missing drivers", "resources exhausted (memory)" */
  reasons: string[];
  /** allocations Nomad could not place */
  queued: number;
}

export interface HealthObservations {
  job: NomadJob | null;
  /** every allocation of the job Nomad still lists (all versions); null when not known yet */
  allocs: readonly AllocListStub[] | null;
  /** the job's latest deployment, if any */
  deployment: Deployment | null;
  placement?: PlacementFailure | null;
}

/**
 * Health of a service job, with the real numbers: during a deployment, healthy allocations of the new
 * version against the desired total, canaries waiting for promotion, and what is running of every version
 * (old allocations serve until they are replaced). A failed deployment or a placement failure is Degraded
 * with Nomad's reason.
 */
export function appHealth(o: HealthObservations): HealthResult {
  const { job, allocs } = o;
  if (!job) return { status: 'Missing', reasons: ['job does not exist in Nomad'] };
  if (job.Stop) return { status: 'Missing', reasons: ['job is stopped'] };
  if (allocs === null) return { status: 'Unknown', reasons: ['allocations not read yet'] };
  const desired = (job.TaskGroups ?? []).reduce((n, tg) => n + (tg.Count ?? 1), 0);
  const isCurrent = (a: AllocListStub) => job.Version === undefined || a.JobVersion === job.Version;
  const live = allocs.filter((a) => a.DesiredStatus === 'run');
  const current = live.filter(isCurrent);
  const running = current.filter((a) => a.ClientStatus === 'running').length;
  const runningOld = live.filter((a) => !isCurrent(a) && a.ClientStatus === 'running').length;
  const failed = current.filter((a) => FAILED_CLIENT.has(a.ClientStatus) || a.DeploymentStatus?.Healthy === false).length;
  const counts = runningOld > 0
    ? `${running + runningOld} allocations running (${running} of version ${job.Version}, ${runningOld} of older versions) for ${desired} wanted`
    : `${running}/${desired} allocations running`;
  const dep = o.deployment && (job.Version === undefined || o.deployment.JobVersion === job.Version) ? o.deployment : null;

  if (o.placement && running < desired) {
    const why = o.placement.reasons.length ? o.placement.reasons.join(', ') : 'no node can run it';
    return { status: 'Degraded', reasons: [`placement failed: ${why}`, `${o.placement.queued} allocation(s) queued`, counts] };
  }
  if (dep?.Status === 'failed') return { status: 'Degraded', reasons: [`deployment failed: ${dep.StatusDescription}`, counts] };
  if (dep && ACTIVE_DEPLOYMENT.has(dep.Status)) {
    const reasons = [`deployment ${dep.Status}: ${deploymentLine(dep)}`, counts];
    const pending = canariesPendingPromotion(dep);
    if (pending > 0) reasons.push(`${pending} canar${pending === 1 ? 'y' : 'ies'} healthy, pending promotion`);
    if (dep.StatusDescription && dep.StatusDescription !== 'Deployment is running') reasons.push(dep.StatusDescription);
    return { status: 'Progressing', reasons };
  }
  if (failed > 0 && running < desired) return { status: 'Degraded', reasons: [`${failed} allocation(s) failed or unhealthy`, counts] };
  if (running >= desired) return { status: 'Healthy', reasons: [counts] };
  if (current.some((a) => a.ClientStatus === 'pending') || job.Status === 'pending' || current.length < desired) {
    return { status: 'Progressing', reasons: [counts] };
  }
  return { status: 'Degraded', reasons: [counts] };
}

/** The health of a job from one read of its allocations and deployment (no placement information). */
export function jobHealth(job: NomadJob | null, allocs: readonly AllocListStub[] | null, deployment: Deployment | null): HealthResult {
  return appHealth({ job, allocs, deployment });
}

const ACTIVE_DEPLOYMENT = new Set(['running', 'pending', 'initializing', 'paused', 'blocked', 'unblocking']);

function deploymentLine(dep: Deployment): string {
  let healthy = 0;
  let total = 0;
  for (const tg of Object.values(dep.TaskGroups ?? {})) {
    healthy += tg.HealthyAllocs ?? 0;
    total += tg.DesiredTotal ?? 0;
  }
  return `${healthy}/${total} healthy`;
}

/** Canaries placed and healthy while the group waits for a promotion (auto-promote off). */
export function canariesPendingPromotion(dep: Deployment): number {
  let n = 0;
  for (const tg of Object.values(dep.TaskGroups ?? {})) {
    const desiredCanaries = Number(tg.DesiredCanaries ?? 0);
    if (desiredCanaries > 0 && tg.Promoted !== true && tg.AutoPromote !== true) {
      const placed = Array.isArray(tg.PlacedCanaries) ? tg.PlacedCanaries.length : 0;
      n += Math.min(placed, tg.HealthyAllocs ?? 0, desiredCanaries);
    }
  }
  return n;
}

/** The reasons of a blocked evaluation's FailedTGAllocs (Nomad's AllocMetric), e.g. "missing drivers". */
export function placementReasons(failed: Record<string, unknown> | null | undefined): string[] {
  const out = new Set<string>();
  for (const m of Object.values(failed ?? {})) {
    if (!m || typeof m !== 'object') continue;
    const metric = m as Record<string, unknown>;
    for (const k of ['ConstraintFiltered', 'ClassFiltered'] as const) {
      const v = metric[k];
      if (v && typeof v === 'object') for (const reason of Object.keys(v)) out.add(reason);
    }
    const dim = metric.DimensionExhausted;
    if (dim && typeof dim === 'object') for (const reason of Object.keys(dim)) out.add(`${reason} exhausted`);
    if (out.size === 0 && Number(metric.NodesEvaluated ?? 0) === 0) out.add('no nodes in the job\'s datacenters and node pool');
  }
  return [...out];
}
