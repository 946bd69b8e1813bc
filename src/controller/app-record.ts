// What the controller remembers per app between passes: the desired job (or why there is none), what
// the last reconcile saw of the live job (so a resync can skip unchanged apps), and the served status.
import type { AppDecision } from '../core/decide.js';
import type { HealthResult } from '../core/health.js';
import { emptyObserved, type ObservedJob } from './observed.js';
import type { NomadJob } from '../core/nomad-types.js';
import type { AppStatus } from '../core/status.js';
import type { LoadedApp } from '../spec/types.js';
import type { ObservedInstance } from '../core/verify.js';

export interface LiveSeen {
  exists: boolean;
  jobModifyIndex: number;
  modifyIndex: number;
  stop: boolean;
}

export interface AppRecord {
  key: string;
  namespace: string;
  name: string;
  app?: LoadedApp;
  desired?: NomadJob;
  /** specHash of `desired`: what drover records as applied */
  hash?: string;
  /** the app's sync policy as last loaded (selfHeal/adopt): a change re-decides without a job change */
  policy?: string;
  /** set when the spec is invalid: the running job is left alone */
  problems?: string[];
  /** the live job as the last successful reconcile saw it; undefined = unknown */
  seen?: LiveSeen;
  /** the last pass failed: the next resync must look again */
  failed?: boolean;
  /** the latest job listing (newer than any event or write for this key) shows no job: the next pass need not read it */
  listedAbsent?: boolean;
  /** what the last pass decided (core/decide.ts); status is derived from it */
  decision?: AppDecision;
  /** the last pass carried out a write decision (or Nomad's plan showed it would change nothing) */
  applied?: boolean;
  /** the last pass's error, if it failed */
  error?: { code: string; message: string; at: string; upstream?: string; afterDecision: boolean };
  /** the revision for which a conflict was last logged (logged once per revision) */
  conflictLoggedAt?: string;
  healthFinal: boolean;
  /** what the event stream and reads tell about the job between passes: its allocations, deployment, evaluations */
  observed: ObservedJob;
  /** the job as a Job event carried it, for the next pass to use instead of reading it (then cleared) */
  eventJob?: NomadJob | null;
  /** when allocations and deployment were last read (the bounded re-read of unsettled apps goes oldest first) */
  healthReadAt?: number;
  /** health from Nomad alone; status.health is this with the service verification laid over it */
  baseHealth?: HealthResult;
  /** every instance of the app's service names as the last Consul verification saw them (the route check explains a dropped router with them) */
  observedInstances?: ObservedInstance[];
  /** provider nomad: the index of Nomad's service table the last good verification read (X-Nomad-Index); a resync whose probe sees the same index reads nothing */
  nomadServicesVerifiedAt?: number;
  /** health was just (re)evaluated to a final state: verify the services on this pass */
  verifyDue?: boolean;
  status: AppStatus;
}

export function newRecord(namespace: string, name: string, selfHeal: boolean, prune: boolean): AppRecord {
  return {
    key: `${namespace}/${name}`,
    namespace,
    name,
    healthFinal: false,
    observed: emptyObserved(),
    status: { namespace, name, sync: 'Unknown', health: 'Unknown', healthReasons: [], drift: [], selfHeal, prune, lastAction: 'none' },
  };
}

export function seenFrom(job: NomadJob | null): LiveSeen {
  if (!job) return { exists: false, jobModifyIndex: 0, modifyIndex: 0, stop: false };
  return {
    exists: true,
    jobModifyIndex: job.JobModifyIndex ?? 0,
    modifyIndex: job.ModifyIndex ?? 0,
    stop: job.Stop === true,
  };
}

/** The fields of a live job that health needs between passes (a whole job per app would be most of drover's memory). */
export function slimJob(job: NomadJob): NomadJob {
  return {
    ID: job.ID, Namespace: job.Namespace, Version: job.Version, Status: job.Status, Stop: job.Stop,
    JobModifyIndex: job.JobModifyIndex, ModifyIndex: job.ModifyIndex,
    TaskGroups: (job.TaskGroups ?? []).map((tg) => ({ Name: tg.Name, Count: tg.Count, Tasks: [] })),
  } as NomadJob;
}
