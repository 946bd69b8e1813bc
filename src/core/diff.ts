// Pure diff of a desired (rendered) Nomad job against the live one, gitops-engine style: normalise
// both sides for Nomad's defaults (reference/nomad-canonical.md §1), project the live job onto exactly
// the paths the desired job sets, then express the difference as a JSON Patch (live → desired).
// No I/O, no clock: the controller and `drover diff` call this with jobs they read.
import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import type { NomadJob } from './nomad-types.js';
import { LEGACY_META_KEYS } from './render/meta.js';
import { NOMAD_UPDATE_DEFAULTS } from './render/update.js';

export type DriftKind = 'missing' | 'stopped' | 'drift' | 'in-sync';

export interface JobDiffResult {
  kind: DriftKind;
  /** from the live projection to the desired job; apply it to the projection to get `desired` */
  patch: Operation[];
  /** number of patch operations (what `drover_app_drift_fields` reports) */
  fields: number;
}

export interface DiffOptions {
  /** spec.scaling: an autoscaler owns the group Count, so a different Count is not drift */
  ignoreCount?: boolean;
}

type Obj = Record<string, unknown>;

export function diffJob(desired: NomadJob, live: NomadJob | null, opts: DiffOptions = {}): JobDiffResult {
  const want = canonicalDesired(desired, opts);
  if (!live) {
    const patch = jsonpatch.compare({}, want);
    return { kind: 'missing', patch, fields: patch.length };
  }
  expectUpdateDefaults(want, live as unknown as Obj);
  const projected = project(live, want) as Obj;
  keepExtraKeys(projected, live as unknown as Obj, want);
  const patch = jsonpatch.compare(projected, want);
  const kind: DriftKind = live.Stop === true ? 'stopped' : patch.length > 0 ? 'drift' : 'in-sync';
  return { kind, patch, fields: patch.length };
}

/** The desired job as Nomad will store it, for the fields drover sets (nomad-canonical.md §1). */
export function canonicalDesired(desired: NomadJob, opts: DiffOptions = {}): Obj {
  const job = structuredClone(desired) as Obj;
  // Drover never sends these; they are Nomad's bookkeeping and would only add noise.
  for (const k of ['Status', 'Version', 'CreateIndex', 'ModifyIndex', 'JobModifyIndex', 'SubmitTime', 'StatusDescription', 'Stable']) delete job[k];
  job.Stop = false; // a stopped live job must show as a patch on Stop
  if (!job.Namespace) job.Namespace = 'default';
  if (!job.Name) job.Name = job.ID;
  if (Array.isArray(job.Datacenters) && job.Datacenters.length === 0) job.Datacenters = ['*'];
  for (const tg of arr(job.TaskGroups)) {
    if (opts.ignoreCount) delete tg.Count;
    for (const net of arr(tg.Networks)) {
      for (const p of [...arr(net.DynamicPorts), ...arr(net.ReservedPorts)]) if (!p.HostNetwork) p.HostNetwork = 'default';
    }
    for (const svc of arr(tg.Services)) canonicalService(svc, `${str(job.Name)}-${str(tg.Name)}`);
    for (const task of arr(tg.Tasks)) {
      // drover owns these maps whole: a key git removed or a key added by hand is a difference
      for (const k of EXACT_TASK_MAPS) if (task[k] === undefined) task[k] = null;
      for (const svc of arr(task.Services)) canonicalService(svc, `${str(job.Name)}-${str(tg.Name)}-${str(task.Name)}`);
      for (const tpl of arr(task.Templates)) {
        if (typeof tpl.ChangeSignal === 'string') tpl.ChangeSignal = tpl.ChangeSignal.toUpperCase();
        if (tpl.ChangeMode === '') tpl.ChangeMode = 'restart';
      }
      const vault = task.Vault as Obj | null | undefined;
      if (vault && typeof vault === 'object') {
        if (typeof vault.ChangeSignal === 'string') vault.ChangeSignal = vault.ChangeSignal.toUpperCase();
        if (vault.ChangeMode === '') vault.ChangeMode = 'restart';
        if (vault.Cluster === '') vault.Cluster = 'default';
      }
    }
  }
  return job;
}

function canonicalService(svc: Obj, defaultName: string): void {
  if (!svc.Name) svc.Name = defaultName;
  if (svc.AddressMode === '') svc.AddressMode = 'auto';
  if (svc.Provider === '') svc.Provider = 'consul';
  if (svc.OnUpdate === '') svc.OnUpdate = 'require_healthy';
  for (const check of arr(svc.Checks)) {
    if (!check.Name) check.Name = `service: "${str(svc.Name)}" check`;
    if (check.OnUpdate === '') check.OnUpdate = svc.OnUpdate ?? 'require_healthy';
  }
}

/**
 * The group's update block is drover's whole (spec.rollout): the live block is compared with Nomad's defaults
 * overlaid by what is rendered, so a rollout field git removed — or the whole spec.rollout — shows as a
 * difference and goes back to Nomad's default. Only where the live group has a block: Nomad stores a full one
 * for every service group (nomad-canonical.md §1A), and a job that never went through Nomad has none.
 */
function expectUpdateDefaults(want: Obj, live: Obj): void {
  const liveGroups = byName(live.TaskGroups);
  for (const wg of arr(want.TaskGroups)) {
    if (!isObj(liveGroups.get(str(wg.Name))?.Update)) continue;
    wg.Update = { ...NOMAD_UPDATE_DEFAULTS, ...(isObj(wg.Update) ? wg.Update : {}) };
  }
}

const EXACT_TASK_MAPS = ['Env', 'Meta', 'Config'] as const;
const IGNORED_META = new Set<string>(LEGACY_META_KEYS);

/**
 * Free-form maps drover renders whole (job Meta, task Env, Meta and driver Config) are compared by their
 * keys too: the projection keeps only keys the desired job sets, so without this a variable removed in
 * git, or one added by hand, would never show. drover's legacy Meta keys (carried over on purpose) are
 * not differences.
 */
function keepExtraKeys(projected: Obj, live: Obj, want: Obj): void {
  addExtra(projected, 'Meta', live.Meta, want.Meta, IGNORED_META);
  const liveGroups = byName(live.TaskGroups);
  for (const [gi, wg] of arr(want.TaskGroups).entries()) {
    const pg = arr(projected.TaskGroups)[gi];
    const lg = liveGroups.get(str(wg.Name));
    if (!pg || !lg) continue;
    const liveTasks = byName(lg.Tasks);
    for (const [ti, wt] of arr(wg.Tasks).entries()) {
      const pt = arr(pg.Tasks)[ti];
      const lt = liveTasks.get(str(wt.Name));
      if (!pt || !lt) continue;
      for (const k of EXACT_TASK_MAPS) addExtra(pt, k, lt[k], wt[k]);
    }
  }
}

function addExtra(projected: Obj, key: string, live: unknown, want: unknown, ignore?: ReadonlySet<string>): void {
  if (!isObj(live) || !isObj(want) || !isObj(projected[key])) return;
  const out = projected[key] as Obj;
  for (const [k, v] of Object.entries(live)) if (!(k in want) && !ignore?.has(k)) out[k] = v;
}

function byName(v: unknown): Map<string, Obj> {
  return new Map(arr(v).map((o) => [str(o.Name), o]));
}

/**
 * The live value restricted to the shape of `want`. Zero values Nomad leaves out (omitempty on Port and
 * NetworkResource) or writes as null (empty maps and lists) count as equal to an empty desired value.
 */
export function project(live: unknown, want: unknown): unknown {
  if (isEmpty(want) && isEmpty(live)) return want;
  if (Array.isArray(want)) return Array.isArray(live) ? projectArray(live, want) : live ?? null;
  if (isObj(want)) {
    if (!isObj(live)) return live ?? null;
    const out: Obj = {};
    for (const [k, w] of Object.entries(want)) {
      if (w === undefined) continue;
      if (k in live && live[k] !== undefined) out[k] = project(live[k], w);
      else if (isZero(w)) out[k] = w; // omitted by Nomad because it is the zero value
    }
    return out;
  }
  return normaliseScalar(live, want);
}

/** Arrays of named objects (groups, tasks, services, ports) are matched by Name/Label, not by index. */
function projectArray(live: unknown[], want: unknown[]): unknown[] {
  const keyOf = namedKey(want);
  if (!keyOf) {
    const out = want.map((w, i) => (i < live.length ? project(live[i], w) : null));
    // extra live elements: kept (reduced to nothing desired sets) so the patch shows their removal
    for (let i = want.length; i < live.length; i++) out.push(live[i] ?? null);
    return out;
  }
  const byKey = new Map<string, unknown>();
  for (const l of live) if (isObj(l) && typeof l[keyOf] === 'string') byKey.set(l[keyOf] as string, l);
  const wanted = new Set<string>();
  const out = want.map((w) => {
    const k = (w as Obj)[keyOf] as string;
    wanted.add(k);
    return byKey.has(k) ? project(byKey.get(k), w) : null;
  });
  for (const l of live) {
    if (isObj(l) && typeof l[keyOf] === 'string' && !wanted.has(l[keyOf] as string)) out.push({ [keyOf]: l[keyOf] });
  }
  return out;
}

function namedKey(want: unknown[]): 'Name' | 'Label' | undefined {
  if (want.length === 0) return undefined;
  for (const key of ['Name', 'Label'] as const) {
    if (want.every((w) => isObj(w) && typeof w[key] === 'string' && w[key] !== '')) {
      const names = new Set(want.map((w) => (w as Obj)[key]));
      if (names.size === want.length) return key;
    }
  }
  return undefined;
}

/** Go's JSON encoder may write an integral float as `8080.0` or a number as a string in driver config. */
function normaliseScalar(live: unknown, want: unknown): unknown {
  if (typeof want === 'number' && typeof live === 'string' && live.trim() !== '' && Number(live) === want) return want;
  if (live === undefined) return null;
  return live;
}

function isEmpty(v: unknown): boolean {
  return v === null || v === undefined || (Array.isArray(v) && v.length === 0) || (isObj(v) && Object.keys(v).length === 0);
}

function isZero(v: unknown): boolean {
  return isEmpty(v) || v === 0 || v === '' || v === false;
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function arr(v: unknown): Obj[] {
  return Array.isArray(v) ? (v.filter(isObj) as Obj[]) : [];
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
