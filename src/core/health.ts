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

export function jobHealth(job: NomadJob | null, allocs: readonly AllocListStub[] | null, deployment: Deployment | null): HealthResult {
  if (!job) return { status: 'Missing', reasons: ['job does not exist in Nomad'] };
  if (job.Stop) return { status: 'Missing', reasons: ['job is stopped'] };
  if (allocs === null) return { status: 'Unknown', reasons: ['allocations not read yet'] };
  const desired = (job.TaskGroups ?? []).reduce((n, tg) => n + (tg.Count ?? 1), 0);
  const current = allocs.filter((a) => a.DesiredStatus === 'run' && (job.Version === undefined || a.JobVersion === job.Version));
  const running = current.filter((a) => a.ClientStatus === 'running').length;
  const failed = current.filter((a) => FAILED_CLIENT.has(a.ClientStatus) || a.DeploymentStatus?.Healthy === false).length;
  const counts = `${running}/${desired} allocations running`;
  const dep = deployment && (job.Version === undefined || deployment.JobVersion === job.Version) ? deployment : null;

  if (dep?.Status === 'failed') return { status: 'Degraded', reasons: [`deployment failed: ${dep.StatusDescription}`, counts] };
  if (failed > 0 && running < desired) return { status: 'Degraded', reasons: [`${failed} allocation(s) failed or unhealthy`, counts] };
  if (dep && (dep.Status === 'running' || dep.Status === 'pending' || dep.Status === 'initializing')) {
    return { status: 'Progressing', reasons: [`deployment ${dep.Status}`, counts] };
  }
  if (running >= desired) return { status: 'Healthy', reasons: [counts] };
  if (current.some((a) => a.ClientStatus === 'pending') || job.Status === 'pending' || current.length < desired) {
    return { status: 'Progressing', reasons: [counts] };
  }
  return { status: 'Degraded', reasons: [counts] };
}
