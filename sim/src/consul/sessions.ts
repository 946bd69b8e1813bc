// Simulated Consul sessions: create/renew/destroy/info/list, TTL expiry and invalidation (which
// releases or deletes the session's locks and starts lock-delay on them).
// Facts from a real 1.8.7 agent: TTL must be 10s..24h (else 500 "Invalid Session TTL '<ns>', must be
// between [10s=24h0m0s]"); an empty or "0s" TTL means no expiry; LockDelay defaults to 15s, "0s" is
// kept as 0, a bare JSON number counts as seconds; the agent expires a session after 2×TTL
// (its TTL multiplier), which is the sim's default too; renew of a gone session is 404
// "Session id '<id>' not found"; info of an unknown id is 200 `[]`.
import { randomUUID } from 'node:crypto';
import type { SimServer } from '../http.js';
import { parseJsonBody } from '../http.js';
import { parseGoDurationMs } from '../duration.js';
import { block, consulHeaders } from './blocking.js';
import type { ConsulContext } from './context.js';

export interface SessionOptions {
  /** Consul expires a session after TTL × this (default 2, as the real agent) */
  ttlMultiplier: number;
  /** smallest TTL accepted (default 10 s, as the real agent); tests of fail-over may lower it */
  minTtlMs: number;
}

interface Session {
  id: string;
  name: string;
  node: string;
  lockDelayMs: number;
  behavior: 'release' | 'delete';
  ttl: string;
  ttlMs: number;
  createIndex: number;
  timer?: NodeJS.Timeout;
}

const MAX_TTL_MS = 24 * 3600_000;
const DEFAULT_LOCK_DELAY_MS = 15_000;

export class SessionTable {
  private readonly sessions = new Map<string, Session>();
  private tableIndex = 1;

  constructor(private readonly ctx: Pick<ConsulContext, 'store' | 'kv' | 'node'>, private readonly opts: SessionOptions) {}

  get index(): number {
    return this.tableIndex;
  }

  /** Creates a session from a request body, or returns the agent's error reply. */
  create(body: Record<string, unknown>): { id: string } | { status: number; text: string } {
    const ttl = typeof body.TTL === 'string' ? body.TTL : '';
    let ttlMs = 0;
    if (ttl !== '') {
      const parsed = parseGoDurationMs(ttl);
      if (parsed === undefined) return { status: 500, text: `Session TTL '${ttl}' invalid: time: ${/^\d+(\.\d*)?$/.test(ttl) ? 'missing unit in' : 'invalid'} duration "${ttl}"` };
      if (parsed !== 0 && (parsed < this.opts.minTtlMs || parsed > MAX_TTL_MS)) {
        return { status: 500, text: `Invalid Session TTL '${Math.round(parsed * 1e6)}', must be between [${formatGo(this.opts.minTtlMs)}=24h0m0s]` };
      }
      ttlMs = parsed;
    }
    const lockDelayMs = parseLockDelay(body.LockDelay);
    if (typeof lockDelayMs === 'string') return { status: 400, text: `Request decode failed: ${lockDelayMs}` };
    const behavior = body.Behavior === undefined || body.Behavior === '' ? 'release' : body.Behavior;
    if (behavior !== 'release' && behavior !== 'delete') return { status: 500, text: `Invalid Behavior setting '${String(behavior)}'` };
    const id = randomUUID();
    const idx = this.ctx.store.nextIndex();
    const s: Session = { id, name: typeof body.Name === 'string' ? body.Name : '', node: this.ctx.node.name, lockDelayMs, behavior, ttl, ttlMs, createIndex: idx };
    this.sessions.set(id, s);
    this.arm(s);
    this.tableIndex = idx;
    this.ctx.store.changed();
    return { id };
  }

  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  list(): Session[] {
    return [...this.sessions.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  renew(id: string): Session | undefined {
    const s = this.sessions.get(id);
    if (s) this.arm(s);
    return s;
  }

  /** Ends a session (destroy, TTL expiry or a sim control); its locks follow its Behavior. */
  invalidate(id: string): boolean {
    const s = this.sessions.get(id);
    if (!s) return false;
    clearTimeout(s.timer);
    this.sessions.delete(id);
    this.tableIndex = this.ctx.store.nextIndex();
    this.ctx.kv.invalidateSession(id, s.behavior, s.lockDelayMs);
    this.ctx.store.changed();
    return true;
  }

  /** The 500 text Consul answers for a session id used in acquire/release/destroy, if any. */
  lookupProblem(id: string, mustExist: boolean): string | undefined {
    if (id.length !== 36) return 'failed session lookup: index error: UUID must be 36 characters';
    if (mustExist && !this.sessions.has(id)) return `invalid session ${JSON.stringify(id)}`;
    return undefined;
  }

  closeAll(): void {
    for (const s of this.sessions.values()) clearTimeout(s.timer);
  }

  private arm(s: Session): void {
    clearTimeout(s.timer);
    if (s.ttlMs <= 0) return;
    s.timer = setTimeout(() => this.invalidate(s.id), s.ttlMs * this.opts.ttlMultiplier);
    s.timer.unref();
  }
}

export function sessionJson(s: Session): Record<string, unknown> {
  return {
    ID: s.id, Name: s.name, Node: s.node, LockDelay: Math.round(s.lockDelayMs * 1e6), Behavior: s.behavior, TTL: s.ttl,
    NodeChecks: ['serfHealth'], ServiceChecks: null, CreateIndex: s.createIndex, ModifyIndex: s.createIndex,
  };
}

/** LockDelay: a Go duration string, or a number (seconds when small, else nanoseconds, as Consul reads it). */
function parseLockDelay(v: unknown): number | string {
  if (v === undefined || v === null || v === '') return DEFAULT_LOCK_DELAY_MS;
  if (typeof v === 'number') return v < 1000 ? v * 1000 : v / 1e6;
  if (typeof v !== 'string') return 'LockDelay must be a duration';
  const ms = parseGoDurationMs(v);
  if (ms === undefined) return `time: ${/^\d+(\.\d*)?$/.test(v) ? 'missing unit in' : 'invalid'} duration "${v}"`;
  return ms;
}

function formatGo(ms: number): string {
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export function registerSessionRoutes(server: SimServer, ctx: ConsulContext): void {
  const { sessions, store, guard } = ctx;

  server.route('PUT', '/v1/session/create', guard((req) => {
    const body = req.body.length ? parseJsonBody(req.body) : {};
    if (!body || typeof body !== 'object' || Array.isArray(body)) return { status: 400, text: 'Request decode failed: invalid JSON body' };
    const r = sessions.create(body as Record<string, unknown>);
    return 'id' in r ? { json: { ID: r.id } } : r;
  }));

  server.route('PUT', '/v1/session/renew/:id', guard((req) => {
    const s = sessions.renew(req.params.id ?? '');
    if (!s) return { status: 404, text: `Session id '${req.params.id}' not found` };
    return { json: [sessionJson(s)] };
  }));

  server.route('PUT', '/v1/session/destroy/:id', guard((req) => {
    const id = req.params.id ?? '';
    const problem = sessions.lookupProblem(id, false);
    if (problem) return { status: 500, text: problem };
    sessions.invalidate(id);
    return { json: true };
  }));

  server.route('GET', '/v1/session/info/:id', guard(async (req) => {
    const id = req.params.id ?? '';
    const blocked = await block(store, req, { replyIndex: () => sessions.index, watchIndex: () => sessions.index });
    if (blocked) return blocked;
    const s = sessions.get(id);
    return { json: s ? [sessionJson(s)] : [], headers: consulHeaders(sessions.index) };
  }));

  server.route('GET', '/v1/session/list', guard(async (req) => {
    const blocked = await block(store, req, { replyIndex: () => sessions.index, watchIndex: () => sessions.index });
    if (blocked) return blocked;
    return { json: sessions.list().map(sessionJson), headers: consulHeaders(sessions.index) };
  }));
}
