// Deployment endpoints of the simulated Nomad (command/agent/deployment_endpoint.go, nomad/deployment_endpoint.go
// of 2.0.5): GET /v1/deployment/:id, POST /v1/deployment/promote/:id (`{"DeploymentID", "All" | "Groups"}`)
// and POST /v1/deployment/fail/:id, with the texts and status codes of a real agent (RPC errors are 500).
import type { SimReply, SimRequest } from '../http.js';
import { allowedNs, authorize, blocking, HttpError, queryNs, readHeaders, text, type RouteContext } from './api-common.js';
import { isActive } from './reconcile.js';
import { field, isObj } from './util.js';

export function readDeployment(ctx: RouteContext, req: SimRequest): Promise<SimReply> {
  authorize(ctx, req, queryNs(req), false);
  const allowed = allowedNs(ctx, req, false);
  return blocking(ctx, req, () => {
    const found = ctx.state.deployments.get(req.params.id!);
    // a deployment in a namespace the token cannot read is hidden, as Deployment.GetDeployment does
    const d = found && allowed(String(found.Namespace)) ? found : undefined;
    if (!d) return { index: ctx.state.tables.deployment, reply: text(404, 'deployment not found', readHeaders(ctx.state.tables.deployment)) };
    return { index: Number(d.ModifyIndex), reply: { json: d, headers: readHeaders(Number(d.ModifyIndex)) } };
  });
}

function updateReply(index: number, evalId: string, reverted?: number): SimReply {
  return {
    json: { EvalID: evalId, EvalCreateIndex: index, DeploymentModifyIndex: index, RevertedJobVersion: reverted ?? null, Index: index },
    headers: { 'X-Nomad-Index': String(index) },
  };
}

export function promoteDeployment(ctx: RouteContext, req: SimRequest): SimReply {
  const id = req.params.id!;
  if (req.body.length === 0) throw new HttpError(400, 'Request body is empty');
  let body: unknown;
  try {
    body = JSON.parse(req.body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'unexpected EOF');
  }
  if (!isObj(body)) throw new HttpError(400, 'json: cannot unmarshal array into Go value of type structs.DeploymentPromoteRequest');
  const depId = field(body, 'DeploymentID');
  if (!depId) return text(400, 'DeploymentID must be specified');
  if (depId !== id) return text(400, 'Deployment ID does not match');
  const d = ctx.state.deployments.get(id);
  if (!d) return text(500, 'deployment not found');
  authorize(ctx, req, String(d.Namespace), true);
  if (!isActive(d)) return text(500, "can't promote terminal deployment");
  const groups = field(body, 'All') === true ? undefined : ((field(body, 'Groups') as string[] | null) ?? []);
  const r = ctx.scheduler.promote(id, groups);
  if ('error' in r) return text(500, r.error);
  ctx.state.writes++;
  return updateReply(r.index, r.evalId);
}

export function failDeployment(ctx: RouteContext, req: SimRequest): SimReply {
  const id = req.params.id!;
  const d = ctx.state.deployments.get(id);
  if (!d) return text(500, 'deployment not found');
  authorize(ctx, req, String(d.Namespace), true);
  if (!isActive(d)) return text(500, "can't fail terminal deployment");
  const r = ctx.scheduler.failDeployment(id, 'Deployment marked as failed', 'DeploymentStatusUpdate');
  if (!r) return text(500, "can't fail terminal deployment");
  ctx.state.writes++;
  return updateReply(r.index, r.evalId, r.revertedTo);
}
