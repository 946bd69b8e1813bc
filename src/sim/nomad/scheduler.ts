// What the Nomad scheduler and client agents do after a write, compressed into timers: place
// allocations round-robin on the simulated nodes, run them (or fail them for a broken image),
// drive the deployment to successful/failed, register each task service (Consul provider through
// the ServiceSink, Nomad provider in this sim), and stop and deregister on count-down or job stop.
import type { NomadEvent } from '../../core/nomad-types.js';
import type { ServiceSink, SimServiceCheck } from '../service-sink.js';
import { groupChange } from './diff.js';
import { NomadState, type Alloc, type ServiceRegistration } from './state.js';
import { clone, isObj, nsToConsul, uuid, type Obj } from './util.js';

export interface SimNode {
  id: string;
  name: string;
  address: string;
}

export interface SchedulerOptions {
  nodes: SimNode[];
  allocDelayMs: number;
  deploymentDelayMs: number;
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

export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  private rr = 0;
  private portSeq = 0;
  private ipSeq = 0;
  readonly brokenImages = new Set<string>();

  constructor(private readonly state: NomadState, private readonly opts: SchedulerOptions) {}

  close(): void {
    this.closed = true;
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

  /** The eval of a register: place/replace/stop allocations; a changed spec also gets a deployment. */
  evaluate(ns: string, id: string, evalId: string, prev: Obj | undefined, changed: boolean): void {
    this.later(PLACE_DELAY_MS, () => this.place(ns, id, evalId, prev, changed));
  }

  /** The eval of a deregister: stop every allocation and cancel the deployment. */
  stopJob(ns: string, id: string): void {
    this.later(PLACE_DELAY_MS, () => {
      const index = this.state.bump('allocs', 'deployment', 'job_summary', 'evals');
      const events: Ev[] = [];
      for (const a of this.live(ns, id)) events.push(this.stopAlloc(a, index, 'alloc not needed due to job update'));
      events.push(...this.cancelDeployments(ns, id, index, 'Cancelled because job is stopped'));
      events.push(...this.updateStatus(ns, id, index));
      this.state.publish(events);
      this.state.changed();
    });
  }

  private live(ns: string, id: string): Alloc[] {
    return this.state.jobAllocs(ns, id).filter((a) => a.DesiredStatus === 'run' && (a.ClientStatus === 'pending' || a.ClientStatus === 'running'));
  }

  private place(ns: string, id: string, evalId: string, prev: Obj | undefined, changed: boolean): void {
    const job = this.state.job(ns, id);
    if (!job || job.Stop) return;
    const index = this.state.bump('allocs', 'deployment', 'job_summary', 'evals');
    const events: Ev[] = [];
    let deployment: Obj | undefined;
    if (changed && job.Type === 'service') {
      events.push(...this.cancelDeployments(ns, id, index, 'Cancelled due to newer version of job'));
      deployment = this.newDeployment(job, index);
    }
    const placed: Alloc[] = [];
    const prevGroups = new Map(((prev?.TaskGroups as Obj[] | null) ?? []).map((g) => [String(g.Name), g]));
    const groups = (job.TaskGroups as Obj[] | null) ?? [];
    for (const g of groups) {
      const name = String(g.Name);
      let live = this.live(ns, id).filter((a) => a.TaskGroup === name);
      const before = prevGroups.get(name);
      const kind = before && live.length ? groupChange(before, g) : 'none';
      if (kind === 'destructive') {
        for (const a of live) events.push(this.stopAlloc(a, index, 'alloc is being updated due to job update'));
        live = [];
      }
      for (const a of live) {
        a.JobVersion = Number(job.Version);
        a.job = clone(job);
        if (kind === 'in-place' && a.ClientStatus === 'running') {
          this.deregisterServices(a);
          this.registerServices(a);
        }
      }
      const count = Number(g.Count);
      live.sort((a, b) => allocIdx(a) - allocIdx(b));
      for (const a of live.slice(count)) events.push(this.stopAlloc(a, index, 'alloc not needed due to job update'));
      const used = new Set(live.slice(0, count).map(allocIdx));
      for (let i = 0, n = live.length; n < count; i++) {
        if (used.has(i)) continue;
        placed.push(this.newAlloc(job, name, i, evalId, String(deployment?.ID ?? ''), index));
        n++;
      }
      if (deployment) {
        const dtg = (deployment.TaskGroups as Record<string, Obj>)[name];
        if (dtg) dtg.PlacedAllocs = placed.filter((a) => a.TaskGroup === name).length;
      }
    }
    for (const a of this.live(ns, id)) if (!groups.some((g) => g.Name === a.TaskGroup)) events.push(this.stopAlloc(a, index, 'alloc not needed due to job update'));
    for (const a of placed) {
      this.state.allocs.set(a.ID, a);
      events.push(allocEvent(a, 'PlanResult'));
    }
    if (deployment) {
      this.state.deployments.set(String(deployment.ID), deployment);
      events.push(deploymentEvent(deployment, 'PlanResult'));
    }
    events.push(...this.updateStatus(ns, id, index, 'PlanResult'));
    this.state.publish(events);
    this.state.changed();
    if (placed.length) this.later(this.opts.allocDelayMs, () => this.runAllocs(placed.map((a) => a.ID)));
    if (deployment) this.later(Math.max(0, this.opts.deploymentDelayMs - PLACE_DELAY_MS), () => this.finishDeployment(String(deployment!.ID)));
  }

  private newDeployment(job: Obj, index: number): Obj {
    return deploymentFor(job, index, this.nowNs());
  }

  private newAlloc(job: Obj, group: string, i: number, evalId: string, deploymentId: string, index: number): Alloc {
    const node = this.opts.nodes[this.rr++ % this.opts.nodes.length]!;
    const n = ++this.ipSeq;
    const now = this.nowNs();
    const tasks = ((job.TaskGroups as Obj[]).find((g) => g.Name === group)!.Tasks as Obj[] | null) ?? [];
    return {
      ID: uuid(), EvalID: evalId, Name: `${String(job.ID)}.${group}[${i}]`, Namespace: String(job.Namespace), NodeID: node.id, NodeName: node.name,
      JobID: String(job.ID), JobType: String(job.Type), JobVersion: Number(job.Version), TaskGroup: group, DesiredStatus: 'run',
      DesiredDescription: '', ClientStatus: 'pending', ClientDescription: 'No tasks have started',
      TaskStates: Object.fromEntries(tasks.map((t) => [String(t.Name), taskState('pending', false, now)])),
      DeploymentID: deploymentId, DeploymentStatus: null, CreateIndex: index, ModifyIndex: index, AllocModifyIndex: index, CreateTime: now,
      ModifyTime: now, serviceIds: [], job: clone(job), nodeAddress: node.address,
      containerIp: `10.32.${(n >> 8) & 255}.${n & 255}`, bridgeIp: `172.17.0.${(n % 250) + 2}`,
    };
  }

  private isBroken(a: Alloc): boolean {
    const g = (a.job.TaskGroups as Obj[]).find((x) => x.Name === a.TaskGroup);
    return ((g?.Tasks as Obj[] | null) ?? []).some((t) => isObj(t.Config) && this.brokenImages.has(String(t.Config.image)));
  }

  private runAllocs(ids: string[]): void {
    const index = this.state.bump('allocs', 'job_summary');
    const events: Ev[] = [];
    const jobs = new Set<string>();
    for (const id of ids) {
      const a = this.state.allocs.get(id);
      if (!a || a.DesiredStatus !== 'run' || a.ClientStatus !== 'pending') continue;
      const broken = this.isBroken(a);
      a.ClientStatus = broken ? 'failed' : 'running';
      a.ClientDescription = broken ? 'Failed tasks' : 'Tasks are running';
      const now = this.nowNs();
      for (const k of Object.keys(a.TaskStates ?? {})) (a.TaskStates as Obj)[k] = taskState(broken ? 'dead' : 'running', broken, now);
      a.ModifyIndex = index;
      a.ModifyTime = now;
      if (!broken) events.push(...this.registerServices(a));
      if (!broken) this.runtimeStarted(a);
      events.push(allocEvent(a, 'AllocationUpdated'));
      jobs.add(NomadState.key(a.Namespace, a.JobID));
    }
    for (const k of jobs) {
      const [ns, id] = k.split('\u0000') as [string, string];
      this.touchSummary(ns, id, index);
      events.push(...this.updateStatus(ns, id, index, 'AllocationUpdated'));
    }
    this.state.publish(events);
    this.state.changed();
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
    const g = (a.job.TaskGroups as Obj[]).find((x) => x.Name === a.TaskGroup);
    for (const task of (g?.Tasks as Obj[] | null) ?? []) {
      if (task.Driver !== 'docker') continue;
      this.opts.runtime?.started({ id: a.ID, namespace: a.Namespace, jobId: a.JobID, jobName: String(a.job.Name ?? a.JobID), group: a.TaskGroup, task, bridgeIp: a.bridgeIp });
    }
  }

  private finishDeployment(id: string): void {
    const d = this.state.deployments.get(id);
    if (!d || d.Status !== 'running') return;
    const allocs = this.state.deploymentAllocs(d);
    if (allocs.some((a) => a.ClientStatus === 'pending' && a.DesiredStatus === 'run')) {
      this.later(this.opts.allocDelayMs, () => this.finishDeployment(id));
      return;
    }
    const index = this.state.bump('deployment', 'allocs', 'jobs');
    const events: Ev[] = [];
    const ts = new Date(this.opts.clock()).toISOString();
    for (const a of allocs) {
      if (a.ClientStatus !== 'running' && a.ClientStatus !== 'failed') continue;
      a.DeploymentStatus = { Healthy: a.ClientStatus === 'running', Timestamp: ts, Canary: false, ModifyIndex: index };
      a.ModifyIndex = index;
      events.push(allocEvent(a, 'DeploymentAllocHealth'));
    }
    for (const [tg, st] of Object.entries(d.TaskGroups as Record<string, Obj>)) {
      const mine = allocs.filter((a) => a.TaskGroup === tg && a.DeploymentStatus);
      st.HealthyAllocs = mine.filter((a) => a.DeploymentStatus!.Healthy).length;
      st.UnhealthyAllocs = mine.filter((a) => !a.DeploymentStatus!.Healthy).length;
    }
    const failed = allocs.some((a) => a.ClientStatus === 'failed');
    d.Status = failed ? 'failed' : 'successful';
    d.StatusDescription = failed ? 'Failed due to unhealthy allocations' : 'Deployment completed successfully';
    d.ModifyIndex = index;
    d.ModifyTime = this.nowNs();
    events.push(deploymentEvent(d, 'DeploymentStatusUpdate'));
    const job = this.state.job(String(d.Namespace), String(d.JobID));
    if (!failed && job && job.Version === d.JobVersion) {
      job.Stable = true;
      job.ModifyIndex = index;
    }
    events.push(...this.updateStatus(String(d.Namespace), String(d.JobID), index, 'DeploymentStatusUpdate', !failed));
    this.state.publish(events);
    this.state.changed();
  }

  private cancelDeployments(ns: string, id: string, index: number, why: string): Ev[] {
    const out: Ev[] = [];
    for (const d of this.state.jobDeployments(ns, id)) {
      if (d.Status !== 'running') continue;
      d.Status = 'cancelled';
      d.StatusDescription = why;
      d.ModifyIndex = index;
      out.push(deploymentEvent(d, 'DeploymentStatusUpdate'));
    }
    return out;
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
      this.state.publish([allocEvent(a, 'AllocationUpdated'), ...this.updateStatus(a.Namespace, a.JobID, i, 'AllocationUpdated')]);
      this.state.changed();
    });
    return allocEvent(a, 'PlanResult');
  }

  private touchSummary(ns: string, id: string, index: number): void {
    const s = this.state.summaryIndex.get(NomadState.key(ns, id));
    if (s) s.ModifyIndex = index;
  }

  /** getJobStatus of nomad-canonical.md §4; a status change moves ModifyIndex and emits a Job event. */
  private updateStatus(ns: string, id: string, index: number, type = 'PlanResult', force = false): Ev[] {
    const job = this.state.job(ns, id);
    if (!job) return [];
    const status = jobStatus(job, this.state.jobAllocs(ns, id), this.state.jobDeployments(ns, id));
    if (status === job.Status && !force) return [];
    job.Status = status;
    job.ModifyIndex = index;
    this.state.tables.jobs = index;
    return [{ Topic: 'Job', Type: type, Key: id, Namespace: ns, FilterKeys: null, Payload: { Job: clone(job) } }];
  }

  private registerServices(a: Alloc): Ev[] {
    const events: Ev[] = [];
    const g = (a.job.TaskGroups as Obj[]).find((x) => x.Name === a.TaskGroup)!;
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
        events.push({ Topic: 'Service', Type: 'ServiceRegistration', Key: reg.ServiceName, Namespace: a.Namespace, FilterKeys: [a.JobID], Payload: { Service: reg } });
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
        this.state.publish([{ Topic: 'Service', Type: 'ServiceDeregistration', Key: reg.ServiceName, Namespace: reg.Namespace, FilterKeys: [reg.JobID], Payload: { Service: reg } }]);
      } else this.opts.sink?.deregister(id);
    }
    a.serviceIds = [];
  }
}

function allocIdx(a: Alloc): number {
  return Number(/\[(\d+)\]$/.exec(a.Name)?.[1] ?? 0);
}

function taskState(state: string, failed: boolean, now: number): Obj {
  const iso = new Date(now / 1e6).toISOString();
  return { State: state, Failed: failed, Restarts: 0, LastRestart: '0001-01-01T00:00:00Z', StartedAt: state === 'pending' ? null : iso, FinishedAt: state === 'dead' ? iso : null, Events: [], Paused: false };
}

export function isTerminal(a: Alloc): boolean {
  return a.DesiredStatus !== 'run' || a.ClientStatus === 'complete' || a.ClientStatus === 'failed' || a.ClientStatus === 'lost';
}

/**
 * Non-terminal deployment or alloc → running; stopped → dead; failed allocs of a live job →
 * pending (Nomad would hold a delayed reschedule eval); no allocs ever → pending; else dead.
 */
export function jobStatus(job: Obj, allocs: Alloc[], deployments: Obj[]): string {
  if (deployments.some((d) => d.Status === 'running' || d.Status === 'pending' || d.Status === 'paused')) return 'running';
  if (allocs.some((a) => !isTerminal(a))) return 'running';
  if (job.Stop) return 'dead';
  if (allocs.some((a) => (a.ClientStatus === 'failed' || a.ClientStatus === 'lost') && a.JobVersion === job.Version)) return 'pending';
  if (allocs.length === 0 && Number(((job.TaskGroups as Obj[] | null) ?? []).reduce((n, g) => n + Number(g.Count), 0)) > 0) return 'pending';
  return 'dead';
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

function deploymentEvent(d: Obj, type: string): Ev {
  return { Topic: 'Deployment', Type: type, Key: String(d.ID), Namespace: String(d.Namespace), FilterKeys: [String(d.JobID)], Payload: { Deployment: clone(d) } };
}

function allocEvent(a: Alloc, type: string): Ev {
  return { Topic: 'Allocation', Type: type, Key: a.ID, Namespace: a.Namespace, FilterKeys: [a.JobID, a.DeploymentID], Payload: { Allocation: allocPayload(a) } };
}

/** The full Allocation as the event stream sends it (job stripped). */
export function allocPayload(a: Alloc): Obj {
  return {
    ID: a.ID, Namespace: a.Namespace, EvalID: a.EvalID, Name: a.Name, NodeID: a.NodeID, NodeName: a.NodeName, JobID: a.JobID, Job: null,
    TaskGroup: a.TaskGroup, Resources: null, SharedResources: null, TaskResources: null, AllocatedResources: null, Metrics: null,
    DesiredStatus: a.DesiredStatus, DesiredDescription: a.DesiredDescription, DesiredTransition: { Migrate: null, Reschedule: null, ForceReschedule: null, NoShutdownDelay: null },
    ClientStatus: a.ClientStatus, ClientDescription: a.ClientDescription, TaskStates: clone(a.TaskStates), AllocStates: null, PreviousAllocation: '',
    NextAllocation: '', DeploymentID: a.DeploymentID, DeploymentStatus: clone(a.DeploymentStatus), RescheduleTracker: null, NetworkStatus: null,
    FollowupEvalID: '', PreemptedAllocations: null, PreemptedByAllocation: '', SigningKeyID: '', CreateIndex: a.CreateIndex, ModifyIndex: a.ModifyIndex,
    AllocModifyIndex: a.AllocModifyIndex, CreateTime: a.CreateTime, ModifyTime: a.ModifyTime,
  };
}

/** AllocListStub, as `GET /v1/job/:id/allocations` lists it. */
export function allocStub(a: Alloc): Obj {
  return {
    ID: a.ID, EvalID: a.EvalID, Name: a.Name, Namespace: a.Namespace, NodeID: a.NodeID, NodeName: a.NodeName, JobID: a.JobID, JobType: a.JobType,
    JobVersion: a.JobVersion, TaskGroup: a.TaskGroup, DesiredStatus: a.DesiredStatus, DesiredDescription: a.DesiredDescription,
    ClientStatus: a.ClientStatus, ClientDescription: a.ClientDescription,
    DesiredTransition: { Migrate: null, Reschedule: null, ForceReschedule: null, NoShutdownDelay: null }, TaskStates: clone(a.TaskStates),
    DeploymentStatus: clone(a.DeploymentStatus), FollowupEvalID: '', NextAllocation: '', RescheduleTracker: null, PreemptedAllocations: null,
    PreemptedByAllocation: '', CreateIndex: a.CreateIndex, ModifyIndex: a.ModifyIndex, CreateTime: a.CreateTime, ModifyTime: a.ModifyTime,
  };
}

export function deploymentFor(job: Obj, index: number, nowNs: number): Obj {
  const groups: Record<string, Obj> = {};
  for (const g of (job.TaskGroups as Obj[] | null) ?? []) {
    const u = (g.Update as Obj | null) ?? {};
    groups[String(g.Name)] = {
      AutoRevert: !!u.AutoRevert, AutoPromote: !!u.AutoPromote, ProgressDeadline: Number(u.ProgressDeadline ?? 0),
      RequireProgressBy: new Date(nowNs / 1e6 + Number(u.ProgressDeadline ?? 0) / 1e6).toISOString(), Promoted: false, PlacedCanaries: null,
      DesiredCanaries: 0, DesiredTotal: Number(g.Count), PlacedAllocs: 0, HealthyAllocs: 0, UnhealthyAllocs: 0,
    };
  }
  return {
    ID: uuid(), Namespace: job.Namespace, JobID: job.ID, JobVersion: job.Version, JobModifyIndex: job.JobModifyIndex,
    JobSpecModifyIndex: job.JobModifyIndex, JobCreateIndex: job.CreateIndex, IsMultiregion: false, TaskGroups: groups, Status: 'running',
    StatusDescription: 'Deployment is running', EvalPriority: job.Priority, CreateIndex: index, ModifyIndex: index, CreateTime: nowNs, ModifyTime: nowNs,
  };
}
