// The route table of the simulated Nomad: which handler answers which API path, with typed
// HTTP errors turned into the plain-text replies a real agent sends, and the simulator's own
// controls under /_sim/nomad/ (client status, node drivers, restart with empty state).
import type { Socket } from 'node:net';
import type { SimReply, SimRequest, SimServer } from '../http.js';
import { agentSelf, statusLeader, statusPeers } from './agent.js';
import { allowedNs, HttpError, policy, text, variableAllowed, type RouteContext } from './api-common.js';
import { deleteService, jobTable, jobVersions, listJobs, readJob, services } from './api-reads.js';
import { deregister, plan, register, validateJob } from './api-writes.js';
import { failDeployment, promoteDeployment, readDeployment } from './deployments.js';
import { jobEvaluations, readEvaluation } from './evals.js';
import { eventStream } from './events.js';
import { deleteNamespace, listNamespaces, readNamespace, upsertNamespace } from './namespaces.js';
import { deleteVariable, listVariables, readVariable, writeVariable } from './variables.js';

export type { RouteContext } from './api-common.js';

export interface SimControls {
  /** restarts with empty state; every connection but `keep` is dropped */
  restart(keep?: Socket): void;
}

function guard(fn: (req: SimRequest) => SimReply | Promise<SimReply>) {
  return async (req: SimRequest): Promise<SimReply> => {
    try {
      return await fn(req);
    } catch (e) {
      if (e instanceof HttpError) return text(e.status, e.message);
      throw e;
    }
  };
}

function jsonBody(req: SimRequest, example: string): Record<string, unknown> {
  try {
    const v = JSON.parse(req.body.toString('utf8') || '{}') as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new HttpError(400, `body must be JSON: ${example}`);
}

export function installRoutes(server: SimServer, ctx: RouteContext, controls: SimControls): void {
  const W = ['PUT', 'POST'];
  server.route(W, '/v1/jobs', guard((req) => register(ctx, req)));
  server.route('GET', '/v1/jobs', guard((req) => listJobs(ctx, req)));
  server.route(W, '/v1/validate/job', guard((req) => validateJob(ctx, req)));
  server.route(W, '/v1/job/:id/plan', guard((req) => plan(ctx, req)));
  server.route('GET', '/v1/job/:id/allocations', guard((req) => jobTable(ctx, req, 'allocations')));
  server.route('GET', '/v1/job/:id/deployment', guard((req) => jobTable(ctx, req, 'deployment')));
  server.route('GET', '/v1/job/:id/deployments', guard((req) => jobTable(ctx, req, 'deployments')));
  server.route('GET', '/v1/job/:id/evaluations', guard((req) => jobEvaluations(ctx, req)));
  server.route('GET', '/v1/job/:id/versions', guard((req) => jobVersions(ctx, req)));
  server.route('GET', '/v1/job/:id/summary', guard((req) => readJob(ctx, req, 'summary')));
  server.route(W, '/v1/job/:id', guard((req) => register(ctx, req, req.params.id)));
  server.route('GET', '/v1/job/:id', guard((req) => readJob(ctx, req, 'job')));
  server.route('DELETE', '/v1/job/:id', guard((req) => deregister(ctx, req)));
  server.route('GET', '/v1/evaluation/:id', guard((req) => readEvaluation(ctx, req)));
  server.route(W, '/v1/deployment/promote/:id', guard((req) => promoteDeployment(ctx, req)));
  server.route(W, '/v1/deployment/fail/:id', guard((req) => failDeployment(ctx, req)));
  server.route('GET', '/v1/deployment/:id', guard((req) => readDeployment(ctx, req)));
  server.route('GET', '/v1/namespaces', guard((req) => listNamespaces(ctx, req)));
  server.route(W, '/v1/namespace', guard((req) => upsertNamespace(ctx, req, undefined)));
  server.route('GET', '/v1/namespace/:name', guard((req) => readNamespace(ctx, req, req.params.name!)));
  server.route(W, '/v1/namespace/:name', guard((req) => upsertNamespace(ctx, req, req.params.name!)));
  server.route('DELETE', '/v1/namespace/:name', guard((req) => deleteNamespace(ctx, req, req.params.name!)));
  server.route('GET', '/v1/vars', guard((req) => listVariables(ctx, req)));
  server.route(['GET', 'PUT', 'POST', 'DELETE', 'PATCH'], '/v1/var/*path', guard((req) => {
    const path = req.params.path ?? '';
    if (!path) throw new HttpError(400, 'missing variable path');
    if (req.method === 'GET') return readVariable(ctx, req, path);
    if (req.method === 'PUT' || req.method === 'POST') return writeVariable(ctx, req, path);
    if (req.method === 'DELETE') return deleteVariable(ctx, req, path);
    throw new HttpError(400, 'Invalid method');
  }));
  server.route('GET', '/v1/services', guard((req) => services(ctx, req)));
  server.route('GET', '/v1/service/:name', guard((req) => services(ctx, req, req.params.name)));
  server.route('DELETE', '/v1/service/:name/:id', guard((req) => deleteService(ctx, req, req.params.id ?? '')));
  server.route('GET', '/v1/event/stream', guard((req) => {
    // validateACL: every namespace the stream covers (all of them for `*`) must be readable, or nothing is sent
    if (ctx.aclTokens) {
      const allowed = allowedNs(ctx, req, false);
      const ns = req.query.get('namespace') || 'default';
      if (!(ns === '*' ? [...ctx.state.namespaces.keys()] : [ns]).every(allowed)) throw new HttpError(403, 'Permission denied');
    }
    const pol = policy(ctx, req);
    return eventStream(ctx.state, ctx.streams, req, (e) => e.Topic !== 'Variable' || variableAllowed(pol, e.Namespace, e.Key, 'list'));
  }));
  server.route('GET', '/v1/agent/health', () => ({ json: { server: { ok: true, message: 'ok' }, client: { ok: true, message: 'ok' } } }));
  server.route('GET', '/v1/agent/self', guard(() => agentSelf(ctx)));
  server.route('GET', '/v1/status/leader', () => statusLeader());
  server.route('GET', '/v1/status/peers', () => statusPeers());

  // Simulator controls (not Nomad APIs).
  // A client reports an allocation failed, lost or running again.
  server.route('PUT', '/_sim/nomad/allocation/:id/client-status', guard((req) => {
    const status = jsonBody(req, '{"ClientStatus": "failed"}').ClientStatus;
    if (status !== 'running' && status !== 'failed' && status !== 'lost') throw new HttpError(400, 'ClientStatus must be running, failed or lost');
    if (!ctx.scheduler.setClientStatus(req.params.id ?? '', status)) throw new HttpError(404, 'allocation not found or not desired to run');
    return { json: { ID: req.params.id, ClientStatus: status } };
  }));
  // The task drivers of every node, or of one (`Node`: ID or name); blocked evaluations are retried.
  server.route(['GET'], '/_sim/nomad/nodes', () => ({ json: ctx.scheduler.nodes.map((n) => ({ ID: n.id, Name: n.name, Address: n.address, Drivers: n.drivers })) }));
  server.route(['PUT', 'POST'], '/_sim/nomad/node/drivers', guard((req) => {
    const body = jsonBody(req, '{"Drivers": ["exec", "raw_exec"], "Node": "sim-node-1"}');
    const drivers = body.Drivers;
    if (!Array.isArray(drivers) || !drivers.every((d) => typeof d === 'string' && d)) throw new HttpError(400, 'Drivers must be a list of driver names');
    if (body.Node !== undefined && typeof body.Node !== 'string') throw new HttpError(400, 'Node must be a node ID or name');
    if (!ctx.scheduler.setDrivers(drivers as string[], body.Node as string | undefined)) throw new HttpError(404, `no node ${JSON.stringify(body.Node)}`);
    return { json: ctx.scheduler.nodes.map((n) => ({ ID: n.id, Name: n.name, Drivers: n.drivers })) };
  }));
  // The agent restarts with empty state: every object gone, the raft index from 1, connections dropped.
  // The answer closes its own connection; every other one is dropped at once.
  server.route(['PUT', 'POST'], '/_sim/nomad/restart', (req) => {
    controls.restart(req.raw.socket);
    return { json: { restarted: true, index: ctx.state.raftIndex() }, headers: { Connection: 'close' } };
  });
}
