// What the controller remembers per app between passes: the desired job (or why there is none), what
// the last reconcile saw of the live job (so a resync can skip unchanged apps), and the served status.
import type { AppDecision } from '../core/decide.js';
import type { HealthResult } from '../core/health.js';
import type { AllocListStub, NomadJob } from '../core/nomad-types.js';
import type { AppStatus } from '../core/status.js';
import type { LoadedApp } from '../spec/types.js';

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
  /** health from Nomad alone; status.health is this with the service verification laid over it */
  baseHealth?: HealthResult;
  /** the allocations read at the last health evaluation (the instance count a verification expects),
   * cut to their declared fields by slimAllocs */
  allocs?: AllocListStub[];
  /** the app's own service instances as the last Consul verification saw them (the route check explains a dropped router with them) */
  observedInstances?: import('../core/verify.js').ObservedInstance[];
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

/**
 * Allocation stubs as kept on a record: only the fields AllocListStub declares. Nomad's stubs also carry
 * TaskStates (with every task event), resources and more, none of which is read after the health
 * evaluation; keeping them for every app between passes is most of an alloc list's weight.
 */
export function slimAllocs(allocs: readonly AllocListStub[]): AllocListStub[] {
  return allocs.map((a) => ({
    ID: a.ID,
    EvalID: a.EvalID,
    Name: a.Name,
    Namespace: a.Namespace,
    NodeID: a.NodeID,
    NodeName: a.NodeName,
    JobID: a.JobID,
    JobVersion: a.JobVersion,
    TaskGroup: a.TaskGroup,
    DesiredStatus: a.DesiredStatus,
    ClientStatus: a.ClientStatus,
    DeploymentStatus: a.DeploymentStatus ? { ...a.DeploymentStatus } : a.DeploymentStatus,
    CreateIndex: a.CreateIndex,
    ModifyIndex: a.ModifyIndex,
  }));
}
