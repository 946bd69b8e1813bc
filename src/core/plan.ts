// Pure planning: pair desired apps with live managed jobs (gitops-engine style: nil on one side means
// create or prune) and decide per app create | update | noop | delete, with reasons. The controller and
// `drover diff` both act on this; neither decides on its own.
import type { JobDiffResult } from './diff.js';
import { jobKey, planPrune, type LiveJobRef, type PruneBlockReason, type PruneContext } from './prune.js';

export type PlanActionKind = 'create' | 'update' | 'noop' | 'delete' | 'none';

export interface AppPlan {
  key: string;
  action: PlanActionKind;
  reasons: string[];
  /** for an app that would be deleted but a safety rule holds it */
  blocked?: PruneBlockReason;
}

export interface DesiredAppState {
  key: string;
  /** undefined when the app is invalid: its live job is left alone */
  diff?: JobDiffResult;
  selfHeal: boolean;
  /** validation problems, for an invalid app */
  problems?: string[];
}

/** What to do for one declared app, given its diff. */
export function planApp(app: DesiredAppState): AppPlan {
  const { key, diff } = app;
  if (!diff) return { key, action: 'none', reasons: ['spec is invalid; the running job is left untouched', ...(app.problems ?? [])] };
  switch (diff.kind) {
    case 'in-sync':
      return { key, action: 'noop', reasons: ['live job matches the spec'] };
    case 'missing':
      return { key, action: 'create', reasons: ['job does not exist in Nomad'] };
    case 'stopped':
      if (!app.selfHeal) return { key, action: 'none', reasons: ['job is stopped; self-heal is off, drift reported only'] };
      return { key, action: 'update', reasons: ['job is stopped'] };
    case 'drift':
      if (!app.selfHeal) return { key, action: 'none', reasons: [`${diff.fields} field(s) differ; self-heal is off, drift reported only`] };
      return { key, action: 'update', reasons: [`${diff.fields} field(s) differ`] };
  }
}

/**
 * The whole pass: every declared app plus every managed live job no app declares (a prune candidate).
 * `ctx.desiredKeys` must hold the keys of the valid apps in `apps`.
 */
export function planAction(apps: readonly DesiredAppState[], live: readonly LiveJobRef[], ctx: PruneContext): AppPlan[] {
  const plans = apps.map(planApp);
  const prune = planPrune(live, ctx);
  for (const job of prune.prune) {
    plans.push({ key: jobKey(job.namespace, job.id), action: 'delete', reasons: ['no app in the snapshot declares this managed job'] });
  }
  for (const { job, reason } of prune.blocked) {
    plans.push({ key: jobKey(job.namespace, job.id), action: 'none', blocked: reason, reasons: [`prune blocked: ${reason}`] });
  }
  return plans.sort((a, b) => a.key.localeCompare(b.key));
}
