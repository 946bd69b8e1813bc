// Server-side admission validation (nomad-canonical.md §1D) for a canonical job: the errors are
// returned as text exactly as Nomad's go-multierror prints them, so the HTTP layer can send them
// with status 500 like a real agent.
import type { Obj } from './util.js';
import { multierror } from './util.js';

export interface ValidateContext {
  namespaces: string[];
  vaultEnabled: boolean;
}

const TYPES = ['service', 'batch', 'system', 'sysbatch'];

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
    const ge = groupErrors(g, String(job.Type));
    if (ge.length) errs.push(`Task group ${name} validation failed: ${multierror(ge)}`);
  });
  return errs;
}

function groupErrors(g: Obj, type: string): string[] {
  const errs: string[] = [];
  if (Number(g.Count) < 0) errs.push("Task group count can't be negative");
  const tasks = (g.Tasks as Obj[] | null) ?? [];
  if (tasks.length === 0) errs.push('Missing tasks for task group');
  if (type === 'system' && g.Scaling) errs.push('Task groups with job type system do not support scaling blocks');
  const services = [...((g.Services as Obj[] | null) ?? []), ...tasks.flatMap((t) => (t.Services as Obj[] | null) ?? [])];
  if (new Set(services.map((s) => s.Provider)).size > 1) errs.push('Multiple service providers used: task group services must use the same provider');
  const seen = new Map<string, number>();
  tasks.forEach((t, i) => {
    const name = String(t.Name ?? '');
    if (seen.has(name)) errs.push(`Task ${i + 1} redefines '${name}' from task ${seen.get(name)! + 1}`);
    else seen.set(name, i);
    const te = taskErrors(t);
    if (te.length) errs.push(`Task ${name} validation failed: ${multierror(te)}`);
  });
  return errs;
}

function taskErrors(t: Obj): string[] {
  const errs: string[] = [];
  if (!t.Name) errs.push('Missing task name');
  if (!t.Driver) errs.push('Missing task driver');
  const res = t.Resources as Obj | null;
  if (res && Number(res.MemoryMB) < 10) errs.push(`minimum MemoryMB value is 10; got ${String(res.MemoryMB)}`);
  for (const tpl of (t.Templates as Obj[] | null) ?? []) {
    if (tpl.Envvars && tpl.ChangeMode === 'signal') errs.push('cannot use signals with env var templates');
  }
  for (const s of (t.Services as Obj[] | null) ?? []) {
    for (const c of (s.Checks as Obj[] | null) ?? []) {
      const err = checkError(c);
      if (err) errs.push(`Check ${String(c.Name)} invalid: ${err}`);
    }
  }
  return errs;
}

/** ServiceCheck.validate() for the check types drover renders (structs/services.go). */
function checkError(c: Obj): string | undefined {
  const type = String(c.Type ?? '').toLowerCase();
  if (type === 'http' && !c.Path) return 'http type must have a valid http path';
  if (!['http', 'tcp', 'grpc', 'script'].includes(type)) return `invalid type (${JSON.stringify(String(c.Type ?? ''))}), must be one of "http", "tcp", or "script" type`;
  const interval = Number(c.Interval);
  const timeout = Number(c.Timeout);
  if (interval === 0) return 'missing required value interval. Interval cannot be less than 1s';
  if (interval < 1e9) return `interval (${goDur(interval)}) cannot be lower than 1s`;
  if (type === 'script') return undefined;
  if (timeout === 0) return 'missing required value timeout. Timeout cannot be less than 1s';
  if (timeout < 1e9) return `timeout (${goDur(timeout)}) is lower than required minimum timeout 1s`;
  return undefined;
}

function goDur(ns: unknown): string {
  const n = Number(ns);
  if (n === 0) return '0s';
  if (n < 1e3) return `${n}ns`;
  if (n < 1e6) return `${n / 1e3}µs`;
  if (n < 1e9) return `${n / 1e6}ms`;
  return `${n / 1e9}s`;
}
