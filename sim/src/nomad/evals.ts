// Evaluations in the simulated Nomad: the structs.Evaluation shape (field order as Nomad encodes it),
// the events their changes publish, and GET /v1/job/:id/evaluations and /v1/evaluation/:id.
import type { NomadEvent } from './types.js';
import type { SimReply, SimRequest } from '../http.js';
import { authorize, blocking, queryNs, readHeaders, text, type RouteContext } from './api-common.js';
import { uuid, type Obj } from './util.js';

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export function newEval(job: Obj, triggeredBy: string, index: number, nowNs: number, extra: Obj = {}): Obj {
  return {
    ID: uuid(), Namespace: job.Namespace, Priority: job.Priority, Type: job.Type, TriggeredBy: triggeredBy, JobID: job.ID,
    JobModifyIndex: job.JobModifyIndex, NodeID: '', NodeModifyIndex: 0, DeploymentID: '', Status: 'pending', StatusDescription: '',
    Wait: 0, WaitUntil: ZERO_TIME, NextEval: '', PreviousEval: '', BlockedEval: '', RelatedEvals: null, FailedTGAllocs: null,
    PlanAnnotations: null, ClassEligibility: null, QuotaLimitReached: '', MissingNonNodeResources: null, EscapedComputedClass: false,
    AnnotatePlan: false, QueuedAllocations: null, LeaderACL: '', SnapshotIndex: 0, CreateIndex: index, ModifyIndex: index,
    CreateTime: nowNs, ModifyTime: nowNs, ...extra,
  };
}

/**
 * An evaluation as Nomad 2.0.5 encodes it, in the API and in events alike: zero-valued fields are left
 * out (empty strings, zeros, false, null, the zero time, empty maps), the rest in struct order.
 */
export function evalJson(e: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(e)) {
    if (v === '' || v === 0 || v === false || v === null || v === undefined || v === ZERO_TIME) continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[k] = structuredClone(v);
  }
  return out;
}

/** Evaluation-topic event: Key is the eval ID, FilterKeys [JobID, DeploymentID]. */
export function evalEvent(e: Obj, type: string): Omit<NomadEvent, 'Index'> {
  return { Topic: 'Evaluation', Type: type, Key: String(e.ID), Namespace: String(e.Namespace), FilterKeys: [String(e.JobID), String(e.DeploymentID ?? '')], Payload: { Evaluation: evalJson(e) } };
}

export const isTerminalEval = (e: Obj): boolean => e.Status === 'complete' || e.Status === 'failed' || e.Status === 'canceled';

export function jobEvaluations(ctx: RouteContext, req: SimRequest): Promise<SimReply> {
  const ns = queryNs(req);
  authorize(ctx, req, ns, false);
  return blocking(ctx, req, () => {
    const index = ctx.state.tables.evals;
    // memdb's job index lists a job's evaluations by ID
    const evals = ctx.state.jobEvals(ns, req.params.id!).slice().sort((a, b) => (String(a.ID) < String(b.ID) ? -1 : 1));
    return { index, reply: { json: evals.map(evalJson), headers: readHeaders(index) } };
  });
}

export function readEvaluation(ctx: RouteContext, req: SimRequest): Promise<SimReply> {
  const ns = queryNs(req);
  authorize(ctx, req, ns, false);
  return blocking(ctx, req, () => {
    const e = ctx.state.evals.get(req.params.id!);
    if (!e) return { index: ctx.state.tables.evals, reply: text(404, 'eval not found', readHeaders(ctx.state.tables.evals)) };
    return { index: Number(e.ModifyIndex), reply: { json: evalJson(e), headers: readHeaders(Number(e.ModifyIndex)) } };
  });
}
