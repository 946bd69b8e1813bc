// The Nomad HTTP API client (NomadApi). Region and the default namespace come from the client
// options; a call's own namespace wins. Register is never retried in place: it is guarded by
// EnforceIndex, and a retry after an unknown outcome could report a spurious conflict, so the
// controller re-reads and decides. Plan and validate are read-only and are retried.
import type { Logger } from '../core/logger.js';
import { nullLogger } from '../core/logger.js';
import { DroverError } from '../core/errors.js';
import type {
  AllocListStub, Deployment, EventFrame, JobListStub, NomadJob, NomadServiceRegistration, PlanResponse, RegisterResponse,
} from '../core/nomad-types.js';
import { eventStream } from './event-stream.js';
import { encodePath, HttpCore, waitParam, type ClientOptions, type Query } from './http.js';
import type { DeploymentUpdateResponse, Indexed, NomadApi, NomadVariable, NomadVariableMeta, QueryOpts, UpstreamObserver, VariableWriteResult } from './types.js';

/** Pages of a paginated list are followed up to this many, so a misbehaving server cannot loop us forever. */
const MAX_PAGES = 10_000;

export class NomadClient implements NomadApi {
  private readonly core: HttpCore;

  constructor(private readonly opts: ClientOptions, observer?: UpstreamObserver, private readonly logger: Logger = nullLogger) {
    this.core = new HttpCore('nomad', opts, observer, logger);
  }

  async listJobs(o: QueryOpts & { prefix?: string; meta?: boolean; filter?: string } = {}): Promise<Indexed<JobListStub[]>> {
    const jobs: JobListStub[] = [];
    let index = 0;
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      // Only the first page blocks: later pages must come back at once to form one consistent list.
      const first = page === 0;
      const r = await this.core.callJson<JobListStub[] | null>({
        method: 'GET', route: '/v1/jobs', path: '/v1/jobs', retry: true, signal: o.signal,
        query: {
          ...this.query(o.namespace, first ? o : {}),
          prefix: o.prefix || undefined, meta: o.meta ? 'true' : undefined, filter: o.filter || undefined, next_token: nextToken,
        },
        waitMs: first ? blockingWait(o) : undefined,
      });
      if (r.value !== null && !Array.isArray(r.value)) throw this.shapeError('/v1/jobs', r.reply.status, 'is not a list');
      jobs.push(...(r.value ?? []));
      if (first) index = r.reply.index;
      const header = r.reply.headers['x-nomad-nexttoken'];
      nextToken = (Array.isArray(header) ? header[0] : header) || undefined;
      if (!nextToken) return { value: jobs, index };
    }
    throw this.shapeError('/v1/jobs', 200, `kept paginating past ${MAX_PAGES} pages`);
  }

  async readJob(id: string, o: QueryOpts = {}): Promise<Indexed<NomadJob | null>> {
    const path = `/v1/job/${encodeURIComponent(id)}`;
    const reply = await this.core.call({
      method: 'GET', route: '/v1/job/:id', path, retry: true, allow: [404], signal: o.signal, query: this.query(o.namespace, o), waitMs: blockingWait(o),
    });
    if (reply.status === 404) return { value: null, index: reply.index };
    return { value: this.core.parseJson<NomadJob>({ method: 'GET', path }, reply), index: reply.index };
  }

  async registerJob(job: NomadJob, o: { namespace?: string; enforceIndex?: boolean; jobModifyIndex?: number } = {}): Promise<RegisterResponse> {
    const body: Record<string, unknown> = { Job: job };
    if (o.enforceIndex) {
      body.EnforceIndex = true;
      body.JobModifyIndex = o.jobModifyIndex ?? 0;
    }
    const r = await this.core.callJson<RegisterResponse>({
      method: 'PUT', route: '/v1/jobs', path: '/v1/jobs', retry: false, jobWrite: true, json: body, query: this.query(o.namespace ?? job.Namespace),
    });
    return r.value;
  }

  async stopJob(id: string, o: { namespace?: string; purge?: boolean } = {}): Promise<{ EvalID: string; JobModifyIndex: number; Index: number }> {
    // Stopping is idempotent: a stopped (or missing) job answers 200 again.
    const r = await this.core.callJson<{ EvalID: string; JobModifyIndex: number; Index: number }>({
      method: 'DELETE', route: '/v1/job/:id', path: `/v1/job/${encodeURIComponent(id)}`, retry: true,
      query: { ...this.query(o.namespace), purge: o.purge ? 'true' : undefined },
    });
    return r.value;
  }

  async planJob(job: NomadJob, o: { namespace?: string; diff?: boolean } = {}): Promise<PlanResponse> {
    const r = await this.core.callJson<PlanResponse>({
      method: 'PUT', route: '/v1/job/:id/plan', path: `/v1/job/${encodeURIComponent(job.ID)}/plan`, retry: true, jobWrite: true,
      json: { Job: job, Diff: o.diff ?? true }, query: this.query(o.namespace ?? job.Namespace),
    });
    return r.value;
  }

  async validateJob(job: NomadJob, o: { namespace?: string } = {}): Promise<{ ValidationErrors: string[] | null; Error: string; Warnings: string }> {
    const r = await this.core.callJson<{ ValidationErrors: string[] | null; Error: string; Warnings: string }>({
      method: 'PUT', route: '/v1/validate/job', path: '/v1/validate/job', retry: true, jobWrite: true, json: { Job: job },
      query: this.query(o.namespace ?? job.Namespace),
    });
    return r.value;
  }

  async jobAllocations(id: string, o: QueryOpts = {}): Promise<Indexed<AllocListStub[]>> {
    const r = await this.core.callJson<AllocListStub[] | null>({
      method: 'GET', route: '/v1/job/:id/allocations', path: `/v1/job/${encodeURIComponent(id)}/allocations`, retry: true,
      signal: o.signal, query: this.query(o.namespace, o), waitMs: blockingWait(o),
    });
    return { value: r.value ?? [], index: r.reply.index };
  }

  async jobDeployment(id: string, o: QueryOpts = {}): Promise<Indexed<Deployment | null>> {
    const path = `/v1/job/${encodeURIComponent(id)}/deployment`;
    const reply = await this.core.call({
      method: 'GET', route: '/v1/job/:id/deployment', path, retry: true, allow: [404], signal: o.signal, query: this.query(o.namespace, o), waitMs: blockingWait(o),
    });
    if (reply.status === 404) return { value: null, index: reply.index };
    return { value: this.core.parseJson<Deployment | null>({ method: 'GET', path }, reply), index: reply.index };
  }

  async promoteDeployment(id: string, o: { namespace?: string } = {}): Promise<DeploymentUpdateResponse> {
    // command/agent/deployment_endpoint.go: PUT or POST; the body's DeploymentID must match the path's.
    const r = await this.core.callJson<DeploymentUpdateResponse>({
      method: 'POST', route: '/v1/deployment/promote/:id', path: `/v1/deployment/promote/${encodeURIComponent(id)}`, retry: false,
      json: { DeploymentID: id, All: true }, query: this.query(o.namespace),
    });
    return r.value;
  }

  async listServiceRegistrations(name: string, o: QueryOpts = {}): Promise<Indexed<NomadServiceRegistration[]>> {
    const path = `/v1/service/${encodeURIComponent(name)}`;
    const reply = await this.core.call({
      method: 'GET', route: '/v1/service/:name', path, retry: true, allow: [404], signal: o.signal, query: this.query(o.namespace, o), waitMs: blockingWait(o),
    });
    if (reply.status === 404) return { value: [], index: reply.index };
    return { value: this.core.parseJson<NomadServiceRegistration[] | null>({ method: 'GET', path }, reply) ?? [], index: reply.index };
  }

  async listVariables(o: { prefix: string; namespace?: string; signal?: AbortSignal }): Promise<NomadVariableMeta[]> {
    const out: NomadVariableMeta[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const r = await this.core.callJson<NomadVariableMeta[] | null>({
        method: 'GET', route: '/v1/vars', path: '/v1/vars', retry: true, signal: o.signal,
        query: { ...this.query(o.namespace), prefix: o.prefix, next_token: nextToken },
      });
      if (r.value !== null && !Array.isArray(r.value)) throw this.shapeError('/v1/vars', r.reply.status, 'is not a list');
      out.push(...(r.value ?? []));
      const header = r.reply.headers['x-nomad-nexttoken'];
      nextToken = (Array.isArray(header) ? header[0] : header) || undefined;
      if (!nextToken) return out;
    }
    throw this.shapeError('/v1/vars', 200, `kept paginating past ${MAX_PAGES} pages`);
  }

  async readVariable(path: string, o: { namespace?: string; signal?: AbortSignal } = {}): Promise<NomadVariable | null> {
    const p = `/v1/var/${encodeVarPath(path)}`;
    const reply = await this.core.call({ method: 'GET', route: '/v1/var/:path', path: p, retry: true, allow: [404], signal: o.signal, query: this.query(o.namespace) });
    if (reply.status === 404) return null;
    return this.core.parseJson<NomadVariable>({ method: 'GET', path: p }, reply);
  }

  async writeVariable(v: { Namespace: string; Path: string; Items: Record<string, string> }, o: { cas?: number; signal?: AbortSignal } = {}): Promise<VariableWriteResult> {
    const p = `/v1/var/${encodeVarPath(v.Path)}`;
    // A CAS write is safe to repeat: after an unknown outcome it either applies or answers 409.
    const reply = await this.core.call({
      method: 'PUT', route: '/v1/var/:path', path: p, retry: o.cas !== undefined, allow: [409], signal: o.signal, json: v,
      query: { ...this.query(v.Namespace), cas: o.cas },
    });
    const body = this.core.parseJson<NomadVariable>({ method: 'PUT', path: p }, reply);
    return reply.status === 409 ? { ok: false, conflict: body } : { ok: true, variable: body };
  }

  async deleteVariable(path: string, o: { namespace?: string; cas?: number; signal?: AbortSignal } = {}): Promise<void> {
    const p = `/v1/var/${encodeVarPath(path)}`;
    await this.core.call({ method: 'DELETE', route: '/v1/var/:path', path: p, retry: true, allow: [404, 409], signal: o.signal, query: { ...this.query(o.namespace), cas: o.cas } });
  }

  async listNamespaces(o: { signal?: AbortSignal } = {}): Promise<string[]> {
    const r = await this.core.callJson<{ Name?: string }[] | null>({
      method: 'GET', route: '/v1/namespaces', path: '/v1/namespaces', retry: true, signal: o.signal, query: this.query(undefined),
    });
    if (r.value !== null && !Array.isArray(r.value)) throw this.shapeError('/v1/namespaces', r.reply.status, 'is not a list');
    return (r.value ?? []).map((n) => n.Name).filter((n): n is string => typeof n === 'string');
  }

  async jobEvaluations(id: string, o: QueryOpts = {}): Promise<Indexed<Record<string, unknown>[]>> {
    const r = await this.core.callJson<Record<string, unknown>[] | null>({
      method: 'GET', route: '/v1/job/:id/evaluations', path: `/v1/job/${encodeURIComponent(id)}/evaluations`, retry: true,
      signal: o.signal, query: this.query(o.namespace, o),
    });
    return { value: r.value ?? [], index: r.reply.index };
  }

  eventStream(o: { topics: string[]; namespace?: string; index?: number; signal: AbortSignal; onIndexReset?: (was: number, now: number) => void; onReconnect?: () => void; onOpen?: () => void }): AsyncIterable<EventFrame> {
    return eventStream(this.core, { ...o, namespace: o.namespace ?? this.opts.namespace, region: this.opts.region }, this.logger.child({ upstream: 'nomad' }));
  }

  async agentVersion(o: { signal?: AbortSignal } = {}): Promise<string | undefined> {
    const r = await this.core.callJson<{ config?: { Version?: { Version?: string; VersionPrerelease?: string } } } | null>({
      method: 'GET', route: '/v1/agent/self', path: '/v1/agent/self', retry: true, signal: o.signal, query: this.query(undefined),
    });
    const v = r.value?.config?.Version;
    if (!v?.Version) return undefined;
    return v.VersionPrerelease ? `${v.Version}-${v.VersionPrerelease}` : v.Version;
  }

  async ping(o: { signal?: AbortSignal } = {}): Promise<void> {
    // One attempt: readiness wants the answer now, not after backoff.
    const r = await this.core.callJson<unknown>({
      method: 'GET', route: '/v1/status/leader', path: '/v1/status/leader', retry: false, signal: o.signal, query: this.query(undefined),
    });
    if (typeof r.value !== 'string' || r.value === '') {
      throw new DroverError('unavailable', 'nomad GET /v1/status/leader: the cluster has no leader', { upstream: 'nomad', status: r.reply.status });
    }
  }

  private query(namespace: string | undefined, blocking: { index?: number; waitMs?: number } = {}): Query {
    return {
      region: this.opts.region || undefined,
      namespace: namespace ?? (this.opts.namespace || undefined),
      index: blocking.index && blocking.index > 0 ? blocking.index : undefined,
      wait: blocking.index && blocking.index > 0 ? waitParam(blocking.waitMs) : undefined,
    };
  }

  private shapeError(path: string, status: number, what: string): DroverError {
    return new DroverError('bad-response', `nomad GET ${path}: ${status} reply ${what}`, { upstream: 'nomad', status });
  }
}


/** Variable paths are `[a-zA-Z0-9-_~/]` (nomad/structs/variables.go): each segment is encoded, the slashes kept. */
function encodeVarPath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** The timeout only grows for a real blocking query (an index to wait past). */
function blockingWait(o: QueryOpts): number | undefined {
  return o.index !== undefined && o.index > 0 ? o.waitMs : undefined;
}
