// The Consul HTTP API client (ConsulApi): agent service registration, catalog and health reads,
// KV with check-and-set / lock acquire, and sessions. Consul durations are strings ("15s").
// Retried in place: reads and idempotent writes (register/deregister, plain KV put, release,
// session renew/destroy). Never retried: cas/acquire puts and session create, whose repetition
// after an unknown outcome could change the answer or leak a second session.
import { DroverError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { nullLogger } from '../core/logger.js';
import { encodePath, HttpCore, waitParam, type ClientOptions, type Query, type Reply } from './http.js';
import type {
  ConsulApi, ConsulCatalogEntry, ConsulHealthEntry, ConsulKVPair, ConsulServiceRegistration, Indexed, QueryOpts, UpstreamObserver,
} from './types.js';

export class ConsulClient implements ConsulApi {
  private readonly core: HttpCore;

  constructor(opts: ClientOptions, observer?: UpstreamObserver, logger: Logger = nullLogger) {
    this.core = new HttpCore('consul', opts, observer, logger);
  }

  async registerService(svc: ConsulServiceRegistration, o: { replaceExistingChecks?: boolean } = {}): Promise<void> {
    await this.core.call({
      method: 'PUT', route: '/v1/agent/service/register', path: '/v1/agent/service/register', retry: true, json: svc,
      query: { 'replace-existing-checks': o.replaceExistingChecks ? 'true' : undefined },
    });
  }

  async deregisterService(id: string): Promise<void> {
    // Already gone is the outcome we wanted (and what a retried, already-applied deregister sees).
    await this.core.call({
      method: 'PUT', route: '/v1/agent/service/deregister/:id', path: `/v1/agent/service/deregister/${encodeURIComponent(id)}`, retry: true, allow: [404],
    });
  }

  async agentServices(o: { filter?: string } = {}): Promise<Record<string, ConsulServiceRegistration & { Service: string }>> {
    const r = await this.core.callJson<Record<string, ConsulServiceRegistration & { Service: string }> | null>({
      method: 'GET', route: '/v1/agent/services', path: '/v1/agent/services', retry: true, query: { filter: o.filter || undefined },
    });
    if (r.value !== null && (typeof r.value !== 'object' || Array.isArray(r.value))) throw this.shapeError('GET', '/v1/agent/services', r.reply, 'is not an object');
    return r.value ?? {};
  }

  async catalogService(name: string, o: QueryOpts = {}): Promise<Indexed<ConsulCatalogEntry[]>> {
    return this.list<ConsulCatalogEntry>('/v1/catalog/service/:name', `/v1/catalog/service/${encodeURIComponent(name)}`, o, {});
  }

  async healthService(name: string, o: QueryOpts & { passing?: boolean } = {}): Promise<Indexed<ConsulHealthEntry[]>> {
    return this.list<ConsulHealthEntry>('/v1/health/service/:name', `/v1/health/service/${encodeURIComponent(name)}`, o, { passing: o.passing ? 'true' : undefined });
  }

  async kvGet(key: string, o: QueryOpts = {}): Promise<Indexed<ConsulKVPair | null>> {
    const path = `/v1/kv/${encodePath(key)}`;
    const reply = await this.core.call({
      method: 'GET', route: '/v1/kv/:key', path, retry: true, allow: [404], signal: o.signal, query: blockingQuery(o), waitMs: blockingWait(o),
    });
    if (reply.status === 404) return { value: null, index: reply.index };
    const pairs = this.core.parseJson<ConsulKVPair[] | null>({ method: 'GET', path }, reply);
    if (pairs !== null && !Array.isArray(pairs)) throw this.shapeError('GET', path, reply, 'is not a list');
    return { value: pairs?.[0] ?? null, index: reply.index };
  }

  async kvPut(key: string, value: string, o: { cas?: number; acquire?: string; release?: string } = {}): Promise<boolean> {
    const path = `/v1/kv/${encodePath(key)}`;
    const reply = await this.core.call({
      method: 'PUT', route: '/v1/kv/:key', path, body: value,
      retry: o.cas === undefined && o.acquire === undefined,
      query: { cas: o.cas, acquire: o.acquire, release: o.release },
    });
    return this.literalBool('PUT', path, reply);
  }

  async sessionCreate(o: { name: string; ttl: string; behavior?: 'release' | 'delete'; lockDelay?: string }): Promise<string> {
    const body: Record<string, string> = { Name: o.name, TTL: o.ttl, Behavior: o.behavior ?? 'release' };
    if (o.lockDelay !== undefined) body.LockDelay = o.lockDelay;
    const r = await this.core.callJson<{ ID?: unknown }>({ method: 'PUT', route: '/v1/session/create', path: '/v1/session/create', retry: false, json: body });
    if (typeof r.value?.ID !== 'string' || r.value.ID === '') throw this.shapeError('PUT', '/v1/session/create', r.reply, 'has no session ID');
    return r.value.ID;
  }

  async sessionRenew(id: string): Promise<{ ttl: string }> {
    const path = `/v1/session/renew/${encodeURIComponent(id)}`;
    // 404 (the session is gone) stays an error: the lock holder must learn it lost the lock.
    const r = await this.core.callJson<{ TTL?: unknown }[] | null>({ method: 'PUT', route: '/v1/session/renew/:id', path, retry: true });
    const ttl = Array.isArray(r.value) ? r.value[0]?.TTL : undefined;
    if (typeof ttl !== 'string') throw this.shapeError('PUT', path, r.reply, 'has no session TTL');
    return { ttl };
  }

  async sessionDestroy(id: string): Promise<void> {
    await this.core.call({ method: 'PUT', route: '/v1/session/destroy/:id', path: `/v1/session/destroy/${encodeURIComponent(id)}`, retry: true });
  }

  async ping(o: { signal?: AbortSignal } = {}): Promise<void> {
    const r = await this.core.callJson<unknown>({ method: 'GET', route: '/v1/status/leader', path: '/v1/status/leader', retry: false, signal: o.signal });
    if (typeof r.value !== 'string' || r.value === '') {
      throw new DroverError('unavailable', 'consul GET /v1/status/leader: the cluster has no leader', { upstream: 'consul', status: r.reply.status });
    }
  }

  private async list<T>(route: string, path: string, o: QueryOpts, extra: Query): Promise<Indexed<T[]>> {
    const r = await this.core.callJson<T[] | null>({
      method: 'GET', route, path, retry: true, signal: o.signal, query: { ...blockingQuery(o), ...extra }, waitMs: blockingWait(o),
    });
    if (r.value !== null && !Array.isArray(r.value)) throw this.shapeError('GET', path, r.reply, 'is not a list');
    return { value: r.value ?? [], index: r.reply.index };
  }

  private literalBool(method: string, path: string, reply: Reply): boolean {
    const text = reply.text.trim();
    if (text === 'true') return true;
    if (text === 'false') return false;
    throw this.shapeError(method, path, reply, 'is neither true nor false');
  }

  private shapeError(method: string, path: string, reply: Reply, what: string): DroverError {
    return new DroverError('bad-response', `consul ${method} ${path}: ${reply.status} reply ${what}`, { upstream: 'consul', status: reply.status });
  }
}

/** Consul never blocks on index 0; the wait only makes sense with an index. */
function blockingQuery(o: QueryOpts): Query {
  const blocking = o.index !== undefined && o.index > 0;
  return { index: blocking ? o.index : undefined, wait: blocking ? waitParam(o.waitMs) : undefined };
}

function blockingWait(o: QueryOpts): number | undefined {
  return o.index !== undefined && o.index > 0 ? o.waitMs : undefined;
}
