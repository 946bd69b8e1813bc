// The one request core under the Nomad, Consul and Vault clients: base URL, token header, TLS
// material, per-call timeout, JSON in/out, X-*-Index parsing, the small observable retry loop, one
// observation per attempt, and the NDJSON-capable streaming GET. Every failure leaves here as a
// DroverError.
//
// Built on node:http/node:https with one keep-alive agent per client, not on got: measured on the
// 5,000-app cold sync (scripts/bench/memory.ts), got's per-request option objects doubled drover's
// CPU time (25.8 s → 12.9 s without it) and lifted its peak RSS from ≈ 220 MB to ≈ 380 MB. What got
// gave us here (timeouts, abort, TLS, gzip, no redirects, no retries) is the little code below.
import { readFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import { DroverError, type ErrorCode, type Upstream } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { nullLogger } from '../core/logger.js';
import type { UpstreamObserver } from './types.js';
import { badResponse, errorFromStatus, errorFromTransport, type CallSite } from './errors.js';
import { abortReason, backoffMs, DEFAULT_RETRY, sleep, type RetryPolicy } from './retry.js';

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

export class HttpCore {
  readonly upstream: Upstream;
  readonly retryPolicy: RetryPolicy;
  readonly timeoutMs: number;
  readonly streamIdleMs: number;
  private readonly base: string;
  private readonly token?: string;
  private readonly tokenHeader: string | undefined;
  private readonly https: boolean;
  private readonly agent: http.Agent;
  private readonly logger: Logger;

  constructor(upstream: Upstream, opts: ClientOptions, private readonly observer?: UpstreamObserver, logger: Logger = nullLogger) {
    this.upstream = upstream;
    this.base = opts.addr.replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]/i.test(this.base)) {
      throw new DroverError('rejected', `${upstream}: address "${opts.addr}" is not an http(s) URL`, { upstream });
    }
    this.token = opts.token || undefined;
    this.timeoutMs = opts.timeoutMs;
    this.streamIdleMs = opts.streamIdleMs ?? 90_000;
    this.retryPolicy = { ...DEFAULT_RETRY, ...opts.retry };
    if (Boolean(opts.clientCert) !== Boolean(opts.clientKey)) {
      throw new DroverError('rejected', `${upstream}: a client certificate and a client key must be given together`, { upstream });
    }
    this.tokenHeader = TOKEN_HEADER[upstream];
    this.https = /^https:/i.test(this.base);
    const ca = readPem(upstream, 'CA certificate', opts.caCert);
    const cert = readPem(upstream, 'client certificate', opts.clientCert);
    const key = readPem(upstream, 'client key', opts.clientKey);
    // Node's own global-agent settings (keep-alive, LIFO, idle sockets closed after 5 s), one pool per client.
    const agentOptions = { keepAlive: true, scheduling: 'lifo' as const, timeout: 5000 };
    this.agent = this.https ? new https.Agent({ ...agentOptions, ca, cert, key }) : new http.Agent(agentOptions);
    this.logger = logger.child({ upstream });
  }

  /** One logical call: attempts, retries where `spec.retry` allows, one observation per attempt. */
  async call(spec: CallSpec): Promise<Reply> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(spec);
      } catch (e) {
        if (spec.signal?.aborted) throw abortReason(spec.signal);
        if (!(e instanceof DroverError) || !spec.retry || attempt >= this.retryPolicy.attempts || !RETRIED.has(e.code)) throw e;
        const delayMs = backoffMs(this.retryPolicy, attempt);
        this.logger.debug('upstream call failed, retrying', { route: spec.route, method: spec.method, attempt, code: e.code, delayMs });
        await sleep(delayMs, spec.signal);
      }
    }
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
   * Opens a streaming GET. Resolves once the headers arrived with a 2xx status; any other status or
   * transport failure rejects with a DroverError. The caller owns the stream and must destroy it.
   */
  async openStream(spec: Pick<CallSpec, 'route' | 'path' | 'query' | 'signal'>): Promise<Readable> {
    const site = this.site({ method: 'GET', path: spec.path });
    const started = performance.now();
    const observe = (code: string) => this.observer?.observe(this.upstream, spec.route, code, (performance.now() - started) / 1000);
    let res: IncomingMessage;
    try {
      res = await this.send({ method: 'GET', url: this.url(spec.path, spec.query), signal: spec.signal, responseTimeoutMs: this.timeoutMs, idleMs: this.streamIdleMs });
    } catch (e) {
      if (spec.signal?.aborted) {
        observe('aborted');
        throw abortReason(spec.signal);
      }
      const err = errorFromTransport(site, e, this.timeoutMs);
      observe(err.code);
      throw err;
    }
    const status = res.statusCode ?? 0;
    observe(String(status));
    if (status >= 200 && status < 300) return res;
    const text = await readBounded(res, 64 * 1024).catch(() => '');
    res.destroy();
    throw errorFromStatus(site, status, text);
  }

  private async attempt(spec: CallSpec): Promise<Reply> {
    const site = this.site(spec);
    const timeoutMs = this.timeoutMs + (spec.waitMs ? spec.waitMs + Math.ceil(spec.waitMs / 16) : 0);
    const started = performance.now();
    const observe = (code: string) => this.observer?.observe(this.upstream, spec.route, code, (performance.now() - started) / 1000);
    let res: { status: number; headers: IncomingHttpHeaders; text: string };
    try {
      const body = spec.json !== undefined ? JSON.stringify(spec.json) : spec.body;
      const r = await this.send({ method: spec.method, url: this.url(spec.path, spec.query), body, json: spec.json !== undefined, signal: spec.signal, totalTimeoutMs: timeoutMs, gzip: true });
      res = { status: r.statusCode ?? 0, headers: r.headers, text: r.text };
    } catch (e) {
      if (spec.signal?.aborted) {
        observe('aborted');
        throw abortReason(spec.signal);
      }
      const err = errorFromTransport(site, e, timeoutMs);
      observe(err.code);
      throw err;
    }
    const status = res.status;
    observe(String(status));
    const reply: Reply = { status, text: res.text, index: parseIndex(res.headers[INDEX_HEADER[this.upstream] ?? '']), headers: res.headers };
    if ((status >= 200 && status < 300) || spec.allow?.includes(status)) return reply;
    throw errorFromStatus(site, status, res.text, { jobWrite: spec.jobWrite });
  }

  /**
   * One HTTP exchange. With `totalTimeoutMs` the whole exchange (body included) is bounded and the
   * reply comes back read; with `responseTimeoutMs` only the wait for the headers is, the body is
   * handed back open and `idleMs` bounds silence on it (streams). Timeouts fail with a TimeoutError.
   */
  private send(o: SendOptions & { totalTimeoutMs: number }): Promise<{ statusCode?: number; headers: IncomingHttpHeaders; text: string }>;
  private send(o: SendOptions & { responseTimeoutMs: number; idleMs: number }): Promise<IncomingMessage>;
  private send(o: SendOptions & { totalTimeoutMs?: number; responseTimeoutMs?: number; idleMs?: number }): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { accept: 'application/json' };
      if (this.token && this.tokenHeader) headers[this.tokenHeader] = this.token;
      if (o.gzip) headers['accept-encoding'] = 'gzip, deflate';
      if (o.body !== undefined) {
        headers['content-type'] = o.json ? 'application/json' : 'text/plain; charset=utf-8';
        headers['content-length'] = Buffer.byteLength(o.body);
      }
      const req = (this.https ? https : http).request(o.url, { method: o.method, agent: this.agent, headers, ...(o.signal ? { signal: o.signal } : {}) });
      const limit = o.totalTimeoutMs ?? o.responseTimeoutMs ?? this.timeoutMs;
      const timer = setTimeout(() => req.destroy(new TimeoutError(limit)), limit);
      const fail = (e: Error) => {
        clearTimeout(timer);
        reject(e);
      };
      req.once('error', fail);
      req.once('response', (res) => {
        if (o.totalTimeoutMs === undefined) {
          clearTimeout(timer);
          req.off('error', fail);
          req.on('error', () => undefined); // later failures surface on the body stream
          const idle = o.idleMs ?? this.streamIdleMs;
          res.setTimeout(idle, () => res.destroy(new TimeoutError(idle)));
          resolve(res);
          return;
        }
        // Resolved only once the body is in, so a timeout or a reset while reading rejects the call.
        readAll(decoded(res)).then((text) => {
          clearTimeout(timer);
          resolve({ statusCode: res.statusCode, headers: res.headers, text });
        }, fail);
      });
      req.end(o.body);
    });
  }

  private url(path: string, query?: Query): string {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v === undefined) continue;
      for (const item of Array.isArray(v) ? v : [v]) params.append(k, String(item));
    }
    const qs = params.toString();
    return `${this.base}${path}${qs ? `?${qs}` : ''}`;
  }

  site(spec: Pick<CallSpec, 'method' | 'path'>): CallSite {
    return { upstream: this.upstream, method: spec.method, path: spec.path, token: this.token };
  }
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

interface SendOptions {
  method: string;
  url: string;
  body?: string;
  json?: boolean;
  signal?: AbortSignal;
  gzip?: boolean;
}

/** The transport's own timeout; errorFromTransport recognises it by name. */
class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor(ms: number) {
    super(`no answer within ${ms}ms`);
  }
}

/** The body, inflated when the server compressed it (we offer gzip/deflate on plain calls). */
function decoded(res: IncomingMessage): Readable {
  const enc = String(res.headers['content-encoding'] ?? '').toLowerCase();
  if (enc !== 'gzip' && enc !== 'deflate') return res;
  const z = enc === 'gzip' ? createGunzip() : createInflate();
  res.on('error', (e) => z.destroy(e));
  return res.pipe(z);
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
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
