// The register pipeline of nomad-canonical.md §1: api Canonicalize, conversion to the stored struct
// shape, and the server mutators (struct Canonicalize, vault/consul cluster defaults, implied
// constraints, node pool). Pure: the same function serves register, plan and validate.
import * as S from './schema.js';
import { field, isObj, type Obj } from './util.js';

export interface CanonContext {
  region: string;
  namespace: string;
}

const SEC = 1_000_000_000;
const UPDATE_DEFAULT = {
  Stagger: 30 * SEC, MaxParallel: 1, HealthCheck: 'checks', MinHealthyTime: 10 * SEC, HealthyDeadline: 300 * SEC,
  ProgressDeadline: 600 * SEC, AutoRevert: false, AutoPromote: false, Canary: 0,
};
const MIGRATE_DEFAULT = { MaxParallel: 1, HealthCheck: 'checks', MinHealthyTime: 10 * SEC, HealthyDeadline: 300 * SEC };
const RESCHEDULE_SERVICE = { Attempts: 0, Interval: 0, Delay: 30 * SEC, DelayFunction: 'exponential', MaxDelay: 3600 * SEC, Unlimited: true };
const RESCHEDULE_BATCH = { Attempts: 1, Interval: 86400 * SEC, Delay: 5 * SEC, DelayFunction: 'constant', MaxDelay: 0, Unlimited: false };
const RESTART_SERVICE = { Attempts: 2, Interval: 1800 * SEC, Delay: 15 * SEC, Mode: 'fail', RenderTemplates: false };
const RESTART_BATCH = { ...RESTART_SERVICE, Attempts: 3, Interval: 86400 * SEC };

type C = { LTarget: string; RTarget: string; Operand: string };
const VAULT_C: C = { LTarget: '${attr.vault.version}', RTarget: '>= 0.6.1', Operand: 'semver' };
const NSD_C: C = { LTarget: '${attr.nomad.service_discovery}', RTarget: 'true', Operand: '=' };
const NSD_CHECKS_C: C = { LTarget: '${attr.nomad.version}', RTarget: '>= 1.4.0', Operand: 'semver' };
const CONSUL_C: C = { LTarget: '${attr.consul.version}', RTarget: '>= 1.8.0', Operand: 'semver' };

/** Layers request objects over a default: later non-null fields win (api Merge semantics). */
function merge(st: S.Struct, base: Obj | undefined, ...layers: unknown[]): Obj | undefined {
  const present = layers.filter(isObj);
  if (!base && present.length === 0) return undefined;
  return Object.assign({}, base, ...present.map((l) => S.normalize(st, l)));
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** Turns an API-form job (as sent inside `{"Job": ...}`) into the job Nomad stores and returns on GET. */
export function canonicalizeJob(raw: Obj, ctx: CanonContext): Obj {
  const job = S.build(S.Job, raw);
  job.Namespace = ctx.namespace;
  job.Region = ctx.region;
  if (!job.Name) job.Name = job.ID;
  if (!job.Priority) job.Priority = 50;
  if (!job.NodePool) job.NodePool = 'default';
  if (!Array.isArray(job.Datacenters) || job.Datacenters.length === 0) job.Datacenters = ['*'];
  const type = str(job.Type);
  const service = type === 'service' || type === 'system';
  const jobUpdate = merge(S.Update, service ? {} : undefined, field(raw, 'Update'));
  const jobUpdateFull = jobUpdate ? { ...UPDATE_DEFAULT, ...jobUpdate } : undefined;
  const reduced = S.build(S.Update, {});
  if (jobUpdateFull && Number(jobUpdateFull.MaxParallel) > 0) Object.assign(reduced, { Stagger: jobUpdateFull.Stagger, MaxParallel: jobUpdateFull.MaxParallel });
  job.Update = reduced;
  const rawGroups = (field(raw, 'TaskGroups') as unknown[] | undefined) ?? [];
  const groups = (job.TaskGroups as Obj[] | null) ?? [];
  groups.forEach((g, i) => canonicalizeGroup(g, rawGroups.filter((x) => x !== null)[i] as Obj, raw, job, jobUpdateFull));
  return job;
}

function canonicalizeGroup(g: Obj, raw: Obj, rawJob: Obj, job: Obj, jobUpdate: Obj | undefined): void {
  const type = str(job.Type);
  if (field(raw, 'Count') === undefined || field(raw, 'Count') === null) {
    const min = field(field(raw, 'Scaling'), 'Min');
    g.Count = typeof min === 'number' ? min : 1;
  }
  g.Scaling = scalingPolicy(field(raw, 'Scaling'), job, g);
  const rawUpdate = field(raw, 'Update');
  let upd: Obj | undefined;
  if (isObj(rawUpdate)) upd = { ...UPDATE_DEFAULT, ...(jobUpdate ?? {}), ...S.normalize(S.Update, rawUpdate) };
  else if (jobUpdate) upd = { ...jobUpdate };
  g.Update = upd ? S.build(S.Update, upd) : null;
  const mig = merge(S.Migrate, type === 'service' ? {} : undefined, field(rawJob, 'Migrate'), field(raw, 'Migrate'));
  g.Migrate = mig ? S.build(S.Migrate, { ...MIGRATE_DEFAULT, ...mig }) : null;
  const batchLike = type === 'batch' || type === 'sysbatch';
  g.RestartPolicy = S.build(S.Restart, { ...(batchLike ? RESTART_BATCH : RESTART_SERVICE), ...S.normalize(S.Restart, field(raw, 'RestartPolicy')) });
  const resched = merge(S.Reschedule, undefined, field(rawJob, 'Reschedule'), field(raw, 'ReschedulePolicy'));
  const system = type === 'system' || type === 'sysbatch';
  g.ReschedulePolicy = system && !resched ? null : S.build(S.Reschedule, { ...(type === 'batch' ? RESCHEDULE_BATCH : RESCHEDULE_SERVICE), ...(resched ?? {}) });
  if (!g.EphemeralDisk) g.EphemeralDisk = S.build(S.Disk, {});
  for (const n of (g.Networks as Obj[] | null) ?? []) canonicalizeNetwork(n);
  const groupName = str(g.Name);
  for (const svc of (g.Services as Obj[] | null) ?? []) canonicalizeService(svc, job, groupName, undefined);
  const rawTasks = ((field(raw, 'Tasks') as unknown[] | undefined) ?? []).filter((x) => x !== null) as Obj[];
  ((g.Tasks as Obj[] | null) ?? []).forEach((t, i) => canonicalizeTask(t, rawTasks[i] ?? {}, g, job));
  addImpliedConstraints(g);
}

/**
 * A group Scaling block as the server stores it (api ScalingPolicy.Canonicalize, ApiScalingPolicyToStructs,
 * structs ScalingPolicy.Canonicalize): type horizontal, the Namespace/Job/Group target, Min defaulting to
 * the count, Max -1 when missing (rejected by validation), Enabled true. ID and indexes are the server's.
 */
function scalingPolicy(raw: unknown, job: Obj, g: Obj): Obj | null {
  if (!isObj(raw)) return null;
  const num = (k: string, d: number) => (typeof field(raw, k) === 'number' ? (field(raw, k) as number) : d);
  const enabled = field(raw, 'Enabled');
  const policy = field(raw, 'Policy');
  return {
    ID: '', Type: str(field(raw, 'Type')) || 'horizontal', Target: { Namespace: job.Namespace, Job: job.ID, Group: g.Name },
    Policy: isObj(policy) && Object.keys(policy).length ? policy : null, Min: num('Min', Number(g.Count)), Max: num('Max', -1),
    Enabled: typeof enabled === 'boolean' ? enabled : true, CreateIndex: 0, ModifyIndex: 0,
  };
}

function canonicalizeNetwork(n: Obj): void {
  for (const key of ['ReservedPorts', 'DynamicPorts']) {
    const ports = n[key] as Obj[] | undefined;
    if (!ports) continue;
    for (const p of ports) if (!p.HostNetwork) p.HostNetwork = 'default';
  }
}

function canonicalizeTask(t: Obj, raw: Obj, g: Obj, job: Obj): void {
  const rawRes = field(raw, 'Resources');
  const res = S.build(S.Resources, isObj(rawRes) ? rawRes : {});
  const cores = field(rawRes, 'Cores');
  const cpu = field(rawRes, 'CPU');
  if ((cores === undefined || cores === null) && (cpu === undefined || cpu === null)) res.CPU = 100;
  t.Resources = res;
  for (const n of (res.Networks as Obj[] | null) ?? []) canonicalizeNetwork(n);
  t.RestartPolicy = S.build(S.Restart, { ...(g.RestartPolicy as Obj), ...S.normalize(S.Restart, field(raw, 'RestartPolicy')) });
  if (!t.KillTimeout) t.KillTimeout = 5 * SEC;
  if (!t.LogConfig) t.LogConfig = S.build(S.LogConfig, {});
  if (isObj(t.Config) && Object.keys(t.Config).length === 0) t.Config = null;
  const vault = t.Vault as Obj | null;
  if (vault) {
    if (!vault.Cluster) vault.Cluster = 'default';
    if (!vault.ChangeMode) vault.ChangeMode = 'restart';
    vault.ChangeSignal = str(vault.ChangeSignal).toUpperCase();
  }
  for (const tpl of (t.Templates as Obj[] | null) ?? []) {
    const sig = str(tpl.ChangeSignal);
    tpl.ChangeSignal = sig ? sig.toUpperCase() : tpl.ChangeMode === 'signal' ? 'SIGHUP' : '';
  }
  canonicalizeIdentities(t);
  for (const svc of (t.Services as Obj[] | null) ?? []) canonicalizeService(svc, job, str(g.Name), str(t.Name));
  if (((t.Services as Obj[] | null) ?? []).some((s) => s.Provider === 'consul')) {
    const cs = ((t.Constraints as C[] | null) ?? []).slice();
    if (!cs.some((c) => c.LTarget === CONSUL_C.LTarget)) cs.push({ ...CONSUL_C });
    t.Constraints = cs;
  }
}

function canonicalizeIdentities(t: Obj): void {
  const ids = ((t.Identities as Obj[] | null) ?? []).filter((id) => {
    if (!id.Name) id.Name = 'default';
    id.ChangeSignal = str(id.ChangeSignal).toUpperCase();
    if (id.Name !== 'default') return true;
    t.Identity = id;
    return false;
  });
  t.Identities = ids.length ? ids : null;
  const def = (t.Identity as Obj | null) ?? S.build(S.Identity, { Name: 'default' });
  if (!def.Name) def.Name = 'default';
  if (!Array.isArray(def.Audience) || def.Audience.length === 0) def.Audience = ['nomadproject.io'];
  t.Identity = def;
}

function canonicalizeService(svc: Obj, job: Obj, group: string, task: string | undefined): void {
  const jobName = str(job.Name);
  const base = task === undefined ? `${jobName}-${group}` : `${jobName}-${group}-${task}`;
  svc.Name = (str(svc.Name) || base)
    .replaceAll('${JOB}', jobName).replaceAll('${TASKGROUP}', group).replaceAll('${TASK}', task ?? 'group').replaceAll('${BASE}', `${jobName}-${group}-${task ?? 'group'}`);
  svc.TaskName = task ?? '';
  if (!svc.AddressMode) svc.AddressMode = 'auto';
  if (!svc.OnUpdate) svc.OnUpdate = 'require_healthy';
  if (!svc.Provider) svc.Provider = 'consul';
  if (!svc.Cluster) svc.Cluster = 'default';
  if (svc.Provider === 'nomad') svc.Namespace = job.Namespace;
  else if (!svc.Namespace) svc.Namespace = 'default';
  for (const c of (svc.Checks as Obj[] | null) ?? []) {
    if (!c.Name) c.Name = `service: "${str(svc.Name)}" check`;
    c.TaskName = task ?? '';
    if (!c.OnUpdate) c.OnUpdate = svc.OnUpdate;
  }
}

function addConstraint(g: Obj, c: C, leftMatch: boolean): void {
  const cs = ((g.Constraints as C[] | null) ?? []).slice();
  const found = cs.some((x) => (leftMatch ? x.LTarget === c.LTarget : x.LTarget === c.LTarget && x.RTarget === c.RTarget && x.Operand === c.Operand));
  if (!found) cs.push({ ...c });
  g.Constraints = cs.length ? cs : null;
}

/** §2 of nomad-canonical.md, for the blocks drover can produce. */
function addImpliedConstraints(g: Obj): void {
  const tasks = (g.Tasks as Obj[] | null) ?? [];
  const services = [...((g.Services as Obj[] | null) ?? []), ...tasks.flatMap((t) => (t.Services as Obj[] | null) ?? [])];
  if (tasks.some((t) => t.Vault)) addConstraint(g, VAULT_C, true);
  const signals = new Set<string>();
  for (const t of tasks) {
    if (t.KillSignal) signals.add(str(t.KillSignal));
    const v = t.Vault as Obj | null;
    if (v?.ChangeMode === 'signal') signals.add(str(v.ChangeSignal));
    for (const tpl of (t.Templates as Obj[] | null) ?? []) if (tpl.ChangeMode === 'signal') signals.add(str(tpl.ChangeSignal));
  }
  if (signals.size) addConstraint(g, { LTarget: '${attr.os.signals}', RTarget: [...signals].sort().join(','), Operand: 'set_contains' }, false);
  const nomad = services.filter((s) => s.Provider === 'nomad');
  if (nomad.length) addConstraint(g, NSD_C, false);
  if (nomad.some((s) => Array.isArray(s.Checks) && s.Checks.length)) addConstraint(g, NSD_CHECKS_C, false);
  if (((g.Services as Obj[] | null) ?? []).some((s) => s.Provider === 'consul')) addConstraint(g, CONSUL_C, true);
}
