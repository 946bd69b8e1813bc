// Rewrites ajv's errors into readable reasons attached to field paths. Patterns get a reason written for
// people (what the field accepts), looked up by the field's generic path (`[]` for any index, `*` for any key).
import type { ErrorObject } from 'ajv';
import type { Anchor, Seg } from './paths.js';

export interface FieldProblem {
  segs: Seg[];
  message: string;
  anchor?: Anchor;
  severity?: 'error' | 'warning';
}

const MAX_SHOWN = 80;

/** A value as it appears in a message: JSON-quoted (so control characters stay visible) and truncated. */
export function show(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN - 3)}...` : s;
}

const DNS_LABEL = "lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters";
const PLAIN = 'template syntax, braces, quotes, backticks, backslashes and whitespace are not allowed';
const HOST = "RFC 1123: lower-case letters, digits and '-' in dot-separated labels of at most 63 characters";
const HTTP_PATH = "it must start with '/' and contain no spaces, quotes, backticks or braces";

const PATTERN_REASONS: Record<string, (v: string) => string> = {
  'metadata.name': (v) => `${show(v)} is not a valid name (${DNS_LABEL})`,
  'metadata.namespace': (v) => `${show(v)} is not a valid namespace (${DNS_LABEL})`,
  'metadata.labels.*': (v) => `${show(v)} is not a valid label value (letters, digits, '-', '_' and '.', starting and ending with a letter or digit)`,
  'spec.image': (v) => `${show(v)} is not a valid image reference (no whitespace)`,
  'spec.pot.name': (v) => `${show(v)} is not a valid pot image name (letters, digits, '.', '_' and '-')`,
  'spec.pot.tag': (v) => `${show(v)} is not a valid pot image tag (letters, digits, '.', '_' and '-')`,
  'spec.ingress.host': (v) => `${show(v)} is not a valid hostname (${HOST})`,
  'spec.grpc.host': (v) => `${show(v)} is not a valid hostname (${HOST})`,
  'spec.ingress.path': (v) => `${show(v)} is not a valid path: ${HTTP_PATH}`,
  'spec.health.path': (v) => `${show(v)} is not a valid path: ${HTTP_PATH}`,
  'spec.ingress.entrypoints[]': (v) => `${show(v)} is not a valid entrypoint name (letters, digits, '_' and '-')`,
  'spec.grpc.entrypoint': (v) => `${show(v)} is not a valid entrypoint name (letters, digits, '_' and '-')`,
  'spec.ingress.certResolver': (v) => `${show(v)} is not a valid certificate resolver name (letters, digits, '_' and '-')`,
  'spec.grpc.certResolver': (v) => `${show(v)} is not a valid certificate resolver name (letters, digits, '_' and '-')`,
  'spec.vault.role': (v) => `${show(v)} is not a valid Vault role name (letters, digits, '_', '.' and '-')`,
  'spec.vault.policies[]': (v) => `${show(v)} is not a valid Vault policy name (letters, digits, '_', '.' and '-')`,
  'spec.vault.secrets[].path': (v) => `${show(v)} is not a plain Vault path: ${PLAIN}`,
  'spec.vault.secrets[].env.*': (v) => `${show(v)} is not a plain secret key: ${PLAIN}`,
  'spec.weave.subnet': (v) => `${show(v)} is not an IPv4 CIDR (e.g. 10.32.1.0/24)`,
  'spec.health.interval': (v) => `${show(v)} is not a duration (e.g. 10s, 1m30s)`,
  'spec.health.timeout': (v) => `${show(v)} is not a duration (e.g. 2s, 500ms)`,
  'spec.rollout.minHealthyTime': (v) => `${show(v)} is not a duration (e.g. 10s, 1m30s)`,
  'spec.rollout.healthyDeadline': (v) => `${show(v)} is not a duration (e.g. 5m, 90s)`,
  'spec.rollout.progressDeadline': (v) => `${show(v)} is not a duration (e.g. 10m, or 0 for none)`,
  'spec.service.name': (v) => `${show(v)} is not a valid service name (RFC 1123: letters, digits and '-', at most 63 characters)`,
  'spec.service.tags[]': (v) => `${show(v)} contains a line break; a tag must be one line`,
  'spec.datacenters[]': (v) => `${show(v)} is not a valid datacenter name (no whitespace)`,
};

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  null: 'empty',
};

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'empty';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${show(v)}`;
  if (typeof v === 'number') return `the number ${show(v)}`;
  if (typeof v === 'boolean') return `the boolean ${v}`;
  return typeof v;
}

/** JSON pointer → path segments, with numbers where the data at that point is a list. */
export function pointerToSegs(pointer: string, data: unknown): Seg[] {
  if (!pointer) return [];
  const segs: Seg[] = [];
  let cur: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      segs.push(Number(key));
      cur = cur[Number(key)];
    } else {
      segs.push(key);
      cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
    }
  }
  return segs;
}

/** `spec.vault.secrets[].env.*` for looking up pattern reasons: walks the schema beside the path. */
export function genericPath(segs: readonly Seg[], schema: unknown): string {
  let node = schema as Record<string, unknown> | undefined;
  let out = '';
  for (const s of segs) {
    const props = node?.properties as Record<string, Record<string, unknown>> | undefined;
    if (typeof s === 'number') {
      out += '[]';
      node = node?.items as Record<string, unknown> | undefined;
    } else if (props && Object.hasOwn(props, s)) {
      out += out ? `.${s}` : s;
      node = props[s];
    } else {
      out += '.*';
      const ap = node?.additionalProperties;
      node = ap && typeof ap === 'object' ? (ap as Record<string, unknown>) : undefined;
    }
  }
  return out;
}

function quoteHint(expected: string, v: unknown): string {
  if (expected === 'string' && (typeof v === 'number' || typeof v === 'boolean')) {
    return `; quote it to keep it as text: "${String(v)}"`;
  }
  return '';
}

/** One readable problem for one ajv error. */
export function rewriteAjvError(e: ErrorObject, data: unknown, schema: unknown): FieldProblem {
  const segs = pointerToSegs(e.instancePath, data);
  const v = e.data;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'type': {
      const expected = String(p.type).split(',')[0]!;
      return { segs, message: `must be ${TYPE_NAMES[expected] ?? expected}, not ${describe(v)}${quoteHint(expected, v)}` };
    }
    case 'enum':
      return { segs, message: `${show(v)} is not one of: ${(p.allowedValues as unknown[]).map(String).join(', ')}` };
    case 'additionalProperties': {
      const allowed = Object.keys(((e.parentSchema as Record<string, unknown>)?.properties as object) ?? {});
      return {
        segs: [...segs, String(p.additionalProperty)],
        anchor: 'key',
        message: `unknown field ${show(p.additionalProperty)}${allowed.length ? ` (known fields: ${allowed.join(', ')})` : ''}`,
      };
    }
    case 'required':
      return { segs: [...segs, String(p.missingProperty)], anchor: 'parent', message: 'is required' };
    case 'minimum':
      return { segs, message: `must be at least ${String(p.limit)}, not ${show(v)}` };
    case 'maximum':
      return { segs, message: `must be at most ${String(p.limit)}, not ${show(v)}` };
    case 'minLength':
      return { segs, message: p.limit === 1 ? 'must not be empty' : `must be at least ${String(p.limit)} characters long` };
    case 'maxLength':
      return { segs, message: `is ${String((v as string).length)} characters long; at most ${String(p.limit)} are allowed` };
    case 'minItems':
      return { segs, message: `must list at least ${String(p.limit)} item${p.limit === 1 ? '' : 's'}` };
    case 'maxItems':
      return { segs, message: `lists ${String((v as unknown[]).length)} items; at most ${String(p.limit)} are allowed` };
    case 'minProperties':
      return { segs, message: `must have at least ${String(p.limit)} entr${p.limit === 1 ? 'y' : 'ies'}` };
    case 'maxProperties':
      return { segs, message: `has more than ${String(p.limit)} entries` };
    case 'uniqueItems':
      return { segs: [...segs, Number(p.i)], message: `${show((v as unknown[])[Number(p.i)])} is listed twice (also at index ${String(p.j)})` };
    case 'pattern': {
      const reason = PATTERN_REASONS[genericPath(segs, schema)];
      return { segs, message: reason ? reason(String(v)) : `${show(v)} does not match ${String(p.pattern)}` };
    }
    default:
      return { segs, message: e.message ?? `fails ${e.keyword}` };
  }
}
