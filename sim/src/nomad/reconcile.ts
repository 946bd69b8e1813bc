// The service scheduler's reconciler, compressed (scheduler/reconciler/reconcile_cluster.go of Nomad
// 2.0.5): per task group it decides which allocations to stop, place, update in place or replace
// (destructive updates limited by the update block's max_parallel, canaries first when `canary` > 0,
// nothing more until they are promoted), what the plan reports in DesiredTGUpdates, whether the
// change needs a deployment and whether the current deployment is complete. Pure: the scheduler
// applies the result, the plan endpoint only reports it. Simplified: no rescheduling, migration,
// disconnects or paused deployments; a failed or lost allocation of the current version keeps its slot.
import type { Alloc } from './state.js';
import { tasksUpdated } from './update-class.js';
import { uuid, type Obj } from './util.js';

export const DESIRED_KEYS = ['Ignore', 'Place', 'Migrate', 'Stop', 'InPlaceUpdate', 'DestructiveUpdate', 'Canary', 'Preemptions', 'Disconnect', 'Reconnect', 'RescheduleNow', 'RescheduleLater'] as const;
export type Desired = Record<(typeof DESIRED_KEYS)[number], number>;

export const STOP_NOT_NEEDED = 'alloc not needed due to job update';
export const STOP_UPDATING = 'alloc is being updated due to job update';

export interface Placement {
  group: string;
  name: string;
  canary: boolean;
  /** the allocation a destructive update replaces */
  previous?: Alloc;
}

export interface Reconciled {
  desired: Record<string, Desired>;
  stop: { alloc: Alloc; why: string }[];
  place: Placement[];
  inplace: Alloc[];
  /** a new deployment for this job version (its group states filled in), or undefined */
  created?: Obj;
  /** the active deployment of this job version, if there is one (group states may have changed) */
  current?: Obj;
  /** deployments to move on: older ones cancelled, the current one successful */
  updates: { deployment: Obj; status: string; description: string }[];
}

export interface ReconcileInput {
  job: Obj;
  /** every allocation of the job, any status */
  allocs: Alloc[];
  /** the job's deployments, newest first */
  deployments: Obj[];
  nowNs: number;
  /** whether an allocation's node can still run the group (an in-place update must stay feasible) */
  nodeFits: (nodeId: string, group: Obj) => boolean;
}

export function emptyDesired(): Desired {
  return Object.fromEntries(DESIRED_KEYS.map((k) => [k, 0])) as Desired;
}

const ACTIVE = new Set(['running', 'paused', 'blocked', 'unblocking', 'initializing', 'pending']);
export const isActive = (d: Obj | undefined): boolean => !!d && ACTIVE.has(String(d.Status));

export function allocIndex(a: { Name: string }): number {
  return Number(/\[(\d+)\]$/.exec(a.Name)?.[1] ?? 0);
}

const clientTerminal = (a: Alloc) => a.ClientStatus === 'complete' || a.ClientStatus === 'failed' || a.ClientStatus === 'lost';

function updateEmpty(u: unknown): boolean {
  return !u || Number((u as Obj).MaxParallel ?? 0) === 0;
}

function newGroupState(tg: Obj): Obj {
  const u = (tg.Update as Obj | null) ?? null;
  return {
    AutoRevert: u && !updateEmpty(u) ? !!u.AutoRevert : false, AutoPromote: u && !updateEmpty(u) ? !!u.AutoPromote : false,
    ProgressDeadline: u && !updateEmpty(u) ? Number(u.ProgressDeadline ?? 0) : 0, RequireProgressBy: null, Promoted: false,
    PlacedCanaries: null, DesiredCanaries: 0, DesiredTotal: 0, PlacedAllocs: 0, HealthyAllocs: 0, UnhealthyAllocs: 0,
  };
}

export function newDeployment(job: Obj, nowNs: number): Obj {
  return {
    ID: uuid(), Namespace: job.Namespace, JobID: job.ID, JobVersion: job.Version, JobModifyIndex: job.ModifyIndex, JobSpecModifyIndex: job.JobModifyIndex,
    JobCreateIndex: job.CreateIndex, IsMultiregion: false, TaskGroups: {}, Status: 'running', StatusDescription: 'Deployment is running',
    EvalPriority: job.Priority, CreateIndex: 0, ModifyIndex: 0, CreateTime: nowNs, ModifyTime: 0,
  };
}

export function requiresPromotion(d: Obj): boolean {
  return Object.values(d.TaskGroups as Record<string, Obj>).some((s) => Number(s.DesiredCanaries) > 0 && !s.Promoted);
}

const allocName = (job: Obj, group: string, i: number) => `${String(job.ID)}.${group}[${i}]`;

/** The reconciler run for one evaluation of `job` (a proposed job for the plan endpoint). */
export function reconcile(input: ReconcileInput): Reconciled {
  const { job } = input;
  const out: Reconciled = { desired: {}, stop: [], place: [], inplace: [], updates: [] };
  // cancelUnneededServiceDeployments
  const latest = input.deployments[0];
  let current: Obj | undefined;
  let old: Obj | undefined;
  if (job.Stop) {
    if (isActive(latest)) out.updates.push({ deployment: latest!, status: 'cancelled', description: 'Cancelled because job is stopped' });
  } else if (latest) {
    if (latest.JobCreateIndex !== job.CreateIndex || latest.JobVersion !== job.Version) {
      if (isActive(latest)) out.updates.push({ deployment: latest, status: 'cancelled', description: 'Cancelled due to newer version of job' });
      old = latest;
    } else if (latest.Status === 'successful') old = latest;
    else current = latest;
  }
  const failed = current?.Status === 'failed';
  let created: Obj | undefined;
  let complete = true;
  const groups = (job.TaskGroups as Obj[] | null) ?? [];
  const names = new Set([...groups.map((g) => String(g.Name)), ...input.allocs.map((a) => a.TaskGroup)]);
  for (const name of names) {
    const d = emptyDesired();
    out.desired[name] = d;
    const tg = groups.find((g) => g.Name === name);
    const all = input.allocs.filter((a) => a.TaskGroup === name && a.DesiredStatus === 'run');
    if (!tg || job.Stop || Number(tg.Count) === 0) {
      d.Stop += all.length;
      for (const a of all) out.stop.push({ alloc: a, why: STOP_NOT_NEEDED });
      continue;
    }
    const count = Number(tg.Count);
    const existingState = current ? (current.TaskGroups as Record<string, Obj>)[name] : undefined;
    const dstate = existingState ?? newGroupState(tg);
    // filterOldTerminalAllocs: client-terminal allocations of an older version are left alone
    const sameVersion = (a: Alloc) => Number(a.job.JobModifyIndex) === Number(job.JobModifyIndex);
    let live = all.filter((a) => {
      if (!sameVersion(a) && clientTerminal(a)) {
        d.Ignore++;
        return false;
      }
      return true;
    });
    // cancelUnneededCanaries: canaries of an older deployment, or of a failed one, that were never promoted
    const stopCanaries = new Set<string>();
    for (const dep of [old, failed ? current : undefined]) {
      for (const s of Object.values((dep?.TaskGroups as Record<string, Obj> | undefined) ?? {})) if (!s.Promoted) for (const id of (s.PlacedCanaries as string[] | null) ?? []) stopCanaries.add(id);
    }
    for (const a of live.filter((x) => stopCanaries.has(x.ID))) {
      d.Stop++;
      out.stop.push({ alloc: a, why: STOP_NOT_NEEDED });
    }
    live = live.filter((a) => !stopCanaries.has(a.ID));
    const canaryIds = new Set(Object.values((current?.TaskGroups as Record<string, Obj> | undefined) ?? {}).flatMap((s) => (s.PlacedCanaries as string[] | null) ?? []));
    const canaries = live.filter((a) => canaryIds.has(a.ID));
    let untainted = live;
    let isCanarying = Number(dstate.DesiredCanaries) !== 0 && !dstate.Promoted;
    // computeStop
    const working = isCanarying ? untainted.filter((a) => !canaryIds.has(a.ID)) : untainted;
    let remove = working.length - count;
    if (remove > 0) {
      const stopped = new Set<string>();
      const stopOne = (a: Alloc) => {
        stopped.add(a.ID);
        out.stop.push({ alloc: a, why: STOP_NOT_NEEDED });
        d.Stop++;
        remove--;
      };
      if (!isCanarying && canaries.length) {
        const canaryNames = new Set(canaries.map((c) => c.Name));
        for (const a of working) if (remove > 0 && !canaryIds.has(a.ID) && canaryNames.has(a.Name)) stopOne(a);
      }
      const byIndexDesc = working.filter((a) => !stopped.has(a.ID)).sort((a, b) => allocIndex(b) - allocIndex(a) || Number(canaryIds.has(a.ID)) - Number(canaryIds.has(b.ID)));
      for (const a of byIndexDesc) if (remove > 0) stopOne(a);
      untainted = untainted.filter((a) => !stopped.has(a.ID));
    }
    // computeUpdates
    const inplace: Alloc[] = [];
    const destructive: Alloc[] = [];
    for (const a of untainted) {
      if (sameVersion(a)) d.Ignore++;
      else if (tasksUpdated(a.job, job, name) !== undefined || !input.nodeFits(a.NodeID, tg)) destructive.push(a);
      else if (clientTerminal(a)) d.Ignore++;
      else inplace.push(a);
    }
    d.InPlaceUpdate += inplace.length;
    out.inplace.push(...inplace);
    if (!existingState) dstate.DesiredTotal = Number(dstate.DesiredTotal) + destructive.length + inplace.length;
    if (isCanarying) untainted = untainted.filter((a) => !canaryIds.has(a.ID));
    const used = new Set(untainted.map((a) => a.Name).concat(canaries.map((a) => a.Name)));
    const wantCanaries = Number((tg.Update as Obj | null)?.Canary ?? 0);
    const needCanaries = !updateEmpty(tg.Update) && destructive.length > 0 && canaries.length < wantCanaries && !dstate.Promoted;
    if (needCanaries) {
      dstate.DesiredCanaries = wantCanaries;
      if (!failed) {
        const n = wantCanaries - canaries.length;
        d.Canary += n;
        const canaryNames = new Set(canaries.map((c) => c.Name));
        const picks: string[] = [];
        for (const a of [...destructive].sort((x, y) => allocIndex(x) - allocIndex(y))) if (picks.length < n && !canaryNames.has(a.Name) && !picks.includes(a.Name)) picks.push(a.Name);
        for (let i = 0; picks.length < n; i++) {
          const nm = allocName(job, name, i);
          if (!canaryNames.has(nm) && !picks.includes(nm) && (i >= count || !used.has(nm))) picks.push(nm);
        }
        for (const nm of picks) out.place.push({ group: name, name: nm, canary: true });
      }
    }
    isCanarying = Number(dstate.DesiredCanaries) !== 0 && !dstate.Promoted;
    // computeUnderProvisionedBy
    const maxParallel = Number((tg.Update as Obj | null)?.MaxParallel ?? 0);
    let under: number;
    if (updateEmpty(tg.Update) || destructive.length === 0) under = count;
    else if (!current) under = maxParallel;
    else if (failed || isCanarying) under = 0;
    else {
      under = maxParallel;
      for (const a of untainted.filter((x) => x.DeploymentID === current!.ID)) {
        if (a.DeploymentStatus && a.DeploymentStatus.Healthy === false) {
          under = 0;
          break;
        }
        if (!(a.DeploymentStatus && a.DeploymentStatus.Healthy === true)) under--;
      }
      under = Math.max(0, under);
    }
    // computePlacements: the free names up to count
    const place: Placement[] = [];
    for (let i = 0, existing = untainted.length; existing < count; i++) {
      const nm = allocName(job, name, i);
      if (used.has(nm)) continue;
      used.add(nm);
      place.push({ group: name, name: nm, canary: false });
      existing++;
    }
    if (!existingState) dstate.DesiredTotal = Number(dstate.DesiredTotal) + place.length;
    const ready = !failed && !isCanarying;
    if (ready) {
      d.Place += place.length;
      out.place.push(...place);
      under -= Math.min(place.length, under);
      const now = Math.min(destructive.length, under);
      d.DestructiveUpdate += now;
      d.Ignore += destructive.length - now;
      for (const a of [...destructive].sort((x, y) => allocIndex(x) - allocIndex(y) || (x.Name < y.Name ? -1 : 1)).slice(0, now)) {
        out.stop.push({ alloc: a, why: STOP_UPDATING });
        out.place.push({ group: name, name: a.Name, canary: false, previous: a });
      }
    } else d.Ignore += destructive.length;
    // createDeployment
    if (!existingState && !updateEmpty(tg.Update) && Number(dstate.DesiredTotal) > 0) {
      const updatingSpec = destructive.length > 0 || inplace.length > 0;
      const hadRunning = all.some((a) => Number(a.job.Version) === Number(job.Version) && Number(a.job.CreateIndex) === Number(job.CreateIndex));
      if (!(hadRunning && !updatingSpec)) {
        created ??= newDeployment(job, input.nowNs);
        (created.TaskGroups as Record<string, Obj>)[name] = dstate;
      }
    }
    // isDeploymentComplete
    const groupComplete = destructive.length + inplace.length + (ready ? place.length : place.length) === 0 && !needCanaries;
    if (!groupComplete || !current) complete = false;
    else if (existingState && (Number(existingState.HealthyAllocs) < Math.max(Number(existingState.DesiredTotal), Number(existingState.DesiredCanaries))
      || (Number(existingState.DesiredCanaries) > 0 && !existingState.Promoted))) complete = false;
  }
  if (current && complete && current.Status === 'running') out.updates.push({ deployment: current, status: 'successful', description: 'Deployment completed successfully' });
  if (created && requiresPromotion(created)) {
    const auto = Object.values(created.TaskGroups as Record<string, Obj>).every((s) => Number(s.DesiredCanaries) === 0 || s.AutoPromote);
    created.StatusDescription = auto ? 'Deployment is running pending automatic promotion' : 'Deployment is running but requires manual promotion';
  }
  out.created = created;
  out.current = current;
  return out;
}
