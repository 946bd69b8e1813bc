// Traefik's label decoding, as its providers apply it to Consul/Nomad service tags:
// - tags → labels: only `<prefix>…=value` tags count, the prefix is replaced by `traefik.`
//   (pkg/provider/consulcatalog/convert_types.go keeps spaces; pkg/provider/nomad/tag.go trims them);
// - labels → dynamic configuration through paerser (github.com/traefik/paerser/parser): keys split on
//   `.`, node names matched case-insensitively (the first spelling of a map key wins), every name
//   must be a field of the target struct ("field not found, node: x" otherwise, and the provider skips
//   the whole instance), `allowEmpty` structs (`tls=true`) exist when the value is `true` and are off
//   for any other value, `server` stands for the first entry of a load balancer's `servers`, slices
//   split on `,`, booleans and integers parse the way Go's strconv does, and a struct created from a
//   label gets its SetDefaults (pkg/config/dynamic/*.go).
// Only the parts of the schema a service's tags commonly use are modelled; a field outside it is
// refused as Traefik refuses an unknown one, so a test of an exotic label fails loudly rather than silently.

export type Labels = Map<string, string>;

export interface LabelDecodeResult {
  http: { routers: Map<string, Record<string, unknown>>; services: Map<string, Record<string, unknown>>; middlewares: Map<string, Record<string, unknown>> };
  tcp: { routers: Map<string, Record<string, unknown>>; services: Map<string, Record<string, unknown>>; middlewares: Map<string, Record<string, unknown>> };
  udp: { routers: Map<string, Record<string, unknown>>; services: Map<string, Record<string, unknown>> };
}

export class LabelError extends Error {}

/** consulCatalog's tagsToNeutralLabels (no trimming). */
export function consulTagsToLabels(tags: readonly string[], prefix: string): Labels {
  const out: Labels = new Map();
  for (const tag of tags) {
    if (!tag.startsWith(prefix)) continue;
    const eq = tag.indexOf('=');
    if (eq < 0) continue;
    const left = tag.slice(0, eq);
    out.set(`traefik.${left.startsWith(`${prefix}.`) ? left.slice(prefix.length + 1) : left}`, tag.slice(eq + 1));
  }
  return out;
}

/** The nomad provider's tagsToLabels (key and value trimmed). */
export function nomadTagsToLabels(tags: readonly string[], prefix: string): Labels {
  const out: Labels = new Map();
  for (const tag of tags) {
    if (!tag.startsWith(prefix)) continue;
    const eq = tag.indexOf('=');
    if (eq < 0) continue;
    const left = tag.slice(0, eq).trim();
    out.set(`traefik.${left.startsWith(`${prefix}.`) ? left.slice(prefix.length + 1) : left}`, tag.slice(eq + 1).trim());
  }
  return out;
}

// ---- schema ---------------------------------------------------------------------------------------

type Kind =
  | { t: 'string' }
  | { t: 'bool' }
  | { t: 'int' }
  | { t: 'duration'; unitMs: number }
  | { t: 'strings' }
  | { t: 'stringMap' }
  | { t: 'struct'; fields: Record<string, Field>; defaults?: () => Record<string, unknown> }
  | { t: 'map'; of: Kind }
  | { t: 'opaque' };

interface Field {
  /** the JSON name Traefik's API uses */
  json: string;
  kind: Kind;
  /** paerser `allowEmpty`: the bare label (`tls=true`) creates the struct */
  allowEmpty?: boolean;
  /** paerser `label-slice-as-struct`: `server.port` fills servers[0] */
  sliceAsStruct?: string;
  /** `label:"-"`: present in the struct, never set from labels */
  ignored?: boolean;
}

const str: Kind = { t: 'string' };
const bool: Kind = { t: 'bool' };
const int: Kind = { t: 'int' };
const strings: Kind = { t: 'strings' };
const seconds: Kind = { t: 'duration', unitMs: 1000 };
const f = (json: string, kind: Kind, extra: Partial<Field> = {}): Field => ({ json, kind, ...extra });
const struct = (fields: Field[], defaults?: () => Record<string, unknown>): Kind => ({
  t: 'struct', fields: Object.fromEntries(fields.map((x) => [x.json.toLowerCase(), x])), ...(defaults ? { defaults } : {}),
});

const domains = f('domains', { t: 'map', of: struct([f('main', str), f('sans', strings)]) });
const observability = f('observability', struct([f('accessLogs', bool), f('metrics', bool), f('tracing', bool), f('traceVerbosity', str)], () => ({ traceVerbosity: 'minimal' })));

const HTTP_ROUTER = struct([
  f('entryPoints', strings), f('middlewares', strings), f('service', str), f('rule', str), f('parentRefs', strings, { ignored: true }),
  f('ruleSyntax', str), f('priority', int), f('tls', struct([f('options', str), f('certResolver', str), domains]), { allowEmpty: true }), observability,
]);

const HEALTH_CHECK = struct([
  f('scheme', str), f('mode', str), f('path', str), f('method', str), f('status', int), f('port', int), f('interval', seconds),
  f('unhealthyInterval', seconds), f('timeout', seconds), f('hostname', str), f('followRedirects', bool), f('headers', { t: 'stringMap' }),
], () => ({ followRedirects: true, mode: 'http', interval: '30s', timeout: '5s' }));

const HTTP_SERVICE = struct([
  f('middlewares', strings),
  f('loadBalancer', struct([
    f('sticky', struct([f('cookie', struct([
      f('name', str), f('secure', bool), f('httpOnly', bool), f('sameSite', str), f('maxAge', int), f('path', str), f('domain', str),
    ], () => ({ path: '/' })))]), { allowEmpty: true }),
    f('servers', struct([f('url', str), f('weight', int), f('preservePath', bool), f('scheme', str), f('port', str)]), { sliceAsStruct: 'server' }),
    f('strategy', str), f('healthCheck', HEALTH_CHECK), f('passHostHeader', bool),
    f('responseForwarding', struct([f('flushInterval', seconds)], () => ({ flushInterval: '100ms' }))), f('serversTransport', str),
  ], () => ({ strategy: 'wrr', passHostHeader: true, responseForwarding: { flushInterval: '100ms' } }))),
  f('highestRandomWeight', { t: 'opaque' }, { ignored: true }), f('weighted', { t: 'opaque' }, { ignored: true }),
  f('mirroring', { t: 'opaque' }, { ignored: true }), f('failover', { t: 'opaque' }, { ignored: true }),
]);

const TCP_ROUTER = struct([
  f('entryPoints', strings), f('middlewares', strings), f('service', str), f('rule', str), f('ruleSyntax', str), f('priority', int),
  f('tls', struct([f('passthrough', bool), f('options', str), f('certResolver', str), domains]), { allowEmpty: true }),
]);

const TCP_SERVICE = struct([
  f('loadBalancer', struct([
    f('servers', struct([f('address', str, { ignored: true }), f('port', str), f('tls', bool)]), { sliceAsStruct: 'server' }),
    f('serversTransport', str), f('proxyProtocol', struct([f('version', int)], () => ({ version: 2 })), { allowEmpty: true }),
    f('terminationDelay', int), f('healthCheck', struct([f('port', int), f('send', str), f('expect', str), f('interval', seconds), f('unhealthyInterval', seconds), f('timeout', seconds)], () => ({ interval: '30s', timeout: '5s' })), { allowEmpty: true }),
  ])),
  f('weighted', { t: 'opaque' }, { ignored: true }),
]);

const UDP_ROUTER = struct([f('entryPoints', strings), f('service', str)]);
const UDP_SERVICE = struct([f('loadBalancer', struct([f('servers', struct([f('address', str, { ignored: true }), f('port', str)]), { sliceAsStruct: 'server' })]))]);

const ROOT = struct([
  f('http', struct([f('routers', { t: 'map', of: HTTP_ROUTER }), f('services', { t: 'map', of: HTTP_SERVICE }), f('middlewares', { t: 'map', of: { t: 'opaque' } })])),
  f('tcp', struct([f('routers', { t: 'map', of: TCP_ROUTER }), f('services', { t: 'map', of: TCP_SERVICE }), f('middlewares', { t: 'map', of: { t: 'opaque' } })])),
  f('udp', struct([f('routers', { t: 'map', of: UDP_ROUTER }), f('services', { t: 'map', of: UDP_SERVICE })])),
  f('tls', { t: 'opaque' }),
]);

// ---- node tree (paerser's DecodeToNode) -----------------------------------------------------------

interface Node {
  name: string;
  value?: string;
  children: Node[];
}

/** The filters label.DecodeConfiguration passes (pkg/config/label/label.go), matched case-insensitively. */
const FILTERS = ['traefik.http', 'traefik.tcp', 'traefik.udp', 'traefik.tls.stores.default'];

function toNodes(labels: Labels): Node | undefined {
  const keys = [...labels.keys()].filter((k) => FILTERS.some((flt) => k.length >= flt.length && k.slice(0, flt.length).toLowerCase() === flt)).sort();
  let root: Node | undefined;
  for (const key of keys) {
    const split = key.split('.');
    if (split[0] !== 'traefik') throw new LabelError(`invalid label root ${split[0]}`);
    const parts: string[] = [];
    for (const v of split) {
      if (v === '') throw new LabelError(`invalid element: ${key}`);
      if (v.startsWith('[')) throw new LabelError(`invalid leading character '[' in field name (bracket is a slice delimiter): ${v}`);
      const bracket = v.indexOf('[');
      if (v.endsWith(']') && bracket > 0) parts.push(v.slice(0, bracket), v.slice(bracket));
      else parts.push(v);
    }
    root ??= { name: 'traefik', children: [] };
    let node = root;
    for (const part of parts.slice(1)) {
      let child = node.children.find((c) => c.name.toLowerCase() === part.toLowerCase());
      if (!child) {
        child = { name: part, children: [] };
        node.children.push(child);
      }
      node = child;
    }
    node.value = labels.get(key);
  }
  return root;
}

// ---- fill (paerser's AddMetadata + Fill) ---------------------------------------------------------

function fillStruct(kind: Extract<Kind, { t: 'struct' }>, node: Node, target: Record<string, unknown>): void {
  for (const child of node.children) {
    const field = kind.fields[child.name.toLowerCase()] ?? Object.values(kind.fields).find((x) => x.sliceAsStruct === child.name.toLowerCase());
    if (!field) throw new LabelError(`field not found, node: ${child.name}`);
    if (field.ignored) continue;
    const isContainer = field.kind.t === 'struct' || field.kind.t === 'map';
    if (isContainer && child.children.length === 0 && !field.allowEmpty) {
      throw new LabelError(`${child.name} cannot be a standalone element (type ${field.kind.t === 'map' ? 'map' : `*dynamic.${field.json}`})`);
    }
    if (field.allowEmpty && child.value !== undefined && child.value !== '' && child.value.toLowerCase() !== 'true') continue; // disabled
    if (field.sliceAsStruct && field.kind.t === 'struct') {
      if (child.children.length === 0) throw new LabelError(`invalid slice: node ${child.name}`);
      const elem = newStruct(field.kind);
      fillStruct(field.kind, child, elem);
      target[field.json] = [elem];
      continue;
    }
    const value = fillValue(field.kind, child, target[field.json]);
    // `tls.domains[0].main`: a slice of structs, indexed by `[n]` nodes.
    target[field.json] = field.json === 'domains' && value instanceof Map ? [...value.values()] : value;
  }
}

function newStruct(kind: Extract<Kind, { t: 'struct' }>): Record<string, unknown> {
  return kind.defaults ? structuredClone(kind.defaults()) : {};
}

function fillValue(kind: Kind, node: Node, existing: unknown): unknown {
  const v = node.value ?? '';
  switch (kind.t) {
    case 'string':
      return v;
    case 'bool':
      return parseGoBool(v);
    case 'int':
      return parseGoInt(v);
    case 'duration':
      return parseGoDuration(v, kind.unitMs);
    case 'strings':
      return v === '' ? undefined : v.split(',').map((s) => s.trim());
    case 'stringMap': {
      const out: Record<string, string> = {};
      const walk = (n: Node, path: string) => {
        if (n.children.length === 0) out[path] = n.value ?? '';
        for (const c of n.children) walk(c, `${path}.${c.name}`);
      };
      for (const c of node.children) walk(c, c.name);
      return out;
    }
    case 'struct': {
      const target = (existing as Record<string, unknown> | undefined) ?? newStruct(kind);
      fillStruct(kind, node, target);
      return inSchemaOrder(kind, target);
    }
    case 'map': {
      const target = (existing as Map<string, unknown> | undefined) ?? new Map<string, unknown>();
      for (const child of node.children) {
        if (kind.of.t === 'struct' && child.children.length === 0) throw new LabelError(`${child.name} cannot be a standalone element (type *dynamic)`);
        target.set(child.name, fillValue(kind.of, child, undefined));
      }
      return target;
    }
    case 'opaque':
      return opaque(node);
  }
}

/** Go encodes struct fields in declaration order: the schema's order. */
function inSchemaOrder(kind: Extract<Kind, { t: 'struct' }>, target: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of Object.values(kind.fields)) if (f.json in target) out[f.json] = target[f.json];
  for (const k of Object.keys(target)) if (!(k in out)) out[k] = target[k];
  return out;
}

function opaque(node: Node): unknown {
  if (node.children.length === 0) return node.value ?? '';
  return Object.fromEntries(node.children.map((c) => [c.name, opaque(c)]));
}

/** Go's strconv.ParseBool. */
export function parseGoBool(v: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw new LabelError(`strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
}

function parseGoInt(v: string): number {
  if (!/^[+-]?\d+$/.test(v)) throw new LabelError(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** paerser's duration: a bare integer is in `unitMs`, else Go's time.ParseDuration. Returned in Go's String() form. */
function parseGoDuration(v: string, unitMs: number): string {
  let ms: number;
  if (/^-?\d+$/.test(v)) ms = Number(v) * unitMs;
  else {
    const parts = [...v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
    if (parts.length === 0 || parts.map((p) => p[0]).join('') !== v.replace(/^[+-]/, '')) throw new LabelError(`time: invalid duration ${JSON.stringify(v)}`);
    ms = parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2]!]!, 0) * (v.startsWith('-') ? -1 : 1);
  }
  return formatGoDuration(ms);
}

/** Go's time.Duration.String() for whole nanoseconds: `1m30s`, `100ms`, `0s`. */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let ns = Math.round(Math.abs(ms) * 1e6);
  if (ns < 1e3) return `${sign}${ns}ns`;
  if (ns < 1e6) return `${sign}${trim(ns / 1e3)}µs`;
  if (ns < 1e9) return `${sign}${trim(ns / 1e6)}ms`;
  const h = Math.floor(ns / 3.6e12);
  ns -= h * 3.6e12;
  const m = Math.floor(ns / 6e10);
  ns -= m * 6e10;
  const s = trim(ns / 1e9);
  return `${sign}${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}

function trim(n: number): string {
  return String(Number(n.toFixed(9)));
}

/**
 * label.DecodeConfiguration: labels → routers and services per protocol. Throws LabelError with
 * paerser's message for a label Traefik would refuse (the provider then skips the instance).
 */
export function decodeConfiguration(labels: Labels): LabelDecodeResult {
  const root = toNodes(labels);
  const conf: Record<string, unknown> = {};
  if (root) fillStruct(ROOT as Extract<Kind, { t: 'struct' }>, root, conf);
  const section = (name: string) => (conf[name] as Record<string, Map<string, Record<string, unknown>> | undefined> | undefined) ?? {};
  const maps = (name: string) => {
    const s = section(name);
    return { routers: s.routers ?? new Map(), services: s.services ?? new Map(), middlewares: s.middlewares ?? new Map() };
  };
  const udp = maps('udp');
  return { http: maps('http'), tcp: maps('tcp'), udp: { routers: udp.routers, services: udp.services } };
}

/** The provider-specific extra labels: `traefik.enable` (consulCatalog decodes it as a Go bool, nomad compares with "true"). */
export function enableFromLabels(labels: Labels, exposedByDefault: boolean, mode: 'decode' | 'equalFold'): boolean {
  let value: string | undefined;
  for (const [k, v] of labels) if (k.toLowerCase() === 'traefik.enable') value = v;
  if (value === undefined) return exposedByDefault;
  return mode === 'decode' ? parseGoBool(value) : value.toLowerCase() === 'true';
}
