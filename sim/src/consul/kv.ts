// The simulated Consul KV store: base64 values, flags, check-and-set, session locks (acquire/release,
// LockIndex, Session) and lock-delay after a lock's session is invalidated. Answers are the literal
// `true`/`false` Consul sends. Facts checked against a real 1.8.7 agent (see test/contract/).
import type { SimServer } from '../http.js';
import { block, consulHeaders } from './blocking.js';
import type { ConsulContext } from './context.js';

export interface KvEntry {
  key: string;
  value: Buffer | null;
  flags: number;
  session?: string;
  lockIndex: number;
  createIndex: number;
  modifyIndex: number;
}

export interface KvWrite {
  value: Buffer | null;
  flags?: number;
  cas?: number;
  acquire?: string;
  release?: string;
}

export class KvTable {
  private readonly entries = new Map<string, KvEntry>();
  /** last write index per key, kept after a delete (Consul's tombstones) so blocked readers wake */
  private readonly lastChange = new Map<string, number>();
  private readonly lockDelayUntil = new Map<string, number>();
  private tableIndex = 1;

  constructor(private readonly ctx: Pick<ConsulContext, 'store' | 'now'>) {}

  get index(): number {
    return this.tableIndex;
  }

  get(key: string): KvEntry | undefined {
    return this.entries.get(key);
  }

  list(prefix: string): KvEntry[] {
    return [...this.entries.values()].filter((e) => e.key.startsWith(prefix)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /**
   * The X-Consul-Index of a read, as Consul 1.8 computes it: a present key's ModifyIndex; for a prefix the
   * newest change under it (tombstones included); else the whole table's index.
   */
  readIndex(key: string, prefix: boolean): number {
    if (!prefix) return this.entries.get(key)?.modifyIndex ?? this.tableIndex;
    return this.changeIndex(key, true) || this.tableIndex;
  }

  /** The newest change (write or delete) to `key`, or to any key under it when `prefix`. */
  changeIndex(key: string, prefix: boolean): number {
    if (!prefix) return this.lastChange.get(key) ?? 0;
    let max = 0;
    for (const [k, i] of this.lastChange) if (k.startsWith(key) && i > max) max = i;
    return max;
  }

  /** Applies one PUT (the session of acquire/release was already checked); false = Consul's literal `false`. */
  put(key: string, w: KvWrite): boolean {
    const cur = this.entries.get(key);
    if (w.cas !== undefined) {
      if (w.cas === 0 ? cur !== undefined : cur?.modifyIndex !== w.cas) return false;
    }
    if (w.release !== undefined) {
      if (!cur || cur.session !== w.release) return false;
      this.write(key, { ...cur, value: w.value, flags: w.flags ?? cur.flags, session: undefined });
      return true;
    }
    if (w.acquire !== undefined) {
      if (cur?.session !== undefined && cur.session !== w.acquire) return false;
      if (cur?.session === undefined && (this.lockDelayUntil.get(key) ?? 0) > this.ctx.now()) return false;
      const lockIndex = cur?.session === w.acquire ? cur.lockIndex : (cur?.lockIndex ?? 0) + 1;
      this.write(key, { key, value: w.value, flags: w.flags ?? cur?.flags ?? 0, session: w.acquire, lockIndex, createIndex: cur?.createIndex ?? 0, modifyIndex: 0 });
      return true;
    }
    this.write(key, { key, value: w.value, flags: w.flags ?? 0, session: cur?.session, lockIndex: cur?.lockIndex ?? 0, createIndex: cur?.createIndex ?? 0, modifyIndex: 0 });
    return true;
  }

  delete(key: string, opts: { recurse?: boolean; cas?: number }): boolean {
    const cur = this.entries.get(key);
    if (opts.cas !== undefined && !opts.recurse && cur?.modifyIndex !== opts.cas) return false;
    const keys = opts.recurse ? this.list(key).map((e) => e.key) : cur ? [key] : [];
    if (keys.length === 0) return true;
    const idx = this.ctx.store.nextIndex();
    for (const k of keys) {
      this.entries.delete(k);
      this.lastChange.set(k, idx);
    }
    this.tableIndex = idx;
    this.ctx.store.changed();
    return true;
  }

  /** A session ended: its locks are released (or the keys deleted) and lock-delay starts on each key. */
  invalidateSession(id: string, behavior: 'release' | 'delete', lockDelayMs: number): void {
    const held = [...this.entries.values()].filter((e) => e.session === id);
    if (held.length === 0) return;
    const idx = this.ctx.store.nextIndex();
    const until = this.ctx.now() + lockDelayMs;
    for (const e of held) {
      if (lockDelayMs > 0) this.lockDelayUntil.set(e.key, until);
      if (behavior === 'delete') this.entries.delete(e.key);
      else this.entries.set(e.key, { ...e, session: undefined, modifyIndex: idx });
      this.lastChange.set(e.key, idx);
    }
    this.tableIndex = idx;
    this.ctx.store.changed();
  }

  private write(key: string, e: KvEntry): void {
    const idx = this.ctx.store.nextIndex();
    this.entries.set(key, { ...e, createIndex: e.createIndex || idx, modifyIndex: idx });
    this.lastChange.set(key, idx);
    this.tableIndex = idx;
    this.ctx.store.changed();
  }
}

export function kvJson(e: KvEntry): Record<string, unknown> {
  const out: Record<string, unknown> = {
    LockIndex: e.lockIndex, Key: e.key, Flags: e.flags, Value: e.value === null ? null : e.value.toString('base64'),
  };
  if (e.session) out.Session = e.session;
  out.CreateIndex = e.createIndex;
  out.ModifyIndex = e.modifyIndex;
  return out;
}

const MAX_VALUE_BYTES = 512 * 1024;

function parseUint(raw: string | null): number | undefined | Error {
  if (raw === null) return undefined;
  if (!/^\d+$/.test(raw)) return new Error(`strconv.ParseUint: parsing ${JSON.stringify(raw)}: invalid syntax`);
  return Number(raw);
}

export function registerKvRoutes(server: SimServer, ctx: ConsulContext): void {
  const { kv, store, guard } = ctx;

  server.route('GET', '/v1/kv/*key', guard(async (req) => {
    const key = req.params.key ?? '';
    const recurse = req.query.has('recurse') || req.query.has('keys');
    const blocked = await block(store, req, { replyIndex: () => kv.readIndex(key, recurse), watchIndex: () => kv.changeIndex(key, recurse) });
    if (blocked) return blocked;
    const headers = consulHeaders(kv.readIndex(key, recurse));
    if (req.query.has('keys')) {
      const keys = listKeys(kv.list(key), key, req.query.get('separator') ?? '');
      return keys.length ? { json: keys, headers } : { status: 404, text: '', headers };
    }
    const found = recurse ? kv.list(key) : [kv.get(key)].filter((e): e is KvEntry => e !== undefined);
    if (found.length === 0) return { status: 404, text: '', headers };
    if (req.query.has('raw') && !recurse) {
      return { status: 200, text: found[0]!.value?.toString('utf8') ?? '', headers };
    }
    return { json: found.map(kvJson), headers };
  }));

  server.route('PUT', '/v1/kv/*key', guard((req) => {
    const key = req.params.key ?? '';
    if (!key) return { status: 400, text: 'Missing key name' };
    const cas = parseUint(req.query.get('cas'));
    const flags = parseUint(req.query.get('flags'));
    if (cas instanceof Error) return { status: 500, text: cas.message };
    if (flags instanceof Error) return { status: 500, text: flags.message };
    const acquire = req.query.get('acquire') ?? undefined;
    const release = req.query.get('release') ?? undefined;
    if ((acquire !== undefined || release !== undefined) && cas !== undefined) {
      return { status: 400, text: `Conflicting flags: ${new URL(req.raw.url ?? '/', 'http://x').search.slice(1)}` };
    }
    if (req.body.length > MAX_VALUE_BYTES) {
      return { status: 413, text: `Request body(${req.body.length} bytes) too large, max size: ${MAX_VALUE_BYTES} bytes. See https://www.consul.io/docs/agent/options.html#kv_max_value_size.` };
    }
    const sessionId = acquire ?? release;
    if (sessionId !== undefined) {
      const problem = ctx.sessions.lookupProblem(sessionId, acquire !== undefined);
      if (problem) return { status: 500, text: problem };
    }
    const ok = kv.put(key, { value: req.body.length ? Buffer.from(req.body) : null, flags, cas, acquire, release });
    return { json: ok };
  }));

  server.route('DELETE', '/v1/kv/*key', guard((req) => {
    const key = req.params.key ?? '';
    const recurse = req.query.has('recurse');
    if (!key && !recurse) return { status: 400, text: 'Missing key name' };
    const cas = parseUint(req.query.get('cas'));
    if (cas instanceof Error) return { status: 500, text: cas.message };
    return { json: kv.delete(key, { recurse, cas }) };
  }));
}

function listKeys(entries: KvEntry[], prefix: string, separator: string): string[] {
  const out = new Set<string>();
  for (const e of entries) {
    if (!separator) {
      out.add(e.key);
      continue;
    }
    const rest = e.key.slice(prefix.length);
    const cut = rest.indexOf(separator);
    out.add(cut < 0 ? e.key : prefix + rest.slice(0, cut + separator.length));
  }
  return [...out];
}
