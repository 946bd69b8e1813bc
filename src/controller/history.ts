// What happened to each app, for the web UI's history, its live updates (SSE) and outgoing
// notifications: a bounded in-memory log. Two ways in, both single calls the controller makes:
//   - record({...}): an action the controller took (created, rollout, drift healed, drift detected);
//   - observe(status): every published status; the log derives the transitions itself (sync failed,
//     degraded, conflict, prune held/stopped, invalid, recovered, rollout done) by comparing with the
//     last status it saw of that app, so a caller never has to know which change is worth telling.
// Bounds: HISTORY_PER_APP events per app and HISTORY_TOTAL events overall (the oldest go first), and the
// last-seen summary of at most HISTORY_TRACKED_APPS apps. Nothing here does I/O; time is the injected clock.
// Messages come from status fields, which never carry a token or a secret value.
import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { systemClock } from '../scheduler.js';
import type { AppStatus } from '../core/status.js';

export const HISTORY_PER_APP = 50;
export const HISTORY_TOTAL = 10_000;
export const HISTORY_TRACKED_APPS = 20_000;

/** The kinds a notification can be asked for are the first six. */
export const NOTIFY_KINDS = ['sync-failed', 'degraded', 'conflict', 'prune-held', 'drift-healed', 'rollout-done'] as const;
export const HISTORY_KINDS = [
  ...NOTIFY_KINDS,
  'created', 'rollout-started', 'drift-detected', 'invalid', 'pruned', 'recovered',
] as const;
export type HistoryKind = (typeof HISTORY_KINDS)[number];
export type Severity = 'info' | 'warning' | 'error';

export interface HistoryEvent {
  /** increases by one per event of this log */
  seq: number;
  /** ISO time */
  at: string;
  namespace: string;
  name: string;
  kind: HistoryKind;
  severity: Severity;
  message: string;
  /** the git revision the app's status named when it happened */
  revision?: string;
}

export type HistoryInput = Pick<HistoryEvent, 'namespace' | 'name' | 'kind' | 'message'> & { revision?: string; severity?: Severity };

export type HistoryChange = { type: 'event'; event: HistoryEvent } | { type: 'status'; namespace: string; name: string };

/** The calls the controller makes (kept small so they move with the code that decides). */
export interface HistorySink {
  record(e: HistoryInput): void;
  observe(status: AppStatus): void;
}

interface Seen {
  digest: string;
  sync: string;
  health: string;
  error?: string;
  pruneHeld: boolean;
  pruned: boolean;
  rolloutPending: boolean;
}

const SEVERITY: Record<HistoryKind, Severity> = {
  'sync-failed': 'error', degraded: 'error', conflict: 'error', 'prune-held': 'warning', 'drift-healed': 'info', 'rollout-done': 'info',
  created: 'info', 'rollout-started': 'info', 'drift-detected': 'warning', invalid: 'error', pruned: 'info', recovered: 'info',
};

export class History implements HistorySink {
  private readonly byApp = new Map<string, HistoryEvent[]>();
  /** every event in arrival order (events already evicted by the per-app cap are skipped when they come up) */
  private order: HistoryEvent[] = [];
  private orderHead = 0;
  private readonly seen = new Map<string, Seen>();
  private readonly listeners = new Set<(c: HistoryChange) => void>();
  private seq = 0;
  private readonly clock: Clock;
  private readonly perApp: number;
  private readonly total: number;
  private readonly tracked: number;

  constructor(opts: { clock?: Clock; perApp?: number; total?: number; trackedApps?: number } = {}) {
    this.clock = opts.clock ?? systemClock;
    this.perApp = opts.perApp ?? HISTORY_PER_APP;
    this.total = opts.total ?? HISTORY_TOTAL;
    this.tracked = opts.trackedApps ?? HISTORY_TRACKED_APPS;
  }

  record(e: HistoryInput): void {
    const event: HistoryEvent = {
      seq: ++this.seq,
      at: new Date(this.clock.now()).toISOString(),
      namespace: e.namespace,
      name: e.name,
      kind: e.kind,
      severity: e.severity ?? SEVERITY[e.kind],
      message: e.message,
      ...(e.revision ? { revision: e.revision } : {}),
    };
    const key = `${e.namespace}/${e.name}`;
    if (e.kind === 'created' || e.kind === 'rollout-started') {
      const s = this.seen.get(key);
      if (s) s.rolloutPending = true;
      else this.remember(key, { digest: '', sync: 'Unknown', health: 'Unknown', pruneHeld: false, pruned: false, rolloutPending: true });
    }
    let list = this.byApp.get(key);
    if (!list) this.byApp.set(key, (list = []));
    list.push(event);
    if (list.length > this.perApp) list.shift();
    this.order.push(event);
    while (this.order.length - this.orderHead > this.total) this.evict(this.order[this.orderHead++]!);
    if (this.orderHead > 4096 && this.orderHead * 2 > this.order.length) {
      this.order = this.order.slice(this.orderHead);
      this.orderHead = 0;
    }
    this.emit({ type: 'event', event });
  }

  observe(status: AppStatus): void {
    const key = `${status.namespace}/${status.name}`;
    const digest = createHash('sha1').update(JSON.stringify(status)).digest('base64');
    const prev = this.seen.get(key);
    if (prev && prev.digest === digest) return;
    const before: Seen = prev ?? { digest: '', sync: 'Unknown', health: 'Unknown', pruneHeld: false, pruned: false, rolloutPending: false };
    const now: Seen = {
      digest,
      sync: status.sync,
      health: status.health,
      ...(status.lastError ? { error: `${status.lastError.code}: ${status.lastError.message}` } : {}),
      pruneHeld: pruneHeld(status) !== undefined,
      pruned: pruneStopped(status),
      rolloutPending: before.rolloutPending,
    };
    this.remember(key, now);
    const base = { namespace: status.namespace, name: status.name, ...(status.source?.revision ? { revision: status.source.revision } : {}) };
    const { sync, health } = now;
    if (sync === 'Invalid' && before.sync !== 'Invalid') this.record({ ...base, kind: 'invalid', message: status.problems?.[0] ?? 'the spec is invalid' });
    if (sync === 'Conflict' && before.sync !== 'Conflict') this.record({ ...base, kind: 'conflict', message: conflictMessage(status) });
    if (now.error && now.error !== before.error) this.record({ ...base, kind: 'sync-failed', message: now.error });
    if (!now.error && before.error) this.record({ ...base, kind: 'recovered', message: `the last pass succeeded after: ${before.error}` });
    if (health === 'Degraded' && before.health !== 'Degraded') this.record({ ...base, kind: 'degraded', message: status.healthReasons.join('; ') || 'degraded' });
    if (now.pruneHeld && !before.pruneHeld) this.record({ ...base, kind: 'prune-held', message: pruneHeld(status)! });
    if (now.pruned && !before.pruned) this.record({ ...base, kind: 'pruned', message: 'stopped: no app declares it' });
    if (health === 'Healthy' && now.rolloutPending) {
      now.rolloutPending = false;
      this.record({ ...base, kind: 'rollout-done', message: `healthy at job version ${status.job?.version ?? '?'}` });
    }
    this.emit({ type: 'status', namespace: status.namespace, name: status.name });
  }

  /** One app's events, oldest first. */
  list(namespace: string, name: string): HistoryEvent[] {
    return [...(this.byApp.get(`${namespace}/${name}`) ?? [])];
  }

  /** The latest `limit` events of every app, newest first. */
  recent(limit = 100): HistoryEvent[] {
    const out: HistoryEvent[] = [];
    for (let i = this.order.length - 1; i >= this.orderHead && out.length < limit; i--) {
      const e = this.order[i]!;
      if (this.byApp.get(`${e.namespace}/${e.name}`)?.includes(e)) out.push(e);
    }
    return out;
  }

  /** Events held now (never more than the total bound). */
  size(): number {
    let n = 0;
    for (const l of this.byApp.values()) n += l.length;
    return n;
  }

  subscribe(listener: (c: HistoryChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(c: HistoryChange): void {
    for (const l of this.listeners) {
      try {
        l(c);
      } catch {
        // a listener's failure (a closed SSE socket, a full notification queue) never reaches the controller
      }
    }
  }

  private evict(e: HistoryEvent): void {
    const key = `${e.namespace}/${e.name}`;
    const list = this.byApp.get(key);
    if (!list || list[0] !== e) return; // already gone through the per-app cap
    list.shift();
    if (list.length === 0) this.byApp.delete(key);
  }

  private remember(key: string, s: Seen): void {
    this.seen.delete(key); // re-inserted last: the map's order is least recently changed first
    this.seen.set(key, s);
    if (this.seen.size > this.tracked) this.seen.delete(this.seen.keys().next().value!);
  }
}

/** The held-prune reason of a managed job no app declares (status.pruning). */
function pruneHeld(s: AppStatus): string | undefined {
  return s.pruning?.state === 'held' ? `prune held: ${s.pruning.reason ?? 'waiting for approval'}` : undefined;
}

function pruneStopped(s: AppStatus): boolean {
  return s.pruning?.state === 'stopped';
}

function conflictMessage(s: AppStatus): string {
  const c = s.conflict;
  return c?.message ?? 'a live job with this ID is not drover\'s';
}
