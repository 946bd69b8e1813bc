// One got instance per upstream, made the same way for every HTTP API drover speaks to (Nomad, Consul,
// Vault, the Docker Engine, the weave router — and any later one: a new client asks for its instance
// here). The instance owns the connection pool (one keep-alive agent), TLS material, the base URL or unix
// socket, default headers and timeout, decompression, and got's retry machinery with the decision left
// to the caller. It answers every status (throwHttpErrors off): the callers turn statuses and got's
// errors into DroverErrors, so no got type leaves src/clients and src/registrar/http.ts.
import http from 'node:http';
import https from 'node:https';
import got, { type Got, type RequestError } from 'got';
import type { Upstream } from '../core/errors.js';

export interface UpstreamSpec {
  upstream: Upstream;
  /** http(s)://host:port[/prefix], or a unix socket path (Docker's /var/run/docker.sock) */
  target: { url: string } | { socketPath: string };
  /** PEM material, already read; `servername` for SNI and the certificate check when the host is a name */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer; servername?: string };
  /** sent with every request (a token header belongs here, never in a URL) */
  headers?: Record<string, string>;
  /** default per-attempt timeout for the whole exchange, body included */
  timeoutMs: number;
  /**
   * got's retry, decided by the caller: the delay in ms before retrying after failed attempt number
   * `attempt` (1 = the first), or 0 to give up. Without it nothing is retried.
   */
  retryDelay?: (error: RequestError, attempt: number) => number;
  /** most retries of one call (requests may lower it); default 0 */
  retryLimit?: number;
  /** pool connections (default); off: a fresh connection per request */
  keepAlive?: boolean;
}

/** Node's own keep-alive settings (LIFO, idle sockets closed after 5 s), one pool per upstream. */
const AGENT = { keepAlive: true, scheduling: 'lifo' as const, timeout: 5000 };
const NO_POOL = { keepAlive: false };

export function createUpstream(spec: UpstreamSpec): Got {
  const unix = 'socketPath' in spec.target;
  // got's unix-socket URL form is http://unix:<socket>:<path>; a request's path follows the prefix
  const prefixUrl = 'socketPath' in spec.target ? `http://unix:${spec.target.socketPath}:/` : `${spec.target.url.replace(/\/+$/, '')}/`;
  const secure = !unix && /^https:/i.test(prefixUrl);
  const { retryDelay } = spec;
  const pool = spec.keepAlive === false ? NO_POOL : AGENT;
  return got.extend({
    prefixUrl,
    enableUnixSockets: unix,
    agent: secure ? { https: new https.Agent(pool) } : { http: new http.Agent(pool) },
    https: spec.tls ? { certificateAuthority: spec.tls.ca, certificate: spec.tls.cert, key: spec.tls.key, serverName: spec.tls.servername } : {},
    headers: { 'user-agent': 'drover', accept: 'application/json', 'accept-encoding': 'gzip, deflate', ...spec.headers },
    decompress: true,
    followRedirect: false,
    throwHttpErrors: false,
    responseType: 'text',
    timeout: { request: spec.timeoutMs },
    retry: {
      limit: spec.retryLimit ?? 0,
      // the caller's decision replaces got's method / status / error-code lists entirely
      calculateDelay: ({ error, attemptCount, retryOptions }) => (retryDelay && attemptCount <= retryOptions.limit ? retryDelay(error, attemptCount) : 0),
    },
  });
}
