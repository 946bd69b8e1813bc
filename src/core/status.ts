// Per-app status as served by GET /apps and /apps/:namespace/:name and mirrored in metrics.
import type { Operation } from 'fast-json-patch';

import type { AppAction, AppDecision } from './decide.js';
import type { PruneBlockReason } from './prune.js';
import type { RouteVerifyStatus } from './route-verify.js';

/** Conflict: a live job with the app's ID that drover does not own (never written). */
export type SyncStatus = 'Synced' | 'OutOfSync' | 'Invalid' | 'Unknown' | 'Conflict';
export type HealthStatus = 'Healthy' | 'Progressing' | 'Degraded' | 'Missing' | 'Unknown';

export interface AppStatus {
  namespace: string;
  name: string;
  sync: SyncStatus;
  health: HealthStatus;
  /** one line per health observation, e.g. "2/3 allocations running" */
  healthReasons: string[];
  source?: { file: string; line: number; revision: string };
  /** JSON Patch from live to desired over the rendered fields; env and secret values redacted */
  drift: Operation[];
  driftFirstSeen?: string; // ISO time
  selfHeal: boolean;
  prune: boolean;
  lastError?: { code: string; message: string; at: string };
  lastSync?: string; // ISO time of the last successful apply or confirmed no-op
  lastAction?: 'create' | 'update' | 'noop' | 'delete' | 'none';
  /** validation problems when sync is Invalid */
  problems?: string[];
  /** Nomad's view when known */
  job?: { version?: number; jobModifyIndex?: number; status?: string; stop?: boolean };
  /** what drover decided on its last pass (src/core/decide.ts): the action, whether it is a rollout or a heal, why */
  decision?: { action: AppAction['kind']; cause?: string; reasons: string[] };
  /** sync Conflict: who holds the job and what to do about it */
  conflict?: { owner?: string; managed: boolean; message: string };
  /** a managed job no app declares: its stop is held (with the reason) or was made */
  pruning?: { state: 'held' | 'stopped'; reason?: PruneBlockReason; revision?: string; heldSince?: string };
  /** the service catalog (Consul, or Nomad's own for provider nomad) against what the job promises; absent until verified or when the app has no services */
  consul?: ConsulVerifyStatus;
  /** the route check against Traefik's API (TRAEFIK_API_ADDR); absent when off or the app has no routes */
  routes?: RouteVerifyStatus;
}

export interface ConsulVerifyStatus {
  /** verified: the fields below are from checkedAt; unreachable: the last read failed (see error) and the fields below are the last known */
  state: 'verified' | 'unreachable';
  /** a tag, instance-count or weave-address mismatch (a failing check alone is not drift) */
  drift: boolean;
  /** one line per problem, expected vs observed */
  problems: string[];
  /** informational: extra tags nobody promised */
  notes: string[];
  instances: { service: string; state: 'passing' | 'warning' | 'critical' | 'missing'; count: number }[];
  /** ISO time of the last successful verification */
  checkedAt?: string;
  /** why the catalog could not be read (state unreachable) */
  error?: string;
}

export interface SyncInput {
  /** the spec is invalid */
  invalid: boolean;
  /** Nomad cannot be reached (the last call to it failed with no answer): nothing said about the cluster is current */
  nomadUnreachable: boolean;
  decision?: Pick<AppDecision, 'action'>;
  /** the last pass wrote the job, or Nomad's plan said the write would change nothing */
  applied: boolean;
  /** the last pass failed after deciding to write (the write did not happen) */
  failed: boolean;
}

/** Sync status from the decision and what came of it — never set anywhere else. */
export function deriveSync(i: SyncInput): SyncStatus {
  if (i.invalid || (i.decision?.action.kind === 'blocked' && i.decision.action.reason === 'unsupported-by-nomad')) return 'Invalid';
  if (i.nomadUnreachable || !i.decision) return 'Unknown';
  switch (i.decision.action.kind) {
    case 'conflict':
      return 'Conflict';
    case 'noop':
      return 'Synced';
    case 'create':
    case 'update':
      return i.applied && !i.failed ? 'Synced' : 'OutOfSync';
    default:
      return 'OutOfSync';
  }
}
