// Server-side admission validation and warnings (nomad-canonical.md §1D; Nomad 2.0.5
// nomad/structs/{structs,services}.go Validate and Warnings, nomad/job_endpoint_hooks.go) for a
// canonical job. Errors are returned as text exactly as Nomad's go-multierror prints them, nested the
// way Nomad nests them (a task's service errors sit two multierrors deep), so the HTTP layer can send
// them with status 500 like a real agent; warnings as helper.MergeMultierrorWarnings prints them.
import type { Obj } from './util.js';
import { multierror } from './util.js';

export interface ValidateContext {
  namespaces: string[];
  vaultEnabled: boolean;
}

const TYPES = ['service', 'batch', 'system', 'sysbatch'];
const SERVICE_NAME = /^(?:[a-z0-9]|[a-z0-9][a-z0-9-]{0,61}[a-z0-9])$/i;

/** Every admission error (flattened one level, like multierror.Append), or [] when the job is accepted. */
export function admissionErrors(job: Obj, ctx: ValidateContext): string[] {
  const errs: string[] = [];
  const groups = (job.TaskGroups as Obj[] | null) ?? [];
  if (groups.some((g) => ((g.Tasks as Obj[] | null) ?? []).some((t) => t.Vault)) && !ctx.vaultEnabled) {
    errs.push('Vault "default" not enabled but used in the job');
  }
  if (!ctx.namespaces.includes(String(job.Namespace))) errs.push(`job ${q(job.ID)} is in nonexistent namespace ${q(job.Namespace)}`);
  errs.push(...jobErrors(job));
  const p = Number(job.Priority);
  if (p < 1 || p > 100) errs.push('job priority must be between [1, 100]');
  if (job.Payload !== null && job.Payload !== undefined && job.Payload !== '') errs.push("job can't be submitted with a payload, only dispatched");
  return errs;
}

/** Go's %q for the strings Nomad quotes. */
function q(v: unknown): string {
  return JSON.stringify(String(v ?? ''));
}

const me = (errs: string[]) => multierror(errs);

/** structs.Job.Validate(). */
export function jobErrors(job: Obj): string[] {
  const errs: string[] = [];
  const id = String(job.ID ?? '');
  if (!job.Region) errs.push('Missing job region');
  if (!id) errs.push('Missing job ID');
  else if (id.includes(' ')) errs.push('Job ID contains a space');
  else if (id.includes('\0')) errs.push('Job ID contains a null character');
  if (!job.Name) errs.push('Missing job name');
  else if (String(job.Name).includes('\0')) errs.push('Job Name contains a null character');
  if (!job.Namespace) errs.push('Job must be in a namespace');
  if (!TYPES.includes(String(job.Type))) errs.push(`Invalid job type: ${q(job.Type)}`);
  const dcs = (job.Datacenters as string[] | null) ?? [];
  if (dcs.some((d) => d === '')) errs.push('Job datacenter must be non-empty string');
  const groups = (job.TaskGroups as Obj[] | null) ?? [];
  if (groups.length === 0) errs.push('Missing job task groups');
  const seen = new Map<string, number>();
  groups.forEach((g, i) => {
    const name = String(g.Name ?? '');
    if (!name) errs.push(`Job task group ${i + 1} missing name`);
    else if (seen.has(name)) errs.push(`Job task group ${i + 1} redefines '${name}' from group ${seen.get(name)! + 1}`);
    else seen.set(name, i);
  });
  for (const g of groups) {
    const ge = groupErrors(g, job);
    if (ge.length) errs.push(`Task group ${String(g.Name ?? '')} validation failed: ${me(ge)}`);
  }
  return errs;
}

/** Go's time.Duration.String for whole nanoseconds. */
export function goDuration(ns: unknown): string {
  let n = Math.trunc(Number(ns ?? 0));
  if (n === 0) return '0s';
  const neg = n < 0;
  if (neg) n = -n;
  let out: string;
  if (n < 1e3) out = `${n}ns`;
  else if (n < 1e6) out = `${trim(n / 1e3)}µs`;
  else if (n < 1e9) out = `${trim(n / 1e6)}ms`;
  else {
    const h = Math.floor(n / 3.6e12);
    const m = Math.floor((n % 3.6e12) / 6e10);
    const s = (n % 6e10) / 1e9;
    out = h ? `${h}h${m}m${trim(s)}s` : m ? `${m}m${trim(s)}s` : `${trim(s)}s`;
  }
  return neg ? `-${out}` : out;
}

function trim(x: number): string {
  return String(Number(x.toFixed(9)));
}

/** UpdateStrategy.Validate (its errors are flattened into the group's list). */
function updateErrors(u: Obj): string[] {
  const errs: string[] = [];
  if (!['checks', 'task_states', 'manual'].includes(String(u.HealthCheck))) errs.push(`Invalid health check given: ${q(u.HealthCheck)}`);
  const n = (k: string) => Number(u[k] ?? 0);
  if (n('MaxParallel') < 0) errs.push(`Max parallel can not be less than zero: ${n('MaxParallel')} < 0`);
  if (n('Canary') < 0) errs.push(`Canary count can not be less than zero: ${n('Canary')} < 0`);
  if (n('Canary') === 0 && u.AutoPromote) errs.push('Auto Promote requires a Canary count greater than zero');
  if (n('MinHealthyTime') < 0) errs.push(`Minimum healthy time may not be less than zero: ${goDuration(n('MinHealthyTime'))}`);
  if (n('HealthyDeadline') <= 0) errs.push(`Healthy deadline must be greater than zero: ${goDuration(n('HealthyDeadline'))}`);
  if (n('ProgressDeadline') < 0) errs.push(`Progress deadline must be zero or greater: ${goDuration(n('ProgressDeadline'))}`);
  if (n('MinHealthyTime') >= n('HealthyDeadline')) errs.push(`Minimum healthy time must be less than healthy deadline: ${goDuration(n('MinHealthyTime'))} > ${goDuration(n('HealthyDeadline'))}`);
  if (n('ProgressDeadline') !== 0 && n('HealthyDeadline') >= n('ProgressDeadline')) errs.push(`Healthy deadline must be less than progress deadline: ${goDuration(n('HealthyDeadline'))} > ${goDuration(n('ProgressDeadline'))}`);
  if (n('Stagger') <= 0) errs.push(`Stagger must be greater than zero: ${goDuration(n('Stagger'))}`);
  return errs;
}

function scalingErrors(g: Obj): string[] {
  const s = g.Scaling as Obj | null;
  if (!s) return [];
  const errs: string[] = [];
  const min = Number(s.Min);
  const max = Number(s.Max);
  if (!s.Type) errs.push('Scaling policy invalid: missing scaling policy type');
  if (max < 0) errs.push('Scaling policy invalid: maximum count must be specified and non-negative');
  else if (max < min) errs.push('Scaling policy invalid: maximum count must not be less than minimum count');
  if (min < 0) errs.push('Scaling policy invalid: minimum count must be specified and non-negative');
  if (max < Number(g.Count)) errs.push('Scaling policy invalid: task group count must not be greater than maximum count in scaling policy');
  if (Number(g.Count) < min) errs.push('Scaling policy invalid: task group count must not be less than minimum count in scaling policy');
  return errs;
}

function groupErrors(g: Obj, job: Obj): string[] {
  const errs: string[] = [];
  const type = String(job.Type);
  if (!g.Name) errs.push('Missing task group name');
  if (Number(g.Count) < 0) errs.push("Task group count can't be negative");
  const tasks = (g.Tasks as Obj[] | null) ?? [];
  if (tasks.length === 0) errs.push('Missing tasks for task group');
  if (type === 'system' && g.Scaling) errs.push('Task groups with job type system do not support scaling blocks');
  const u = g.Update as Obj | null;
  if (u) {
    if (type !== 'service' && type !== 'system') errs.push(`Job type ${q(type)} does not allow update block`);
    errs.push(...updateErrors(u));
  }
  const seen = new Map<string, number>();
  tasks.forEach((t, i) => {
    const name = String(t.Name ?? '');
    if (!name) errs.push(`Task ${i + 1} missing name`);
    else if (seen.has(name)) errs.push(`Task ${i + 1} redefines '${name}' from task ${seen.get(name)! + 1}`);
    else seen.set(name, i);
  });
  const svcErrs = groupServiceErrors(g);
  if (svcErrs.length) errs.push(`Task group service validation failed: ${me(svcErrs)}`);
  const sc = scalingErrors(g);
  if (sc.length) errs.push(`Task group scaling policy validation failed: ${me(sc)}`);
  for (const t of tasks) {
    const te = taskErrors(t, g, type);
    if (te.length) errs.push(`Task ${String(t.Name ?? '')} validation failed: ${me(te)}`);
  }
  return errs;
}

/** TaskGroup.validateServices: one provider per group, then the group-level services. */
function groupServiceErrors(g: Obj): string[] {
  const errs: string[] = [];
  const tasks = (g.Tasks as Obj[] | null) ?? [];
  const providers = new Set<unknown>();
  for (const t of tasks) for (const s of (t.Services as Obj[] | null) ?? []) providers.add(s.Provider);
  ((g.Services as Obj[] | null) ?? []).forEach((s, i) => {
    providers.add(s.Provider);
    const se = serviceErrors(s);
    if (se.length) errs.push(`Service[${i}] ${String(s.Name)} validation failed: ${me(se)}`);
  });
  if (providers.size > 1) errs.push('Multiple service providers used: task group services must use the same provider');
  return errs;
}

function taskErrors(t: Obj, g: Obj, jobType: string): string[] {
  const errs: string[] = [];
  if (!t.Name) errs.push('Missing task name');
  if (!t.Driver) errs.push('Missing task driver');
  const u = g.Update as Obj | null;
  if (jobType === 'service' && u && Number(u.ProgressDeadline) > 0 && Number(t.KillTimeout) > Number(u.ProgressDeadline)) {
    errs.push(`KillTimout (${goDuration(t.KillTimeout)}) longer than the group's ProgressDeadline (${goDuration(u.ProgressDeadline)})`);
  }
  const res = t.Resources as Obj | null;
  if (res) {
    const min: string[] = [];
    if (Number(res.CPU) < 1 && Number(res.Cores ?? 0) === 0) min.push(`minimum CPU value is 1; got ${String(res.CPU)}`);
    if (Number(res.MemoryMB) < 10) min.push(`minimum MemoryMB value is 10; got ${String(res.MemoryMB)}`);
    if (min.length) errs.push(me([me(min)]));
  }
  const svc = taskServiceErrors(t, g);
  if (svc.length) errs.push(me(svc));
  ((t.Templates as Obj[] | null) ?? []).forEach((tpl, i) => {
    const te: string[] = [];
    if (tpl.ChangeMode === 'signal' && tpl.Envvars) te.push('cannot use signals with env var templates');
    if (te.length) errs.push(`Template ${i + 1} validation failed: ${me(te)}`);
  });
  return errs;
}

/** validateServices(t, tg.Networks): each service's own errors, duplicates, and port labels that exist. */
function taskServiceErrors(t: Obj, g: Obj): string[] {
  const errs: string[] = [];
  const labels = new Set<string>();
  const net = ((g.Networks as Obj[] | null) ?? [])[0];
  for (const p of [...((net?.ReservedPorts as Obj[] | undefined) ?? []), ...((net?.DynamicPorts as Obj[] | undefined) ?? [])]) labels.add(String(p.Label));
  const wanted = new Map<string, Set<string>>();
  const known = new Set<string>();
  ((t.Services as Obj[] | null) ?? []).forEach((s, i) => {
    const se = serviceErrors(s);
    if (se.length) errs.push(`service[${i}] ${JSON.stringify(String(s.Name))} validation failed: ${me(se)}`);
    if (known.has(`${String(s.Name)}${String(s.PortLabel ?? '')}`)) errs.push(`service ${q(s.Name)} is duplicate`);
    known.add(`${String(s.Name)}${String(s.PortLabel ?? '')}`);
    const want = (label: string) => {
      if (!wanted.has(label)) wanted.set(label, new Set());
      wanted.get(label)!.add(String(s.Name));
    };
    if (s.PortLabel && !(s.AddressMode === 'driver' && /^\d+$/.test(String(s.PortLabel)))) want(String(s.PortLabel));
    for (const c of (s.Checks as Obj[] | null) ?? []) {
      const type = String(c.Type ?? '').toLowerCase();
      if (type !== 'http' && type !== 'tcp' && type !== 'grpc') continue;
      const port = String(c.PortLabel || s.PortLabel || '');
      if (!port) errs.push(`check ${q(c.Name)} is missing a port`);
      else if (!/^\d+$/.test(port)) want(port);
    }
  });
  for (const label of [...wanted.keys()].sort()) {
    if (!labels.has(label)) errs.push(`port label ${q(label)} referenced by services ${[...wanted.get(label)!].sort().join(', ')} does not exist`);
  }
  return errs;
}

/** Service.Validate: the name, address mode, provider, then each check. */
function serviceErrors(s: Obj): string[] {
  const errs: string[] = [];
  const stripped = String(s.Name ?? '').replace(/\$\{[^}]*\}/g, 'ENV-VAR');
  if (!SERVICE_NAME.test(stripped)) errs.push(`Service name must be valid per RFC 1123 and can contain only alphanumeric characters or dashes and must be no longer than 63 characters: ${q(s.Name)}`);
  const provider = String(s.Provider ?? '');
  if (provider !== 'consul' && provider !== 'nomad') {
    errs.push(`Service provider must be "consul", or "nomad"; not ${q(provider)}`);
    return errs;
  }
  const allowed = provider === 'consul' ? ['grpc', 'tcp', 'http', 'script'] : ['tcp', 'http'];
  for (const c of (s.Checks as Obj[] | null) ?? []) {
    const type = String(c.Type ?? '').toLowerCase();
    if (!s.PortLabel && !c.PortLabel && ['http', 'tcp', 'grpc'].includes(type)) {
      errs.push(`Check ${String(c.Name)} invalid: check requires a port but neither check nor service ${JSON.stringify(String(s.Name))} have a port`);
      continue;
    }
    const err = checkError(c, allowed);
    if (err) errs.push(provider === 'consul' ? `Check ${String(c.Name)} invalid: ${err}` : err);
  }
  return errs;
}

/** ServiceCheck.validateCommon. */
function checkError(c: Obj, allowed: string[]): string | undefined {
  const type = String(c.Type ?? '').toLowerCase();
  if (!allowed.includes(type)) return `invalid check type (${JSON.stringify(type)}), must be one of ${allowed.join(', ')}`;
  if (type === 'http') {
    if (!c.Path) return 'http type must have http path';
    if (/^[a-z][a-z0-9+.-]*:/i.test(String(c.Path))) return 'http type must have relative http path';
  }
  if (type === 'script' && !c.Command) return 'script type must have a valid script path';
  const interval = Number(c.Interval);
  const timeout = Number(c.Timeout);
  if (interval === 0) return 'missing required value interval. Interval cannot be less than 1s';
  if (interval < 1e9) return `interval (${goDuration(interval)}) cannot be lower than 1s`;
  if (timeout === 0) return 'missing required value timeout. Timeout cannot be less than 1s';
  if (timeout < 1e9) return `timeout (${goDuration(timeout)}) is lower than required minimum timeout 1s`;
  return undefined;
}

/** Job.Warnings plus the admission hooks' warnings, as separate entries (jobValidate unpacks them). */
export function jobWarnings(job: Obj): string[] {
  const out: string[] = [];
  let hasAutoPromote = false;
  let allAutoPromote = true;
  const groups = (job.TaskGroups as Obj[] | null) ?? [];
  for (const g of groups) {
    const w: string[] = [];
    const u = g.Update as Obj | null;
    if (u) {
      if (Number(g.Count) > 1 && Number(u.MaxParallel) > Number(g.Count)) {
        w.push(`Update max parallel count is greater than task group count (${String(u.MaxParallel)} > ${String(g.Count)}). A destructive change would result in the simultaneous replacement of all allocations.`);
      }
      hasAutoPromote ||= !!u.AutoPromote;
      allAutoPromote &&= Number(u.Canary) === 0 || !!u.AutoPromote;
    }
    if (w.length) out.push(`Group ${q(g.Name)} has warnings: ${me(w)}`);
  }
  for (const g of groups) out.push(...shutdownDelayWarnings(g));
  if (hasAutoPromote && !allAutoPromote) out.push('auto_promote must be true for all groups to enable automatic promotion');
  for (const g of groups) {
    for (const t of (g.Tasks as Obj[] | null) ?? []) {
      if (Number((t.Resources as Obj | null)?.MemoryMaxMB ?? 0) > 0) {
        out.push(`Memory oversubscription is not enabled; Task "${String(g.Name)}.${String(t.Name)}" memory_max value will be ignored. Update the Scheduler Configuration to allow oversubscription.`);
      }
    }
  }
  return out;
}

/** generateTaskGroupServiceShutdownDelayWarnings (2.0.5). */
function shutdownDelayWarnings(g: Obj): string[] {
  const out: string[] = [];
  const referenced = new Set<string>();
  let unscoped = false;
  const groupDelay = Number(g.ShutdownDelay ?? 0) > 0;
  for (const s of (g.Services as Obj[] | null) ?? []) {
    if (s.TaskName) referenced.add(String(s.TaskName));
    else unscoped = true;
  }
  let anyTaskDelay = false;
  for (const t of (g.Tasks as Obj[] | null) ?? []) {
    const delay = Number(t.ShutdownDelay ?? 0);
    if (referenced.has(String(t.Name)) && delay === 0) out.push(`group ${q(g.Name)} references task ${q(t.Name)} in a service definition, but the task has no shutdown_delay set`);
    if (delay > 0) anyTaskDelay = true;
    else if (((t.Services as Obj[] | null) ?? []).length > 0) out.push(`task ${q(t.Name)} in group ${q(g.Name)} defines services, but has no shutdown_delay set`);
  }
  if (unscoped && !groupDelay && !anyTaskDelay) out.push(`group ${q(g.Name)} defines services, but neither the group nor any of its tasks have shutdown_delay set`);
  return out;
}

/** helper.MergeMultierrorWarnings: `""`, or `N warning(s):\n` then `\n* <w>` per warning. */
export function warningsText(ws: string[]): string {
  if (ws.length === 0) return '';
  return `${ws.length === 1 ? '1 warning:' : `${ws.length} warnings:`}\n${ws.map((w) => `\n* ${w.trim()}`).join('')}`;
}
