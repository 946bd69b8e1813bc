// The simulated Nomad's state store: one raft index that only grows (until a simulated restart with
// empty state starts it again from 1), per-table indexes (what blocking queries return), namespaces,
// jobs and their versions, evaluations, allocations, deployments, scaling policies, variables, native
// service registrations, and the bounded event buffer the event stream replays from.
import { EventEmitter } from 'node:events';
import type { EventFrame, NomadEvent, ServiceRegistration } from './types.js';
import { GroupedMap } from './grouped-map.js';
import type { Obj } from './util.js';

export type Table = 'jobs' | 'job_summary' | 'allocs' | 'deployment' | 'evals' | 'service_registrations' | 'variables' | 'namespaces' | 'scaling_policy';

export interface Alloc {
  ID: string;
  EvalID: string;
  Name: string;
  Namespace: string;
  NodeID: string;
  NodeName: string;
  JobID: string;
  JobType: string;
  JobVersion: number;
  TaskGroup: string;
  DesiredStatus: 'run' | 'stop';
  PreviousAllocation: string;
  NextAllocation: string;
  DesiredDescription: string;
  ClientStatus: 'pending' | 'running' | 'complete' | 'failed' | 'lost';
  ClientDescription: string;
  TaskStates: Obj | null;
  DeploymentID: string;
  DeploymentStatus: Obj | null;
  CreateIndex: number;
  ModifyIndex: number;
  AllocModifyIndex: number;
  CreateTime: number;
  ModifyTime: number;
  /** sim-only: the ids of the service instances this alloc registered */
  serviceIds: string[];
  /** sim-only: the job spec this alloc runs (for services) */
  job: Obj;
  nodeAddress: string;
  containerIp: string;
  bridgeIp: string;
  /** sim-only: wall-clock ms when it was placed, or moved into a deployment in place */
  placedAt?: number;
  /** sim-only: wall-clock ms since which the client tracks its health (running, or updated in place) */
  runningAt?: number;
}

/** A Nomad variable as the HTTP API returns it (structs.VariableDecrypted: metadata, then Items). */
export interface SimVariable {
  Namespace: string;
  Path: string;
  CreateIndex: number;
  CreateTime: number;
  ModifyIndex: number;
  ModifyTime: number;
  Items: Record<string, string>;
}

export type { ServiceRegistration } from './types.js';

export const EVENT_BUFFER = 100;

export class NomadState {
  private index = 1;
  readonly tables: Record<Table, number> = NomadState.freshTables();
  readonly namespaces = new Map<string, Obj>();
  readonly jobs = new Map<string, Obj>();
  /** every stored version of a job, newest first; [0] is the job object itself */
  readonly versions = new Map<string, Obj[]>();
  readonly evals = new GroupedMap<Obj>((e) => NomadState.key(String(e.Namespace), String(e.JobID)));
  /** job summary `Queued` per group: what the latest evaluation could not place */
  readonly queued = new Map<string, Record<string, number>>();
  /** the scaling_policy table, keyed by namespace, job, group, task and type */
  readonly scalingPolicies = new Map<string, Obj>();
  readonly summaryIndex = new Map<string, { CreateIndex: number; ModifyIndex: number }>();
  // Grouped by (namespace, job ID) so per-job reads cost the job's objects, not the whole store.
  readonly allocs = new GroupedMap<Alloc>((a) => NomadState.key(a.Namespace, a.JobID));
  readonly deployments = new GroupedMap<Obj>((d) => NomadState.key(String(d.Namespace), String(d.JobID)));
  // Grouped by service name: `GET /v1/service/:name` is asked once per app.
  readonly services = new GroupedMap<ServiceRegistration>((r) => r.ServiceName);
  /** keyed by NomadState.key(namespace, path) */
  readonly variables = new Map<string, SimVariable>();
  readonly buffer: EventFrame[] = [];
  private readonly emitter = new EventEmitter();
  writes = 0;

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  private static freshTables(): Record<Table, number> {
    return { jobs: 1, job_summary: 1, allocs: 1, deployment: 1, evals: 1, service_registrations: 1, variables: 1, namespaces: 1, scaling_policy: 1 };
  }

  /** A restart with empty state: every object gone and the raft index back at 1 (the fault drover must survive). */
  reset(): void {
    this.index = 1;
    Object.assign(this.tables, NomadState.freshTables());
    for (const m of [this.namespaces, this.jobs, this.versions, this.evals, this.queued, this.scalingPolicies, this.summaryIndex, this.allocs, this.deployments, this.services, this.variables]) m.clear();
    this.buffer.length = 0;
    this.writes = 0;
  }

  /** Stores an evaluation; a job keeps its latest 50 terminal ones (Nomad garbage-collects old evaluations). */
  addEval(e: Obj): void {
    this.evals.set(String(e.ID), e);
    const mine = this.jobEvals(String(e.Namespace), String(e.JobID));
    const done = mine.filter((x) => x.Status === 'complete' || x.Status === 'failed' || x.Status === 'canceled');
    for (const old of done.slice(0, Math.max(0, done.length - 50))) this.evals.delete(String(old.ID));
  }

  jobEvals(ns: string, id: string): Obj[] {
    return this.evals.group(NomadState.key(ns, id));
  }

  /** Stores a new version of a job (newest first, the 6 most recent like JobTrackedVersions). */
  pushVersion(job: Obj): void {
    const k = NomadState.key(String(job.Namespace), String(job.ID));
    const l = this.versions.get(k) ?? [];
    l.unshift(job);
    if (l.length > 6) l.length = 6;
    this.versions.set(k, l);
  }

  raftIndex(): number {
    return this.index;
  }

  /** Starts a new raft index that touches these tables. */
  bump(...tables: Table[]): number {
    this.index++;
    for (const t of tables) this.tables[t] = this.index;
    return this.index;
  }

  static key(ns: string, id: string): string {
    return `${ns}\u0000${id}`;
  }

  job(ns: string, id: string): Obj | undefined {
    return this.jobs.get(NomadState.key(ns, id));
  }

  jobAllocs(ns: string, id: string): Alloc[] {
    return this.allocs.group(NomadState.key(ns, id)).sort((a, b) => a.CreateIndex - b.CreateIndex || a.Name.localeCompare(b.Name));
  }

  jobDeployments(ns: string, id: string): Obj[] {
    return this.deployments.group(NomadState.key(ns, id)).sort((a, b) => Number(b.CreateIndex) - Number(a.CreateIndex));
  }

  /** The allocations a deployment placed, in the order they were stored. */
  deploymentAllocs(d: Obj): Alloc[] {
    return this.allocs.group(NomadState.key(String(d.Namespace), String(d.JobID))).filter((a) => a.DeploymentID === d.ID);
  }

  /** Appends one batch (all events get the current index) and wakes stream subscribers. */
  publish(events: Omit<NomadEvent, 'Index'>[]): void {
    if (events.length === 0) return;
    const Index = this.index;
    const frame: EventFrame = { Index, Events: events.map((e) => ({ Topic: e.Topic, Type: e.Type, Key: e.Key, Namespace: e.Namespace, FilterKeys: e.FilterKeys, Index, Payload: e.Payload })) };
    this.buffer.push(frame);
    if (this.buffer.length > EVENT_BUFFER) this.buffer.splice(0, this.buffer.length - EVENT_BUFFER);
    this.emitter.emit('frame', frame);
  }

  onFrame(fn: (f: EventFrame) => void): () => void {
    this.emitter.on('frame', fn);
    return () => this.emitter.off('frame', fn);
  }

  /** Wakes blocking queries. */
  changed(): void {
    this.emitter.emit('change');
  }

  /** Resolves on the next change or after `ms`, whichever comes first. */
  waitChange(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.emitter.off('change', done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.emitter.on('change', done);
      signal.addEventListener('abort', done);
    });
  }
}
