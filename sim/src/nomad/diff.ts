// The plan API's structural diff (nomad/structs/diff.go, generically): job, group and task
// primitives non-contextually (changed fields only), nested objects contextually (an edited object
// lists its unchanged fields as "None"), lists of objects matched by name, string lists as sets,
// driver Config flattened into `key[i]` paths. Plus the scheduler's annotations.
import type { DiffType, FieldDiff, JobDiff, ObjectDiff, TaskDiff, TaskGroupDiff } from './types.js';
import { deepEqual, isObj, type Obj } from './util.js';

const JOB_SKIP = new Set(['ID', 'Status', 'StatusDescription', 'Version', 'Stable', 'CreateIndex', 'ModifyIndex', 'JobModifyIndex', 'Update',
  'SubmitTime', 'NomadTokenID', 'VaultToken', 'TaskGroups']);
const MAP_FIELDS = new Set(['Meta', 'Env', 'CanaryMeta', 'TaggedAddresses', 'Header']);
const SINGULAR: Record<string, string> = {
  Constraints: 'Constraint', Affinities: 'Affinity', Spreads: 'Spread', Networks: 'Network', Services: 'Service', Checks: 'Check',
  Templates: 'Template', DynamicPorts: 'Dynamic Port', ReservedPorts: 'Static Port', Identities: 'Identity', Artifacts: 'Artifact',
  Devices: 'Device', VolumeMounts: 'VolumeMount',
};

type Flat = Map<string, string>;

function isPrim(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

function fmt(v: unknown): string {
  return v === null || v === undefined ? '' : String(v);
}

function fd(name: string, o: string | undefined, n: string | undefined, contextual: boolean): FieldDiff | null {
  let type: DiffType;
  if (o === undefined && n === undefined) return null;
  if (o === undefined) type = n === '' ? 'None' : 'Added';
  else if (n === undefined) type = o === '' ? 'None' : 'Deleted';
  else type = o === n ? 'None' : 'Edited';
  if (type === 'None' && !contextual) return null;
  return { Type: type, Name: name, Old: o ?? '', New: n ?? '', Annotations: null };
}

/** Primitive fields of a struct, and map entries as `Meta[key]`. */
function prims(o: Obj | null, skip: Set<string> = new Set()): Flat {
  const out: Flat = new Map();
  if (!o) return out;
  for (const [k, v] of Object.entries(o)) {
    if (skip.has(k)) continue;
    if (isPrim(v)) out.set(k, fmt(v));
    else if (MAP_FIELDS.has(k) && isObj(v)) for (const [mk, mv] of Object.entries(v)) out.set(`${k}[${mk}]`, fmt(isPrim(mv) ? mv : JSON.stringify(mv)));
  }
  return out;
}

/** Free-form maps (driver Config) flattened completely. */
function flatAll(v: unknown, prefix: string, out: Flat = new Map()): Flat {
  if (Array.isArray(v)) v.forEach((x, i) => flatAll(x, `${prefix}[${i}]`, out));
  else if (isObj(v)) for (const [k, x] of Object.entries(v)) flatAll(x, prefix ? `${prefix}[${k}]` : k, out);
  else if (v !== null && v !== undefined) out.set(prefix, fmt(v));
  return out;
}

function fieldDiffs(o: Flat | null, n: Flat | null, contextual: boolean): FieldDiff[] {
  const keys = new Set([...(o?.keys() ?? []), ...(n?.keys() ?? [])]);
  const out: FieldDiff[] = [];
  for (const k of keys) {
    const d = fd(k, o?.get(k), n?.get(k), contextual);
    if (d) out.push(d);
  }
  return sortFields(out);
}

function sortFields(f: FieldDiff[]): FieldDiff[] {
  return f.sort((a, b) => a.Name.localeCompare(b.Name) || a.Old.localeCompare(b.Old) || a.New.localeCompare(b.New));
}

function sortByName<T extends { Name: string }>(l: T[]): T[] {
  return l.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}

function objType(o: unknown, n: unknown, fields: FieldDiff[], objects: ObjectDiff[]): DiffType {
  if (o === null || o === undefined) return 'Added';
  if (n === null || n === undefined) return 'Deleted';
  return fields.some((f) => f.Type !== 'None') || objects.length ? 'Edited' : 'None';
}

function listKey(x: unknown): string {
  if (!isObj(x)) return JSON.stringify(x);
  if (typeof x.Name === 'string' && x.Name) return `${x.Name}/${typeof x.PortLabel === 'string' ? x.PortLabel : ''}`;
  if (typeof x.Label === 'string') return x.Label;
  return JSON.stringify(x);
}

/** Nested (non-primitive) fields of two structs as contextual object diffs. */
function nested(o: Obj | null, n: Obj | null, skip: Set<string>): ObjectDiff[] {
  const keys = new Set([...Object.keys(o ?? {}), ...Object.keys(n ?? {})]);
  const out: ObjectDiff[] = [];
  for (const k of keys) {
    if (skip.has(k) || MAP_FIELDS.has(k)) continue;
    const ov = o?.[k] ?? null;
    const nv = n?.[k] ?? null;
    if (isPrim(ov) || isPrim(nv)) continue;
    if (Array.isArray(ov) || Array.isArray(nv)) out.push(...listDiff(k, (ov as unknown[] | null) ?? [], (nv as unknown[] | null) ?? []));
    else {
      const d = k === 'Config' ? configDiff(ov as Obj | null, nv as Obj | null) : k === 'Scaling' ? scalingDiff(ov as Obj | null, nv as Obj | null) : objectDiff(k, ov as Obj | null, nv as Obj | null);
      if (d) out.push(d);
    }
  }
  return sortByName(out);
}

function listDiff(key: string, o: unknown[], n: unknown[]): ObjectDiff[] {
  if ([...o, ...n].every((x) => isPrim(x))) {
    const os = new Set(o.map(fmt));
    const ns = new Set(n.map(fmt));
    const fields: FieldDiff[] = [];
    for (const v of new Set([...os, ...ns])) fields.push({ Type: os.has(v) ? (ns.has(v) ? 'None' : 'Deleted') : 'Added', Name: key, Old: os.has(v) ? v : '', New: ns.has(v) ? v : '', Annotations: null });
    const type: DiffType = o.length === 0 ? 'Added' : n.length === 0 ? 'Deleted' : fields.some((f) => f.Type !== 'None') ? 'Edited' : 'None';
    return type === 'None' ? [] : [{ Type: type, Name: key, Fields: sortFields(fields), Objects: null }];
  }
  const name = SINGULAR[key] ?? key;
  const om = new Map(o.map((x) => [listKey(x), x as Obj]));
  const nm = new Map(n.map((x) => [listKey(x), x as Obj]));
  const out: ObjectDiff[] = [];
  for (const k of new Set([...om.keys(), ...nm.keys()])) {
    const d = objectDiff(name, om.get(k) ?? null, nm.get(k) ?? null);
    if (d) out.push(d);
  }
  return out;
}

/** A contextual diff of one nested struct; null when nothing in it changed. */
export function objectDiff(name: string, o: Obj | null, n: Obj | null): ObjectDiff | null {
  if (deepEqual(o, n)) return null;
  const contextual = !!o && !!n;
  const fields = fieldDiffs(o ? prims(o) : null, n ? prims(n) : null, contextual);
  const objects = nested(o, n, new Set());
  const type = objType(o, n, fields, objects);
  if (type === 'None') return null;
  return { Type: type, Name: name, Fields: fields.length ? fields : null, Objects: objects.length ? objects : null };
}

/**
 * scalingDiff (nomad/structs/diff.go): the server-set ID, Type, indexes and Target are filtered out of the
 * fields, but the object still counts as Edited when they differ — so a job whose stored policy got its
 * indexes shows `{"Type":"Edited","Name":"Scaling","Fields":null,"Objects":null}` against the same body.
 */
function scalingDiff(o: Obj | null, n: Obj | null): ObjectDiff | null {
  if (deepEqual(o, n)) return null;
  const skip = new Set(['CreateIndex', 'ModifyIndex', 'ID', 'Type', 'Target', 'Policy']);
  const fields = fieldDiffs(o ? prims(o, skip) : null, n ? prims(n, skip) : null, false);
  const policy = objectDiff('Policy', (o?.Policy as Obj | null) ?? null, (n?.Policy as Obj | null) ?? null);
  return { Type: !o ? 'Added' : !n ? 'Deleted' : 'Edited', Name: 'Scaling', Fields: fields.length ? fields : null, Objects: policy ? [policy] : null };
}

function configDiff(o: Obj | null, n: Obj | null): ObjectDiff | null {
  if (deepEqual(o, n)) return null;
  const fields = fieldDiffs(o ? flatAll(o, '') : null, n ? flatAll(n, '') : null, !!o && !!n);
  return { Type: objType(o, n, fields, []), Name: 'Config', Fields: fields.length ? fields : null, Objects: null };
}

function byName(l: unknown): Map<string, Obj> {
  return new Map(((l as Obj[] | null) ?? []).map((x) => [String(x.Name), x]));
}

const NOT_DESTRUCTIVE_OBJECTS = new Set(['Service', 'Constraint', 'Affinity', 'Spread', 'LogConfig']);

export function taskDiff(o: Obj | null, n: Obj | null, groupType: DiffType): TaskDiff {
  const name = String((n ?? o)!.Name);
  const contextualFields = false;
  const fields = fieldDiffs(o ? prims(o, new Set(['Name'])) : null, n ? prims(n, new Set(['Name'])) : null, contextualFields);
  const objects = nested(o, n, new Set());
  const type: DiffType = !o ? 'Added' : !n ? 'Deleted' : deepEqual(o, n) ? 'None' : 'Edited';
  let ann: string[] | null = null;
  if (type !== 'None') {
    if (groupType === 'Added') ann = ['forces create'];
    else if (groupType === 'Deleted') ann = ['forces destroy'];
    else {
      const destructive = type !== 'Edited'
        || fields.some((f) => f.Name !== 'KillTimeout')
        || objects.some((ob) => !NOT_DESTRUCTIVE_OBJECTS.has(ob.Name));
      ann = [destructive ? 'forces create/destroy update' : 'forces in-place update'];
    }
  }
  return { Type: type, Name: name, Fields: fields.length ? fields : null, Objects: objects.length ? objects : null, Annotations: ann };
}

export function groupDiff(o: Obj | null, n: Obj | null): TaskGroupDiff {
  const name = String((n ?? o)!.Name);
  const fields = fieldDiffs(o ? prims(o, new Set(['Name'])) : null, n ? prims(n, new Set(['Name'])) : null, false);
  const objects = nested(o, n, new Set(['Tasks']));
  const type: DiffType = !o ? 'Added' : !n ? 'Deleted' : deepEqual(o, n) ? 'None' : 'Edited';
  const count = fields.find((f) => f.Name === 'Count');
  if (count) {
    const up = Number(count.New || 0) > Number(count.Old || 0);
    count.Annotations = [up ? 'forces create' : 'forces destroy'];
  }
  const ot = byName(o?.Tasks);
  const nt = byName(n?.Tasks);
  const tasks = [...new Set([...ot.keys(), ...nt.keys()])].sort().map((t) => taskDiff(ot.get(t) ?? null, nt.get(t) ?? null, type));
  return { Type: type, Name: name, Fields: fields.length ? fields : null, Objects: objects.length ? objects : null, Tasks: tasks, Updates: null };
}

/** `existing.Diff(new, contextual=true)` as Job.Plan calls it. */
export function jobDiff(o: Obj | null, n: Obj): JobDiff {
  const fields = fieldDiffs(o ? prims(o, JOB_SKIP) : null, prims(n, JOB_SKIP), false);
  const objects = nested(o, n, JOB_SKIP);
  const og = byName(o?.TaskGroups);
  const ng = byName(n.TaskGroups);
  const groups = [...new Set([...og.keys(), ...ng.keys()])].sort().map((g) => groupDiff(og.get(g) ?? null, ng.get(g) ?? null));
  let type: DiffType = 'None';
  if (!o) type = 'Added';
  else if (fields.length || objects.length || groups.some((g) => g.Type !== 'None')) type = 'Edited';
  return { Type: type, ID: String(n.ID), Fields: fields.length ? fields : null, Objects: objects.length ? objects : null, TaskGroups: groups };
}
