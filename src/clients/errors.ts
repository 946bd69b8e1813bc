// Translates HTTP statuses and transport failures into DroverErrors. Messages are built here from
// known parts only (upstream, method, path, status, the server's own text): never a Node error message, a
// stack, a query string or a token, because those messages end up in status, logs and metrics.
import { DroverError, type ErrorCode, type Upstream } from '../core/errors.js';

export interface CallSite {
  upstream: Upstream;
  method: string;
  /** the real path, without the query string */
  path: string;
  /** the token of this client, scrubbed from any server text that might echo it */
  token?: string;
}

/** How a Nomad 500 is read: job register/plan/validate answer validation failures with a 500. */
export interface StatusContext {
  jobWrite?: boolean;
}

const MAX_TEXT = 2000;
const ENFORCE_INDEX_PREFIX = 'Enforcing job modify index';

export function errorFromStatus(site: CallSite, status: number, body: string, ctx: StatusContext = {}): DroverError {
  const text = serverText(body, site);
  const code = codeForStatus(site.upstream, status, text, ctx);
  const where = `${site.upstream} ${site.method} ${site.path}`;
  const message = code === 'rejected' && ctx.jobWrite && status === 500
    ? `${where}: rejected by ${site.upstream}: ${text}`
    : `${where}: ${status}${text ? ` ${text}` : ''}`;
  return new DroverError(code, scrub(message, site.token), { upstream: site.upstream, status });
}

function codeForStatus(upstream: Upstream, status: number, text: string, ctx: StatusContext): ErrorCode {
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404) return 'not-found';
  if (status === 429) return 'unavailable';
  if (status >= 400 && status < 500) return 'rejected';
  if (upstream === 'nomad' && status === 500) {
    if (text.includes(ENFORCE_INDEX_PREFIX)) return 'conflict';
    if (ctx.jobWrite && /validation failed|\berrors? occurred/i.test(text)) return 'rejected';
  }
  // src/core/errors.ts files gateway failures under `unavailable`: the upstream itself was not reached.
  if (status === 502 || status === 503 || status === 504) return 'unavailable';
  if (status >= 500) return 'server-error';
  return 'bad-response';
}

const UNAVAILABLE_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  ECONNABORTED: 'connection aborted',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
};

/** A failure below HTTP (no status): refused, reset, DNS, TLS, or a timeout (got's TimeoutError). Reads only name, code and message. */
export function errorFromTransport(site: CallSite, err: unknown, timeoutMs: number): DroverError {
  const e = err as { name?: string; code?: string; message?: string };
  const where = `${site.upstream} ${site.method} ${site.path}`;
  if (e?.name === 'TimeoutError') {
    return new DroverError('timeout', `${where}: no answer within ${timeoutMs}ms`, { upstream: site.upstream });
  }
  const code = typeof e?.code === 'string' && /^[A-Z0-9_]+$/.test(e.code) ? e.code : undefined;
  let reason: string;
  if (code && UNAVAILABLE_CODES[code]) reason = `${UNAVAILABLE_CODES[code]} (${code})`;
  else if (e?.message === 'socket hang up') reason = 'connection closed without an answer (socket hang up)';
  else if (code && isTlsErrorCode(code)) reason = `TLS handshake failed (${code})`;
  else reason = `request failed${code ? ` (${code})` : ''}`;
  return new DroverError('unavailable', scrub(`${where}: ${reason}`, site.token), { upstream: site.upstream });
}

/** Node/OpenSSL error codes of a failed TLS handshake (certificate, verification, host name). */
export function isTlsErrorCode(code: string): boolean {
  return /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY|HOSTNAME/.test(code);
}

export function badResponse(site: CallSite, status: number, what: string): DroverError {
  return new DroverError('bad-response', scrub(`${site.upstream} ${site.method} ${site.path}: ${status} reply ${what}`, site.token), {
    upstream: site.upstream, status,
  });
}

/** The server's error text, one paragraph, bounded; Vault's `{"errors":[...]}` is unwrapped. */
export function serverText(body: string, site: Pick<CallSite, 'token'>): string {
  let text = body;
  const trimmed = body.trim();
  if (trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as { errors?: unknown };
      if (Array.isArray(parsed.errors)) text = parsed.errors.map(String).join('; ');
    } catch {
      // not JSON after all: keep the raw text
    }
  }
  text = text.trim();
  if (text.length > MAX_TEXT) text = `${text.slice(0, MAX_TEXT)}…`;
  return scrub(text, site.token);
}

export function scrub(text: string, token: string | undefined): string {
  if (!token || token.length < 4) return text;
  return text.split(token).join('<redacted>');
}
