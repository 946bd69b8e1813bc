// What the Nomad servers and client agents do after a write, compressed into timers: evaluations run
// the reconciler (reconcile.ts) and apply its plan — placements on simulated nodes that have the
// task drivers (else FailedTGAllocs, a blocked evaluation and `Queued` in the summary), in-place
// updates that keep the allocation, destructive updates that replace it, stops — then clients start
// allocations (or fail them for a broken image), report health after min_healthy_time, and the
// deployment watcher promotes canaries (auto_promote), fails deployments (unhealthy allocation,
// progress deadline), rolls back to the latest stable version (auto_revert) and asks for the next
// evaluation. Services are registered per running task (Consul provider through the ServiceSink,
// Nomad provider in this sim). Time: allocDelayMs to run, deploymentDelayMs before the first health
// report, and job durations (min_healthy_time, healthy_deadline, progress_deadline) × timeScale.
import type { NomadEvent } from './types.js';
import type { ServiceSink, SimServiceCheck } from '../service-sink.js';
import { evalEvent, isTerminalEval, newEval, ZERO_TIME } from './evals.js';
import { storeJob } from './jobstore.js';
import { isActive, newDeployment, reconcile, requiresPromotion, type Reconciled } from './reconcile.js';
import { NomadState, type Alloc, type ServiceRegistration } from './state.js';
import { clone, isObj, nsToConsul, uuid, type Obj } from './util.js';

export interface SimNode {
  id: string;
  name: string;
  address: string;
  /** task drivers this node's client has (default: DEFAULT_DRIVERS) */
  drivers?: string[];
}

/** The drivers a simulated node has unless told otherwise. */
export const DEFAULT_DRIVERS = ['docker', 'exec', 'java', 'pot', 'qemu', 'raw_exec'];

export interface SchedulerOptions {
  nodes: SimNode[];
  allocDelayMs: number;
  deploymentDelayMs: number;
  /** wall-clock ms per simulated ms for job durations; 0 = min_healthy_time passes at once and deadlines never fire */
  timeScale: number;
  sink?: ServiceSink;
  clock: () => number;
  datacenter: string;
  runtime?: AllocRuntime;
}

/**
 * What a Nomad client's task driver does when an allocation starts and ends: the simulated cluster
 * plugs the simulated Docker Engine (and weave) in here, so a running docker allocation is a container
 * with Nomad's labels, its task env and a weave address, as on a real node.
 */
export interface AllocRuntime {
  started(alloc: { id: string; namespace: string; jobId: string; jobName: string; group: string; task: Obj; bridgeIp: string }): void;
  stopped(allocId: string): void;
}

type Ev = Omit<NomadEvent, 'Index'>;
const PLACE_DELAY_MS = 1;
/** the computed node class of the simulated nodes, as a blocked evaluation's ClassEligibility names it */
export const SIM_NODE_CLASS = 'v1:8194615232010064307';

/** A reconcile result plus what placement on the nodes made of it. */
export interface Scheduled extends Reconciled {
  placed: { p: Reconciled['place'][number]; node: SimNode }[];
  failedTGAllocs: Record<string, Obj> | null;
  queued: Record<string, number>;
}

export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  private rr = 0;
  private portSeq = 0;
  private ipSeq = 0;
  readonly brokenImages = new Set<string>();
  /** images whose allocations run but never pass their checks (unhealthy at healthy_deadline) */
  readonly unhealthyImages = new Set<string>();
  readonly nodes: SimNode[];

  constructor(private readonly state: NomadState, private readonly opts: SchedulerOptions) {
    this.nodes = opts.nodes.map((n) => ({ ...n, drivers: [...(n.drivers ?? DEFAULT_DRIVERS)] }));
  }

  close(): void {
    this.closed = true;
    this.clearTimers();
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) fn();
    }, ms);
    this.timers.add(t);
  }

  private nowNs(): number {
    return this.opts.clock() * 1e6;
  }

  /** Job durations (ns) in wall-clock ms. */
  private scaled(ns: unknown): number {
    return (Number(ns ?? 0) / 1e6) * this.opts.timeScale;
  }

  /** A restart with empty state: timers stop, every running allocation's services and containers go away. */
  reset(): void {
    this.clearTimers();
    for (const a of this.state.allocs.values()) {
      if (a.ClientStatus === 'running') this.opts.runtime?.stopped(a.ID);
      for (const id of a.serviceIds) if (!this.state.services.has(id)) this.opts.sink?.deregister(id);
    }
  }

  // ---- nodes and feasibility -------------------------------------------------------------------

  private groupDrivers(g: Obj): string[] {
    return [...new Set(((g.Tasks as Obj[] | null) ?? []).map((t) => String(t.Driver)))];
  }

  private fits(node: SimNode, g: Obj): boolean {
    return this.groupDrivers(g).every((d) => node.drivers!.includes(d));
  }

  nodeFits = (nodeId: string, g: Obj): boolean => {
    const n = this.nodes.find((x) => x.id === nodeId);
    return !n || this.fits(n, g);
  };

  /** Sets the drivers of one node (or all); blocked evaluations are retried, as a node update unblocks them. */
  setDrivers(drivers: string[], nodeId?: string): boolean {
    const targets = this.nodes.filter((n) => !nodeId || n.id === nodeId || n.name === nodeId);
    if (targets.length === 0) return false;
    for (const n of targets) n.drivers = [...drivers];
    this.later(PLACE_DELAY_MS, () => this.unblock());
    return true;
  }

  private unblock(): void {
    const blocked = [...this.state.evals.values()].filter((e) => e.Status === 'blocked');
    if (!blocked.length) return;
    const index = this.state.bump('evals');
    const events: Ev[] = [];
    for (const e of blocked) {
      e.Status = 'pending';
      e.ModifyIndex = index;
      e.ModifyTime = this.nowNs();
      events.push(evalEvent(e, 'EvaluationUpdated'));
    }
    this.state.publish(events);
    this.state.changed();
    for (const e of blocked) this.submit(e);
  }

  /** AllocMetric of a group no node could take (scheduler/feasible: the driver check filters them). */
  private failedMetric(g: Obj, failures: number): Obj {
    const n = this.nodes.length;
    return {
      NodesEvaluated: n, NodesFiltered: n, NodesInPool: n, NodePool: 'default', NodesAvailable: { [this.opts.datacenter]: n }, ClassFiltered: null,
      ConstraintFiltered: { 'missing drivers': n }, NodesExhausted: 0, ClassExhausted: null, DimensionExhausted: null, QuotaExhausted: null,
      ResourcesExhausted: null, Scores: null, ScoreMetaData: null, AllocationTime: 20_000, CoalescedFailures: failures - 1,
    };
  }

  /** The reconciler's answer for `job` now, with each placement given a node or counted as failed (nothing applied). */
  schedule(job: Obj): Scheduled {
    const ns = String(job.Namespace);
    const id = String(job.ID);
    const r = reconcile({ job, allocs: this.state.jobAllocs(ns, id), deployments: this.state.jobDeployments(ns, id), nowNs: this.nowNs(), nodeFits: this.nodeFits });
    const placed: Scheduled['placed'] = [];
    const failedCount: Record<string, number> = {};
    const groups = (job.TaskGroups as Obj[] | null) ?? [];
    let rr = this.rr;
    for (const p of r.place) {
      const g = groups.find((x) => x.Name === p.group)!;
      const candidates = this.nodes.filter((n) => this.fits(n, g));
      if (!candidates.length) {
        failedCount[p.group] = (failedCount[p.group] ?? 0) + 1;
        continue;
      }
      placed.push({ p, node: candidates[rr++ % candidates.length]! });
    }
    // a destructive update whose replacement found no node keeps its allocation
    const unplacedPrev = new Set(r.place.filter((p) => p.previous && !placed.some((x) => x.p === p)).map((p) => p.previous!.ID));
    r.stop = r.stop.filter((s) => !unplacedPrev.has(s.alloc.ID));
    const failed = Object.keys(failedCount).length
      ? Object.fromEntries(Object.entries(failedCount).map(([tg, n]) => [tg, this.failedMetric(groups.find((g) => g.Name === tg)!, n)])) : null;
    const queued = Object.fromEntries(groups.map((g) => [String(g.Name), failedCount[String(g.Name)] ?? 0]));
    return { ...r, placed, failedTGAllocs: failed, queued };
  }

  // ---- evaluations -----------------------------------------------------------------------------

  /** Runs a stored (pending) evaluation soon, as a scheduler worker would dequeue it. */
  submit(e: Obj): void {
    this.later(PLACE_DELAY_MS, () => this.process(String(e.ID)));
  }

  private process(evalId: string): void {
    const e = this.state.evals.get(evalId);
    if (!e || e.Status !== 'pending') return;
    const ns = String(e.Namespace);
    const id = String(e.JobID);
    const job = this.state.job(ns, id);
    e.SnapshotIndex = this.state.raftIndex();
    let s: Scheduled | undefined;
    if (job) {
      s = this.schedule(job);
      // the worker submits the blocked eval before the plan (its own raft entry)
      if (s.failedTGAllocs) this.block(job, e, s);
      this.applyPlan(job, s, e);
    }
    // the eval update: the eval completes with what the scheduler decided; the summary moves when Queued does
    const key = NomadState.key(ns, id);
    const queuedChanged = !!s && JSON.stringify(this.state.queued.get(key) ?? {}) !== JSON.stringify(Object.fromEntries(Object.entries(s.queued).filter(([, n]) => n > 0)));
    const index = this.state.bump('evals', ...(queuedChanged ? (['job_summary'] as const) : []));
    const now = this.nowNs();
    e.Status = 'complete';
    e.ModifyIndex = index;
    e.ModifyTime = now;
    if (s) {
      e.QueuedAllocations = s.queued;
      e.FailedTGAllocs = s.failedTGAllocs;
      e.PlanAnnotations = { DesiredTGUpdates: s.desired, PreemptedAllocs: null };
      const dep = s.created ?? s.current;
      if (dep) e.DeploymentID = dep.ID;
      this.state.queued.set(key, Object.fromEntries(Object.entries(s.queued).filter(([, n]) => n > 0)));
      if (queuedChanged) this.touchSummary(ns, id, index);
    }
    this.state.publish([evalEvent(e, 'EvaluationUpdated'), ...this.updateStatus(ns, id, index, 'EvaluationUpdated')]);
    this.state.changed();
  }

  /** A blocked evaluation holds what could not be placed (an older blocked one of the job is cancelled). */
  private block(job: Obj, e: Obj, s: Scheduled): void {
    const ns = String(job.Namespace);
    const id = String(job.ID);
    const index = this.state.bump('evals');
    const now = this.nowNs();
    const events: Ev[] = [];
    for (const old of this.state.jobEvals(ns, id)) {
      if (old.Status !== 'blocked') continue;
      old.Status = 'canceled';
      old.StatusDescription = 'evaluation is outdated';
      old.ModifyIndex = index;
      old.ModifyTime = now;
      events.push(evalEvent(old, 'EvaluationUpdated'));
    }
    const blocked = newEval(job, 'queued-allocs', index, now, {
      Status: 'blocked', StatusDescription: 'created to place remaining allocations', PreviousEval: e.ID, JobModifyIndex: job.JobModifyIndex,
      FailedTGAllocs: s.failedTGAllocs, ClassEligibility: { [SIM_NODE_CLASS]: false }, SnapshotIndex: e.SnapshotIndex,
    });
    this.state.addEval(blocked);
    e.BlockedEval = blocked.ID;
    events.push(evalEvent(blocked, 'EvaluationUpdated'));
    this.state.publish(events);
  }

  /** Applies a plan: deployment changes, stops, in-place updates and placements in one PlanResult batch. */
  private applyPlan(job: Obj, s: Scheduled, e: Obj): void {
    const noop = !s.created && s.updates.length === 0 && s.stop.length === 0 && s.inplace.length === 0 && s.placed.length === 0;
    if (noop) return;
    const evalId = String(e.ID);
    const ns = String(job.Namespace);
    const id = String(job.ID);
    const index = this.state.bump('allocs', 'deployment', 'job_summary', 'evals');
    const now = this.nowNs();
    e.ModifyIndex = index;
    const events: Ev[] = [evalEvent(e, 'PlanResult')];
    for (const u of s.updates) {
      const d = u.deployment;
      d.Status = u.status;
      d.StatusDescription = u.description;
      d.ModifyIndex = index;
      d.ModifyTime = now;
      events.push(deploymentEvent(d, 'PlanResult'));
      if (u.status === 'successful') events.push(...this.markStable(d, index, 'PlanResult'));
    }
    if (s.created) {
      s.created.CreateIndex = index;
      s.created.ModifyIndex = index;
      s.created.ModifyTime = 0;
      s.created.JobModifyIndex = job.ModifyIndex;
      this.state.deployments.set(String(s.created.ID), s.created);
    }
    const dep = s.created ?? s.current;
    const touched = new Set<Obj>();
    for (const { alloc, why } of s.stop) events.push(this.stopAlloc(alloc, index, why));
    for (const a of s.inplace) {
      a.job = clone(job);
      a.JobVersion = Number(job.Version);
      a.EvalID = evalId;
      a.ModifyIndex = index;
      a.AllocModifyIndex = index;
      a.ModifyTime = now;
      if (dep && (dep.TaskGroups as Record<string, Obj>)[a.TaskGroup] && a.DeploymentID !== dep.ID) {
        a.DeploymentID = String(dep.ID);
        a.DeploymentStatus = null;
        this.countPlaced(dep, a, touched);
        // the client restarts health tracking for the new deployment
        a.placedAt = Date.now();
        if (a.ClientStatus === 'running') {
          a.runningAt = Date.now();
          this.watchHealth(a);
        }
      }
      if (a.ClientStatus === 'running') {
        this.deregisterServices(a);
        events.push(...this.registerServices(a));
      }
      events.push(allocEvent(a, 'PlanResult'));
    }
    const fresh: Alloc[] = [];
    for (const { p, node } of s.placed) {
      const inDeployment = dep && (dep.TaskGroups as Record<string, Obj>)[p.group] ? dep : undefined;
      const a = this.newAlloc(job, p.group, p.name, node, evalId, String(inDeployment?.ID ?? ''), index, p.canary, p.previous);
      this.state.allocs.set(a.ID, a);
      if (inDeployment) this.countPlaced(inDeployment, a, touched);
      fresh.push(a);
      events.push(allocEvent(a, 'PlanResult'));
    }
    if (s.created) touched.add(s.created);
    for (const d of touched) events.push(deploymentEvent(d, 'PlanResult'));
    this.touchSummary(ns, id, index);
    // plan apply sets the status of the jobs whose allocations it wrote; a deployment alone waits for the eval update
    if (s.stop.length || s.inplace.length || s.placed.length) events.push(...this.updateStatus(ns, id, index, 'PlanResult'));
    this.state.publish(events);
    this.state.changed();
    if (fresh.length) this.later(this.opts.allocDelayMs, () => this.runAllocs(fresh.map((a) => a.ID)));
    if (dep) this.watchProgress(String(dep.ID));
  }

  /** updateDeploymentWithAlloc: a placement (or an in-place update into this deployment) counts as placed. */
  private countPlaced(d: Obj, a: Alloc, touched: Set<Obj>): void {
    const st = (d.TaskGroups as Record<string, Obj>)[a.TaskGroup];
    if (!st) return;
    st.PlacedAllocs = Number(st.PlacedAllocs) + 1;
    if (a.DeploymentStatus?.Canary) st.PlacedCanaries = [...((st.PlacedCanaries as string[] | null) ?? []), a.ID];
    if (Number(st.ProgressDeadline) > 0 && st.RequireProgressBy === null) st.RequireProgressBy = new Date(a.ModifyTime / 1e6 + Number(st.ProgressDeadline) / 1e6).toISOString();
    d.ModifyIndex = this.state.raftIndex();
    d.ModifyTime = a.ModifyTime;
    touched.add(d);
  }

  /** The eval of a register or deregister: stored pending by the caller, processed here. */
  evaluate(e: Obj): void {
    this.submit(e);
  }

  private newAlloc(job: Obj, group: string, name: string, node: SimNode, evalId: string, deploymentId: string, index: number, canary: boolean, previous?: Alloc): Alloc {
    const n = ++this.ipSeq;
    this.rr++;
    const now = this.nowNs();
    const tasks = ((job.TaskGroups as Obj[]).find((g) => g.Name === group)!.Tasks as Obj[] | null) ?? [];
    const a: Alloc = {
      ID: uuid(), EvalID: evalId, Name: name, Namespace: String(job.Namespace), NodeID: node.id, NodeName: node.name,
      JobID: String(job.ID), JobType: String(job.Type), JobVersion: Number(job.Version), TaskGroup: group, DesiredStatus: 'run',
      PreviousAllocation: previous?.ID ?? '', NextAllocation: '',
      DesiredDescription: '', ClientStatus: 'pending', ClientDescription: 'No tasks have started',
      TaskStates: Object.fromEntries(tasks.map((t) => [String(t.Name), taskState('pending', false, now)])),
      DeploymentID: deploymentId, DeploymentStatus: canary ? { Healthy: null, Timestamp: null, Canary: true, ModifyIndex: index } : null,
      CreateIndex: index, ModifyIndex: index, AllocModifyIndex: index, CreateTime: now,
      ModifyTime: now, serviceIds: [], job: clone(job), nodeAddress: node.address, placedAt: Date.now(),
      containerIp: `10.32.${(n >> 8) & 255}.${n & 255}`, bridgeIp: `172.17.0.${(n % 250) + 2}`,
    };
    if (previous) previous.NextAllocation = a.ID;
    return a;
  }

  private taskImages(a: Alloc): string[] {
    const g = (a.job.TaskGroups as Obj[]).find((x) => x.Name === a.TaskGroup);
    return ((g?.Tasks as Obj[] | null) ?? []).map((t) => (isObj(t.Config) ? String(t.Config.image) : ''));
  }

  private group(a: Alloc): Obj | undefined {
    return (a.job.TaskGroups as Obj[]).find((x) => x.Name === a.TaskGroup);
  }

  // ---- clients -----------------------------------------------------------------------------------

  private runAllocs(ids: string[]): void {
    const index = this.state.bump('allocs', 'job_summary');
    const events: Ev[] = [];
    const jobs = new Set<string>();
    const touched = new Set<Obj>();
    const failedDeps = new Set<string>();
    for (const id of ids) {
      const a = this.state.allocs.get(id);
      if (!a || a.DesiredStatus !== 'run' || a.ClientStatus !== 'pending') continue;
      const broken = this.taskImages(a).some((i) => this.brokenImages.has(i));
      a.ClientStatus = broken ? 'failed' : 'running';
      a.ClientDescription = broken ? 'Failed tasks' : 'Tasks are running';
      const now = this.nowNs();
      for (const k of Object.keys(a.TaskStates ?? {})) (a.TaskStates as Obj)[k] = taskState(broken ? 'dead' : 'running', broken, now);
      a.ModifyIndex = index;
      a.ModifyTime = now;
      if (!broken) {
        a.runningAt = Date.now();
        events.push(...this.registerServices(a));
        this.runtimeStarted(a);
        this.watchHealth(a);
      } else if (a.DeploymentID) {
        // a failed task makes the allocation unhealthy at once, in the same client update
        const d = this.setHealth(a, false, index, touched);
        if (d) failedDeps.add(String(d.ID));
      }
      events.push(allocEvent(a, 'AllocationUpdated'));
      jobs.add(NomadState.key(a.Namespace, a.JobID));
    }
    for (const d of touched) events.push(deploymentEvent(d, 'AllocationUpdated'));
    for (const k of jobs) {
      const [ns, id] = k.split('\u0000') as [string, string];
      this.touchSummary(ns, id, index);
      events.push(...this.updateStatus(ns, id, index, 'AllocationUpdated'));
    }
    this.state.publish(events);
    this.state.changed();
    for (const d of failedDeps) this.later(PLACE_DELAY_MS, () => this.failDeployment(d, 'Failed due to unhealthy allocations', 'DeploymentStatusUpdate'));
  }

  /** The client's health watcher: healthy once min_healthy_time has passed (never for an unhealthy image: unhealthy at healthy_deadline). */
  private watchHealth(a: Alloc): void {
    const g = this.group(a);
    const u = (g?.Update as Obj | null) ?? null;
    if (!a.DeploymentID || !u) return;
    const deploymentId = a.DeploymentID;
    const unhealthy = this.taskImages(a).some((i) => this.unhealthyImages.has(i));
    const sinceRunning = Date.now() - (a.runningAt ?? Date.now());
    const sincePlaced = Date.now() - (a.placedAt ?? Date.now());
    const wait = unhealthy
      ? Math.max(0, this.scaled(u.HealthyDeadline) - sinceRunning)
      : Math.max(0, this.opts.deploymentDelayMs - sincePlaced, this.scaled(u.MinHealthyTime) - sinceRunning);
    this.later(wait, () => {
      if (a.DeploymentID !== deploymentId || a.DesiredStatus !== 'run' || a.ClientStatus !== 'running' || a.DeploymentStatus?.Healthy != null) return;
      const index = this.state.bump('allocs', 'deployment');
      const touched = new Set<Obj>();
      const d = this.setHealth(a, !unhealthy, index, touched);
      const events: Ev[] = [allocEvent(a, 'AllocationUpdated'), ...[...touched].map((x) => deploymentEvent(x, 'AllocationUpdated'))];
      this.state.publish(events);
      this.state.changed();
      if (d) this.later(PLACE_DELAY_MS, () => (unhealthy ? this.failDeployment(String(d.ID), 'Failed due to unhealthy allocations', 'DeploymentStatusUpdate') : this.watcherProgress(String(d.ID))));
    });
  }

  /** Sets an allocation's DeploymentStatus and the deployment's counts (updateDeploymentWithAlloc). */
  private setHealth(a: Alloc, healthy: boolean, index: number, touched: Set<Obj>): Obj | undefined {
    const ts = new Date(this.opts.clock()).toISOString();
    a.DeploymentStatus = { Healthy: healthy, Timestamp: ts, Canary: !!a.DeploymentStatus?.Canary, ModifyIndex: index };
    a.ModifyIndex = index;
    const d = this.state.deployments.get(a.DeploymentID);
    const st = d ? (d.TaskGroups as Record<string, Obj>)[a.TaskGroup] : undefined;
    if (!d || !st) return undefined;
    if (healthy) st.HealthyAllocs = Number(st.HealthyAllocs) + 1;
    else st.UnhealthyAllocs = Number(st.UnhealthyAllocs) + 1;
    if (healthy && Number(st.ProgressDeadline) > 0) {
      const by = new Date(this.opts.clock() + Number(st.ProgressDeadline) / 1e6).toISOString();
      if (by > String(st.RequireProgressBy)) st.RequireProgressBy = by;
    }
    d.ModifyIndex = index;
    d.ModifyTime = this.nowNs();
    touched.add(d);
    return d;
  }

  // ---- the deployment watcher --------------------------------------------------------------------

  /** A healthy allocation: auto-promote when every canary group allows it, then a new evaluation. */
  private watcherProgress(deploymentId: string): void {
    const d = this.state.deployments.get(deploymentId);
    if (!d || d.Status !== 'running') return;
    const allocs = this.state.deploymentAllocs(d);
    const groups = Object.values(d.TaskGroups as Record<string, Obj>);
    const canaryGroups = groups.filter((s) => Number(s.DesiredCanaries) > 0);
    if (requiresPromotion(d) && canaryGroups.length && canaryGroups.every((s) => s.AutoPromote
      && ((s.PlacedCanaries as string[] | null) ?? []).filter((c) => allocs.some((a) => a.ID === c && a.DeploymentStatus?.Healthy === true)).length === Number(s.DesiredCanaries))) {
      this.promoteNow(d, undefined);
      return;
    }
    // the watcher batches: one pending evaluation per deployment sees every health change before it runs
    if ([...this.state.jobEvals(String(d.Namespace), String(d.JobID))].some((e) => e.Status === 'pending' && e.DeploymentID === d.ID && e.TriggeredBy === 'deployment-watcher')) return;
    this.watcherEval(d, 'deployment-watcher');
  }

  /** The watcher's next evaluation, created with the allocations' desired-transition update (its event Type). */
  private watcherEval(d: Obj, triggeredBy: string, index = this.state.bump('evals'), type = 'AllocationUpdateDesiredStatus'): Obj | undefined {
    const job = this.state.job(String(d.Namespace), String(d.JobID));
    if (!job) return undefined;
    const e = newEval(job, triggeredBy, index, this.nowNs(), { DeploymentID: d.ID, JobModifyIndex: 0 });
    this.state.addEval(e);
    this.state.publish([evalEvent(e, type)]);
    this.state.changed();
    this.submit(e);
    return e;
  }

  /** The progress deadline: a deployment without progress by RequireProgressBy fails (timeScale 0: never). */
  private watchProgress(deploymentId: string): void {
    if (this.opts.timeScale <= 0) return;
    const d = this.state.deployments.get(deploymentId);
    if (!d) return;
    for (const st of Object.values(d.TaskGroups as Record<string, Obj>)) {
      if (Number(st.ProgressDeadline) <= 0 || st.RequireProgressBy === null) continue;
      const by = String(st.RequireProgressBy);
      this.later(this.scaled(st.ProgressDeadline), () => {
        const cur = this.state.deployments.get(deploymentId);
        if (!cur || cur.Status !== 'running' || String(st.RequireProgressBy) !== by) return;
        const done = Number(st.HealthyAllocs) >= Math.max(Number(st.DesiredTotal), Number(st.DesiredCanaries));
        if (!done) this.failDeployment(deploymentId, 'Failed due to progress deadline', 'DeploymentStatusUpdate');
      });
    }
  }

  /** The latest stable version of a job, other than the current one (deploymentWatcher.latestStableJob). */
  private latestStable(ns: string, id: string): Obj | undefined {
    return (this.state.versions.get(NomadState.key(ns, id)) ?? []).find((v) => v.Stable === true);
  }

  /**
   * Fails a deployment (unhealthy allocation, progress deadline, or `POST /v1/deployment/fail/:id`):
   * with auto_revert, the latest stable version is registered again as a new version.
   */
  failDeployment(deploymentId: string, description: string, type: string): { index: number; evalId: string; revertedTo?: number } | undefined {
    const d = this.state.deployments.get(deploymentId);
    if (!d || !isActive(d)) return undefined;
    const ns = String(d.Namespace);
    const id = String(d.JobID);
    const job = this.state.job(ns, id);
    let desc = description;
    let rollback: Obj | undefined;
    if (Object.values(d.TaskGroups as Record<string, Obj>).some((s) => s.AutoRevert) && job) {
      const stable = this.latestStable(ns, id);
      if (!stable) desc = `${description} - no stable job version to auto revert to`;
      else if (specChanged(job, stable)) {
        desc = `${description} - rolling back to job version ${String(stable.Version)}`;
        rollback = stable;
      } else desc = `${description} - not rolling back to stable job version ${String(stable.Version)} as current job has same specification`;
    }
    const index = this.state.bump('deployment', 'evals', ...(rollback ? (['jobs', 'job_summary'] as const) : []));
    const now = this.nowNs();
    d.Status = 'failed';
    d.StatusDescription = desc;
    d.ModifyIndex = index;
    d.ModifyTime = now;
    const events: Ev[] = [deploymentEvent(d, type)];
    let revertedTo: number | undefined;
    if (rollback && job) {
      const next = clone(rollback);
      next.Stop = false;
      storeJob(this.state, next, job, index, now);
      revertedTo = Number(rollback.Version);
      events.push(jobEvent(next, type));
    }
    const target = this.state.job(ns, id);
    const e = target ? newEval(target, 'deployment-watcher', index, now, { DeploymentID: d.ID, JobModifyIndex: 0 }) : undefined;
    if (e) {
      this.state.addEval(e);
      events.push(evalEvent(e, type));
    }
    events.push(...this.updateStatus(ns, id, index, type));
    this.state.publish(events);
    this.state.changed();
    if (e) this.submit(e);
    return { index, evalId: String(e?.ID ?? ''), revertedTo };
  }

  /**
   * Promotes the canaries of a deployment (all groups, or the named ones); every promoted group needs
   * its desired canaries healthy. Returns an error text the way UpdateDeploymentPromotion words it.
   */
  promote(deploymentId: string, groups: string[] | undefined): { index: number; evalId: string } | { error: string } {
    const d = this.state.deployments.get(deploymentId);
    if (!d) return { error: `Deployment ID "${deploymentId}" couldn't be updated as it does not exist` };
    if (!isActive(d)) return { error: `Deployment "${deploymentId}" has terminal status "${String(d.Status)}":` };
    const allocs = this.state.deploymentAllocs(d);
    const errs: string[] = [];
    for (const [tg, st] of Object.entries(d.TaskGroups as Record<string, Obj>)) {
      if (groups && !groups.includes(tg)) continue;
      const need = Number(st.DesiredCanaries);
      if (need === 0) continue;
      const canaries = new Set((st.PlacedCanaries as string[] | null) ?? []);
      const have = allocs.filter((a) => canaries.has(a.ID) && a.DesiredStatus === 'run' && a.ClientStatus === 'running' && a.DeploymentStatus?.Healthy === true).length;
      if (have < need) errs.push(`Task group ${JSON.stringify(tg)} has ${have}/${need} healthy allocations`);
    }
    if (errs.length) return { error: `${errs.length === 1 ? '1 error occurred:' : `${errs.length} errors occurred:`}\n${errs.map((e) => `\t* ${e}`).join('\n')}\n\n` };
    return this.promoteNow(d, groups);
  }

  private promoteNow(d: Obj, groups: string[] | undefined): { index: number; evalId: string } {
    const index = this.state.bump('deployment', 'evals', 'allocs');
    const events: Ev[] = [];
    const promoted = new Set<string>();
    for (const [tg, st] of Object.entries(d.TaskGroups as Record<string, Obj>)) {
      if (groups && !groups.includes(tg)) continue;
      if (Number(st.ProgressDeadline) > 0 && st.RequireProgressBy !== null) st.RequireProgressBy = new Date(this.opts.clock() + Number(st.ProgressDeadline) / 1e6).toISOString();
      st.Promoted = true;
      for (const c of (st.PlacedCanaries as string[] | null) ?? []) promoted.add(c);
    }
    if (!requiresPromotion(d) && d.Status === 'running') d.StatusDescription = 'Deployment is running';
    d.ModifyIndex = index;
    d.ModifyTime = this.nowNs();
    events.push(deploymentEvent(d, 'DeploymentPromotion'));
    // promoted canaries are regular allocations from now on
    for (const a of this.state.deploymentAllocs(d)) {
      if (!promoted.has(a.ID) || a.DesiredStatus !== 'run' || !a.DeploymentStatus?.Canary) continue;
      a.DeploymentStatus = { ...a.DeploymentStatus, Canary: false, ModifyIndex: index };
      a.ModifyIndex = index;
      events.push(allocEvent(a, 'DeploymentPromotion'));
    }
    const job = this.state.job(String(d.Namespace), String(d.JobID));
    const e = job ? newEval(job, 'deployment-watcher', index, this.nowNs(), { DeploymentID: d.ID, JobModifyIndex: 0 }) : undefined;
    if (e) {
      this.state.addEval(e);
      events.push(evalEvent(e, 'DeploymentPromotion'));
    }
    this.state.publish(events);
    this.state.changed();
    if (e) this.submit(e);
    this.watchProgress(String(d.ID));
    return { index, evalId: String(e?.ID ?? '') };
  }

  /**
   * What a Nomad client reports when a running allocation dies ('failed', 'lost') or comes back
   * ('running'), without any change to the job: services follow the allocation, an AllocationUpdated
   * event is published and the job status is recomputed (a Job event only when it flips). The
   * simulator does not reschedule. Returns false for an unknown or stopped allocation.
   */
  setClientStatus(allocId: string, status: 'running' | 'failed' | 'lost'): boolean {
    const a = this.state.allocs.get(allocId);
    if (!a || a.DesiredStatus !== 'run' || a.ClientStatus === status) return a?.ClientStatus === status;
    const index = this.state.bump('allocs', 'job_summary');
    const events: Ev[] = [];
    const now = this.nowNs();
    const was = a.ClientStatus;
    a.ClientStatus = status;
    a.ClientDescription = status === 'running' ? 'Tasks are running' : status === 'lost' ? 'alloc is lost since its node is down' : 'Failed tasks';
    for (const k of Object.keys(a.TaskStates ?? {})) (a.TaskStates as Obj)[k] = taskState(status === 'running' ? 'running' : 'dead', status === 'failed', now);
    a.ModifyIndex = index;
    a.ModifyTime = now;
    if (status === 'running') {
      a.runningAt = Date.now();
      events.push(...this.registerServices(a));
      this.runtimeStarted(a);
    } else if (was === 'running') {
      this.deregisterServices(a);
      this.opts.runtime?.stopped(a.ID);
    }
    events.push(allocEvent(a, 'AllocationUpdated'));
    this.touchSummary(a.Namespace, a.JobID, index);
    events.push(...this.updateStatus(a.Namespace, a.JobID, index, 'AllocationUpdated'));
    this.state.publish(events);
    this.state.changed();
    return true;
  }

  private runtimeStarted(a: Alloc): void {
    for (const task of (this.group(a)?.Tasks as Obj[] | null) ?? []) {
      if (task.Driver !== 'docker') continue;
      this.opts.runtime?.started({ id: a.ID, namespace: a.Namespace, jobId: a.JobID, jobName: String(a.job.Name ?? a.JobID), group: a.TaskGroup, task, bridgeIp: a.bridgeIp });
    }
  }

  /** A successful deployment makes its job version stable (a keepVersion upsert: only ModifyIndex moves). */
  private markStable(d: Obj, index: number, type: string): Ev[] {
    const ns = String(d.Namespace);
    const id = String(d.JobID);
    const version = (this.state.versions.get(NomadState.key(ns, id)) ?? []).find((v) => v.Version === d.JobVersion);
    if (!version || version.Stable === true) return [];
    version.Stable = true;
    version.ModifyIndex = index;
    const job = this.state.job(ns, id);
    if (job !== version) return [];
    this.state.tables.jobs = index;
    return [jobEvent(job, type)];
  }

  private stopAlloc(a: Alloc, index: number, why: string): Ev {
    a.DesiredStatus = 'stop';
    a.DesiredDescription = why;
    a.ModifyIndex = index;
    a.AllocModifyIndex = index;
    this.deregisterServices(a);
    this.later(this.opts.allocDelayMs, () => {
      if (a.ClientStatus !== 'pending' && a.ClientStatus !== 'running') return;
      const i = this.state.bump('allocs', 'job_summary');
      a.ClientStatus = 'complete';
      a.ClientDescription = 'All tasks have completed';
      this.opts.runtime?.stopped(a.ID);
      for (const k of Object.keys(a.TaskStates ?? {})) (a.TaskStates as Obj)[k] = taskState('dead', false, this.nowNs());
      a.ModifyIndex = i;
      this.touchSummary(a.Namespace, a.JobID, i);
      // stopped before it was healthy: the client reports it unhealthy, and the deployment counts it
      const touched = new Set<Obj>();
      if (a.DeploymentID && a.DeploymentStatus?.Healthy == null) this.setHealth(a, false, i, touched);
      this.state.publish([...[...touched].map((d) => deploymentEvent(d, 'AllocationUpdated')), allocEvent(a, 'AllocationUpdated'), ...this.updateStatus(a.Namespace, a.JobID, i, 'AllocationUpdated')]);
      this.state.changed();
    });
    return allocEvent(a, 'PlanResult');
  }

  private touchSummary(ns: string, id: string, index: number): void {
    const s = this.state.summaryIndex.get(NomadState.key(ns, id));
    if (s) s.ModifyIndex = index;
  }

  /** getJobStatus of nomad-canonical.md §4; a status change moves ModifyIndex and emits a Job event. */
  updateStatus(ns: string, id: string, index: number, type = 'PlanResult'): Ev[] {
    const job = this.state.job(ns, id);
    if (!job) return [];
    const status = jobStatus(job, this.state.jobAllocs(ns, id), this.state.jobDeployments(ns, id), this.state.jobEvals(ns, id));
    if (status === job.Status) return [];
    job.Status = status;
    job.ModifyIndex = index;
    this.state.tables.jobs = index;
    return [jobEvent(job, type)];
  }

  // ---- services ----------------------------------------------------------------------------------

  private registerServices(a: Alloc): Ev[] {
    const events: Ev[] = [];
    const g = this.group(a)!;
    const ports = portMap(g, () => 20000 + ((this.portSeq++ * 7919) % 12000));
    const units: { task: Obj | null; svc: Obj }[] = [
      ...((g.Services as Obj[] | null) ?? []).map((svc) => ({ task: null, svc })),
      ...((g.Tasks as Obj[] | null) ?? []).flatMap((task) => ((task.Services as Obj[] | null) ?? []).map((svc) => ({ task, svc }))),
    ];
    for (const { task, svc } of units) {
      const label = String(svc.PortLabel ?? '');
      const { address, port } = advertise(a, task, svc, ports.get(label));
      const taskPart = task ? String(task.Name) : `group-${String(g.Name)}`;
      const id = `_nomad-task-${a.ID}-${taskPart}-${String(svc.Name)}-${label}`;
      a.serviceIds.push(id);
      if (svc.Provider === 'nomad') {
        const index = this.state.bump('service_registrations');
        const reg: ServiceRegistration = {
          ID: id, ServiceName: String(svc.Name), Namespace: a.Namespace, NodeID: a.NodeID, Datacenter: this.opts.datacenter, JobID: a.JobID,
          AllocID: a.ID, Tags: (svc.Tags as string[] | null) ?? null, Address: address, Port: port, CreateIndex: index, ModifyIndex: index,
        };
        this.state.services.set(id, reg);
        events.push({ Topic: 'Service', Type: 'ServiceRegistration', Key: reg.ID, Namespace: a.Namespace, FilterKeys: [a.JobID, reg.ServiceName], Payload: { Service: reg } });
      } else {
        this.opts.sink?.register({
          id, name: String(svc.Name), tags: ((svc.Tags as string[] | null) ?? []).slice(), address, port,
          meta: { ...((svc.Meta as Record<string, string> | null) ?? {}), 'external-source': 'nomad' },
          checks: ((svc.Checks as Obj[] | null) ?? []).map((c) => simCheck(c, address, c.PortLabel ? (ports.get(String(c.PortLabel))?.host ?? port) : port)),
          node: a.NodeName, nodeAddress: a.nodeAddress,
        });
      }
    }
    return events;
  }

  private deregisterServices(a: Alloc): void {
    for (const id of a.serviceIds) {
      const reg = this.state.services.get(id);
      if (reg) {
        this.state.services.delete(id);
        this.state.bump('service_registrations');
        this.state.publish([{ Topic: 'Service', Type: 'ServiceDeregistration', Key: reg.ID, Namespace: reg.Namespace, FilterKeys: [reg.JobID, reg.ServiceName], Payload: { Service: reg } }]);
      } else this.opts.sink?.deregister(id);
    }
    a.serviceIds = [];
  }
}

const SPEC_IGNORED = ['Status', 'StatusDescription', 'Stable', 'Version', 'CreateIndex', 'ModifyIndex', 'JobModifyIndex', 'SubmitTime'];

/** Job.SpecChanged: deep inequality after copying the server-set fields over. */
export function specChanged(existing: Obj, next: Obj): boolean {
  const probe: Obj = { ...next };
  for (const k of SPEC_IGNORED) probe[k] = existing[k];
  return JSON.stringify(probe) !== JSON.stringify({ ...existing });
}

function taskState(state: string, failed: boolean, now: number): Obj {
  const iso = new Date(now / 1e6).toISOString();
  return { State: state, Failed: failed, Restarts: 0, LastRestart: null, StartedAt: state === 'pending' ? null : iso, FinishedAt: state === 'dead' ? iso : null, Events: [], Paused: '' };
}

export function isTerminal(a: Alloc): boolean {
  return a.DesiredStatus !== 'run' || a.ClientStatus === 'complete' || a.ClientStatus === 'failed' || a.ClientStatus === 'lost';
}

/**
 * getJobStatus (nomad/state/state_store.go): a non-terminal deployment or allocation → running; a
 * pending or blocked evaluation → pending; failed allocations of the current version of a live job →
 * pending (Nomad would hold a delayed reschedule evaluation); any evaluation, or a stop → dead; else pending.
 */
export function jobStatus(job: Obj, allocs: Alloc[], deployments: Obj[], evals: Obj[] = []): string {
  if (deployments.some((d) => isActive(d))) return 'running';
  if (allocs.some((a) => !isTerminal(a))) return 'running';
  if (evals.some((e) => !isTerminalEval(e))) return 'pending';
  if (!job.Stop && allocs.some((a) => a.DesiredStatus === 'run' && (a.ClientStatus === 'failed' || a.ClientStatus === 'lost') && a.JobVersion === job.Version)) return 'pending';
  if (evals.length || job.Stop) return 'dead';
  return 'pending';
}

function portMap(g: Obj, next: () => number): Map<string, { host: number; to: number }> {
  const m = new Map<string, { host: number; to: number }>();
  for (const n of (g.Networks as Obj[] | null) ?? []) {
    for (const p of (n.DynamicPorts as Obj[] | undefined) ?? []) {
      const host = next();
      m.set(String(p.Label), { host, to: Number(p.To ?? 0) || host });
    }
    for (const p of (n.ReservedPorts as Obj[] | undefined) ?? []) m.set(String(p.Label), { host: Number(p.Value), to: Number(p.To ?? 0) || Number(p.Value) });
  }
  return m;
}

/**
 * The address and port a service instance is advertised with. Docker `network_mode = "weave"`
 * makes the driver advertise the container's weave IP and the container port; weave proxy mode
 * (WEAVE_CIDR in the task env) leaves docker reporting its bridge, so the docker bridge address is
 * advertised — wrong on purpose, it is the seed's open problem.
 */
function advertise(a: Alloc, task: Obj | null, svc: Obj, p: { host: number; to: number } | undefined): { address: string; port: number } {
  const hostPort = p?.host ?? 0;
  const toPort = p?.to ?? hostPort;
  const cfg = isObj(task?.Config) ? task!.Config : {};
  const env = isObj(task?.Env) ? task!.Env : {};
  const mode = String(svc.AddressMode ?? 'auto');
  if (svc.Address) return { address: String(svc.Address), port: hostPort };
  if (mode === 'host' || !task) return { address: a.nodeAddress, port: hostPort };
  if (cfg.network_mode === 'weave') return { address: a.containerIp, port: toPort };
  if (typeof env.WEAVE_CIDR === 'string') return { address: a.bridgeIp, port: toPort };
  if (mode === 'driver') return { address: a.bridgeIp, port: toPort };
  return { address: a.nodeAddress, port: hostPort };
}

function simCheck(c: Obj, address: string, port: number): SimServiceCheck {
  const type = (['http', 'tcp', 'grpc'].includes(String(c.Type)) ? c.Type : 'tcp') as SimServiceCheck['type'];
  const out: SimServiceCheck = { type, interval: nsToConsul(Number(c.Interval)), timeout: nsToConsul(Number(c.Timeout)), name: String(c.Name) };
  if (type === 'http') out.http = `${String(c.Protocol || 'http')}://${address}:${port}${String(c.Path ?? '')}`;
  else if (type === 'grpc') out.grpc = `${address}:${port}${c.GRPCService ? `/${String(c.GRPCService)}` : ''}`;
  else out.tcp = `${address}:${port}`;
  return out;
}

export function jobEvent(job: Obj, type: string): Ev {
  return { Topic: 'Job', Type: type, Key: String(job.ID), Namespace: String(job.Namespace), FilterKeys: null, Payload: { Job: clone(job) } };
}

export function deploymentEvent(d: Obj, type: string): Ev {
  return { Topic: 'Deployment', Type: type, Key: String(d.ID), Namespace: String(d.Namespace), FilterKeys: [String(d.JobID)], Payload: { Deployment: clone(d) } };
}

function allocEvent(a: Alloc, type: string): Ev {
  return { Topic: 'Allocation', Type: type, Key: a.ID, Namespace: a.Namespace, FilterKeys: [a.JobID, a.DeploymentID], Payload: { Allocation: allocPayload(a), Timeout: false, TimeoutReason: '' } };
}

/**
 * The Allocation as a 2.0.5 event stream sends it: the job stripped, zero-valued fields left out (the
 * simulator has no Resources or Metrics to report), then the event's Timeout fields.
 */
export function allocPayload(a: Alloc): Obj {
  const full: Obj = {
    ID: a.ID, Namespace: a.Namespace, EvalID: a.EvalID, Name: a.Name, NodeID: a.NodeID, NodeName: a.NodeName, JobID: a.JobID, TaskGroup: a.TaskGroup,
    DesiredStatus: a.DesiredStatus, DesiredDescription: a.DesiredDescription, ClientStatus: a.ClientStatus, ClientDescription: a.ClientDescription,
    TaskStates: clone(a.TaskStates), PreviousAllocation: a.PreviousAllocation, NextAllocation: a.NextAllocation, DeploymentID: a.DeploymentID,
    DeploymentStatus: clone(a.DeploymentStatus), CreateIndex: a.CreateIndex, ModifyIndex: a.ModifyIndex, AllocModifyIndex: a.AllocModifyIndex,
    CreateTime: a.CreateTime, ModifyTime: a.ModifyTime,
  };
  return Object.fromEntries(Object.entries(full).filter(([, v]) => v !== '' && v !== null && v !== undefined && v !== 0));
}

/** AllocListStub, as `GET /v1/job/:id/allocations` lists it (a 2.0.5 release build encodes the omitempty AllocatedResources as null). */
export function allocStub(a: Alloc): Obj {
  return {
    ID: a.ID, EvalID: a.EvalID, Name: a.Name, Namespace: a.Namespace, NodeID: a.NodeID, NodeName: a.NodeName, JobID: a.JobID, JobType: a.JobType,
    JobVersion: a.JobVersion, TaskGroup: a.TaskGroup, AllocatedResources: null, DesiredStatus: a.DesiredStatus, DesiredDescription: a.DesiredDescription,
    ClientStatus: a.ClientStatus, ClientDescription: a.ClientDescription,
    DesiredTransition: { Migrate: null, Reschedule: null, ForceReschedule: null, NoShutdownDelay: null, MigrateDisablePlacement: null }, TaskStates: clone(a.TaskStates),
    DeploymentStatus: clone(a.DeploymentStatus), FollowupEvalID: '', NextAllocation: a.NextAllocation, RescheduleTracker: null, PreemptedAllocations: null,
    PreemptedByAllocation: '', CreateIndex: a.CreateIndex, ModifyIndex: a.ModifyIndex, CreateTime: a.CreateTime, ModifyTime: a.ModifyTime,
  };
}

export { newDeployment };
