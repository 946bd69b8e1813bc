// Nomad Variables in the simulated Nomad: GET /v1/vars (metadata stubs), GET/PUT/DELETE /v1/var/:path
// with `?cas=`, the 64 KiB limit, path rules, ACL path capabilities and Variable-topic events.
// Facts from Nomad 2.0.5: command/agent/variable_endpoint.go (HTTP layer, 409 with the conflicting
// variable, 204 on delete), nomad/variables_endpoint.go (ACL, validation errors wrapped twice as
// `RPC Error:: 400,…`, so the HTTP body keeps one `RPC Error:: 400,` prefix), nomad/structs/variables.go
// (maxVariableSize, validVariablePath, ValidatePath texts), nomad/state/state_store_variables.go (CAS
// rules: cas=0 means "only if absent"; a missing variable with cas>0 conflicts with a zero value).
// Lock operations (`?lock-acquire` …) are not simulated.
import type { SimReply, SimRequest } from '../http.js';
import { blocking, HttpError, policy, readHeaders, text, variableAllowed, type RouteContext } from './api-common.js';
import { NomadState, type SimVariable } from './state.js';
import { field, isObj } from './util.js';

const MAX_VARIABLE_SIZE = 65536;
const VALID_PATH = /^[a-zA-Z0-9\-_~/]{1,128}$/;
/** What Variables.Apply's double NewErrRPCCoded leaves in the body once the HTTP layer strips one. */
const RPC400 = 'RPC Error:: 400,';

type Metadata = Omit<SimVariable, 'Items'> & { Lock: null };

/** VariableMetadata; release builds (codecgen) encode the omitempty `Lock` as null. */
function metadata(v: SimVariable): Metadata {
  return { Namespace: v.Namespace, Path: v.Path, Lock: null, CreateIndex: v.CreateIndex, CreateTime: v.CreateTime, ModifyIndex: v.ModifyIndex, ModifyTime: v.ModifyTime };
}

/** structs.ValidatePath. */
export function variablePathError(path: string): string | undefined {
  if (path.length === 0) return 'variable requires path';
  if (!VALID_PATH.test(path)) return `invalid path ${JSON.stringify(path)}`;
  const parts = path.split('/');
  if (parts[0] !== 'nomad') return undefined;
  if (parts.length === 1) return '"nomad" is a reserved top-level directory path, but you may write variables to "nomad/jobs", "nomad/job-templates", "nomad/sentinel", or below';
  if (parts[1] === 'jobs' || parts[1] === 'sentinel') return undefined;
  if (parts[1] === 'job-templates' && parts.length === 3) return undefined;
  if (parts[1] === 'job-templates') return '"nomad/job-templates" is a reserved directory path, but you may write variables at the level below it, for example, "nomad/job-templates/template-name"';
  return 'only paths at "nomad/jobs" or "nomad/job-templates" and below are valid paths under the top-level "nomad" directory';
}

/** VariableItems.Size: key and value bytes. */
function itemsSize(items: Record<string, string>): number {
  let n = 0;
  for (const [k, v] of Object.entries(items)) n += Buffer.byteLength(k) + Buffer.byteLength(v);
  return n;
}

function requestNs(req: SimRequest): string {
  return req.query.get('namespace') || 'default';
}

function varKey(ns: string, path: string): string {
  return NomadState.key(ns, path);
}

function publish(ctx: RouteContext, v: Metadata, deleted: boolean): void {
  ctx.state.publish([{ Topic: 'Variable', Type: 'VariableUpdated', Key: v.Path, Namespace: v.Namespace, FilterKeys: null, Payload: { Metadata: { ...v }, Deleted: deleted } }]);
}

export function listVariables(ctx: RouteContext, req: SimRequest): Promise<SimReply> {
  const ns = requestNs(req);
  const pol = policy(ctx, req);
  const prefix = req.query.get('prefix') ?? '';
  const perPage = Number(req.query.get('per_page') ?? '0');
  const nextToken = req.query.get('next_token') ?? '';
  return blocking(ctx, req, () => {
    const tokenOf = (v: SimVariable) => `${v.Namespace}.${v.Path}`;
    let vars = [...ctx.state.variables.values()]
      .filter((v) => (ns === '*' || v.Namespace === ns) && v.Path.startsWith(prefix) && variableAllowed(pol, v.Namespace, v.Path, 'list'))
      .sort((a, b) => (a.Namespace < b.Namespace ? -1 : a.Namespace > b.Namespace ? 1 : a.Path < b.Path ? -1 : a.Path > b.Path ? 1 : 0));
    if (nextToken) vars = vars.filter((v) => tokenOf(v) >= nextToken);
    const headers: Record<string, string> = {};
    if (perPage > 0 && vars.length > perPage) {
      headers['X-Nomad-NextToken'] = tokenOf(vars[perPage]!);
      vars = vars.slice(0, perPage);
    }
    const index = ctx.state.tables.variables;
    return { index, reply: { json: vars.map(metadata), headers: readHeaders(index, headers) } };
  });
}

export function readVariable(ctx: RouteContext, req: SimRequest, path: string): Promise<SimReply> {
  const ns = requestNs(req);
  if (!variableAllowed(policy(ctx, req), ns, path, 'read')) throw new HttpError(403, 'Permission denied');
  return blocking(ctx, req, () => {
    const v = ctx.state.variables.get(varKey(ns, path));
    if (!v) {
      const index = ctx.state.tables.variables;
      return { index, reply: text(404, 'variable not found', readHeaders(index)) };
    }
    return { index: v.ModifyIndex, reply: { json: { ...metadata(v), Items: { ...v.Items } }, headers: readHeaders(v.ModifyIndex) } };
  });
}

/** `?cas=`: undefined when absent; a parse error is a 400 like parseCAS. */
function casIndex(req: SimRequest): number | undefined {
  const raw = req.query.get('cas');
  if (raw === null || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw new HttpError(400, `can not parse cas: strconv.ParseUint: parsing ${JSON.stringify(raw)}: invalid syntax`);
  return Number(raw);
}

function decodeVariable(req: SimRequest): { ns: string | undefined; items: Record<string, string> | undefined } {
  if (req.body.length === 0) throw new HttpError(400, 'Request body is empty');
  let body: unknown;
  try {
    body = JSON.parse(req.body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'unexpected EOF');
  }
  if (!isObj(body)) throw new HttpError(400, `json: cannot unmarshal ${Array.isArray(body) ? 'array' : typeof body} into Go value of type structs.VariableDecrypted`);
  const ns = field(body, 'Namespace');
  if (ns !== undefined && ns !== null && typeof ns !== 'string') throw new HttpError(400, `json: cannot unmarshal ${typeof ns} into Go struct field VariableDecrypted.VariableMetadata.Namespace of type string`);
  const rawItems = field(body, 'Items');
  if (rawItems === undefined || rawItems === null) return { ns: ns ?? undefined, items: undefined };
  if (!isObj(rawItems)) throw new HttpError(400, `json: cannot unmarshal ${Array.isArray(rawItems) ? 'array' : typeof rawItems} into Go struct field VariableDecrypted.Items of type structs.VariableItems`);
  const items: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawItems)) {
    if (typeof v !== 'string') throw new HttpError(400, `json: cannot unmarshal ${v === null ? 'null' : typeof v} into Go struct field VariableDecrypted.Items of type string`);
    items[k] = v;
  }
  return { ns: ns ?? undefined, items };
}

/**
 * A 409 with the conflicting variable (Items null when the caller may not read it, or for the zero value
 * of a missing one). The handler writes the status before the body, so Nomad sends this JSON as text/plain.
 */
function conflict(ctx: RouteContext, req: SimRequest, ns: string, path: string, existing: SimVariable | undefined): SimReply {
  const zero = { Namespace: ns, Path: path, Lock: null, CreateIndex: 0, CreateTime: 0, ModifyIndex: 0, ModifyTime: 0, Items: null };
  const body = existing && variableAllowed(policy(ctx, req), ns, path, 'read') ? { ...metadata(existing), Items: { ...existing.Items } } : existing ? { ...metadata(existing), Items: null } : zero;
  return { status: 409, text: JSON.stringify(body), headers: { 'X-Nomad-Index': String(existing?.ModifyIndex ?? 0) } };
}

export function writeVariable(ctx: RouteContext, req: SimRequest, path: string): SimReply {
  for (const op of ['lock-acquire', 'lock-release', 'lock-renew']) {
    if (req.query.has(op)) throw new HttpError(400, `the simulated Nomad does not simulate variable lock operations (${op})`);
  }
  const { ns: bodyNs, items } = decodeVariable(req);
  if (!items || Object.keys(items).length === 0) return text(400, 'variable missing required Items object');
  const cas = casIndex(req);
  // Variables.Apply: the body's Namespace wins over the request's.
  const ns = bodyNs || requestNs(req);
  if (!variableAllowed(policy(ctx, req), ns, path, 'write')) throw new HttpError(403, 'Permission denied');
  if (ns === '*') return text(400, `${RPC400}can not target wildcard ("*")namespace`);
  if (itemsSize(items) > MAX_VARIABLE_SIZE) return text(400, `${RPC400}variables are limited to 64KiB in total size`);
  const pathErr = variablePathError(path);
  if (pathErr) return text(400, `${RPC400}${pathErr}`);
  const key = varKey(ns, path);
  const existing = ctx.state.variables.get(key);
  if (cas !== undefined) {
    if (cas === 0 && existing) return conflict(ctx, req, ns, path, existing);
    if (cas !== 0 && !existing) return conflict(ctx, req, ns, path, undefined);
    if (existing && existing.ModifyIndex !== cas) return conflict(ctx, req, ns, path, existing);
  }
  const index = ctx.state.bump('variables');
  const now = ctx.clock() * 1e6;
  const v: SimVariable = {
    Namespace: ns, Path: path, CreateIndex: existing?.CreateIndex ?? index, CreateTime: existing?.CreateTime ?? now, ModifyIndex: index, ModifyTime: now, Items: { ...items },
  };
  ctx.state.variables.set(key, v);
  ctx.state.writes++;
  publish(ctx, metadata(v), false);
  ctx.state.changed();
  return { json: { ...metadata(v), Items: { ...v.Items } }, headers: { 'X-Nomad-Index': String(index) } };
}

export function deleteVariable(ctx: RouteContext, req: SimRequest, path: string): SimReply {
  const cas = casIndex(req);
  const ns = requestNs(req);
  if (!variableAllowed(policy(ctx, req), ns, path, 'destroy')) throw new HttpError(403, 'Permission denied');
  const key = varKey(ns, path);
  const existing = ctx.state.variables.get(key);
  if (cas !== undefined) {
    if (cas === 0 && existing) return conflict(ctx, req, ns, path, existing);
    if (cas !== 0 && !existing) return conflict(ctx, req, ns, path, undefined);
    if (existing && existing.ModifyIndex !== cas) return conflict(ctx, req, ns, path, existing);
  }
  const index = ctx.state.bump(...(existing ? (['variables'] as const) : []));
  if (existing) {
    ctx.state.variables.delete(key);
    ctx.state.writes++;
    publish(ctx, metadata(existing), true);
    ctx.state.changed();
  }
  return { status: 204, text: '', headers: { 'X-Nomad-Index': String(index) } };
}
