// What drover last applied, kept in Nomad Variables so it survives a restart (layout: src/core/memory.ts),
// plus the prune ledger (src/core/prune.ts). Reads happen once at start (and when leadership is gained);
// app records are written behind, batched per shard — a cold sync of thousands of apps costs a few dozen
// variable writes, not one per app — and the prune ledger is written *ahead* of every stop.
//
// Only the writer (leader) flushes. Writes use CAS; a conflict (someone else wrote the shard) re-reads
// the shard, lays our changes over it and tries again.
import type { NomadApi, NomadVariable } from '../clients/types.js';
import { DroverError, toDroverError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import {
  appliedPrefix, decodeRecord, encodeRecord, itemsSize, MAX_VARIABLE_BYTES, prunePath, shardOf, shardPath, type AppliedRecord,
} from '../core/memory.js';
import { decodeLedger, encodeLedger, emptyLedger, type PruneLedger } from '../core/prune.js';

/** Timer injection (tests pass a fake clock's scheduler). */
export type ScheduleFn = (fn: () => void, ms: number) => () => void;

export interface AppliedStoreOptions {
  nomad: NomadApi;
  owner: string;
  /** namespace of the prune ledger variable (drover's own: DROVER_NAMESPACE) */
  ledgerNamespace: string;
  logger: Logger;
  canWrite: () => boolean;
  /** delay between a change and its write; changes within it share one write per shard */
  flushDelayMs?: number;
  schedule?: ScheduleFn;
}

interface Shard {
  namespace: string;
  shard: number;
  /** ModifyIndex of the variable as last read or written; 0 = does not exist */
  modifyIndex: number;
  items: Map<string, string>;
  /** app names changed since the last write (their entry in `items` is the wanted value, or absent = delete) */
  dirty: Set<string>;
}

const defaultSchedule: ScheduleFn = (fn, ms) => {
  const t = setTimeout(fn, ms);
  t.unref?.();
  return () => clearTimeout(t);
};

export class AppliedStore {
  private readonly shards = new Map<string, Shard>();
  private ledgerState: { ledger: PruneLedger; modifyIndex: number } | undefined;
  private loadedOnce = false;
  private loading: Promise<void> | undefined;
  private flushing: Promise<void> | undefined;
  private cancelTimer: (() => void) | undefined;
  private readonly schedule: ScheduleFn;
  /** why the last load or write failed; cleared by the next success */
  lastError: DroverError | undefined;

  constructor(private readonly opts: AppliedStoreOptions) {
    this.schedule = opts.schedule ?? defaultSchedule;
  }

  /** true once every shard and the ledger were read: before that, nothing may decide on memory */
  get loaded(): boolean {
    return this.loadedOnce;
  }

  /** Reads every applied-state variable of this owner in every namespace, and the prune ledger. */
  load(signal?: AbortSignal): Promise<void> {
    this.loading ??= this.doLoad(signal).finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  get(namespace: string, name: string): AppliedRecord | undefined {
    const text = this.shards.get(shardKey(namespace, shardOf(name)))?.items.get(name);
    return text === undefined ? undefined : decodeRecord(text);
  }

  /** Records what was applied; written with the next flush. */
  set(namespace: string, name: string, record: AppliedRecord): void {
    const shard = this.shardFor(namespace, name);
    const text = encodeRecord(record);
    if (shard.items.get(name) === text) return;
    shard.items.set(name, text);
    shard.dirty.add(name);
    this.scheduleFlush();
  }

  delete(namespace: string, name: string): void {
    const shard = this.shardFor(namespace, name);
    if (!shard.items.has(name)) return;
    shard.items.delete(name);
    shard.dirty.add(name);
    this.scheduleFlush();
  }

  /** Every recorded app, for housekeeping. */
  *entries(): IterableIterator<{ namespace: string; name: string; record: AppliedRecord }> {
    for (const s of this.shards.values()) {
      for (const [name, text] of s.items) {
        const record = decodeRecord(text);
        if (record) yield { namespace: s.namespace, name, record };
      }
    }
  }

  /** Number of shard variables with changes not yet written. */
  pendingShards(): number {
    let n = 0;
    for (const s of this.shards.values()) if (s.dirty.size > 0) n += 1;
    return n;
  }

  /** Writes every dirty shard now (the leader only). Errors are kept in lastError and retried at the next flush. */
  flush(): Promise<void> {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    if (this.flushing) return this.flushing.then(() => (this.pendingShards() > 0 ? this.flush() : undefined));
    this.flushing = this.doFlush().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** The prune ledger as last read or written; undefined until loaded (or when the stored one is unreadable). */
  ledger(): PruneLedger | undefined {
    return this.ledgerState?.ledger;
  }

  /** Write-ahead: resolves once the ledger is stored; throws (and changes nothing) when it cannot be. */
  async saveLedger(ledger: PruneLedger): Promise<void> {
    if (!this.opts.canWrite()) throw new DroverError('not-leader', 'this instance may not write (not the leader)');
    const state = this.ledgerState;
    if (!state) throw new DroverError('unavailable', 'the prune ledger has not been read', { upstream: 'nomad' });
    const text = encodeLedger(ledger);
    if (Buffer.byteLength(text) + 5 > MAX_VARIABLE_BYTES) {
      throw new DroverError('rejected', `the prune ledger would exceed Nomad's 64 KiB variable limit (${Buffer.byteLength(text)} bytes)`, { upstream: 'nomad' });
    }
    const r = await this.opts.nomad.writeVariable({ Namespace: this.opts.ledgerNamespace, Path: prunePath(this.opts.owner), Items: { state: text } }, { cas: state.modifyIndex });
    if (!r.ok) {
      // Someone else wrote it (an old leader's last pass): take theirs and let the next pass decide again.
      const theirs = r.conflict as typeof r.conflict | null;
      this.ledgerState = { ledger: decodeLedger(theirs?.Items?.state) ?? emptyLedger(), modifyIndex: theirs?.ModifyIndex ?? 0 };
      throw new DroverError('conflict', 'the prune ledger changed under this pass; it is decided again', { upstream: 'nomad' });
    }
    this.ledgerState = { ledger, modifyIndex: r.variable.ModifyIndex };
  }

  private async doLoad(signal?: AbortSignal): Promise<void> {
    try {
      const { nomad, owner } = this.opts;
      const metas = await nomad.listVariables({ prefix: appliedPrefix(owner), namespace: '*', signal });
      const read = new Map<string, Shard>();
      for (const meta of metas) {
        const shard = Number.parseInt(meta.Path.slice(appliedPrefix(owner).length), 10);
        if (!Number.isInteger(shard) || meta.Path !== shardPath(owner, shard)) continue; // not one of ours
        const v = await nomad.readVariable(meta.Path, { namespace: meta.Namespace, signal });
        if (v) read.set(shardKey(v.Namespace, shard), shardFrom(v, shard));
      }
      const lv = await nomad.readVariable(prunePath(owner), { namespace: this.opts.ledgerNamespace, signal });
      const ledger = lv ? decodeLedger(lv.Items?.state) : emptyLedger();
      // Local changes not yet written win over what was read.
      for (const [key, local] of this.shards) {
        if (local.dirty.size === 0) continue;
        const base = read.get(key) ?? { ...local, modifyIndex: 0, items: new Map(), dirty: new Set() };
        for (const name of local.dirty) {
          const text = local.items.get(name);
          if (text === undefined) base.items.delete(name);
          else base.items.set(name, text);
          base.dirty.add(name);
        }
        read.set(key, base);
      }
      this.shards.clear();
      for (const [k, s] of read) this.shards.set(k, s);
      this.ledgerState = ledger ? { ledger, modifyIndex: lv?.ModifyIndex ?? 0 } : undefined;
      if (!ledger) this.opts.logger.error('the stored prune ledger is unreadable; prunes are held until it is repaired or deleted', { path: prunePath(owner) });
      this.loadedOnce = true;
      this.lastError = undefined;
    } catch (e) {
      this.lastError = toDroverError(e);
      throw this.lastError;
    }
  }

  private scheduleFlush(): void {
    if (this.cancelTimer || !this.opts.canWrite()) return;
    this.cancelTimer = this.schedule(() => {
      this.cancelTimer = undefined;
      void this.flush();
    }, this.opts.flushDelayMs ?? 1000);
  }

  private async doFlush(): Promise<void> {
    if (!this.opts.canWrite()) return;
    for (const shard of this.shards.values()) {
      if (shard.dirty.size === 0) continue;
      try {
        await this.writeShard(shard);
        this.lastError = undefined;
      } catch (e) {
        this.lastError = toDroverError(e);
        this.opts.logger.warn('writing drover\'s applied state failed; retried at the next change', { namespace: shard.namespace, path: shardPath(this.opts.owner, shard.shard), code: this.lastError.code, error: this.lastError.message });
      }
    }
    if (this.pendingShards() > 0 && this.lastError) this.scheduleFlush();
  }

  private async writeShard(shard: Shard): Promise<void> {
    const path = shardPath(this.opts.owner, shard.shard);
    for (let attempt = 0; attempt < 3; attempt++) {
      const written = new Set(shard.dirty);
      const items = Object.fromEntries(shard.items);
      if (Object.keys(items).length === 0) {
        // Nomad refuses a variable without items: an emptied shard is deleted.
        if (shard.modifyIndex > 0) await this.opts.nomad.deleteVariable(path, { namespace: shard.namespace, cas: shard.modifyIndex });
        shard.modifyIndex = 0;
        for (const n of written) shard.dirty.delete(n);
        return;
      }
      if (itemsSize(items) > MAX_VARIABLE_BYTES) {
        throw new DroverError('rejected', `${path} in namespace ${shard.namespace} would exceed Nomad's 64 KiB variable limit`, { upstream: 'nomad' });
      }
      const r = await this.opts.nomad.writeVariable({ Namespace: shard.namespace, Path: path, Items: items }, { cas: shard.modifyIndex });
      if (r.ok) {
        shard.modifyIndex = r.variable.ModifyIndex;
        // Changes made while the write was in flight stay dirty for the next flush.
        for (const n of written) if (shard.items.get(n) === (items[n] as string | undefined)) shard.dirty.delete(n);
        return;
      }
      // Someone else wrote this shard (or it is gone): keep their entries, lay ours over them, try again.
      const theirs = r.conflict as typeof r.conflict | null;
      shard.modifyIndex = theirs?.ModifyIndex ?? 0;
      const merged = new Map(Object.entries(theirs?.Items ?? {}));
      for (const n of shard.dirty) {
        const mine = shard.items.get(n);
        if (mine === undefined) merged.delete(n);
        else merged.set(n, mine);
      }
      shard.items = merged;
    }
    throw new DroverError('conflict', `${path}: kept conflicting with another writer`, { upstream: 'nomad' });
  }

  private shardFor(namespace: string, name: string): Shard {
    const shard = shardOf(name);
    const key = shardKey(namespace, shard);
    let s = this.shards.get(key);
    if (!s) {
      s = { namespace, shard, modifyIndex: 0, items: new Map(), dirty: new Set() };
      this.shards.set(key, s);
    }
    return s;
  }
}

function shardKey(namespace: string, shard: number): string {
  return `${namespace}\u0000${shard}`;
}

function shardFrom(v: NomadVariable, shard: number): Shard {
  return { namespace: v.Namespace, shard, modifyIndex: v.ModifyIndex, items: new Map(Object.entries(v.Items ?? {})), dirty: new Set() };
}
