// The Go struct layout of a stored Nomad job: field order (GET output keeps struct declaration
// order), field types (so a request is rejected the way encoding/json rejects it) and the zero
// values that GET shows for fields the request left out. Only the structs drover can produce are
// spelled out; the rest are free-form ("any") and stored as sent.
import { field, isObj, type Obj } from './util.js';

export type Scalar = 'str' | 'int' | 'dur' | 'bool' | 'strs' | 'smap' | 'any';
export interface Struct {
  go: string;
  fields: Field[];
  /** `_struct codec:",omitempty"`: zero fields are left out of the output */
  omitempty?: boolean;
}
export type Kind = Scalar | { ptr: Struct } | { list: Struct } | { ptrScalar: 'int' | 'dur' };
export interface Field {
  n: string;
  k: Kind;
  /** value used when the request leaves the field out (api Canonicalize default) */
  d?: unknown;
  /** server-set or dropped by the api→struct conversion: the request's value is ignored */
  drop?: boolean;
  /** exists only in the api struct: type-checked on input, never stored or returned */
  apiOnly?: boolean;
}

const f = (n: string, k: Kind, d?: unknown, drop?: boolean): Field => ({ n, k, d, drop });
const s = (go: string, fields: Field[], omitempty?: boolean): Struct => ({ go, fields, omitempty });

export const Constraint = s('Constraint', [f('LTarget', 'str'), f('RTarget', 'str'), f('Operand', 'str')]);
export const Affinity = s('Affinity', [f('LTarget', 'str'), f('RTarget', 'str'), f('Operand', 'str'), f('Weight', 'int', 50)]);
export const Update = s('UpdateStrategy', [
  f('Stagger', 'dur'), f('MaxParallel', 'int'), f('HealthCheck', 'str'), f('MinHealthyTime', 'dur'), f('HealthyDeadline', 'dur'),
  f('ProgressDeadline', 'dur'), f('AutoRevert', 'bool'), f('AutoPromote', 'bool'), f('Canary', 'int'),
]);
export const Migrate = s('MigrateStrategy', [f('MaxParallel', 'int'), f('HealthCheck', 'str'), f('MinHealthyTime', 'dur'), f('HealthyDeadline', 'dur')]);
export const Restart = s('RestartPolicy', [f('Attempts', 'int'), f('Interval', 'dur'), f('Delay', 'dur'), f('Mode', 'str'), f('RenderTemplates', 'bool')]);
export const Reschedule = s('ReschedulePolicy', [
  f('Attempts', 'int'), f('Interval', 'dur'), f('Delay', 'dur'), f('DelayFunction', 'str'), f('MaxDelay', 'dur'), f('Unlimited', 'bool'),
]);
export const Disk = s('EphemeralDisk', [f('Sticky', 'bool', false), f('SizeMB', 'int', 300), f('Migrate', 'bool', false)]);
export const LogConfig = s('LogConfig', [f('MaxFiles', 'int', 10), f('MaxFileSizeMB', 'int', 10), f('Disabled', 'bool', false)]);
export const Port = s('Port', [f('Label', 'str'), f('Value', 'int'), f('To', 'int'), f('HostNetwork', 'str'), f('IgnoreCollision', 'bool')], true);
export const DNS = s('DNSConfig', [f('Servers', 'strs'), f('Searches', 'strs'), f('Options', 'strs')]);
export const Network = s('NetworkResource', [
  f('Mode', 'str'), f('Device', 'str', undefined, true), f('CIDR', 'str'), f('IP', 'str'), f('Hostname', 'str'), f('MBits', 'int'),
  f('DNS', { ptr: DNS }), f('ReservedPorts', { list: Port }), f('DynamicPorts', { list: Port }),
], true);
export const Resources = s('Resources', [
  f('CPU', 'int'), f('Cores', 'int'), f('MemoryMB', 'int', 300), f('MemoryMaxMB', 'int'), f('DiskMB', 'int', undefined, true),
  f('IOPS', 'int', undefined, true), f('Networks', { list: Network }), f('Devices', 'any'), f('NUMA', 'any'), f('SecretsMB', 'int'),
]);
export const Check = s('ServiceCheck', [
  f('Name', 'str'), f('Type', 'str'), f('Command', 'str'), f('Args', 'strs'), f('Path', 'str'), f('Protocol', 'str'), f('PortLabel', 'str'),
  f('Expose', 'bool'), f('AddressMode', 'str'), f('Interval', 'dur'), f('Timeout', 'dur'), f('InitialStatus', 'str'), f('Notes', 'str'),
  f('TLSServerName', 'str'), f('TLSSkipVerify', 'bool'), f('Method', 'str'), f('Header', 'any'), f('CheckRestart', 'any'),
  f('GRPCService', 'str'), f('GRPCUseTLS', 'bool'), f('TaskName', 'str', undefined, true), f('SuccessBeforePassing', 'int'),
  f('FailuresBeforeCritical', 'int'), f('FailuresBeforeWarning', 'int'), f('Body', 'str'), f('OnUpdate', 'str'),
]);
export const Service = s('Service', [
  f('Name', 'str'), f('TaskName', 'str'), f('PortLabel', 'str'), f('AddressMode', 'str'), f('Address', 'str'), f('EnableTagOverride', 'bool'),
  f('Tags', 'strs'), f('CanaryTags', 'strs'), f('Checks', { list: Check }), f('Connect', 'any'), f('Meta', 'smap'), f('CanaryMeta', 'smap'),
  f('Weights', 'any'), f('TaggedAddresses', 'smap'), f('Namespace', 'str'), f('OnUpdate', 'str'), f('Provider', 'str'), f('Cluster', 'str'),
  f('Identity', 'any'), f('Kind', 'str'),
]);
export const Vault = s('Vault', [
  f('Role', 'str'), f('Namespace', 'str'), f('Cluster', 'str'), f('Env', 'bool', true), f('DisableFile', 'bool', false),
  f('ChangeMode', 'str', 'restart'), f('ChangeSignal', 'str', 'SIGHUP'), f('AllowTokenExpiration', 'bool', false),
  { n: 'Policies', k: 'strs', apiOnly: true },
]);
export const Template = s('Template', [
  f('SourcePath', 'str'), f('DestPath', 'str'), f('EmbeddedTmpl', 'str'), f('ChangeMode', 'str', 'restart'), f('ChangeSignal', 'str'),
  f('ChangeScript', 'any'), f('Once', 'bool'), f('Splay', 'dur', 5_000_000_000), f('Perms', 'str', '0644'), f('Uid', { ptrScalar: 'int' }),
  f('Gid', { ptrScalar: 'int' }), f('LeftDelim', 'str', '{{'), f('RightDelim', 'str', '}}'), f('Envvars', 'bool'), f('VaultGrace', 'dur'),
  f('Wait', 'any'), f('ErrMissingKey', 'bool'),
]);
export const Identity = s('WorkloadIdentity', [
  f('Name', 'str'), f('Audience', 'strs'), f('ChangeMode', 'str'), f('ChangeSignal', 'str'), f('Env', 'bool'), f('File', 'bool'),
  f('Filepath', 'str'), f('ServiceName', 'str'), f('TTL', 'dur'), f('ExtraClaims', 'any'),
]);
export const Task = s('Task', [
  f('Name', 'str'), f('Driver', 'str'), f('User', 'str'), f('Config', 'any'), f('Env', 'smap'), f('Services', { list: Service }),
  f('Vault', { ptr: Vault }), f('Secrets', 'any'), f('Consul', 'any'), f('Templates', { list: Template }), f('Constraints', { list: Constraint }),
  f('Affinities', { list: Affinity }), f('Resources', { ptr: Resources }), f('RestartPolicy', { ptr: Restart }), f('DispatchPayload', 'any'),
  f('Lifecycle', 'any'), f('Meta', 'smap'), f('KillTimeout', 'dur', 5_000_000_000), f('LogConfig', { ptr: LogConfig }), f('Artifacts', 'any'),
  f('Leader', 'bool'), f('ShutdownDelay', 'dur'), f('VolumeMounts', 'any'), f('ScalingPolicies', 'any'), f('KillSignal', 'str'), f('Kind', 'str'),
  f('CSIPluginConfig', 'any'), f('Identity', { ptr: Identity }), f('Identities', { list: Identity }), f('Actions', 'any'), f('Schedule', 'any'),
]);
export const TaskGroup = s('TaskGroup', [
  f('Name', 'str'), f('Count', 'int'), f('Update', { ptr: Update }), f('Migrate', { ptr: Migrate }), f('Constraints', { list: Constraint }),
  f('Scaling', 'any'), f('RestartPolicy', { ptr: Restart }), f('Disconnect', 'any'), f('Tasks', { list: Task }), f('EphemeralDisk', { ptr: Disk }),
  f('Meta', 'smap'), f('ReschedulePolicy', { ptr: Reschedule }), f('Affinities', { list: Affinity }), f('Spreads', 'any'),
  f('Networks', { list: Network }), f('Consul', 'any'), f('Services', { list: Service }), f('Volumes', 'any'), f('ShutdownDelay', { ptrScalar: 'dur' }),
  f('MaxRunDuration', { ptrScalar: 'dur' }), f('StopAfterClientDisconnect', { ptrScalar: 'dur' }, undefined, true),
  f('MaxClientDisconnect', { ptrScalar: 'dur' }, undefined, true), f('PreventRescheduleOnLost', 'bool', undefined, true),
]);
export const Job = s('Job', [
  f('Stop', 'bool'), f('Region', 'str'), f('Namespace', 'str'), f('ID', 'str'), f('ParentID', 'str', undefined, true), f('Name', 'str'),
  f('Type', 'str', 'service'), f('Priority', 'int', 50), f('AllAtOnce', 'bool'), f('Datacenters', 'strs'), f('NodePool', 'str'),
  f('Constraints', { list: Constraint }), f('Affinities', { list: Affinity }), f('Spreads', 'any'), f('TaskGroups', { list: TaskGroup }),
  f('Update', { ptr: Update }), f('Multiregion', 'any'), f('Periodic', 'any'), f('ParameterizedJob', 'any'), f('Dispatched', 'bool', undefined, true),
  f('DispatchIdempotencyToken', 'str', undefined, true), f('Payload', 'any'), f('Meta', 'smap'), f('ConsulNamespace', 'str', undefined, true),
  f('VaultNamespace', 'str'), f('NomadTokenID', 'str', undefined, true), f('Status', 'str', undefined, true),
  f('StatusDescription', 'str', undefined, true), f('Stable', 'bool', undefined, true), f('Version', 'int'), f('SubmitTime', 'int', undefined, true),
  f('CreateIndex', 'int', undefined, true), f('ModifyIndex', 'int', undefined, true), f('JobModifyIndex', 'int', undefined, true),
  f('UI', 'any'), f('VersionTag', 'any'),
]);
/** Job-level fields of the api struct that have no place in the stored job. */
const JOB_API_EXTRA = ['Reschedule', 'Migrate'];

/** What encoding/json reports for a value of the wrong JSON type. */
export class DecodeError extends Error {}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

function goType(k: Kind): string {
  if (typeof k === 'string') {
    return { str: 'string', int: 'int', dur: 'time.Duration', bool: 'bool', strs: '[]string', smap: 'map[string]string', any: 'interface {}' }[k];
  }
  if ('ptrScalar' in k) return k.ptrScalar === 'dur' ? 'time.Duration' : 'int';
  if ('ptr' in k) return `api.${k.ptr.go}`;
  return `[]*api.${k.list.go}`;
}

function fail(v: unknown, st: string, path: string, type: string): never {
  const val = typeof v === 'number' ? `number ${v}` : jsonKind(v);
  throw new DecodeError(`json: cannot unmarshal ${val} into Go struct field ${st}.${path} of type ${type}`);
}

function checkScalar(k: Scalar | 'int' | 'dur', v: unknown, st: string, path: string): void {
  if (v === null || v === undefined || k === 'any') return;
  const type = goType(k);
  switch (k) {
    case 'str':
      if (typeof v !== 'string') fail(v, st, path, type);
      return;
    case 'bool':
      if (typeof v !== 'boolean') fail(v, st, path, type);
      return;
    case 'int':
    case 'dur':
      if (typeof v !== 'number') throw new DecodeError(`json: cannot unmarshal ${jsonKind(v)} into Go struct field ${st}.${path} of type ${type}`);
      if (!Number.isInteger(v)) fail(v, st, path, type);
      return;
    case 'strs':
      if (!Array.isArray(v)) throw new DecodeError(`json: cannot unmarshal ${jsonKind(v)} into Go struct field ${st}.${path} of type ${type}`);
      for (const x of v) if (typeof x !== 'string' && x !== null) throw new DecodeError(`json: cannot unmarshal ${jsonKind(x)} into Go struct field ${st}.${path} of type string`);
      return;
    case 'smap':
      if (!isObj(v)) throw new DecodeError(`json: cannot unmarshal ${jsonKind(v)} into Go struct field ${st}.${path} of type ${type}`);
      for (const x of Object.values(v)) if (typeof x !== 'string') throw new DecodeError(`json: cannot unmarshal ${jsonKind(x)} into Go struct field ${st}.${path} of type string`);
  }
}

/** Type-checks a request value against a struct, like encoding/json does while decoding. */
export function check(st: Struct, v: unknown, path: string): void {
  if (v === null || v === undefined) return;
  if (!isObj(v)) throw new DecodeError(`json: cannot unmarshal ${jsonKind(v)} into Go struct field ${st.go}.${path} of type api.${st.go}`);
  for (const fl of st.fields) {
    const x = field(v, fl.n);
    const p = `${path}.${fl.n}`;
    if (typeof fl.k === 'string') checkScalar(fl.k, x, st.go, p);
    else if ('ptrScalar' in fl.k) checkScalar(fl.k.ptrScalar, x, st.go, p);
    else if ('ptr' in fl.k) check(fl.k.ptr, x, p);
    else if (x !== null && x !== undefined) {
      if (!Array.isArray(x)) throw new DecodeError(`json: cannot unmarshal ${jsonKind(x)} into Go struct field ${st.go}.${p} of type ${goType(fl.k)}`);
      for (const item of x) check(fl.k.list, item, p);
    }
  }
  if (st === Job) for (const k of JOB_API_EXTRA) check(k === 'Migrate' ? Migrate : Reschedule, field(v, k), `${path}.${k}`);
}

/** Request fields under their canonical names, nulls and unknown keys removed. */
export function normalize(st: Struct, v: unknown): Obj {
  const out: Obj = {};
  if (!isObj(v)) return out;
  for (const fl of st.fields) {
    const x = field(v, fl.n);
    if (x !== null && x !== undefined) out[fl.n] = x;
  }
  return out;
}

function zero(k: Kind): unknown {
  if (k === 'str') return '';
  if (k === 'int' || k === 'dur') return 0;
  if (k === 'bool') return false;
  return null;
}

/**
 * Builds the struct in declaration order: the request's value, else the api default, else the
 * zero value. Nested structs and lists are built the same way; empty lists and maps become null.
 */
export function build(st: Struct, v: unknown): Obj {
  const src = isObj(v) ? v : {};
  const out: Obj = {};
  for (const fl of st.fields) {
    if (fl.apiOnly) continue;
    let x = fl.drop ? undefined : field(src, fl.n);
    if (x === null || x === undefined) x = fl.d;
    if (x === undefined) x = zero(fl.k);
    else if (typeof fl.k === 'object' && 'ptr' in fl.k) x = build(fl.k.ptr, x);
    else if (typeof fl.k === 'object' && 'list' in fl.k) {
      const list = (x as unknown[]).filter((i) => i !== null).map((i) => build((fl.k as { list: Struct }).list, i));
      x = list.length ? list : null;
    } else if ((fl.k === 'strs' && Array.isArray(x) && x.length === 0) || (fl.k === 'smap' && isObj(x) && Object.keys(x).length === 0)) x = null;
    else x = structuredClone(x);
    out[fl.n] = x;
  }
  return st.omitempty ? omitEmpty(out) : out;
}

export function omitEmpty(o: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === '' || v === 0 || v === false || v === null || v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = v;
  }
  return out;
}
