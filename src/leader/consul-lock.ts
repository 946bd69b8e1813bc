// Leader election through a Consul session lock (Consul's own recipe): one session per replica,
// `PUT kv/<key>?acquire=<session>` with the replica id as value, renewal at half the validity window,
// followers watch the key with blocking queries. See ./README.md for why `canWrite()` turns false
// before any other replica can acquire the lock. Errors are logged and retried, never thrown.
import type { ConsulApi, ConsulKVPair } from '../clients/types.js';
import type { Clock } from '../core/clock.js';
import { sleep, type Scheduler, type Timer } from '../core/scheduler.js';
import { plainScheduler } from '../scheduler.js';
import { formatDurationMs } from '../core/duration.js';
import { isDroverError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../metrics.js';
import { validateElectorOptions, windowMs } from './options.js';
import type { Leadership } from './types.js';

export interface LeaderElectorOptions {
  consul: ConsulApi;
  /** KV key of the lock, e.g. `drover/leader` */
  key: string;
  /** session TTL (Consul accepts 10 s .. 24 h) */
  ttlMs: number;
  /** Consul lock-delay after the holder's session is invalidated (default 15 s, Consul's default) */
  lockDelayMs?: number;
  /** this replica's identity (e.g. `hostname:pid`), stored as the lock value */
  id: string;
  logger: Logger;
  metrics?: Metrics;
  clock?: Clock;
  /** the renewal deadline and retry pauses; default Node's timers. Also the clock when `clock` is not given */
  scheduler?: Scheduler;
  /** subtracted from the validity window (default 20 % of it) */
  marginMs?: number;
  /** pause between attempts after a failure or a refused acquire (default 500 ms) */
  retryMs?: number;
  /** longest blocking-query wait of the key watch (default 30 s) */
  watchWaitMs?: number;
}

export type StepDownReason = 'stopped' | 'session-lost' | 'lock-lost' | 'renew-deadline';
type ChangeListener = (leader: boolean) => void;

export class ConsulLeaderElector implements Leadership {
  readonly enabled = true;
  private readonly consul: ConsulApi;
  private readonly clock: Clock;
  private readonly scheduler: Scheduler;
  private readonly log: Logger;
  private readonly ttlMs: number;
  private readonly lockDelayMs: number;
  private readonly renewEveryMs: number;
  private readonly marginMs: number;
  private readonly retryMs: number;
  private readonly watchWaitMs: number;
  private readonly listeners = new Set<ChangeListener>();

  private sessionId: string | undefined;
  private leading = false;
  private renewedAt = 0;
  private aliveAt = 0;
  private nextRenewAt = 0;
  private watchIndex = 0;
  private holder: string | undefined;
  private running = false;
  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  private deadlineTimer: Timer | undefined;
  private lastFailure = '';
  private lastFailureLoggedAt = 0;

  constructor(private readonly opts: LeaderElectorOptions) {
    validateElectorOptions(opts);
    this.consul = opts.consul;
    this.scheduler = opts.scheduler ?? plainScheduler;
    this.clock = opts.clock ?? this.scheduler;
    this.log = opts.logger.child({ component: 'leader', key: opts.key, id: opts.id });
    this.ttlMs = opts.ttlMs;
    this.lockDelayMs = opts.lockDelayMs ?? 15_000;
    const w = windowMs(this.ttlMs, this.lockDelayMs);
    this.renewEveryMs = Math.floor(w / 2);
    this.marginMs = opts.marginMs ?? Math.floor(w / 5);
    this.retryMs = opts.retryMs ?? 500;
    this.watchWaitMs = opts.watchWaitMs ?? 30_000;
    opts.metrics?.leader.set(0);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    this.loop = this.run();
  }

  /**
   * Steps down at once (so `canWrite()` is false before the lock is freed), then gives the lock up.
   * `release: true` (the default; the caller's writes have all been answered) releases the key, so a
   * follower takes over at once. `release: false` (a write may still land) only destroys the session:
   * Consul then holds the key for lock-delay, and no follower can write while that write lands.
   */
  async stop(opts: { release?: boolean } = {}): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stepDown('stopped');
    this.abort.abort();
    await this.loop;
    const sid = this.sessionId;
    this.sessionId = undefined;
    if (!sid) return;
    // Released even when not leading: an acquire may have landed while stopping. Release frees the key
    // without lock-delay, so a follower takes over at once; destroying alone holds it for lock-delay.
    if (opts.release ?? true) await this.quietly('release', () => this.consul.kvPut(this.opts.key, this.opts.id, { release: sid }));
    else this.log.warn('writes may still be in flight: session destroyed without releasing the lock, so lock-delay keeps followers out', { lockDelayMs: this.lockDelayMs });
    await this.quietly('destroy session', () => this.consul.sessionDestroy(sid));
  }

  /** This replica holds the lock and its validity deadline has not passed. */
  isLeader(): boolean {
    return this.leading && this.clock.now() < this.deadline();
  }

  /** Called right before every write: true only while no other replica can have become leader. */
  canWrite(): boolean {
    return this.isLeader();
  }

  /** The lock holder's id as last seen in the KV (undefined when nobody holds it or it was never read). */
  leaderId(): string | undefined {
    return this.isLeader() ? this.opts.id : this.holder;
  }

  /** Reads the lock holder's id from Consul now. */
  async readLeaderId(): Promise<string | undefined> {
    const r = await this.consul.kvGet(this.opts.key);
    this.holder = holderOf(r.value);
    return this.holder;
  }

  /** Epoch ms until which writes are allowed (0 when not leading). */
  deadline(): number {
    if (!this.leading) return 0;
    return Math.min(this.aliveAt + this.lockDelayMs, this.renewedAt + this.ttlMs) - this.marginMs;
  }

  onChange(cb: ChangeListener): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        if (!this.sessionId) await this.createSession();
        else if (this.clock.now() >= this.nextRenewAt) await this.renew();
        else if (this.leading) await this.watchAsLeader();
        else await this.watchAsFollower();
      } catch (e) {
        if (!this.running) break;
        this.logFailure(describe(e));
        await this.sleep(this.retryMs);
      }
    }
  }

  private async createSession(): Promise<void> {
    const sentAt = this.clock.now();
    this.sessionId = await this.consul.sessionCreate({
      name: `drover-leader ${this.opts.id}`, ttl: formatDurationMs(this.ttlMs), behavior: 'release', lockDelay: formatDurationMs(this.lockDelayMs),
    });
    this.renewedAt = sentAt;
    this.nextRenewAt = sentAt + this.renewEveryMs;
    this.watchIndex = 0;
    this.log.debug('session created');
  }

  private async renew(): Promise<void> {
    const sid = this.sessionId!;
    const sentAt = this.clock.now();
    try {
      await this.consul.sessionRenew(sid);
    } catch (e) {
      if (isDroverError(e) && e.code === 'not-found') {
        this.log.warn('session gone; starting over');
        this.sessionId = undefined;
        this.stepDown('session-lost');
        return;
      }
      this.nextRenewAt = this.clock.now() + this.retryMs;
      throw e;
    }
    this.renewedAt = sentAt;
    this.nextRenewAt = sentAt + this.renewEveryMs;
    this.lastFailure = '';
    if (this.leading) this.armDeadline();
  }

  /** Blocks on the key until the next renewal is due; steps down when the key is no longer ours. */
  private async watchAsLeader(): Promise<void> {
    const sentAt = this.clock.now();
    const pair = await this.readKey(this.nextRenewAt - sentAt);
    if (pair === RENEWAL_DUE || !this.leading) return;
    if (pair?.Session !== this.sessionId) {
      this.log.warn('lock key no longer held by this session');
      this.stepDown('lock-lost');
      return;
    }
    // A read naming our session proves it alive and the lock ours at send time.
    this.aliveAt = Math.max(this.aliveAt, sentAt);
    this.armDeadline();
  }

  /** Blocks on the key; when it is free (or still ours after a lapse) tries to acquire it. */
  private async watchAsFollower(): Promise<void> {
    const pair = await this.readKey(this.nextRenewAt - this.clock.now());
    if (pair === RENEWAL_DUE) {
      // Renew now; then read the key at once (no blocking on the unchanged index) and try it if free.
      this.watchIndex = 0;
      return;
    }
    // No early return when a renewal has come due: a free key must be tried now, or a follower whose
    // blocking read ran its full wait would renew, block on the unchanged index again, and never acquire.
    if (!this.running || (pair?.Session && pair.Session !== this.sessionId)) return;
    // Renew first when due, so leadership starts with a fresh renewal rather than an expired deadline.
    if (this.clock.now() >= this.nextRenewAt) await this.renew();
    if (!this.sessionId) return;
    const sentAt = this.clock.now();
    let got: boolean;
    try {
      got = await this.consul.kvPut(this.opts.key, this.opts.id, { acquire: this.sessionId! });
    } catch (e) {
      this.nextRenewAt = 0; // an invalid session fails the acquire: let the renewal find out and start over
      throw e;
    }
    if (got && this.running) return this.becomeLeader(sentAt);
    this.log.debug('acquire refused (lock-delay)', { index: this.watchIndex });
    // Refused while the key looks free: lock-delay holds it. Poll instead of blocking on an unchanged index.
    this.watchIndex = 0;
    await this.sleep(this.retryMs);
  }

  /**
   * Reads the lock key; a blocking read is cut off when the next renewal comes due on the scheduler
   * (the `leader-renew` timer), so renewals keep their time whatever the server does with the wait.
   */
  private async readKey(maxWaitMs: number): Promise<ConsulKVPair | null | typeof RENEWAL_DUE> {
    const waitMs = Math.max(1, Math.min(maxWaitMs, this.watchWaitMs));
    if (this.watchIndex === 0) return this.keyFrom(await this.consul.kvGet(this.opts.key, { signal: this.abort.signal }), 0);
    const due = new AbortController();
    // Consul answers a blocking read after the wait plus up to wait/16 of jitter; a read still open
    // after that (and a little latency) would hold the renewal up: it is cut off.
    const cutAfter = Math.max(0, this.nextRenewAt - this.clock.now(), waitMs) + Math.ceil(waitMs / 16) + READ_GRACE_MS;
    const renewTimer = this.scheduler.timeout('leader-renew', cutAfter, () => due.abort());
    try {
      return this.keyFrom(await this.consul.kvGet(this.opts.key, { index: this.watchIndex, waitMs, signal: AbortSignal.any([this.abort.signal, due.signal]) }), waitMs);
    } catch (e) {
      if (due.signal.aborted && !this.abort.signal.aborted) return RENEWAL_DUE;
      throw e;
    } finally {
      renewTimer.cancel();
    }
  }

  private keyFrom(r: { value: ConsulKVPair | null; index: number }, waitMs: number): ConsulKVPair | null {
    this.watchIndex = r.index < this.watchIndex ? 0 : Math.max(r.index, 1);
    this.holder = holderOf(r.value);
    this.log.debug('lock key read', { holder: this.holder ?? null, index: r.index, waitMs });
    return r.value;
  }

  private becomeLeader(acquiredAt: number): void {
    this.leading = true;
    this.aliveAt = acquiredAt;
    this.holder = this.opts.id;
    // Acquire does not reset the session TTL: renew at once so the deadline starts from a fresh renewal.
    this.nextRenewAt = Math.min(this.nextRenewAt, acquiredAt);
    this.armDeadline();
    this.opts.metrics?.leader.set(1);
    this.log.info('became leader');
    this.emit(true);
  }

  private stepDown(reason: StepDownReason): void {
    this.deadlineTimer?.cancel();
    if (!this.leading) return;
    this.leading = false;
    this.opts.metrics?.leader.set(0);
    this.log.warn('stepped down', { reason });
    this.emit(false);
  }

  /** Turns leadership off (gauge, listeners) the moment the deadline passes, even while a request hangs. */
  private armDeadline(): void {
    this.deadlineTimer?.cancel();
    const ms = this.deadline() - this.clock.now();
    if (ms <= 0) return this.stepDown('renew-deadline');
    this.deadlineTimer = this.scheduler.timeout('leader-deadline', ms + 1, () => {
      if (this.leading && this.clock.now() >= this.deadline()) this.stepDown('renew-deadline');
      else if (this.leading) this.armDeadline();
    });
  }

  private emit(leader: boolean): void {
    for (const cb of [...this.listeners]) {
      try {
        cb(leader);
      } catch (e) {
        this.log.error('leader change listener failed', { error: describe(e) });
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return sleep(this.scheduler, 'leader-retry', ms, this.abort.signal);
  }

  /** One warning per distinct failure (Consul down would otherwise log every retry), repeats at debug. */
  private logFailure(error: string): void {
    const now = this.clock.now();
    if (error === this.lastFailure && now - this.lastFailureLoggedAt < 60_000) {
      this.log.debug('leader election step failed again; retrying', { error });
      return;
    }
    this.lastFailure = error;
    this.lastFailureLoggedAt = now;
    this.log.warn('leader election step failed; retrying', { error, retryMs: this.retryMs });
  }

  private async quietly(what: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      this.log.warn(`leader shutdown: ${what} failed`, { error: describe(e) });
    }
  }
}

/** How long past the server's longest answer time a blocking key read may stay open. */
const READ_GRACE_MS = 250;

/** readKey's answer when the renewal came due before the key changed. */
const RENEWAL_DUE = Symbol('renewal-due');

function holderOf(pair: ConsulKVPair | null): string | undefined {
  if (!pair?.Session || pair.Value === null) return undefined;
  return Buffer.from(pair.Value, 'base64').toString('utf8');
}

function describe(e: unknown): string {
  if (isDroverError(e)) return `${e.code}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}
