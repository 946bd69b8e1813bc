// Write endpoints of the simulated Nomad: register (the canonical pipeline, EnforceIndex,
// SpecChanged, versions and indexes), deregister (stop / purge), plan (diff + annotations) and
// validate, with the decode and validation error texts of a real agent.
import type { SimReply, SimRequest } from '../http.js';
import { accessor, authorize, HttpError, queryNs, text, type RouteContext } from './api-common.js';
import { canonicalizeJob } from './canonicalize.js';
import { jobDiff } from './diff.js';
import { annotate, desiredUpdates } from './plan.js';
import * as S from './schema.js';
import { isTerminal, jobStatus } from './scheduler.js';
import { NomadState } from './state.js';
import { deepEqual, field, isObj, multierror, uuid, type Obj } from './util.js';
import { admissionErrors } from './validate.js';

const SPEC_IGNORED = ['Status', 'StatusDescription', 'Stable', 'Version', 'CreateIndex', 'ModifyIndex', 'JobModifyIndex', 'SubmitTime'];

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
}

/** The shared front half of register and plan: decode, scope, ACL, canonicalize, validate. */
function admit(ctx: RouteContext, req: SimRequest, body: Obj, raw: Obj): Admitted {
  const ns = req.query.get('namespace') || str(field(body, 'Namespace')) || str(field(raw, 'Namespace')) || 'default';
  let region = req.query.get('region') || str(field(body, 'Region')) || str(field(raw, 'Region'));
  if (!region || region === 'global') region = ctx.region;
  authorize(ctx, req, ns, true);
  const job = canonicalizeJob(raw, { region, namespace: ns });
  job.NomadTokenID = accessor(ctx, req);
  const errs = admissionErrors(job, { namespaces: ctx.namespaces, vaultEnabled: ctx.vaultEnabled });
  if (errs.length) throw new HttpError(500, multierror(errs));
  const id = String(job.ID);
  return { job, ns, id, existing: ctx.state.job(ns, id) };
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function specChanged(existing: Obj, next: Obj): boolean {
  const probe: Obj = { ...next };
  for (const k of SPEC_IGNORED) probe[k] = existing[k];
  return !deepEqual(existing, probe);
}

export function register(ctx: RouteContext, req: SimRequest, pathId?: string): SimReply {
  const body = parseBody(req);
  const raw = decodeJob(body);
  if (!raw) return text(400, 'Job must be specified');
  const rawId = field(raw, 'ID');
  if (rawId === undefined || rawId === null) return text(400, "Job ID hasn't been provided");
  if (pathId !== undefined && rawId !== pathId) return text(400, 'Job ID does not match name');
  const { job, ns, id, existing } = admit(ctx, req, body, raw);
  if (field(body, 'EnforceIndex') === true) {
    const want = Number(field(body, 'JobModifyIndex') ?? 0);
    const prefix = `Enforcing job modify index ${want}`;
    if (want === 0 && existing) return text(500, `${prefix}: job already exists`);
    if (want > 0 && !existing) return text(500, `${prefix}: job does not exist`);
    if (want > 0 && existing && Number(existing.JobModifyIndex) !== want) return text(500, `${prefix}: job exists with conflicting job modify index: ${String(existing.JobModifyIndex)}`);
  }
  const { state } = ctx;
  state.writes++;
  const evalId = uuid();
  if (existing && !specChanged(existing, job)) {
    const index = state.bump('evals');
    state.publish([evalEvent(existing, evalId, index, 'JobRegistered', 'job-register')]);
    state.changed();
    ctx.scheduler.evaluate(ns, id, evalId, existing, false);
    return registerReply(evalId, index, Number(existing.ModifyIndex));
  }
  const index = state.bump('jobs', 'job_summary', 'evals');
  const submitted = Number(job.Version ?? 0);
  job.Version = existing ? (submitted <= Number(existing.Version) ? Number(existing.Version) + 1 : submitted) : submitted;
  job.SubmitTime = ctx.clock() * 1e6;
  job.CreateIndex = existing ? existing.CreateIndex : index;
  job.ModifyIndex = index;
  job.JobModifyIndex = index;
  job.Stable = false;
  const live = jobStatus(job, state.jobAllocs(ns, id), state.jobDeployments(ns, id));
  job.Status = live === 'running' ? 'running' : 'pending';
  state.jobs.set(NomadState.key(ns, id), job);
  if (!existing) state.summaryIndex.set(NomadState.key(ns, id), { CreateIndex: index, ModifyIndex: index });
  state.publish([{ Topic: 'Job', Type: 'JobRegistered', Key: id, Namespace: ns, FilterKeys: null, Payload: { Job: structuredClone(job) } }]);
  state.publish([evalEvent(job, evalId, index, 'JobRegistered', 'job-register')]);
  state.changed();
  if (job.Stop) ctx.scheduler.stopJob(ns, id);
  else ctx.scheduler.evaluate(ns, id, evalId, existing, true);
  return registerReply(evalId, index, index);
}

function registerReply(evalId: string, evalIndex: number, jobModifyIndex: number): SimReply {
  return {
    json: { EvalID: evalId, EvalCreateIndex: evalIndex, JobModifyIndex: jobModifyIndex, Warnings: '', Index: evalIndex, LastContact: 0, KnownLeader: false, NextToken: '' },
    headers: { 'X-Nomad-Index': String(evalIndex) },
  };
}

function evalEvent(job: Obj, evalId: string, index: number, type: string, trigger: string) {
  return {
    Topic: 'Evaluation', Type: type, Key: evalId, Namespace: String(job.Namespace), FilterKeys: [String(job.ID), ''],
    Payload: { Evaluation: { ID: evalId, Namespace: job.Namespace, Priority: job.Priority, Type: job.Type, TriggeredBy: trigger, JobID: job.ID, JobModifyIndex: job.JobModifyIndex, Status: 'pending', CreateIndex: index, ModifyIndex: index } },
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
  const evalId = uuid();
  if (purge) {
    state.jobs.delete(NomadState.key(ns, id));
    state.summaryIndex.delete(NomadState.key(ns, id));
    state.publish([{ Topic: 'Job', Type: 'JobDeregistered', Key: id, Namespace: ns, FilterKeys: null, Payload: { Job: structuredClone(existing), Deleted: true } }]);
  } else {
    existing.Stop = true;
    existing.Version = Number(existing.Version) + 1;
    existing.ModifyIndex = index;
    existing.JobModifyIndex = index;
    existing.Stable = false;
    existing.Status = jobStatus(existing, state.jobAllocs(ns, id), state.jobDeployments(ns, id));
    state.publish([{ Topic: 'Job', Type: 'JobDeregistered', Key: id, Namespace: ns, FilterKeys: null, Payload: { Job: structuredClone(existing) } }]);
  }
  state.publish([evalEvent(existing, evalId, index, 'JobDeregistered', 'job-deregister')]);
  state.changed();
  ctx.scheduler.stopJob(ns, id);
  return {
    json: { EvalID: evalId, EvalCreateIndex: index, JobModifyIndex: index, VolumeEvalID: '', VolumeEvalIndex: 0, Index: index, LastContact: 0, KnownLeader: false, NextToken: '' },
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
  const { job, ns, id, existing } = admit(ctx, req, body, raw);
  const live = ctx.state.jobAllocs(ns, id).filter((a) => !isTerminal(a));
  const desired = desiredUpdates(existing, job, live);
  const diff = field(body, 'Diff') === true ? jobDiff(existing ?? null, job) : null;
  annotate(diff, desired);
  const index = existing ? Number(existing.JobModifyIndex) : 0;
  return {
    json: {
      Annotations: { DesiredTGUpdates: desired, PreemptedAllocs: null }, FailedTGAllocs: null, JobModifyIndex: index, CreatedEvals: null, Diff: diff,
      NextPeriodicLaunch: '0001-01-01T00:00:00Z', Warnings: '', Index: index,
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
  const errs = admissionErrors(job, { namespaces: ctx.namespaces, vaultEnabled: ctx.vaultEnabled });
  return { json: { DriverConfigValidated: true, ValidationErrors: errs.length ? errs : null, Error: errs.length ? multierror(errs) : '', Warnings: '' } };
}

