// The simulated Consul agent: agent services and checks, catalog, health, KV with session locks,
// sessions with TTL and lock-delay, blocking queries, an optional ACL token, and the ServiceSink the
// Nomad sim registers allocation services through. Speaks real HTTP on a SimServer (fault injection,
// counters, /_sim/* controls). test/contract/ holds the facts it was checked against a real agent for.
// Imports nothing of drover (the package imports nothing from src/; the lint holds it).
import type { SimHandler } from '../http.js';
import { SimServer, parseJsonBody } from '../http.js';
import type { ServiceSink, SimServiceInstance } from '../service-sink.js';
import { registerCatalogRoutes } from './catalog.js';
import type { ConsulContext } from './context.js';
import { KvTable } from './kv.js';
import { CHECK_STATUSES, ServiceTable, nodeId, type CheckStatus } from './services.js';
import { SessionTable, registerSessionRoutes } from './sessions.js';
import { registerKvRoutes } from './kv.js';
import { ConsulStore } from './store.js';

export interface ConsulSimOptions {
  /** when set, every /v1/ request except /v1/status/* needs this X-Consul-Token (403 otherwise) */
  aclToken?: string;
  /** the agent's own node (default `consul-sim`, 127.0.0.1, dc1) */
  nodeName?: string;
  nodeAddress?: string;
  datacenter?: string;
  /** a session expires after TTL × this (default 2, as a real agent) */
  sessionTtlMultiplier?: number;
  /** the smallest session TTL accepted (default 10 s, as a real agent); lower it for fast fail-over tests */
  minSessionTtlMs?: number;
  /** answer 404 for deregistering an unknown service ID, like agents newer than 1.8 (default: 200, like 1.8.7) */
  deregisterUnknown404?: boolean;
  random?: () => number;
}

export interface ConsulSim extends ServiceSink {
  readonly server: SimServer;
  readonly url: string;
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
  /** sets any check's status (what a real agent's probe would do) */
  setCheckStatus(checkId: string, status: CheckStatus, output?: string): boolean;
  /** invalidates a session now, as if its TTL ran out */
  expireSession(id: string): boolean;
  /** the current raft-like index */
  readonly index: number;
}

export function createConsulSim(opts: ConsulSimOptions = {}): ConsulSim {
  const server = new SimServer({ name: 'consul', errorForm: 'text', random: opts.random });
  const store = new ConsulStore();
  const nodeName = opts.nodeName ?? 'consul-sim';
  const ctx = {
    store,
    now: () => Date.now(),
    node: { name: nodeName, address: opts.nodeAddress ?? '127.0.0.1', id: nodeId(nodeName), datacenter: opts.datacenter ?? 'dc1' },
    guard: aclGuard(opts.aclToken),
  } as ConsulContext;
  ctx.kv = new KvTable(ctx);
  ctx.services = new ServiceTable(ctx);
  ctx.sessions = new SessionTable(ctx, { ttlMultiplier: opts.sessionTtlMultiplier ?? 2, minTtlMs: opts.minSessionTtlMs ?? 10_000 });

  registerCatalogRoutes(server, ctx, { deregisterUnknown404: opts.deregisterUnknown404 ?? false });
  registerKvRoutes(server, ctx);
  registerSessionRoutes(server, ctx);
  registerStatusRoutes(server, ctx);
  registerControlRoutes(server, ctx);

  return {
    server,
    get url() {
      return server.url;
    },
    get index() {
      return store.currentIndex;
    },
    async listen(port = 0, host = '127.0.0.1') {
      return (await server.listen(port, host)).url;
    },
    async close() {
      ctx.sessions.closeAll();
      ctx.services.closeAll();
      store.releaseAll();
      await server.close();
    },
    register: (s: SimServiceInstance) => ctx.services.registerInstance(s),
    deregister: (id: string) => ctx.services.deregisterInstance(id),
    setCheckStatus: (id, status, output = '') => ctx.services.setCheckStatus(id, status, output) !== undefined,
    expireSession: (id) => ctx.sessions.invalidate(id),
  };
}

function aclGuard(token: string | undefined): (h: SimHandler) => SimHandler {
  if (!token) return (h) => h;
  return (h) => (req) => {
    const bearer = /^Bearer\s+(.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    const given = String(req.headers['x-consul-token'] ?? '') || req.query.get('token') || bearer || '';
    if (!given) return { status: 403, text: 'Permission denied' };
    if (given !== token) return { status: 403, text: 'ACL not found' };
    return h(req);
  };
}

function registerStatusRoutes(server: SimServer, ctx: ConsulContext): void {
  const leader = `${ctx.node.address}:8300`;
  server.route('GET', '/v1/status/leader', () => ({ json: leader }));
  server.route('GET', '/v1/status/peers', () => ({ json: [leader] }));
  server.route('GET', '/v1/agent/self', ctx.guard(() => ({
    json: {
      Config: { Datacenter: ctx.node.datacenter, NodeName: ctx.node.name, NodeID: ctx.node.id, Revision: '', Server: true, Version: '1.8.7' },
      Member: { Name: ctx.node.name, Addr: ctx.node.address, Port: 8301, Tags: { dc: ctx.node.datacenter, role: 'consul' }, Status: 1 },
      Meta: {},
    },
  })));
}

/** Sim-only controls (never real Consul paths): flip a check's status, expire a session now. */
function registerControlRoutes(server: SimServer, ctx: ConsulContext): void {
  server.route('PUT', '/_sim/consul/check/:id/status', (req) => {
    const body = parseJsonBody(req.body) as { Status?: string; Output?: string } | undefined;
    const status = req.query.get('status') ?? body?.Status ?? '';
    if (!CHECK_STATUSES.includes(status)) return { status: 400, text: `status must be one of ${CHECK_STATUSES.join(', ')}` };
    const c = ctx.services.setCheckStatus(req.params.id ?? '', status as CheckStatus, body?.Output ?? '');
    return c ? { json: { CheckID: c.checkId, Status: c.status } } : { status: 404, text: `no check ${JSON.stringify(req.params.id)}` };
  });
  server.route('PUT', '/_sim/consul/session/:id/expire', (req) =>
    ctx.sessions.invalidate(req.params.id ?? '') ? { json: true } : { status: 404, text: `no session ${JSON.stringify(req.params.id)}` });
}
