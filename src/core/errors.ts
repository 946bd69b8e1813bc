// Typed errors shared by every layer. Nothing above src/clients/ ever sees an HTTP library error:
// clients translate every failure into an UpstreamError with one of these codes.

export type ErrorCode =
  | 'unavailable' // connection refused, reset, DNS, 502/503/504
  | 'timeout' // no answer within the call's timeout
  | 'unauthorized' // 401/403: bad or missing token, permission denied
  | 'conflict' // EnforceIndex conflict, CAS failure
  | 'rejected' // the server refused the payload (validation); message is the server's own text
  | 'not-found'
  | 'server-error' // other 5xx
  | 'bad-response' // the reply could not be understood
  | 'invalid-spec' // drover-side: the App spec is invalid (terminal until the spec changes)
  | 'git' // drover-side: git fetch/checkout failed
  | 'vault-preflight' // drover-side: a Vault secret path is missing or forbidden
  | 'not-leader'; // drover-side: this instance may not write

export type Upstream = 'nomad' | 'consul' | 'vault' | 'git' | 'docker' | 'weave' | 'traefik';

/** Retryable errors are re-queued with backoff; terminal ones wait for the input to change. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['unavailable', 'timeout', 'conflict', 'server-error', 'bad-response', 'git', 'not-leader']);

export class DroverError extends Error {
  readonly code: ErrorCode;
  readonly upstream?: Upstream;
  readonly status?: number;

  constructor(code: ErrorCode, message: string, opts: { upstream?: Upstream; status?: number; cause?: unknown } = {}) {
    super(message);
    this.name = 'DroverError';
    this.code = code;
    this.upstream = opts.upstream;
    this.status = opts.status;
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}

export function isDroverError(e: unknown): e is DroverError {
  return e instanceof DroverError;
}

/** Wraps anything thrown into a DroverError without leaking stack traces into status or logs. */
export function toDroverError(e: unknown, fallback: ErrorCode = 'server-error'): DroverError {
  if (e instanceof DroverError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new DroverError(fallback, message);
}
