// Rules for the rollout strategy (spec.rollout and the DROVER_ROLLOUT_* cluster defaults): the combinations
// Nomad refuses (nomad/structs/structs.go UpdateStrategy.Validate, and Task.Validate's kill timeout against
// the progress deadline), plus the ones Nomad accepts but that could never act (maxParallel 0 turns
// deployments off: scheduler/reconciler/reconcile_cluster.go createDeployment). Each rule is checked on the
// effective values — app, else cluster default, else Nomad's default — and reported on the field to change:
// an app's own field when it takes part, else the cluster variable (checked once, at start). Pure.
import type { ClusterDefaults, RolloutDefaults } from '../core/cluster-defaults.js';
import { parseDurationNs } from '../core/duration.js';
import {
  formatNs, NOMAD_KILL_TIMEOUT_NS, resolveRollout, type ResolvedField, type ResolvedRollout, type RolloutField,
} from '../core/render/update.js';
import type { FieldProblem } from './messages.js';
import type { AppSpec, RolloutHealthCheck } from './types.js';

/** The cluster variable of each field that has one. */
export const ROLLOUT_ENV: Readonly<Partial<Record<RolloutField, string>>> = Object.freeze({
  maxParallel: 'DROVER_ROLLOUT_MAX_PARALLEL',
  minHealthyTime: 'DROVER_ROLLOUT_MIN_HEALTHY_TIME',
  healthyDeadline: 'DROVER_ROLLOUT_HEALTHY_DEADLINE',
  progressDeadline: 'DROVER_ROLLOUT_PROGRESS_DEADLINE',
  autoRevert: 'DROVER_ROLLOUT_AUTO_REVERT',
  healthCheck: 'DROVER_ROLLOUT_HEALTH_CHECK',
});

const HEALTH_CHECKS: readonly RolloutHealthCheck[] = ['checks', 'task_states', 'manual'];
const MAX_PARALLEL_LIMIT = 10_000;

interface Issue {
  /** the field the message is about (the one to change) */
  field: RolloutField;
  message: string;
  severity: 'error' | 'warning';
}

/** Reads DROVER_ROLLOUT_*; a value that does not parse is a problem and is left out. */
export function parseRolloutDefaults(get: (name: string) => string | undefined, problems: string[]): RolloutDefaults {
  const out: RolloutDefaults = {};
  const mp = get(ROLLOUT_ENV.maxParallel!);
  if (mp !== undefined) {
    const n = Number(mp);
    if (/^\d+$/.test(mp.trim()) && n <= MAX_PARALLEL_LIMIT) out.maxParallel = n;
    else problems.push(`${ROLLOUT_ENV.maxParallel}: "${mp}" must be an integer from 0 to ${MAX_PARALLEL_LIMIT}`);
  }
  for (const field of ['minHealthyTime', 'healthyDeadline', 'progressDeadline'] as const) {
    const v = get(ROLLOUT_ENV[field]!);
    if (v === undefined) continue;
    if (parseDurationNs(v) === undefined) problems.push(`${ROLLOUT_ENV[field]}: "${v}" is not a duration (e.g. 30s, 5m)`);
    else out[field] = v;
  }
  const ar = get(ROLLOUT_ENV.autoRevert!);
  if (ar !== undefined) {
    if (/^(1|true|yes|on)$/i.test(ar)) out.autoRevert = true;
    else if (/^(0|false|no|off)$/i.test(ar)) out.autoRevert = false;
    else problems.push(`${ROLLOUT_ENV.autoRevert}: "${ar}" is not a boolean (true/false)`);
  }
  const hc = get(ROLLOUT_ENV.healthCheck!);
  if (hc !== undefined) {
    if ((HEALTH_CHECKS as readonly string[]).includes(hc)) out.healthCheck = hc as RolloutHealthCheck;
    else problems.push(`${ROLLOUT_ENV.healthCheck}: "${hc}" must be one of ${HEALTH_CHECKS.join(', ')}`);
  }
  return out;
}

/** The cluster defaults among themselves (with Nomad's defaults for the rest), as `VARIABLE: reason` lines. */
export function clusterRolloutProblems(d: RolloutDefaults): string[] {
  const r = resolveRollout(undefined, d);
  if (!r) return [];
  return rolloutIssues(r).filter((i) => r[i.field].source === 'cluster').map((i) => `${ROLLOUT_ENV[i.field]}: ${i.message}`);
}

/** spec.rollout against the cluster defaults and Nomad's; problems name the app's own field. */
export function checkRollout(s: AppSpec, d: ClusterDefaults): FieldProblem[] {
  if (!s.rollout) return [];
  const r = resolveRollout(s.rollout, d.rollout);
  if (!r) return [];
  const out: FieldProblem[] = rolloutIssues(r)
    .filter((i) => r[i.field].source === 'app')
    .map((i) => ({ segs: ['spec', 'rollout', i.field], message: i.message, severity: i.severity }));
  // Nomad's own warning (TaskGroup.Warnings): a destructive change would replace every allocation at once.
  const count = s.count ?? 1;
  if (s.scaling === undefined && r.maxParallel.source === 'app' && count > 1 && r.maxParallel.value > count) {
    out.push({
      segs: ['spec', 'rollout', 'maxParallel'], severity: 'warning',
      message: `${r.maxParallel.value} is more than spec.count (${count}): a change that restarts tasks replaces every allocation at once`,
    });
  }
  return out;
}

/** Every rule broken by the effective values; each names the field to change (an app's own, else a cluster default's). */
function rolloutIssues(r: ResolvedRollout): Issue[] {
  const out: Issue[] = [];
  const { minHealthyTime: min, healthyDeadline: healthy, progressDeadline: progress, maxParallel, canaries, autoPromote, autoRevert } = r;
  if (autoPromote.value && canaries.value === 0) {
    out.push({ field: 'autoPromote', severity: 'error', message: 'needs spec.rollout.canaries above 0: auto-promote promotes canaries, and Nomad refuses it without any' });
  }
  if (healthy.value <= 0) {
    out.push({ field: 'healthyDeadline', severity: 'error', message: `${healthy.text} must be greater than 0: an allocation needs time to become healthy` });
  } else if (min.value >= healthy.value) {
    const field = blame(r, 'minHealthyTime', 'healthyDeadline');
    out.push({
      field, severity: 'error',
      message: field === 'minHealthyTime'
        ? `${min.text} must be shorter than healthyDeadline ${healthy.text}${origin(healthy, 'healthyDeadline')}`
        : `${healthy.text} must be longer than minHealthyTime ${min.text}${origin(min, 'minHealthyTime')}`,
    });
  }
  if (progress.value !== 0 && healthy.value > 0 && healthy.value >= progress.value) {
    const field = blame(r, 'healthyDeadline', 'progressDeadline');
    out.push({
      field, severity: 'error',
      message: field === 'healthyDeadline'
        ? `${healthy.text} must be shorter than progressDeadline ${progress.text}${origin(progress, 'progressDeadline')}; raise progressDeadline or set it to 0`
        : `${progress.text} must be longer than healthyDeadline ${healthy.text}${origin(healthy, 'healthyDeadline')}, or 0 (the first unhealthy allocation fails the deployment)`,
    });
  } else if (progress.value !== 0 && progress.value < NOMAD_KILL_TIMEOUT_NS) {
    out.push({ field: 'progressDeadline', severity: 'error', message: `${progress.text} is shorter than the task's kill timeout (${formatNs(NOMAD_KILL_TIMEOUT_NS)}, Nomad's default), which Nomad refuses; use at least ${formatNs(NOMAD_KILL_TIMEOUT_NS)}, or 0` });
  }
  if (maxParallel.value === 0) {
    const off = `maxParallel 0${origin(maxParallel, 'maxParallel')} turns Nomad's deployments off`;
    // canaries have no cluster default: a canary count above 0 is always the app's own
    if (canaries.value > 0) {
      out.push({ field: 'canaries', severity: 'error', message: `need maxParallel of at least 1: ${off}, so no canary would wait for promotion` });
    }
    if (autoRevert.value) {
      const field = blame(r, 'autoRevert', 'maxParallel');
      out.push({
        field, severity: autoRevert.source === r[field].source ? 'error' : 'warning',
        message: field === 'autoRevert'
          ? `needs maxParallel of at least 1: ${off}, so a failed rollout would never be reverted`
          : `0 turns Nomad's deployments off, so auto-revert${origin(autoRevert, 'autoRevert')} would never act`,
      });
    }
  }
  return out;
}

/** Of two fields taking part in a rule, the one to report: the app's own first, then a cluster default's. */
function blame(r: ResolvedRollout, a: RolloutField, b: RolloutField): RolloutField {
  for (const source of ['app', 'cluster'] as const) {
    if (r[a].source === source) return a;
    if (r[b].source === source) return b;
  }
  return a;
}

/** ` (Nomad's default)` or ` (DROVER_ROLLOUT_…)` after a value that is not the app's own. */
function origin(f: ResolvedField<unknown>, field: RolloutField): string {
  if (f.source === 'nomad') return " (Nomad's default)";
  if (f.source === 'cluster') return ` (${ROLLOUT_ENV[field]})`;
  return '';
}
