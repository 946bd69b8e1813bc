// The plan of a whole pass, as `drover diff` prints it: every app's decision (core/decide.ts) plus every
// managed job no app declares (core/prune.ts: stop or held, with the reason). Pure formatting of decisions
// that were made elsewhere — nothing here decides.
import type { Operation } from 'fast-json-patch';
import type { AppDecision } from './decide.js';
import type { PlanResponse } from './nomad-types.js';
import type { PruneDecision } from './prune.js';

export type PlanAction = 'create' | 'update' | 'noop' | 'report-only' | 'conflict' | 'blocked' | 'stop' | 'held';

export interface PlanEntry {
  key: string;
  action: PlanAction;
  /** rollout | heal | new | adopt for writes; the block or hold reason otherwise */
  cause?: string;
  reasons: string[];
  /** live → desired, values redacted as in /apps */
  patch?: Operation[];
}

/** Nomad's plan confirms an update unless it says nothing would change (then the local diff was wrong). */
export function planConfirmsUpdate(plan: PlanResponse): boolean {
  return plan.Diff?.Type !== 'None';
}

export function planEntries(apps: readonly { key: string; decision: AppDecision; patch?: Operation[]; falseDrift?: boolean }[], prune: Pick<PruneDecision, 'stop' | 'held'>): PlanEntry[] {
  const out: PlanEntry[] = [];
  for (const { key, decision, patch, falseDrift } of apps) {
    const a = decision.action;
    if (falseDrift) {
      out.push({ key, action: 'noop', reasons: ['the local diff saw a change but Nomad\'s plan says none: nothing is written'] });
      continue;
    }
    const cause = a.kind === 'create' || a.kind === 'update' ? a.cause : a.kind === 'blocked' ? a.reason : a.kind === 'conflict' ? a.ownership : undefined;
    out.push({ key, action: a.kind, ...(cause ? { cause } : {}), reasons: decision.reasons, ...(patch && patch.length > 0 && a.kind !== 'noop' ? { patch } : {}) });
  }
  for (const s of prune.stop) out.push({ key: s.key, action: 'stop', cause: s.approved ? 'approved' : 'pruned', reasons: [`no app declares this managed job (revision ${s.revision.slice(0, 12)})`] });
  for (const h of prune.held) out.push({ key: h.key, action: 'held', cause: h.reason, reasons: [`no app declares this managed job; its stop is held: ${h.reason}`] });
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** What `drover run` would change: creates, updates and stops. */
export function isChange(e: PlanEntry): boolean {
  return e.action === 'create' || e.action === 'update' || e.action === 'stop';
}
