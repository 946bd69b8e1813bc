// The Traefik API client (TraefikApi): read-only, for the route check. Traefik's API has no token
// and no index; every read is retried in place like any other GET. A router or service that does
// not exist is `null`, not an error (Traefik answers 404 `{"message":"router not found: x"}`).
// Lists are paged by Traefik (100 per page, `X-Next-Page`); listRouters follows the pages.
// `GET /api/rawdata` returns every router and service in one reply: one call per verification round
// for all apps, where per-name reads cost two calls per router.
import type { Config } from '../config.js';
import { DroverError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { nullLogger } from '../core/logger.js';
import type { ExpectedRouter, TraefikRawData, TraefikRouterInfo, TraefikServiceInfo, TraefikView } from '../core/route-verify.js';
import { viewFromRawData } from '../core/route-verify.js';
import { HttpCore, type ClientOptions, type Reply } from './http.js';
import type { UpstreamObserver } from './types.js';

export type TraefikProtocol = 'http' | 'tcp';

/** A router as the list and item endpoints represent it: the runtime info plus its qualified name. */
export type TraefikRouter = TraefikRouterInfo & { name: string; provider: string; priorityStr?: string };
export type TraefikService = TraefikServiceInfo & { name: string; provider: string; type?: string };

export interface TraefikApi {
  /** `GET /api/rawdata`: the whole runtime configuration */
  rawData(opts?: { signal?: AbortSignal }): Promise<TraefikRawData>;
  /** the route check's view, from rawdata */
  view(opts?: { signal?: AbortSignal }): Promise<TraefikView>;
  /** the route check's view of just these routers and their services, by per-name reads */
  viewOf(expected: readonly ExpectedRouter[], opts?: { signal?: AbortSignal }): Promise<TraefikView>;
  router(protocol: TraefikProtocol, qualifiedName: string, opts?: { signal?: AbortSignal }): Promise<TraefikRouter | null>;
  service(protocol: TraefikProtocol, qualifiedName: string, opts?: { signal?: AbortSignal }): Promise<TraefikService | null>;
  /** every router of a protocol (all pages), optionally Traefik's `search` filter */
  listRouters(protocol: TraefikProtocol, opts?: { search?: string; signal?: AbortSignal }): Promise<TraefikRouter[]>;
  /** `GET /api/version`: a cheap probe that the API answers */
  ping(opts?: { signal?: AbortSignal }): Promise<void>;
}

const MAX_PAGES = 1000;

export class TraefikClient implements TraefikApi {
  private readonly core: HttpCore;

  constructor(opts: ClientOptions, observer?: UpstreamObserver, logger: Logger = nullLogger) {
    this.core = new HttpCore('traefik', opts, observer, logger);
  }

  async rawData(o: { signal?: AbortSignal } = {}): Promise<TraefikRawData> {
    const r = await this.core.callJson<TraefikRawData>({ method: 'GET', route: '/api/rawdata', path: '/api/rawdata', retry: true, signal: o.signal });
    if (!isObject(r.value)) throw this.shapeError('/api/rawdata', r.reply, 'is not an object');
    for (const k of ['routers', 'services', 'tcpRouters', 'tcpServices'] as const) {
      if (r.value[k] !== undefined && !isObject(r.value[k])) throw this.shapeError('/api/rawdata', r.reply, `has a ${k} that is not an object`);
    }
    return r.value;
  }

  async view(o: { signal?: AbortSignal } = {}): Promise<TraefikView> {
    return viewFromRawData(await this.rawData(o));
  }

  async viewOf(expected: readonly ExpectedRouter[], o: { signal?: AbortSignal } = {}): Promise<TraefikView> {
    const view = { http: { routers: new Map(), services: new Map() }, tcp: { routers: new Map(), services: new Map() } };
    for (const exp of expected) {
      const providers = exp.provider === 'nomad' ? [`nomad-${exp.namespace}`, 'nomad'] : ['consulcatalog'];
      for (const p of providers) {
        const name = `${exp.name}@${p}`;
        const router = await this.router(exp.protocol, name, o);
        if (!router) continue;
        view[exp.protocol].routers.set(name, router);
        const svc = router.service ? (router.service.includes('@') ? router.service : `${router.service}@${p}`) : undefined;
        if (svc && !view[exp.protocol].services.has(svc)) {
          const s = await this.service(exp.protocol, svc, o);
          if (s) view[exp.protocol].services.set(svc, s);
        }
        break;
      }
    }
    return view;
  }

  router(protocol: TraefikProtocol, name: string, o: { signal?: AbortSignal } = {}): Promise<TraefikRouter | null> {
    return this.item<TraefikRouter>(`/api/${protocol}/routers/:name`, `/api/${protocol}/routers/${encodeURIComponent(name)}`, o.signal);
  }

  service(protocol: TraefikProtocol, name: string, o: { signal?: AbortSignal } = {}): Promise<TraefikService | null> {
    return this.item<TraefikService>(`/api/${protocol}/services/:name`, `/api/${protocol}/services/${encodeURIComponent(name)}`, o.signal);
  }

  async listRouters(protocol: TraefikProtocol, o: { search?: string; signal?: AbortSignal } = {}): Promise<TraefikRouter[]> {
    const path = `/api/${protocol}/routers`;
    const out: TraefikRouter[] = [];
    let page = 1;
    for (let n = 0; n < MAX_PAGES; n++) {
      const r = await this.core.callJson<TraefikRouter[]>({
        method: 'GET', route: path, path, retry: true, signal: o.signal, query: { search: o.search || undefined, page: page > 1 ? page : undefined },
      });
      if (!Array.isArray(r.value)) throw this.shapeError(path, r.reply, 'is not a list');
      out.push(...r.value);
      const header = r.reply.headers['x-next-page'];
      const next = Number(Array.isArray(header) ? header[0] : header);
      // Traefik answers X-Next-Page: 1 on the last page
      if (!Number.isInteger(next) || next <= page) return out;
      page = next;
    }
    throw this.shapeError(path, { status: 200 } as Reply, `kept paginating past ${MAX_PAGES} pages`);
  }

  async ping(o: { signal?: AbortSignal } = {}): Promise<void> {
    const r = await this.core.callJson<unknown>({ method: 'GET', route: '/api/version', path: '/api/version', retry: false, signal: o.signal });
    if (!isObject(r.value)) throw this.shapeError('/api/version', r.reply, 'is not an object');
  }

  private async item<T>(route: string, path: string, signal?: AbortSignal): Promise<T | null> {
    const reply = await this.core.call({ method: 'GET', route, path, retry: true, allow: [404], signal });
    if (reply.status === 404) return null;
    const value = this.core.parseJson<T>({ method: 'GET', path }, reply);
    if (!isObject(value)) throw this.shapeError(path, reply, 'is not an object');
    return value;
  }

  private shapeError(path: string, reply: Pick<Reply, 'status'>, what: string): DroverError {
    return new DroverError('bad-response', `traefik GET ${path}: ${reply.status} reply ${what}`, { upstream: 'traefik', status: reply.status });
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The Traefik client when TRAEFIK_API_ADDR is set; undefined means the route check is off. */
export function createTraefikClient(config: Pick<Config, 'traefik' | 'requestTimeoutMs'>, observer?: UpstreamObserver, logger: Logger = nullLogger): TraefikApi | undefined {
  if (!config.traefik) return undefined;
  return new TraefikClient({ addr: config.traefik.addr, timeoutMs: config.requestTimeoutMs }, observer, logger);
}
