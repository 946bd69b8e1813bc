// Read endpoints of the simulated Nomad: job, summary, allocations, deployments, the job list
// (prefix, namespace `*`, meta, filter, pagination) and native service registrations, all as
// blocking queries with the per-table index Nomad reports.
import type { SimReply, SimRequest } from '../http.js';
import { allowedNs, authorize, blocking, HttpError, queryNs, readHeaders, text, type RouteContext } from './api-common.js';
import { compileFilter, FilterError } from './filter.js';
import { allocStub } from './scheduler.js';
import { NomadState } from './state.js';
import type { Obj } from './util.js';

function summary(ctx: RouteContext, job: Obj): Obj {
  const ns = String(job.Namespace);
  const id = String(job.ID);
  const allocs = ctx.state.jobAllocs(ns, id);
  const groups: Record<string, Obj> = {};
  for (const g of (job.TaskGroups as Obj[] | null) ?? []) {
    const mine = allocs.filter((a) => a.TaskGroup === g.Name);
    groups[String(g.Name)] = {
      Queued: ctx.state.queued.get(NomadState.key(ns, id))?.[String(g.Name)] ?? 0, Complete: mine.filter((a) => a.ClientStatus === 'complete').length, Failed: mine.filter((a) => a.ClientStatus === 'failed').length,
      Running: mine.filter((a) => a.ClientStatus === 'running').length, Starting: mine.filter((a) => a.ClientStatus === 'pending').length, Lost: mine.filter((a) => a.ClientStatus === 'lost').length, Unknown: 0,
    };
  }
  const idx = ctx.state.summaryIndex.get(NomadState.key(ns, id)) ?? { CreateIndex: job.CreateIndex, ModifyIndex: job.ModifyIndex };
  return { JobID: id, Namespace: ns, Summary: groups, Children: { Pending: 0, Running: 0, Dead: 0 }, CreateIndex: idx.CreateIndex, ModifyIndex: idx.ModifyIndex };
}

function stub(ctx: RouteContext, job: Obj, meta: boolean): Obj {
  const out: Obj = {
    ID: job.ID, ParentID: job.ParentID, Name: job.Name, Namespace: job.Namespace, Datacenters: job.Datacenters, NodePool: job.NodePool,
    Multiregion: job.Multiregion, Type: job.Type, Priority: job.Priority, Periodic: job.Periodic !== null, ParameterizedJob: job.ParameterizedJob !== null,
    Stop: job.Stop, Status: job.Status, StatusDescription: job.StatusDescription, JobSummary: summary(ctx, job), CreateIndex: job.CreateIndex,
    ModifyIndex: job.ModifyIndex, JobModifyIndex: job.JobModifyIndex, SubmitTime: job.SubmitTime,
  };
  // JobListStub.Meta is omitempty, but release builds (codecgen) encode it: null without meta=true
  out.Meta = meta ? job.Meta : null;
  return out;
}

export function listJobs(ctx: RouteContext, req: SimRequest): Promise<SimReply> {
  const ns = queryNs(req);
  const allowed = allowedNs(ctx, req, false);
  if (ns !== '*' && !allowed(ns)) throw new HttpError(403, 'Permission denied');
  const prefix = req.query.get('prefix') ?? '';
  const meta = req.query.get('meta') === 'true';
  const rawFilter = req.query.get('filter');
  let pred: ((o: unknown) => boolean) | undefined;
  if (rawFilter) {
    try {
      pred = compileFilter(rawFilter);
    } catch (e) {
      if (e instanceof FilterError) return Promise.resolve(text(400, `failed to read filter expression: ${e.message}`));
      throw e;
    }
  }
  const perPage = Number(req.query.get('per_page') ?? '0');
  const nextToken = req.query.get('next_token') ?? '';
  // paginator.StructsTokenizer WithNamespace + WithID
  const tokenOf = (j: Obj) => `${String(j.Namespace)}.${String(j.ID)}`;
  return blocking(ctx, req, () => {
    let jobs = [...ctx.state.jobs.values()]
      .filter((j) => (ns === '*' ? allowed(String(j.Namespace)) : j.Namespace === ns) && String(j.ID).startsWith(prefix))
      .sort((a, b) => String(a.Namespace).localeCompare(String(b.Namespace)) || String(a.ID).localeCompare(String(b.ID)));
    if (nextToken) jobs = jobs.filter((j) => tokenOf(j) >= nextToken);
    // the paginator evaluates the filter on the stored job, not on the stub
    if (pred) jobs = jobs.filter((j) => pred!(j));
    let stubs = jobs.map((j) => ({ job: j, stub: stub(ctx, j, meta) }));
    const headers: Record<string, string> = {};
    if (perPage > 0 && stubs.length > perPage) {
      headers['X-Nomad-NextToken'] = tokenOf(stubs[perPage]!.job);
      stubs = stubs.slice(0, perPage);
    }
    const index = Math.max(ctx.state.tables.jobs, ctx.state.tables.job_summary);
    return { index, reply: { json: stubs.map((s) => s.stub), headers: readHeaders(index, headers) } };
  });
}

export function readJob(ctx: RouteContext, req: SimRequest, what: 'job' | 'summary'): Promise<SimReply> {
  const ns = queryNs(req);
  authorize(ctx, req, ns, false);
  return blocking(ctx, req, () => {
    const job = ctx.state.job(ns, req.params.id!);
    if (!job) {
      const index = what === 'job' ? ctx.state.tables.jobs : ctx.state.tables.job_summary;
      return { index, reply: text(404, 'job not found', readHeaders(index)) };
    }
    if (what === 'summary') {
      const s = summary(ctx, job);
      return { index: Number(s.ModifyIndex), reply: { json: s, headers: readHeaders(Number(s.ModifyIndex)) } };
    }
    return { index: Number(job.ModifyIndex), reply: { json: job, headers: readHeaders(Number(job.ModifyIndex)) } };
  });
}

/** memdb lists a job's allocations and deployments by ID; `/deployment` is the one created last. */
const byId = (a: { ID?: unknown } | Obj, b: { ID?: unknown } | Obj) => (String(a.ID) < String(b.ID) ? -1 : String(a.ID) > String(b.ID) ? 1 : 0);

export function jobTable(ctx: RouteContext, req: SimRequest, what: 'allocations' | 'deployment' | 'deployments'): Promise<SimReply> {
  const ns = queryNs(req);
  authorize(ctx, req, ns, false);
  return blocking(ctx, req, () => {
    const id = req.params.id!;
    if (what === 'allocations') {
      const index = ctx.state.tables.allocs;
      return { index, reply: { json: ctx.state.jobAllocs(ns, id).slice().sort(byId).map(allocStub), headers: readHeaders(index) } };
    }
    const index = ctx.state.tables.deployment;
    const deps = ctx.state.jobDeployments(ns, id);
    return { index, reply: { json: what === 'deployment' ? (deps[0] ?? null) : deps.slice().sort(byId), headers: readHeaders(index) } };
  });
}

/** GET /v1/job/:id/versions: every stored version, newest first; 404 "job versions not found". */
export function jobVersions(ctx: RouteContext, req: SimRequest): Promise<SimReply> {
  const ns = queryNs(req);
  authorize(ctx, req, ns, false);
  const diffs = req.query.get('diffs');
  if (diffs !== null && diffs !== '' && !['true', 'false', '1', '0', 't', 'f', 'T', 'F', 'TRUE', 'FALSE', 'True', 'False'].includes(diffs)) {
    return Promise.resolve(text(500, `Failed to parse value of "diffs" (${diffs}) as a bool: strconv.ParseBool: parsing ${JSON.stringify(diffs)}: invalid syntax`));
  }
  return blocking(ctx, req, () => {
    const versions = ctx.state.versions.get(NomadState.key(ns, req.params.id!)) ?? [];
    if (versions.length === 0) {
      const index = ctx.state.tables.jobs;
      return { index, reply: text(404, 'job versions not found', readHeaders(index)) };
    }
    const index = Math.max(...versions.map((v) => Number(v.ModifyIndex)));
    return { index, reply: { json: { Versions: versions, Diffs: null, Index: index, LastContact: 0, KnownLeader: true, NextToken: '' }, headers: readHeaders(index) } };
  });
}

export function services(ctx: RouteContext, req: SimRequest, name?: string): Promise<SimReply> {
  const ns = queryNs(req);
  const allowed = allowedNs(ctx, req, false);
  if (ns !== '*' && !allowed(ns)) throw new HttpError(403, 'Permission denied');
  return blocking(ctx, req, () => {
    const index = ctx.state.tables.service_registrations;
    const inNs = (r: { Namespace: string }) => (ns === '*' ? allowed(r.Namespace) : r.Namespace === ns);
    const byId = (a: { ID: string }, b: { ID: string }) => a.ID.localeCompare(b.ID);
    if (name !== undefined) return { index, reply: { json: ctx.state.services.group(name).filter(inNs).sort(byId), headers: readHeaders(index) } };
    const regs = [...ctx.state.services.values()].filter(inNs).sort(byId);
    const byNs = new Map<string, Map<string, Set<string>>>();
    for (const r of regs) {
      const m = byNs.get(r.Namespace) ?? new Map<string, Set<string>>();
      byNs.set(r.Namespace, m);
      const tags = m.get(r.ServiceName) ?? new Set<string>();
      m.set(r.ServiceName, tags);
      for (const t of r.Tags ?? []) tags.add(t);
    }
    const json = [...byNs].map(([n, m]) => ({ Namespace: n, Services: [...m].sort().map(([s, t]) => ({ ServiceName: s, Tags: [...t].sort() })) }));
    return { index, reply: { json, headers: readHeaders(index) } };
  });
}

/** Wraps a handler so HttpError becomes the plain-text reply a real agent sends. */

/**
 * `DELETE /v1/service/:name/:id` (command/agent/service_registration_endpoint.go, nomad/service_registration_endpoint.go
 * DeleteByID): submit-job in the namespace; an unknown ID is Nomad's state error as a 500; the reply is a 200 with
 * an empty body (Content-Length 0, seen from a real 2.0.5) and the write's index. The registration's Service event follows, as for one an allocation removed.
 */
export function deleteService(ctx: RouteContext, req: SimRequest, id: string): SimReply {
  const ns = queryNs(req);
  if (!allowedNs(ctx, req, true)(ns)) throw new HttpError(403, 'Permission denied');
  if (!id) throw new HttpError(400, 'missing service id');
  const reg = ctx.state.services.get(id);
  if (!reg || reg.Namespace !== ns) throw new HttpError(500, 'service registration not found');
  ctx.state.services.delete(id);
  const index = ctx.state.bump('service_registrations');
  ctx.state.publish([{ Topic: 'Service', Type: 'ServiceDeregistration', Key: reg.ID, Namespace: reg.Namespace, FilterKeys: [reg.JobID, reg.ServiceName], Payload: { Service: reg } }]);
  return { status: 200, text: '', headers: { 'X-Nomad-Index': String(index) } };
}
