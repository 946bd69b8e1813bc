// Write endpoints of the simulated Nomad: register (the canonical pipeline, EnforceIndex,
// SpecChanged, versions and indexes, warnings), deregister (stop / purge), plan (diff, the
// scheduler's annotations and failed placements) and validate, with the decode and validation error
// texts of a real agent. Every write that creates an evaluation publishes the job and the
// evaluation as two frames with one index, as the FSM commits them in two transactions.
import type { SimReply, SimRequest } from '../http.js';
import { accessor, authorize, HttpError, queryNs, text, type RouteContext } from './api-common.js';
import { canonicalizeJob } from './canonicalize.js';
import { jobDiff } from './diff.js';
import { evalEvent, evalJson, newEval } from './evals.js';
import { propagateScalingPolicyIds, storeJob } from './jobstore.js';
import { annotate } from './plan.js';
import * as S from './schema.js';
import { jobEvent, jobStatus, SIM_NODE_CLASS, specChanged } from './scheduler.js';
import { NomadState } from './state.js';
import { field, isObj, multierror, uuid, type Obj } from './util.js';
import { admissionErrors, jobWarnings, warningsText } from './validate.js';

function parseBody(req: SimRequest): Obj {
  if (req.body.length === 0) throw new HttpError(400, 'Request body is empty');
  let v: unknown;
  try {
    v = JSON.parse(req.body.toString('utf8'));
  } catch {
    const first = req.body.toString('utf8').trim()[0];
    throw new HttpError(400, first && !'{["-0123456789tfn'.includes(first) ? `invalid character '${first}' looking for beginning of value` : 'unexpected EOF');
  }
  if (!isObj(v)) throw new HttpError(400, `json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go value of type api.JobRegisterRequest`);
  return v;
}

function decodeJob(body: Obj): Obj | undefined {
  try {
    for (const [k, t] of [['EnforceIndex', 'boolean'], ['PolicyOverride', 'boolean'], ['PreserveCounts', 'boolean'], ['Diff', 'boolean'], ['JobModifyIndex', 'number']] as const) {
      const v = field(body, k);
      if (v !== undefined && v !== null && typeof v !== t) {
        throw new S.DecodeError(`json: cannot unmarshal ${typeof v === 'object' ? 'object' : typeof v} into Go struct field .${k} of type ${t === 'boolean' ? 'bool' : 'uint64'}`);
      }
    }
    S.check(S.Job, field(body, 'Job'), 'Job');
  } catch (e) {
    if (e instanceof S.DecodeError) throw new HttpError(400, e.message);
    throw e;
  }
  const job = field(body, 'Job');
  return isObj(job) ? job : undefined;
}

interface Admitted {
  job: Obj;
  ns: string;
  id: string;
  existing: Obj | undefined;
  warnings: string;
}

/** The shared front half of register and plan: decode, scope, ACL, canonicalize, validate. */
function admit(ctx: RouteContext, req: SimRequest, body: Obj, raw: Obj): Admitted {
  const ns = req.query.get('namespace') || str(field(body, 'Namespace')) || str(field(raw, 'Namespace')) || 'default';
  let region = req.query.get('region') || str(field(body, 'Region')) || str(field(raw, 'Region'));
  if (!region || region === 'global') region = ctx.region;
  authorize(ctx, req, ns, true);
  const job = canonicalizeJob(raw, { region, namespace: ns });
  job.NomadTokenID = accessor(ctx, req);
  const errs = admissionErrors(job, { namespaces: [...ctx.state.namespaces.keys()], vaultEnabled: ctx.vaultEnabled });
  if (errs.length) throw new HttpError(500, multierror(errs));
  const id = String(job.ID);
  const existing = ctx.state.job(ns, id);
  propagateScalingPolicyIds(existing, job);
  return { job, ns, id, existing, warnings: warningsText(jobWarnings(job)) };
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function register(ctx: RouteContext, req: SimRequest, pathId?: string): SimReply {
  const body = parseBody(req);
  const raw = decodeJob(body);
  if (!raw) return text(400, 'Job must be specified');
  const rawId = field(raw, 'ID');
  if (rawId === undefined || rawId === null) return text(400, "Job ID hasn't been provided");
  if (pathId !== undefined && rawId !== pathId) return text(400, 'Job ID does not match name');
  const { job, ns, id, existing, warnings } = admit(ctx, req, body, raw);
  if (field(body, 'EnforceIndex') === true) {
    const want = Number(field(body, 'JobModifyIndex') ?? 0);
    const prefix = `Enforcing job modify index ${want}`;
    if (want === 0 && existing) return text(500, `${prefix}: job already exists`);
    if (want > 0 && !existing) return text(500, `${prefix}: job does not exist`);
    if (want > 0 && existing && Number(existing.JobModifyIndex) !== want) return text(500, `${prefix}: job exists with conflicting job modify index: ${String(existing.JobModifyIndex)}`);
  }
  const { state } = ctx;
  state.writes++;
  const now = ctx.clock() * 1e6;
  if (existing && !specChanged(existing, job)) {
    const index = state.bump('evals');
    // an unchanged spec only upserts an evaluation: its raft message is an eval update
    const e = newEval(existing, 'job-register', index, now);
    state.addEval(e);
    state.publish([evalEvent(e, 'EvaluationUpdated'), ...ctx.scheduler.updateStatus(ns, id, index, 'EvaluationUpdated')]);
    state.changed();
    ctx.scheduler.evaluate(e);
    return registerReply(String(e.ID), index, Number(existing.ModifyIndex), warnings);
  }
  const index = state.bump('jobs', 'job_summary', 'evals');
  storeJob(state, job, existing, index, now);
  // the job row is written before its evaluation (upsertJobImpl, then upsertEvals at the same index)
  job.Status = jobStatus(job, state.jobAllocs(ns, id), state.jobDeployments(ns, id), state.jobEvals(ns, id));
  state.publish([jobEvent(job, 'JobRegistered')]);
  const e = newEval(job, 'job-register', index, now);
  state.addEval(e);
  state.publish([evalEvent(e, 'JobRegistered'), ...ctx.scheduler.updateStatus(ns, id, index, 'JobRegistered')]);
  state.changed();
  ctx.scheduler.evaluate(e);
  return registerReply(String(e.ID), index, index, warnings);
}

function registerReply(evalId: string, evalIndex: number, jobModifyIndex: number, warnings: string): SimReply {
  return {
    json: { EvalID: evalId, EvalCreateIndex: evalIndex, JobModifyIndex: jobModifyIndex, Warnings: warnings, Index: evalIndex, LastContact: 0, KnownLeader: false, NextToken: '' },
    headers: { 'X-Nomad-Index': String(evalIndex) },
  };
}

export function deregister(ctx: RouteContext, req: SimRequest): SimReply {
  const id = req.params.id!;
  const ns = queryNs(req);
  const rawPurge = req.query.get('purge');
  let purge = false;
  if (rawPurge !== null && rawPurge !== '') {
    const v = { true: true, '1': true, t: true, T: true, TRUE: true, True: true, false: false, '0': false, f: false, F: false, FALSE: false, False: false }[rawPurge];
    if (v === undefined) return text(500, `Failed to parse value of "purge" (${rawPurge}) as a bool: strconv.ParseBool: parsing ${JSON.stringify(rawPurge)}: invalid syntax`);
    purge = v;
  }
  authorize(ctx, req, ns, true);
  const { state } = ctx;
  state.writes++;
  const existing = state.job(ns, id);
  if (!existing) {
    return { json: { EvalID: '', EvalCreateIndex: 0, JobModifyIndex: 0, VolumeEvalID: '', VolumeEvalIndex: 0, Index: 0, LastContact: 0, KnownLeader: false, NextToken: '' }, headers: { 'X-Nomad-Index': '0' } };
  }
  const index = state.bump('jobs', 'job_summary', 'evals');
  const now = ctx.clock() * 1e6;
  const key = NomadState.key(ns, id);
  let evalJob: Obj;
  if (purge) {
    state.jobs.delete(key);
    state.versions.delete(key);
    state.summaryIndex.delete(key);
    state.queued.delete(key);
    state.publish([{ Topic: 'Job', Type: 'JobDeregistered', Key: id, Namespace: ns, FilterKeys: null, Payload: { Job: structuredClone(existing), Deleted: true } }]);
    evalJob = { ...existing, JobModifyIndex: index };
  } else {
    // the stopped job is a new version (upsertJobImpl without keepVersion)
    const stopped: Obj = structuredClone(existing);
    stopped.Stop = true;
    stopped.Version = Number(existing.Version) + 1;
    stopped.ModifyIndex = index;
    stopped.JobModifyIndex = index;
    stopped.Stable = false;
    state.jobs.set(key, stopped);
    state.pushVersion(stopped);
    ctx.scheduler.updateStatus(ns, id, index, 'JobDeregistered');
    stopped.ModifyIndex = index;
    state.publish([jobEvent(stopped, 'JobDeregistered')]);
    evalJob = stopped;
  }
  const e = newEval(evalJob, 'job-deregister', index, now);
  state.addEval(e);
  state.publish([evalEvent(e, 'JobDeregistered'), ...ctx.scheduler.updateStatus(ns, id, index, 'JobDeregistered')]);
  state.changed();
  ctx.scheduler.evaluate(e);
  return {
    json: { EvalID: e.ID, EvalCreateIndex: index, JobModifyIndex: index, VolumeEvalID: '', VolumeEvalIndex: 0, Index: index, LastContact: 0, KnownLeader: false, NextToken: '' },
    headers: { 'X-Nomad-Index': String(index) },
  };
}

export function plan(ctx: RouteContext, req: SimRequest): SimReply {
  const body = parseBody(req);
  const raw = decodeJob(body);
  if (!raw) return text(400, 'Job must be specified');
  const rawId = field(raw, 'ID');
  if (typeof rawId !== 'string' || !rawId) return text(400, 'Job must have a valid ID');
  if (rawId !== req.params.id) return text(400, 'Job ID does not match');
  const { job, existing, warnings } = admit(ctx, req, body, raw);
  const diff = field(body, 'Diff') === true ? jobDiff(existing ?? null, job) : null;
  // Job.Plan runs the scheduler on the job as register would store it
  const changed = !existing || specChanged(existing, job);
  const proposed: Obj = {
    ...job, CreateIndex: existing?.CreateIndex ?? 0, Version: existing ? Number(existing.Version) + (changed ? 1 : 0) : 0,
    JobModifyIndex: existing ? Number(existing.JobModifyIndex) + (changed ? 1 : 0) : 0, ModifyIndex: existing ? Number(existing.ModifyIndex) + (changed ? 1 : 0) : 0,
  };
  const s = ctx.scheduler.schedule(proposed);
  annotate(diff, s.desired);
  const index = existing ? Number(existing.JobModifyIndex) : 0;
  // the blocked evaluation the scheduler would create (never stored: the plan's eval is not real either)
  const created = s.failedTGAllocs
    ? [evalJson(newEval(proposed, 'queued-allocs', 0, ctx.clock() * 1e6, {
      JobModifyIndex: 0, Status: 'blocked', StatusDescription: 'created to place remaining allocations', PreviousEval: uuid(),
      FailedTGAllocs: s.failedTGAllocs, ClassEligibility: { [SIM_NODE_CLASS]: false },
    }))]
    : null;
  return {
    json: {
      Annotations: { DesiredTGUpdates: s.desired, PreemptedAllocs: null }, FailedTGAllocs: s.failedTGAllocs, JobModifyIndex: index, CreatedEvals: created, Diff: diff,
      NextPeriodicLaunch: null, Warnings: warnings, Index: index,
    },
    headers: { 'X-Nomad-Index': String(index) },
  };
}

export function validateJob(ctx: RouteContext, req: SimRequest): SimReply {
  const body = parseBody(req);
  const raw = decodeJob(body);
  if (!raw) return text(400, 'Job must be specified');
  const ns = req.query.get('namespace') || str(field(raw, 'Namespace')) || 'default';
  authorize(ctx, req, ns, false);
  let region = req.query.get('region') || str(field(raw, 'Region'));
  if (!region || region === 'global') region = ctx.region;
  const job = canonicalizeJob(raw, { region, namespace: ns });
  const errs = admissionErrors(job, { namespaces: [...ctx.state.namespaces.keys()], vaultEnabled: ctx.vaultEnabled });
  return { json: { DriverConfigValidated: true, ValidationErrors: errs.length ? errs : null, Error: errs.length ? multierror(errs) : '', Warnings: warningsText(jobWarnings(job)) } };
}
