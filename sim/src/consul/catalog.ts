// HTTP routes of the simulated Consul's agent, catalog and health endpoints over the ServiceTable.
// Facts from a real 1.8.7 agent: register answers 200 with an empty body; deregistering an unknown
// service ID answers 200 too (newer agents answer 404 "Unknown service ID ..."; `deregisterUnknown404`
// selects that behaviour); /v1/agent/services carries no X-Consul-Index; an unknown service in
// catalog/health is `[]`; `?passing` keeps only entries whose every check is passing.
import type { SimServer, SimReply } from '../http.js';
import { parseJsonBody } from '../http.js';
import { block, consulHeaders } from './blocking.js';
import type { ConsulContext } from './context.js';
import { compileFilter } from './filter.js';
import { CHECK_STATUSES, parseCheck, type CheckInput, type CheckRec, type CheckStatus, type NodeRec, type ServiceInput, type ServiceRec } from './services.js';

const WEIGHTS = { Passing: 1, Warning: 1 };

export function registerCatalogRoutes(server: SimServer, ctx: ConsulContext, opts: { deregisterUnknown404: boolean }): void {
  const { services, store, guard, node } = ctx;

  server.route('PUT', '/v1/agent/service/register', guard((req) => {
    const parsed = parseRegistration(req.body);
    if (typeof parsed === 'string') return { status: 400, text: parsed };
    services.register({ name: node.name, address: node.address }, parsed, req.query.get('replace-existing-checks') === 'true' || req.query.get('replace-existing-checks') === '');
    return { status: 200, text: '' };
  }));

  server.route('PUT', '/v1/agent/service/deregister/:id', guard((req) => {
    const id = req.params.id ?? '';
    const removed = services.deregister(node.name, id);
    if (!removed && opts.deregisterUnknown404) {
      return { status: 404, text: `Unknown service ID ${JSON.stringify(id)}. Ensure that the service ID is passed, not the service name.` };
    }
    return { status: 200, text: '' };
  }));

  server.route('GET', '/v1/agent/services', guard((req) => {
    const all = services.servicesOfNode(node.name).map(agentServiceJson);
    const filter = req.query.get('filter');
    const pred = filter ? compileFilter(filter) : undefined;
    if (typeof pred === 'string') return { status: 400, text: pred };
    return { json: Object.fromEntries(all.filter((s) => !pred || pred(s)).map((s) => [s.ID, s])) };
  }));

  server.route('GET', '/v1/agent/checks', guard(() => ({
    json: Object.fromEntries(services.checksOfNode(node.name).map((c) => [c.checkId, checkJson(c, services.servicesOfNode(node.name).find((s) => s.id === c.serviceId))])),
  })));

  const ttlUpdate = (status: CheckStatus | undefined) => guard((req) => {
    let next = status;
    let output = req.query.get('note') ?? '';
    if (!next) {
      const body = parseJsonBody(req.body) as { Status?: string; Output?: string } | undefined;
      if (!body || !CHECK_STATUSES.includes(body.Status ?? '')) return { status: 400, text: `Invalid check status: '${body?.Status ?? ''}'` };
      next = body.Status as CheckStatus;
      output = body.Output ?? '';
    }
    const id = req.params.id ?? '';
    const c = services.findCheck(id, node.name);
    if (!c || c.type !== 'ttl') return { status: 500, text: `CheckID ${JSON.stringify(id)} does not have associated TTL` };
    services.setCheckStatus(id, next, output, node.name);
    return { status: 200, text: '' };
  });
  server.route('PUT', '/v1/agent/check/pass/:id', ttlUpdate('passing'));
  server.route('PUT', '/v1/agent/check/warn/:id', ttlUpdate('warning'));
  server.route('PUT', '/v1/agent/check/fail/:id', ttlUpdate('critical'));
  server.route('PUT', '/v1/agent/check/update/:id', ttlUpdate(undefined));

  server.route('GET', '/v1/catalog/services', guard(async (req) => {
    const blocked = await block(store, req, { replyIndex: () => services.index, watchIndex: () => services.index });
    if (blocked) return blocked;
    const out: Record<string, string[]> = {};
    for (const [name, tags] of [...services.serviceNames()].sort(([a], [b]) => (a < b ? -1 : 1))) out[name] = [...tags].sort();
    return { json: out, headers: consulHeaders(services.index) };
  }));

  const perService = (render: (s: ServiceRec, n: NodeRec) => Record<string, unknown>, healthy: boolean) => guard(async (req): Promise<SimReply> => {
    const name = req.params.name ?? '';
    const blocked = await block(store, req, { replyIndex: () => services.indexOf(name), watchIndex: () => services.watchIndexOf(name) });
    if (blocked) return blocked;
    const tags = req.query.getAll('tag');
    const passing = healthy && req.query.has('passing') && req.query.get('passing') !== 'false';
    const rows = services.instances(name)
      .filter((s) => tags.every((t) => s.tags.includes(t)))
      .filter((s) => !passing || services.checksFor(s).every((c) => c.status === 'passing'))
      .map((s) => render(s, services.node(s.node)!));
    return { json: rows, headers: consulHeaders(services.indexOf(name)) };
  });
  server.route('GET', '/v1/catalog/service/:name', perService((s, n) => catalogJson(s, n, ctx.node.datacenter), false));
  server.route('GET', '/v1/health/service/:name', perService((s, n) => ({
    Node: nodeJson(n, ctx.node.datacenter), Service: healthServiceJson(s), Checks: services.checksFor(s).map((c) => checkJson(c, s)),
  }), true));
}

function parseRegistration(body: Buffer): ServiceInput | string {
  const raw = parseJsonBody(body);
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return 'Request decode failed: body must be a JSON object';
  const r = raw as Record<string, unknown>;
  if (r.Tags !== undefined && r.Tags !== null && !(Array.isArray(r.Tags) && r.Tags.every((t) => typeof t === 'string'))) {
    return 'Request decode failed: json: cannot unmarshal string into Go struct field .Tags of type []string';
  }
  if (r.Port !== undefined && !Number.isInteger(r.Port)) return 'Request decode failed: json: cannot unmarshal string into Go struct field .Port of type int';
  if (typeof r.Name !== 'string' || r.Name === '') return 'Missing service name';
  const name = r.Name;
  const id = typeof r.ID === 'string' && r.ID ? r.ID : name;
  const checks: CheckInput[] = [];
  const list: [unknown, number | undefined][] = [];
  if (r.Check) list.push([r.Check, undefined]);
  if (Array.isArray(r.Checks)) r.Checks.forEach((c, i) => list.push([c, i + 1]));
  for (const [c, pos] of list) {
    const parsed = parseCheck(c, { id, name }, pos);
    if (typeof parsed === 'string') return parsed;
    checks.push(parsed);
  }
  const meta: Record<string, string> = {};
  if (r.Meta && typeof r.Meta === 'object') for (const [k, v] of Object.entries(r.Meta)) meta[k] = String(v);
  const badMeta = invalidMeta(meta);
  if (badMeta) return `Invalid Service Meta: ${badMeta}`;
  return {
    id, name, tags: (r.Tags as string[] | undefined) ?? [], address: typeof r.Address === 'string' ? r.Address : '',
    port: typeof r.Port === 'number' ? r.Port : 0, meta, checks,
  };
}

/**
 * Consul's service Meta rules (agent/structs ValidateServiceMetadata, seen on 1.8.7): keys of letters,
 * digits, `_` and `-` only, at most 128 characters, values at most 512, at most 64 pairs.
 */
function invalidMeta(meta: Record<string, string>): string | undefined {
  const pairs = Object.entries(meta);
  if (pairs.length > 64) return 'Node metadata cannot contain more than 64 key/value pairs';
  for (const [k, v] of pairs) {
    const why = k === '' ? 'Key cannot be blank' : !/^[a-zA-Z0-9_-]+$/.test(k) ? 'Key contains invalid characters'
      : k.length > 128 ? 'Key is too long (limit: 128 characters)' : v.length > 512 ? 'Value is too long (limit: 512 characters)' : undefined;
    if (why) return `Couldn't load metadata pair ('${k}', '${v}'): ${why}`;
  }
  return undefined;
}

function agentServiceJson(s: ServiceRec): Record<string, unknown> & { ID: string } {
  return { ID: s.id, Service: s.name, Tags: s.tags, Meta: s.meta, Port: s.port, Address: s.address, Weights: WEIGHTS, EnableTagOverride: false };
}

function nodeJson(n: NodeRec, dc: string): Record<string, unknown> {
  return {
    ID: n.id, Node: n.name, Address: n.address, Datacenter: dc, TaggedAddresses: { lan: n.address, lan_ipv4: n.address, wan: n.address, wan_ipv4: n.address },
    Meta: { 'consul-network-segment': '' }, CreateIndex: n.createIndex, ModifyIndex: n.modifyIndex,
  };
}

function catalogJson(s: ServiceRec, n: NodeRec, dc: string): Record<string, unknown> {
  return {
    ID: n.id, Node: n.name, Address: n.address, Datacenter: dc, TaggedAddresses: { lan: n.address, lan_ipv4: n.address, wan: n.address, wan_ipv4: n.address },
    NodeMeta: { 'consul-network-segment': '' }, ServiceKind: '', ServiceID: s.id, ServiceName: s.name, ServiceTags: s.tags,
    ServiceAddress: s.address, ServiceWeights: WEIGHTS, ServiceMeta: s.meta, ServicePort: s.port, ServiceEnableTagOverride: false,
    ServiceProxy: { MeshGateway: {}, Expose: {} }, ServiceConnect: {}, CreateIndex: s.createIndex, ModifyIndex: s.modifyIndex,
  };
}

function healthServiceJson(s: ServiceRec): Record<string, unknown> {
  return {
    ID: s.id, Service: s.name, Tags: s.tags, Address: s.address, Meta: s.meta, Port: s.port, Weights: WEIGHTS, EnableTagOverride: false,
    Proxy: { MeshGateway: {}, Expose: {} }, Connect: {}, CreateIndex: s.createIndex, ModifyIndex: s.modifyIndex,
  };
}

function checkJson(c: CheckRec, s: ServiceRec | undefined): Record<string, unknown> {
  return {
    Node: c.node, CheckID: c.checkId, Name: c.name, Status: c.status, Notes: c.notes, Output: c.output, ServiceID: c.serviceId,
    ServiceName: c.serviceName, ServiceTags: s?.tags ?? [], Type: c.type, Definition: c.definition, CreateIndex: c.createIndex, ModifyIndex: c.modifyIndex,
  };
}
