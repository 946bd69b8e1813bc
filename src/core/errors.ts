// Typed errors shared by every layer. Nothing above src/clients/ ever sees an HTTP library error:
// clients translate every failure into an UpstreamError with one of these codes. Anything else that
// is thrown is a bug in drover (`internal`): terminal, never retried as if an upstream had failed,
// and kept as the `cause` so it can be logged with its stack (controller-runtime counts panics apart).

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
  | 'not-leader' // drover-side: this instance may not write
  | 'aborted' // drover-side: the call was abandoned because drover is stopping
  | 'internal'; // a bug in drover: an exception no code path expected (terminal; drover_bugs_total)

export type Upstream = 'nomad' | 'consul' | 'vault' | 'git' | 'docker' | 'weave' | 'traefik';

/** Retryable errors are re-queued with backoff; terminal ones wait for the input to change. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['unavailable', 'timeout', 'conflict', 'server-error', 'bad-response', 'git', 'not-leader']);

export class DroverError extends Error {
  readonly code: ErrorCode;
  readonly upstream?: Upstream;
  readonly status?: number;

  constructor(code: ErrorCode, message: string, opts: { upstream?: Upstream; status?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
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

/**
 * Wraps anything thrown into a DroverError; the original is its `cause`. An AbortError is `aborted`;
 * anything else that is not a DroverError is `internal` (a bug) unless the caller names the code
 * its failures belong to (`fallback`, e.g. `git` for the git source's file system work).
 */
export function toDroverError(e: unknown, fallback: ErrorCode = 'internal'): DroverError {
  if (e instanceof DroverError) return e;
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof Error && e.name === 'AbortError') return new DroverError('aborted', message, { cause: e });
  return new DroverError(fallback, message, { cause: e });
}

/** True for an exception drover did not expect: count it in drover_bugs_total and log its cause. */
export function isBug(e: unknown): boolean {
  return toDroverError(e).code === 'internal';
}

/** The cause chain of an error, for a log line: `TypeError: x is undefined\n    at …` (the stack when there is one). */
export function describeCause(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e instanceof DroverError && e.cause !== undefined ? e.cause : e;
  for (let depth = 0; cur !== undefined && depth < 5; depth++) {
    parts.push(cur instanceof Error ? (cur.stack ?? `${cur.name}: ${cur.message}`) : String(cur));
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return parts.join('\ncaused by: ');
}
