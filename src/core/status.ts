// Per-app status as served by GET /apps and /apps/:namespace/:name and mirrored in metrics.
import type { Operation } from 'fast-json-patch';

export type SyncStatus = 'Synced' | 'OutOfSync' | 'Invalid' | 'Unknown';
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
  /** the service catalog (Consul, or Nomad's own for provider nomad) against what the job promises; absent until verified or when the app has no services */
  consul?: ConsulVerifyStatus;
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
