// The one request core under the Nomad, Consul and Vault clients: base URL, token header, TLS
// material, per-call timeout, JSON in/out, X-*-Index parsing, the retry policy, one observation per
// attempt, and the NDJSON-capable streaming GET. The HTTP exchange itself is got's (one instance per
// client from createUpstream, upstream.ts); every failure leaves here as a DroverError.
//
// got costs more CPU per request than the hand-written node:http transport it replaced
// (scripts/bench/http-client.ts measures both); drover pays for that by sending fewer requests.
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Got, RequestError, Response } from 'got';
import { DroverError, type ErrorCode, type Upstream } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { nullLogger } from '../core/logger.js';
import type { UpstreamObserver } from './types.js';
import { badResponse, errorFromStatus, errorFromTransport, type CallSite } from './errors.js';
import { abortReason, backoffMs, DEFAULT_RETRY, type RetryPolicy } from './retry.js';
import { createUpstream } from './upstream.js';

export interface ClientOptions {
  /** base URL, e.g. http://127.0.0.1:4646 (a path prefix is kept) */
  addr: string;
  token?: string;
  /** PEM files, read once at construction */
  caCert?: string;
  clientCert?: string;
  clientKey?: string;
  /** per-attempt timeout; blocking queries get their wait on top */
  timeoutMs: number;
  /** Nomad only: `?region=` on every call */
  region?: string;
  /** Nomad only: the namespace used when a call names none */
  namespace?: string;
  retry?: Partial<RetryPolicy>;
  /** event stream: reconnect when nothing (not even a heartbeat) arrives for this long; default 90 s (Nomad beats every 30 s) */
  streamIdleMs?: number;
}

export type Query = Record<string, string | number | boolean | undefined | string[]>;

export interface CallSpec {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** route template for metrics, e.g. `/v1/job/:id` */
  route: string;
  /** the real, already encoded path */
  path: string;
  query?: Query;
  json?: unknown;
  /** raw request body (Consul KV values) */
  body?: string;
  /** safe to repeat after an unknown outcome: GETs and idempotent writes only */
  retry: boolean;
  /** statuses handed back to the caller instead of thrown (404 on "missing means null" calls) */
  allow?: readonly number[];
  /** a blocking query: the timeout grows by the wait (and the server's wait/16 jitter) */
  waitMs?: number;
  signal?: AbortSignal;
  /** Nomad register/plan/validate: a 500 with a validation multierror is `rejected` */
  jobWrite?: boolean;
}

export interface Reply {
  status: number;
  text: string;
  /** X-Nomad-Index / X-Consul-Index, 0 when absent */
  index: number;
  headers: IncomingHttpHeaders;
}

/** Only faults that are likely gone a moment later are retried in place; the rest go to the caller. */
const RETRIED: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['unavailable', 'server-error']);

const TOKEN_HEADER: Record<string, string> = { nomad: 'x-nomad-token', consul: 'x-consul-token', vault: 'x-vault-token' };
const INDEX_HEADER: Record<string, string> = { nomad: 'x-nomad-index', consul: 'x-consul-index' };

/** What the got hooks of one logical call need: shared by its attempts through got's `context`. */
interface CallState {
  spec: CallSpec;
  site: CallSite;
  timeoutMs: number;
  /** performance.now() when the current attempt started */
  started: number;
  /** the current attempt's outcome was observed */
  observed: boolean;
}

export class HttpCore {
  readonly upstream: Upstream;
  readonly retryPolicy: RetryPolicy;
  readonly timeoutMs: number;
  readonly streamIdleMs: number;
  private readonly token?: string;
  private readonly got: Got;
  private readonly logger: Logger;

  constructor(upstream: Upstream, opts: ClientOptions, private readonly observer?: UpstreamObserver, logger: Logger = nullLogger) {
    this.upstream = upstream;
    const base = opts.addr.replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]/i.test(base)) {
      throw new DroverError('rejected', `${upstream}: address "${opts.addr}" is not an http(s) URL`, { upstream });
    }
    this.token = opts.token || undefined;
    this.timeoutMs = opts.timeoutMs;
    this.streamIdleMs = opts.streamIdleMs ?? 90_000;
    this.retryPolicy = { ...DEFAULT_RETRY, ...opts.retry };
    if (Boolean(opts.clientCert) !== Boolean(opts.clientKey)) {
      throw new DroverError('rejected', `${upstream}: a client certificate and a client key must be given together`, { upstream });
    }
    const tokenHeader = TOKEN_HEADER[upstream];
    const tls = { ca: readPem(upstream, 'CA certificate', opts.caCert), cert: readPem(upstream, 'client certificate', opts.clientCert), key: readPem(upstream, 'client key', opts.clientKey) };
    this.logger = logger.child({ upstream });
    this.got = createUpstream({
      upstream,
      target: { url: base },
      tls,
      headers: this.token && tokenHeader ? { [tokenHeader]: this.token } : {},
      timeoutMs: this.timeoutMs,
      retryLimit: Math.max(0, this.retryPolicy.attempts - 1),
      retryDelay: (error, attempt) => this.retryDelay(state(error), error, attempt),
    }).extend({
      hooks: {
        beforeRequest: [(options) => {
          const call = options.context.call as CallState;
          call.started = performance.now();
          call.observed = false;
        }],
        afterResponse: [(response) => {
          this.observe(state(response), String(response.statusCode));
          return response;
        }],
        beforeRetry: [(error, retryCount) => {
          const call = state(error);
          this.logger.debug('upstream call failed, retrying', { route: call.spec.route, method: call.spec.method, attempt: retryCount, code: this.failure(call, error).code });
        }],
      },
    });
  }

  /** One logical call: attempts, retries where `spec.retry` allows, one observation per attempt. */
  async call(spec: CallSpec): Promise<Reply> {
    const site = this.site(spec);
    const timeoutMs = this.timeoutMs + (spec.waitMs ? spec.waitMs + Math.ceil(spec.waitMs / 16) : 0);
    const call: CallState = { spec, site, timeoutMs, started: performance.now(), observed: false };
    let res: Response<string>;
    try {
      res = await this.got(spec.path.replace(/^\/+/, ''), {
        method: spec.method,
        searchParams: searchParams(spec.query),
        ...(spec.json !== undefined ? { json: spec.json } : spec.body !== undefined ? { body: spec.body, headers: { 'content-type': 'text/plain; charset=utf-8' } } : {}),
        timeout: { request: timeoutMs },
        retry: { limit: spec.retry ? this.retryPolicy.attempts - 1 : 0 },
        signal: spec.signal,
        context: { call },
      });
    } catch (e) {
      if (spec.signal?.aborted) {
        this.observe(call, 'aborted');
        throw abortReason(spec.signal);
      }
      const err = errorFromTransport(site, e, timeoutMs);
      this.observe(call, err.code);
      throw err;
    }
    const status = res.statusCode;
    const reply: Reply = { status, text: res.body, index: parseIndex(res.headers[INDEX_HEADER[this.upstream] ?? '']), headers: res.headers };
    if ((status >= 200 && status < 300) || spec.allow?.includes(status)) return reply;
    throw errorFromStatus(site, status, res.body, { jobWrite: spec.jobWrite });
  }

  /** A call whose reply body is JSON. */
  async callJson<T>(spec: CallSpec): Promise<{ value: T; reply: Reply }> {
    const reply = await this.call(spec);
    return { value: this.parseJson<T>(spec, reply), reply };
  }

  parseJson<T>(spec: Pick<CallSpec, 'method' | 'path'>, reply: Reply): T {
    try {
      return JSON.parse(reply.text) as T;
    } catch {
      throw badResponse(this.site(spec), reply.status, 'is not valid JSON');
    }
  }

  /**
   * Opens a streaming GET (got's stream API). Resolves once the headers arrived with a 2xx status; any
   * other status or transport failure rejects with a DroverError. Silence on the open stream longer
   * than streamIdleMs fails it. The caller owns the stream and must destroy it; errors it emits later
   * are got's, for the caller to treat as a lost connection.
   */
  async openStream(spec: Pick<CallSpec, 'route' | 'path' | 'query' | 'signal'>): Promise<Readable> {
    const site = this.site({ method: 'GET', path: spec.path });
    const call: CallState = { spec: { ...spec, method: 'GET', retry: false }, site, timeoutMs: this.timeoutMs, started: performance.now(), observed: false };
    const stream = this.got.stream(spec.path.replace(/^\/+/, ''), {
      searchParams: searchParams(spec.query),
      // no bound on the whole exchange: the headers must come in time, then only silence ends it
      timeout: { request: undefined, response: this.timeoutMs, socket: this.streamIdleMs },
      retry: { limit: 0 },
      signal: spec.signal,
      context: { call },
    });
    let res: Response;
    try {
      res = await new Promise<Response>((resolve, reject) => {
        stream.once('response', resolve);
        stream.once('error', reject);
      });
    } catch (e) {
      stream.destroy();
      if (spec.signal?.aborted) {
        this.observe(call, 'aborted');
        throw abortReason(spec.signal);
      }
      const err = errorFromTransport(site, e, this.timeoutMs);
      this.observe(call, err.code);
      throw err;
    }
    stream.on('error', () => undefined); // from here on, failures reach the reader through iteration
    const status = res.statusCode;
    this.observe(call, String(status));
    if (status >= 200 && status < 300) return stream;
    const text = await readBounded(stream, 64 * 1024).catch(() => '');
    stream.destroy();
    throw errorFromStatus(site, status, text);
  }

  /** got's retry, drover's policy: safe calls only, transient faults only, full-jitter backoff. */
  private retryDelay(call: CallState, error: RequestError, attempt: number): number {
    const { spec } = call;
    if (!spec.retry || spec.signal?.aborted || attempt >= this.retryPolicy.attempts) return 0;
    if (error.response && spec.allow?.includes(error.response.statusCode)) return 0; // an answer, not a failure
    const code = this.failure(call, error).code;
    if (!RETRIED.has(code)) return 0;
    this.observe(call, code); // now, before the backoff: a fault below HTTP has no response to observe
    return Math.max(1, backoffMs(this.retryPolicy, attempt)); // 0 would mean "do not retry" to got
  }

  /** The DroverError a failed attempt stands for (statuses by their body, transport faults by their code). */
  private failure(call: CallState, error: RequestError): DroverError {
    const r = error.response;
    return r ? errorFromStatus(call.site, r.statusCode, String(r.body ?? ''), { jobWrite: call.spec.jobWrite }) : errorFromTransport(call.site, error, call.timeoutMs);
  }

  /** One observation per attempt: the first outcome seen for it counts. */
  private observe(call: CallState, code: string): void {
    if (call.observed) return;
    call.observed = true;
    this.observer?.observe(this.upstream, call.spec.route, code, (performance.now() - call.started) / 1000);
  }

  site(spec: Pick<CallSpec, 'method' | 'path'>): CallSite {
    return { upstream: this.upstream, method: spec.method, path: spec.path, token: this.token };
  }
}

/** The call a got hook is running for. */
function state(x: RequestError | Response): CallState {
  const options = 'options' in x ? x.options : x.request.options;
  return options.context.call as CallState;
}

function searchParams(query?: Query): URLSearchParams {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) params.append(k, String(item));
  }
  return params;
}

/** `?wait=` for a blocking query: Go duration syntax, whole seconds when possible. */
export function waitParam(waitMs: number | undefined): string | undefined {
  if (waitMs === undefined || waitMs <= 0) return undefined;
  return waitMs % 1000 === 0 ? `${waitMs / 1000}s` : `${Math.ceil(waitMs)}ms`;
}

/** Encodes each segment of a slash-separated key or path, keeping the slashes. */
export function encodePath(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/');
}

function parseIndex(v: string | string[] | undefined): number {
  const s = Array.isArray(v) ? v[0] : v;
  const n = s === undefined ? NaN : Number(s);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

function readPem(upstream: Upstream, what: string, file: string | undefined): Buffer | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file);
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'unreadable';
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : code;
    throw new DroverError('rejected', `${upstream}: cannot read the ${what} file "${file}": ${reason}`, { upstream });
  }
}

async function readBounded(stream: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    chunks.push(b);
    size += b.length;
    if (size >= limit) break;
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, limit);
}
