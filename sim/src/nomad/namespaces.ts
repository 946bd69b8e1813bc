// The namespaces API of the simulated Nomad (command/agent/namespace_endpoint.go, nomad/namespace_endpoint.go
// of Nomad 2.0.5): list (prefix, blocking), read (404 "Namespace not found"), create or update
// (PUT/POST /v1/namespace[/:name], management only, an empty 200), delete (refused for `default` and
// for a namespace that still holds non-terminal jobs or allocations, or variables).
import { createHash } from 'node:crypto';
import type { SimReply, SimRequest } from '../http.js';
import { allowedNs, blocking, HttpError, readHeaders, requireManagement, text, type RouteContext } from './api-common.js';
import type { NomadState } from './state.js';
import { field, isObj, multierror, type Obj } from './util.js';

const VALID_NAME = /^[a-zA-Z0-9-]{1,128}$/;

/** The structs.Namespace a simulated agent returns; Hash stands in for Nomad's blake2b of the fields. */
export function namespaceObject(name: string, description: string, meta: Record<string, string> | null, createIndex: number, modifyIndex: number): Obj {
  const hash = createHash('sha256').update(JSON.stringify([name, description, meta])).digest('base64');
  return {
    Name: name, Description: description, Quota: '', Capabilities: null, NodePoolConfiguration: null, VaultConfiguration: null, ConsulConfiguration: null,
    Meta: meta && Object.keys(meta).length ? meta : null, Hash: hash, CreateIndex: createIndex, ModifyIndex: modifyIndex, RequiredExtraClaims: null, OptionalExtraClaims: null,
  };
}

/** The namespaces an agent starts with: `default` (index 1) and the configured extras. */
export function seedNamespaces(state: NomadState, names: string[]): void {
  for (const n of ['default', ...names.filter((x) => x !== 'default')]) {
    state.namespaces.set(n, namespaceObject(n, n === 'default' ? 'Default shared namespace' : '', null, 1, 1));
  }
}

export function listNamespaces(ctx: RouteContext, req: SimRequest): Promise<SimReply> {
  const allowed = allowedNs(ctx, req, false);
  const prefix = req.query.get('prefix') ?? '';
  return blocking(ctx, req, () => {
    const index = ctx.state.tables.namespaces;
    const list = [...ctx.state.namespaces.values()].filter((n) => String(n.Name).startsWith(prefix) && allowed(String(n.Name)))
      .sort((a, b) => (String(a.Name) < String(b.Name) ? -1 : 1));
    return { index, reply: { json: list, headers: readHeaders(index) } };
  });
}

export function readNamespace(ctx: RouteContext, req: SimRequest, name: string): Promise<SimReply> {
  const allowed = allowedNs(ctx, req, false);
  return blocking(ctx, req, () => {
    const n = ctx.state.namespaces.get(name);
    if (!n || !allowed(name)) return { index: ctx.state.tables.namespaces, reply: text(404, 'Namespace not found', readHeaders(ctx.state.tables.namespaces)) };
    return { index: Number(n.ModifyIndex), reply: { json: n, headers: readHeaders(Number(n.ModifyIndex)) } };
  });
}

export function upsertNamespace(ctx: RouteContext, req: SimRequest, pathName: string | undefined): SimReply {
  if (req.body.length === 0) throw new HttpError(400, 'Request body is empty');
  let body: unknown;
  try {
    body = JSON.parse(req.body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'unexpected EOF');
  }
  if (!isObj(body)) throw new HttpError(400, 'json: cannot unmarshal array into Go value of type structs.Namespace');
  const name = typeof field(body, 'Name') === 'string' ? String(field(body, 'Name')) : '';
  if (pathName !== undefined && name !== pathName) return text(400, 'Namespace name does not match request path');
  requireManagement(ctx, req);
  if (!VALID_NAME.test(name)) return text(500, `Invalid namespace ${JSON.stringify(name)}: ${multierror([`invalid name ${JSON.stringify(name)}. Must match regex ^[a-zA-Z0-9-]{1,128}$`])}`);
  const description = typeof field(body, 'Description') === 'string' ? String(field(body, 'Description')) : '';
  if (description.length > 256) return text(500, `Invalid namespace ${JSON.stringify(name)}: ${multierror(['description longer than 256'])}`);
  const rawMeta = field(body, 'Meta');
  const meta = isObj(rawMeta) ? Object.fromEntries(Object.entries(rawMeta).map(([k, v]) => [k, String(v)])) : null;
  const index = ctx.state.bump('namespaces');
  const existing = ctx.state.namespaces.get(name);
  ctx.state.namespaces.set(name, namespaceObject(name, description, meta, Number(existing?.CreateIndex ?? index), index));
  ctx.state.writes++;
  ctx.state.changed();
  return { status: 200, text: '', headers: { 'X-Nomad-Index': String(index) } };
}

export function deleteNamespace(ctx: RouteContext, req: SimRequest, name: string): SimReply {
  requireManagement(ctx, req);
  if (name === 'default') return text(500, 'can not delete default namespace');
  if (!ctx.state.namespaces.has(name)) return text(500, 'namespace not found');
  const errs: string[] = [];
  const region = ctx.region;
  if ([...ctx.state.jobs.values()].some((j) => j.Namespace === name && j.Status !== 'dead')) errs.push(`namespace ${JSON.stringify(name)} has non-terminal jobs in regions: [${region}]`);
  if ([...ctx.state.allocs.values()].some((a) => a.Namespace === name && (a.ClientStatus === 'pending' || a.ClientStatus === 'running'))) errs.push(`namespace ${JSON.stringify(name)} has non-terminal allocations in regions: [${region}]`);
  if ([...ctx.state.variables.values()].some((v) => v.Namespace === name)) errs.push(`namespace ${JSON.stringify(name)} has variables associated with it in regions: [${region}]`);
  if (errs.length) return text(500, multierror(errs));
  const index = ctx.state.bump('namespaces');
  ctx.state.namespaces.delete(name);
  ctx.state.writes++;
  ctx.state.changed();
  return { status: 200, text: '', headers: { 'X-Nomad-Index': String(index) } };
}
