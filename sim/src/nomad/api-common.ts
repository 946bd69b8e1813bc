// Shared pieces of the simulated Nomad's HTTP handlers: the route context, plain-text errors,
// tokens and ACL checks, read headers, and blocking queries (`?index=&wait=`, capped at 300 s).
import type { SimReply, SimRequest } from '../http.js';
import type { StreamRegistry } from './events.js';
import type { Scheduler } from './scheduler.js';
import type { NomadState } from './state.js';
import { parseGoDuration } from './util.js';

export interface RouteContext {
  state: NomadState;
  scheduler: Scheduler;
  streams: StreamRegistry;
  region: string;
  datacenter: string;
  /** what /v1/agent/self reports, e.g. "2.0.5" or "1.9.7" */
  nomadVersion: string;
  vaultEnabled: boolean;
  aclTokens?: Record<string, SimAclToken>;
  clock: () => number;
  /** aborted on close so blocking queries return */
  closing: AbortSignal;
}

/** A Nomad variables capability (acl/policy.go VariablesCapability*). */
export type VariableCapability = 'list' | 'read' | 'write' | 'destroy' | 'deny';

/**
 * What a simulated ACL token may do: namespace-level job access (`write` = submit-job), optional
 * `variables` path rules applied in each of its namespaces (a namespace `variables { path "x/*" {...} }`
 * block; a namespace policy alone grants no variable access, as in Nomad), and `management` for a
 * management token (everything, namespaces API included).
 */
export interface SimAclToken {
  namespaces: string[] | '*';
  write: boolean;
  management?: boolean;
  /** path glob (`*` matches anything, `/` included) → capabilities; `read` implies `list` */
  variables?: Record<string, VariableCapability[]>;
}

export const MAX_WAIT_MS = 300_000;
export const text = (status: number, t: string, headers?: Record<string, string>): SimReply => ({ status, text: t, headers });

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export function token(req: SimRequest): string | undefined {
  const h = req.headers['x-nomad-token'];
  if (typeof h === 'string' && h) return h;
  const auth = req.headers.authorization;
  return typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7) : undefined;
}

/** The AccessorID a token resolves to (stable per token, never the secret itself). */
export function accessor(ctx: RouteContext, req: SimRequest): string {
  const t = token(req);
  if (!ctx.aclTokens || !t || !ctx.aclTokens[t]) return '';
  const i = Object.keys(ctx.aclTokens).indexOf(t);
  return `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`;
}

/** The token's policy; undefined when ACLs are off. A missing or unknown token is 403, as Authenticate makes it. */
export function policy(ctx: RouteContext, req: SimRequest): SimAclToken | undefined {
  if (!ctx.aclTokens) return undefined;
  const t = token(req);
  const pol = t ? ctx.aclTokens[t] : undefined;
  if (!pol) throw new HttpError(403, 'Permission denied');
  return pol;
}

export function allowedNs(ctx: RouteContext, req: SimRequest, write: boolean): (ns: string) => boolean {
  const pol = policy(ctx, req);
  if (!pol) return () => true;
  if (pol.management) return () => true;
  return (ns) => (pol.namespaces === '*' || pol.namespaces.includes(ns)) && (!write || pol.write);
}

/** Management operations (namespaces API): a management token, or ACLs off. */
export function requireManagement(ctx: RouteContext, req: SimRequest): void {
  const pol = policy(ctx, req);
  if (pol && !pol.management) throw new HttpError(403, 'Permission denied');
}

function globMatch(glob: string, s: string): boolean {
  const re = new RegExp(`^${glob.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(s);
}

/**
 * AllowVariableOperation (acl/acl.go): an exact path rule wins, else the matching glob closest in
 * length to the path; `deny` refuses all, `read` implies `list`.
 */
export function variableAllowed(pol: SimAclToken | undefined, ns: string, path: string, cap: VariableCapability): boolean {
  if (!pol || pol.management) return true;
  if (pol.namespaces !== '*' && !pol.namespaces.includes(ns)) return false;
  const rules = Object.entries(pol.variables ?? {});
  const exact = rules.find(([g]) => g === path);
  const glob = rules.filter(([g]) => g.includes('*') && globMatch(g, path))
    .sort((a, b) => (path.length - a[0].replaceAll('*', '').length) - (path.length - b[0].replaceAll('*', '').length))[0];
  const caps = (exact ?? glob)?.[1];
  if (!caps || caps.includes('deny')) return false;
  return caps.includes(cap) || (cap === 'list' && caps.includes('read'));
}

export function authorize(ctx: RouteContext, req: SimRequest, ns: string, write: boolean): void {
  if (!allowedNs(ctx, req, write)(ns)) throw new HttpError(403, 'Permission denied');
}

export function queryNs(req: SimRequest): string {
  return req.query.get('namespace') || 'default';
}

export function readHeaders(index: number, extra?: Record<string, string>): Record<string, string> {
  return { 'X-Nomad-Index': String(index), 'X-Nomad-KnownLeader': 'true', 'X-Nomad-LastContact': '0', ...extra };
}

/** A GET that honours `?index=&wait=` the way Nomad's blockingRPC does. */
export async function blocking(ctx: RouteContext, req: SimRequest, run: () => { index: number; reply: SimReply }): Promise<SimReply> {
  const rawIndex = req.query.get('index');
  const min = rawIndex === null || rawIndex === '' ? 0 : Number(rawIndex);
  if (!Number.isInteger(min) || min < 0) return text(400, 'Invalid index');
  const rawWait = req.query.get('wait');
  let wait = MAX_WAIT_MS;
  if (rawWait) {
    const w = parseGoDuration(rawWait);
    if (w === undefined) return text(400, 'Invalid wait time');
    wait = Math.min(w, MAX_WAIT_MS);
  }
  let r = run();
  if (min === 0) return r.reply;
  const deadline = Date.now() + wait;
  const gone = new AbortController();
  req.res.on('close', () => gone.abort());
  while (r.index <= min && Date.now() < deadline && !gone.signal.aborted && !ctx.closing.aborted) {
    await ctx.state.waitChange(deadline - Date.now(), AbortSignal.any([gone.signal, ctx.closing]));
    r = run();
  }
  return r.reply;
}

