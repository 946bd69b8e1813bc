// The route table of the simulated Nomad: which handler answers which API path, with typed
// HTTP errors turned into the plain-text replies a real agent sends.
import type { SimReply, SimRequest, SimServer } from '../http.js';
import { allowedNs, HttpError, policy, text, variableAllowed, type RouteContext } from './api-common.js';
import { jobTable, listJobs, readJob, services } from './api-reads.js';
import { deregister, plan, register, validateJob } from './api-writes.js';
import { eventStream } from './events.js';
import { deleteVariable, listVariables, readVariable, writeVariable } from './variables.js';

export type { RouteContext } from './api-common.js';

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

export function installRoutes(server: SimServer, ctx: RouteContext): void {
  const W = ['PUT', 'POST'];
  server.route(W, '/v1/jobs', guard((req) => register(ctx, req)));
  server.route('GET', '/v1/jobs', guard((req) => listJobs(ctx, req)));
  server.route(W, '/v1/validate/job', guard((req) => validateJob(ctx, req)));
  server.route(W, '/v1/job/:id/plan', guard((req) => plan(ctx, req)));
  server.route('GET', '/v1/job/:id/allocations', guard((req) => jobTable(ctx, req, 'allocations')));
  server.route('GET', '/v1/job/:id/deployment', guard((req) => jobTable(ctx, req, 'deployment')));
  server.route('GET', '/v1/job/:id/deployments', guard((req) => jobTable(ctx, req, 'deployments')));
  server.route('GET', '/v1/job/:id/summary', guard((req) => readJob(ctx, req, 'summary')));
  server.route(W, '/v1/job/:id', guard((req) => register(ctx, req, req.params.id)));
  server.route('GET', '/v1/job/:id', guard((req) => readJob(ctx, req, 'job')));
  server.route('DELETE', '/v1/job/:id', guard((req) => deregister(ctx, req)));
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
  // Simulator control (not a Nomad API): a client reports an allocation failed, lost or running again.
  server.route('PUT', '/_sim/nomad/allocation/:id/client-status', guard((req) => {
    let status: unknown;
    try {
      status = (JSON.parse(req.body.toString('utf8') || '{}') as { ClientStatus?: unknown }).ClientStatus;
    } catch {
      throw new HttpError(400, 'body must be JSON: {"ClientStatus": "failed"}');
    }
    if (status !== 'running' && status !== 'failed' && status !== 'lost') throw new HttpError(400, 'ClientStatus must be running, failed or lost');
    if (!ctx.scheduler.setClientStatus(req.params.id ?? '', status)) throw new HttpError(404, 'allocation not found or not desired to run');
    return { json: { ID: req.params.id, ClientStatus: status } };
  }));
  server.route('GET', '/v1/event/stream', guard((req) => {
    if (ctx.aclTokens) allowedNs(ctx, req, false);
    const pol = policy(ctx, req);
    return eventStream(ctx.state, ctx.streams, req, (e) => e.Topic !== 'Variable' || variableAllowed(pol, e.Namespace, e.Key, 'list'));
  }));
  server.route('GET', '/v1/agent/health', () => ({ json: { server: { ok: true, message: 'ok' }, client: { ok: true, message: 'ok' } } }));
  server.route('GET', '/v1/status/leader', () => ({ json: '127.0.0.1:4647' }));
}

