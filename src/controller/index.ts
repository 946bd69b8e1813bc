// The controller: joins snapshot source, Nomad and the pure core. It turns triggers (new snapshot,
// Nomad job events, periodic resync, retries) into app keys on a work queue and keeps per-app status.
// Steady state is cheap: a resync lists all jobs once and only re-reads apps whose live job moved.
// With a Consul client, each resync (and each settled rollout) also verifies running apps' services
// (service-verify.ts): catalog reads only, no Nomad request for provider consul, never a write.
// Timers (resync, gauge refresh, queue backoff, event-stream reconnect) go through the Scheduler.
// stop() is graceful: new work off, reads aborted, in-flight writes waited for (bounded), then the rest.
// Must not import: node:http, @nestjs/* (the Nest module wraps this class).
import type { ConsulApi, NomadApi, VaultApi } from '../clients/types.js';
import type { Config } from '../config.js';
import type { Clock } from '../core/clock.js';
import { describeCause, DroverError, toDroverError, type Upstream } from '../core/errors.js';
import type { Scheduler, Timer } from '../core/scheduler.js';
import { plainScheduler, systemClock } from '../scheduler.js';
import type { Logger } from '../core/logger.js';
import type { Deployment, JobListStub, NomadJob } from '../core/nomad-types.js';
import { parseNomadVersion, type NomadVersion } from '../core/nomad-version.js';
import { approvePrune, jobKey, type LiveJobRef } from '../core/prune.js';
import type { AppStatus } from '../core/status.js';
import type { BUG_SITES, Metrics } from '../metrics.js';
import type { SnapshotSource } from '../source/types.js';
import type { HistorySink } from './history.js';
import type { ControllerApi, PromoteResult, ReadinessCheck } from './types.js';
import { promoteApp } from './promote.js';
import type { AppRecord } from './app-record.js';
import { applySnapshot, type DesiredState } from './desired.js';
import { AppliedStore } from './applied-store.js';
import { runPrunePass, type OrphanStatus } from './prune-pass.js';
import { UpstreamHealth } from './upstream-health.js';
import { RouteChecker } from './route-check.js';
import type { TraefikApi } from '../clients/traefik.js';
import { publish, reconcileApp, type DriftSource, type ReconcileContext } from './reconcile.js';
import { applyHealth, verifiable, verifyServices, type VerifyContext } from './service-verify.js';
import { WorkQueue, type BackoffOptions, type WorkResult } from './workqueue.js';
import { EventWatcher } from './events.js';
import { readHealth, recomputeHealth, type HealthContext } from './health-follow.js';
import { emptyObserved, observeAlloc, observeDeployment, observeEvaluation, slimAlloc } from './observed.js';
import { slimJob } from './app-record.js';
import { abortableConsul, abortableNomad, sharedAbortController } from './abortable.js';
import { StatusVersion } from './status-version.js';

export interface ControllerDeps {
  config: Config;
  nomad: NomadApi;
  source: SnapshotSource;
  metrics: Metrics;
  logger: Logger;
  clock?: Clock;
  /** every timer (resync, gauges, backoff, event-stream reconnect); default Node's timers. Also the clock when `clock` is not given */
  scheduler?: Scheduler;
  /** optional write guard (leader election): called right before every Nomad write; false → no write, error code not-leader */
  canWrite?: () => boolean;
  /** retry backoff (defaults 5 ms × 2^n, capped at 5 min); tests shorten it */
  backoff?: Partial<BackoffOptions>;
  /** leader identity, when leader election is on */
  leaderId?: () => string | undefined;
  /** set → running apps' services are verified against the catalog (Consul, or Nomad's own for provider nomad) */
  consul?: ConsulApi;
  /** set (VAULT_ADDR) → Vault pre-flight before writing a job whose Vault templates changed */
  vault?: VaultApi;
  /** set (TRAEFIK_API_ADDR) → the route check: Traefik routes what each app's tags declare */
  traefik?: TraefikApi;
  /** what drover last applied; default: Nomad Variables through `nomad` */
  store?: AppliedStore;
  /** store writes are batched for this long (default 1 s) */
  storeFlushDelayMs?: number;
  /** the per-app event log the web UI and notifications read (history.ts) */
  history?: HistorySink;
}

/** What POST /apps/:ns/:name/approve-prune came to. */
export type ApproveResult = 'approved' | 'not-held' | 'not-leader' | 'unavailable';

export class Controller implements ControllerApi {
  private readonly records = new Map<string, AppRecord>();
  private readonly sources = new Map<string, DriftSource>();
  /** keys whose services are to be verified on their next turn in the queue */
  private readonly verifyRequested = new Set<string>();
  /** keys whose health is re-read (allocations, deployment) on their next turn, without a reconcile */
  private readonly healthRequested = new Set<string>();
  private readonly verifier: VerifyContext | undefined;
  private readonly routes: RouteChecker | undefined;
  private readonly healthCtx: HealthContext;
  private events: EventWatcher | undefined;
  private readonly queue: WorkQueue;
  private readonly clock: Clock;
  private readonly ctx: ReconcileContext;
  private desired: DesiredState | undefined;
  private orphans: OrphanStatus[] = [];
  private readonly upstreams: UpstreamHealth;
  readonly store: AppliedStore;
  private snapshotError: string | undefined;
  private nomadVersion: NomadVersion | undefined;
  /** the highest jobs-table index known (listings, and every job ModifyIndex seen): a listing lower than it means the cluster started over */
  private jobsIndex = 0;
  private versionWarned = false;
  /** bumped by every job event and write; a listing only vouches for keys untouched since it started */
  private touchSeq = 0;
  private readonly touched = new Map<string, number>();
  private resyncTimer: Timer | undefined;
  private gaugeTimer: Timer | undefined;
  private readonly scheduler: Scheduler;
  private readonly status = new StatusVersion();
  /** set by stop(): no write starts from then on */
  private stopRequested = false;
  private stopping: Promise<{ drained: boolean }> | undefined;
  private readonly abort = sharedAbortController();
  private eventsDone: Promise<void> | undefined;
  /**
   * Settles once the event stream is open (or could not be opened: a reconnect or an error). Nothing is written
   * before: the first apps' allocations would otherwise start before the subscription and their health would
   * wait for a re-read. The stream starts at the jobs index read before that (`streamFrom`), so the gap between
   * the read and the open is replayed from Nomad's event buffer.
   */
  private streamReady: Promise<void> = Promise.resolve();
  private markStreamReady: () => void = () => undefined;
  private resyncRunning: Promise<void> | undefined;
  /** a resync with service verification was asked for and has not begun */
  private verifyWanted = false;
  private readonly pending = new Set<Promise<unknown>>();
  private started = false;
  private snapshotChain: Promise<void> = Promise.resolve();
  /** the revision last handed to queueSnapshot: the first fetch's snapshot arrives by the callback and by start() */
  private lastQueuedRevision: string | undefined;

  constructor(private readonly deps: ControllerDeps) {
    this.scheduler = deps.scheduler ?? plainScheduler;
    this.clock = deps.clock ?? deps.scheduler ?? systemClock;
    const nomad = abortableNomad(deps.nomad, this.abort.signal);
    this.upstreams = new UpstreamHealth(['nomad', ...(deps.consul ? ['consul' as const] : []), ...(deps.vault ? ['vault' as const] : []), ...(deps.traefik ? ['traefik' as const] : [])], (wasUnreachable) => {
      // Nomad became (un)reachable: every app's sync says so (Unknown while nothing about the cluster is current).
      if (wasUnreachable !== undefined) for (const rec of this.records.values()) publish(rec, this.ctx);
    });
    // Not the abortable client: what was applied is still written after the stop aborted the reads.
    this.store = deps.store ?? new AppliedStore({
      nomad: deps.nomad, owner: deps.config.cluster.owner, ledgerNamespace: deps.config.cluster.namespace, logger: deps.logger,
      canWrite: () => this.canWrite(), flushDelayMs: deps.storeFlushDelayMs,
      schedule: (fn, ms) => {
        const t = this.scheduler.timeout('applied-state-flush', ms, fn);
        return () => t.cancel();
      },
    });
    this.ctx = {
      nomad,
      statusVersion: this.status,
      onBug: (key, e) => this.bug('reconcile', e, key),
      metrics: deps.metrics,
      logger: deps.logger,
      clock: this.clock,
      canWrite: () => this.canWrite(),
      store: this.store,
      owner: deps.config.cluster.owner,
      selfHeal: deps.config.selfHeal,
      revision: () => this.desired?.revision,
      ...(deps.vault ? { vault: deps.vault } : {}),
      reached: (upstream, error) => this.reached(upstream, error),
      nomadUnreachable: () => this.upstreams.unreachable('nomad'),
      touch: (key) => this.touch(key),
      nomadVersion: () => this.nomadVersion,
      ...(deps.history ? { history: deps.history } : {}),
    };
    this.healthCtx = { nomad, store: this.store, logger: deps.logger, canWrite: () => this.canWrite(), clock: this.clock };
    this.routes = deps.traefik
      ? new RouteChecker({ traefik: deps.traefik, prefix: deps.config.cluster.traefikPrefix, metrics: deps.metrics, logger: deps.logger, clock: this.clock, reached: (u, e) => this.reached(u, e) })
      : undefined;
    this.verifier = deps.consul ? { consul: abortableConsul(deps.consul, this.abort.signal), nomad, metrics: deps.metrics, logger: deps.logger, clock: this.clock, keepInstances: this.routes !== undefined } : undefined;
    this.queue = new WorkQueue({
      concurrency: deps.config.concurrency,
      clock: this.clock,
      scheduler: this.scheduler,
      onBug: (key, e) => this.bug('workqueue', e, key),
      backoff: deps.backoff,
      worker: (key) => this.work(key),
      onDepth: (d) => deps.metrics.workqueueDepth.set(d),
      onRetry: () => deps.metrics.workqueueRetries.inc(),
    });
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.deps.metrics.leader.set(this.canWrite() ? 1 : 0);
    this.streamReady = new Promise<void>((resolve) => (this.markStreamReady = resolve));
    this.deps.source.onSnapshot((s) => this.track(this.queueSnapshot(s.dir, s.revision)));
    this.track(this.probeNomad());
    this.track(this.loadStore());
    // The event stream opens while git is fetched, from the jobs index read first: no write waits long for it.
    this.events = new EventWatcher(this.deps.nomad, this.abort.signal, this.deps.logger, {
      onJob: (ns, id, job, deleted) => this.onJobEvent(ns, id, job, deleted),
      onAllocation: (ns, jobId, a) => this.onObserved(ns, jobId, (rec) => {
        const alloc = slimAlloc(a);
        return alloc ? observeAlloc(rec.observed, alloc) : false;
      }),
      onDeployment: (ns, jobId, d) => this.onObserved(ns, jobId, (rec) => observeDeployment(rec.observed, d as unknown as Deployment)),
      onEvaluation: (ns, jobId, ev) => this.onObserved(ns, jobId, (rec) => observeEvaluation(rec.observed, ev)),
      onService: (ns, jobId) => this.onServiceEvent(ns, jobId),
      onIndexReset: () => this.onIndexReset(),
      onReconnect: () => {
        this.markStreamReady();
        void this.track(this.probeIndex());
      },
      onError: (e) => {
        this.markStreamReady();
        this.reached('nomad', e);
      },
      onFrame: () => this.reached('nomad'),
      onOpen: () => this.markStreamReady(),
    }, this.scheduler);
    this.eventsDone = this.events.start(this.streamFrom()).finally(() => this.markStreamReady());
    await this.deps.source.start();
    if (this.stopRequested) return; // stopped during the first fetch: start nothing more
    const current = this.deps.source.state().snapshot;
    if (current) await this.queueSnapshot(current.dir, current.revision);
    if (this.stopRequested) return;
    this.resyncTimer = this.scheduler.interval('resync', this.deps.config.resyncIntervalMs, () => void this.track(this.resync()));
    this.gaugeTimer = this.scheduler.interval('gauge-refresh', 1000, () => {
      this.deps.metrics.workqueueLongestRunning.set(this.queue.longestRunningSeconds());
      this.deps.metrics.leader.set(this.canWrite() ? 1 : 0);
      this.countDecisions();
    });
  }

  /**
   * Graceful stop, in this order: (1) new work off — timers cancelled, the queue takes no key, and no
   * write starts from now on (canWrite() is false); (2) the git source stops (its git process groups
   * are killed), and every read in flight and the event stream are aborted; (3) writes in flight (a
   * register, a prune's stop) are waited for, at most `timeoutMs`. Resolves `drained: false` when one
   * was still in flight at the bound: the caller must then not hand leadership over at once (the
   * leader destroys its session instead of releasing it, so Consul's lock-delay covers that write).
   */
  stop(timeoutMs = 10_000): Promise<{ drained: boolean }> {
    this.stopping ??= this.doStop(timeoutMs);
    return this.stopping;
  }

  private async doStop(timeoutMs: number): Promise<{ drained: boolean }> {
    this.stopRequested = true;
    this.resyncTimer?.cancel();
    this.gaugeTimer?.cancel();
    this.queue.stop();
    this.abort.abort(new DroverError('aborted', 'drover is stopping'));
    const source = this.deps.source.stop().catch((e: unknown) => this.deps.logger.warn('stopping the git source failed', { error: toDroverError(e).message }));
    const deadline = this.clock.now() + timeoutMs;
    let drained = await this.queue.drain(timeoutMs);
    // Resync and prune passes (a prune's stop is a write) are tracked apart from the queue's workers.
    if (drained && this.pending.size > 0) {
      let timer: Timer | undefined;
      const bound = new Promise<false>((resolve) => (timer = this.scheduler.timeout('stop-drain', Math.max(0, deadline - this.clock.now()), () => resolve(false))));
      drained = await Promise.race([Promise.allSettled([...this.pending]).then(() => true), bound]);
      timer?.cancel();
    }
    await source;
    await this.eventsDone?.catch(() => undefined);
    // What was applied is recorded before the lock can pass to another instance.
    await this.store.flush().catch(() => undefined);
    if (!drained) this.deps.logger.warn('stop: writes still in flight at the shutdown bound; leadership is given up without an early release', { timeoutMs, inFlight: this.queue.inFlightCount + this.pending.size });
    return { drained };
  }

  /** Bumped whenever any app's status, the app set or the revision may have changed (/apps and /metrics renderings key on it). */
  statusVersion(): number {
    return this.status.value;
  }

  /** Leadership was gained: what drover applied is read again (the old leader may have written since), then a resync. */
  async onLeadershipGained(): Promise<void> {
    await this.loadStore();
    await this.store.flush().catch(() => undefined);
    await this.resync();
  }

  /** Resolves when the queue is empty and nothing is in flight (tests, bench). */
  async idle(timeoutMs = 10_000): Promise<void> {
    const deadline = this.clock.now() + timeoutMs;
    for (;;) {
      await Promise.allSettled([...this.pending]);
      await this.queue.idle(Math.max(1, deadline - this.clock.now()));
      // Idle includes drover's applied-state writes: nothing of this pass is still to be written.
      if (this.store.pendingShards() > 0 && this.canWrite()) await this.store.flush();
      if (this.pending.size === 0 && this.queue.isIdle()) return;
    }
  }

  /** Lists all jobs once and enqueues only apps whose live job (or desired hash) moved; then prunes. */
  /**
   * Lists the jobs and reconciles what moved; `verify` (the default: the periodic resync, leadership gained, a
   * restarted cluster, tests) also compares every running app's services and re-reads unsettled health. A new git
   * revision, an approval or an unknown managed job resync without it: a commit would otherwise cost one catalog
   * read per app (5,000 Consul reads for a one-line change in `npm run bench`).
   */
  resync(opts: { verify?: boolean } = {}): Promise<void> {
    const verify = opts.verify !== false;
    if (verify) this.verifyWanted = true;
    if (this.resyncRunning) {
      // the running pass took its verify flag when it began: one asked for since runs after it
      return verify && this.verifyWanted ? this.resyncRunning.then(() => this.resync(opts)) : this.resyncRunning;
    }
    this.resyncRunning = this.doResync().finally(() => {
      this.resyncRunning = undefined;
    });
    return this.resyncRunning;
  }

  /** Every app's status (copies), ordered by "namespace/name" in code-point order. */
  listApps(): AppStatus[] {
    const entries: [string, AppStatus][] = [];
    for (const [key, rec] of this.records) entries.push([key, rec.status]);
    for (const o of this.orphans) {
      const key = `${o.status.namespace}/${o.status.name}`;
      if (!this.records.has(key)) entries.push([key, o.status]);
    }
    // The keys are built once, not per comparison: at 5,000 apps a localeCompare on fresh strings cost ≈ 130k allocations per call.
    entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return entries.map(([, status]) => ({ ...status }));
  }

  getApp(namespace: string, name: string): AppStatus | undefined {
    const rec = this.records.get(`${namespace}/${name}`);
    if (rec) return { ...rec.status };
    const o = this.orphans.find((x) => x.status.namespace === namespace && x.status.name === name);
    return o ? { ...o.status } : undefined;
  }

  requestSync(namespace: string, name: string): boolean {
    const key = `${namespace}/${name}`;
    if (!this.records.has(key)) return false;
    this.verifyRequested.add(key);
    this.enqueue(key, 'resync');
    return true;
  }

  /** Compares the app's services with the catalog on its next turn, without a reconcile (the node registrar changed them). */
  requestVerify(namespace: string, name: string): boolean {
    const key = `${namespace}/${name}`;
    if (!this.records.has(key) || !this.verifier) return false;
    this.verifyRequested.add(key);
    this.queue.add(key);
    return true;
  }

  /**
   * One named check per upstream with the real reason: git (a snapshot is loaded, the last fetch worked and
   * is recent), nomad (the last call answered, drover's applied state could be read), and consul and vault
   * when drover talks to them.
   */
  readiness(): ReadinessCheck[] {
    const checks: ReadinessCheck[] = [this.gitCheck(), this.upstreamCheck('nomad')];
    if (this.deps.consul) checks.push(this.upstreamCheck('consul'));
    if (this.deps.vault) checks.push(this.upstreamCheck('vault'));
    if (this.deps.traefik) checks.push(this.upstreamCheck('traefik'));
    for (const c of checks) this.deps.metrics.readiness.set({ check: c.name }, c.ok ? 1 : 0);
    return checks;
  }

  /** Files of the current snapshot that failed to load at all. */
  brokenFiles(): { file: string; line: number; reason: string }[] {
    return this.desired?.brokenFileProblems ?? [];
  }

  /** Managed jobs no app declares whose stop is held. */
  heldPrunes(): AppStatus[] {
    return this.orphans.filter((o) => o.status.pruning?.state === 'held').map((o) => ({ ...o.status }));
  }

  /** A person approves one held prune: recorded in the ledger (persisted), carried out by the next prune pass. */
  async approvePrune(namespace: string, name: string): Promise<ApproveResult> {
    const key = jobKey(namespace, name);
    if (!this.orphans.some((o) => jobKey(o.status.namespace, o.status.name) === key && o.status.pruning?.state === 'held')) return 'not-held';
    if (!this.canWrite()) return 'not-leader';
    const ledger = this.store.ledger();
    if (!ledger) return 'unavailable';
    const r = approvePrune(ledger, key);
    if (!r.known) return 'not-held';
    try {
      await this.store.saveLedger(r.ledger);
    } catch (e) {
      const err = toDroverError(e);
      this.deps.logger.warn('approving a held prune failed', { job: key, code: err.code, error: err.message });
      return err.code === 'not-leader' ? 'not-leader' : 'unavailable';
    }
    this.deps.metrics.pruneApproved.inc();
    this.deps.logger.info('held prune approved', { job: key });
    await this.resync({ verify: false });
    return 'approved';
  }

  /** A person promotes the canaries of the app's running deployment (promote.ts); only the leader writes. */
  promote(namespace: string, name: string): Promise<PromoteResult> {
    return promoteApp({ nomad: this.deps.nomad, owner: this.deps.config.cluster.owner, canWrite: () => this.canWrite(), logger: this.deps.logger }, { namespace, name, known: this.records.has(`${namespace}/${name}`) });
  }

  leader(): { enabled: boolean; isLeader: boolean; id?: string } {
    return { enabled: this.deps.canWrite !== undefined, isLeader: this.canWrite(), id: this.deps.leaderId?.() };
  }

  revision(): string | undefined {
    return this.desired?.revision;
  }

  private canWrite(): boolean {
    if (this.stopRequested) return false;
    return this.deps.canWrite ? this.deps.canWrite() : true;
  }

  /** An exception no code path expected: counted apart (drover_bugs_total), logged with its cause, never retried. */
  private bug(where: (typeof BUG_SITES)[number], e: unknown, app?: string): void {
    this.deps.metrics.bugs.inc({ where });
    this.deps.logger.error('bug: unexpected exception', { where, ...(app ? { app } : {}), error: toDroverError(e).message, cause: describeCause(e) });
  }

  private track<T>(p: Promise<T>): Promise<T> {
    const q = p.catch((e) => {
      if (toDroverError(e).code === 'internal') this.bug('controller', e);
      else this.deps.logger.error('controller task failed', { error: toDroverError(e).message });
    }) as Promise<unknown>;
    this.pending.add(q);
    void q.finally(() => this.pending.delete(q));
    return p;
  }

  private enqueue(key: string, source: DriftSource): void {
    if (!this.sources.has(key)) this.sources.set(key, source);
    this.queue.add(key);
  }

  /** Reconciles the key unless only a service verification was asked for; then verifies when due. */
  private async work(key: string): Promise<WorkResult> {
    await this.streamReady;
    const rec = this.records.get(key);
    const source = this.sources.get(key);
    this.sources.delete(key);
    const verify = this.verifyRequested.delete(key);
    const reread = this.healthRequested.delete(key);
    if (!rec) return 'done';
    let result: WorkResult = 'done';
    if (source !== undefined || (!verify && !reread)) result = await reconcileApp(rec, source ?? 'resync', this.ctx);
    else if (reread) await this.rereadHealth(rec);
    const due = verify || rec.verifyDue === true;
    if (this.verifier && due && verifiable(rec)) {
      rec.verifyDue = false;
      try {
        await verifyServices(rec, this.verifier);
      } catch (e) {
        rec.nomadServicesVerifiedAt = undefined;
        this.bug('verify', e, key);
      }
      applyHealth(rec);
      publish(rec, this.ctx);
    }
    // Routes are checked while a rollout runs too: that is when old and new allocations can break them.
    if (this.routes && due && RouteChecker.checkable(rec)) {
      try {
        await this.routes.check(rec);
      } catch (e) {
        this.bug('verify', e, key);
      }
      applyHealth(rec);
      publish(rec, this.ctx);
    }
    this.status.bump();
    return result;
  }

  /** Snapshots are applied one at a time, in the order they arrive. */
  private queueSnapshot(dir: string, revision: string): Promise<void> {
    if (revision === this.lastQueuedRevision) return this.snapshotChain; // already applied or on its way
    this.lastQueuedRevision = revision;
    this.snapshotChain = this.snapshotChain
      .then(() => this.onSnapshot(dir, revision))
      .catch((e) => {
        if (this.lastQueuedRevision === revision) this.lastQueuedRevision = undefined; // the next delivery tries it again
        this.deps.logger.error('applying a snapshot failed', { revision, error: toDroverError(e).message });
      });
    return this.snapshotChain;
  }

  private async probeNomad(): Promise<void> {
    try {
      await this.deps.nomad.ping({ signal: this.abort.signal });
      this.reached('nomad');
    } catch (e) {
      this.reached('nomad', toDroverError(e));
    }
    await this.readNomadVersion();
  }

  /** What the Nomad can hold depends on its version (core/nomad-version.ts); read once, again on a resync while unknown. */
  private async readNomadVersion(): Promise<void> {
    if (this.nomadVersion) return;
    try {
      const text = await this.deps.nomad.agentVersion({ signal: this.abort.signal });
      this.nomadVersion = parseNomadVersion(text);
      if (this.nomadVersion) this.deps.logger.info('talking to Nomad', { version: this.nomadVersion.text });
    } catch (e) {
      // Without agent:read the version stays unknown: nothing is refused for it, and the reason is logged once.
      if (!this.versionWarned) this.deps.logger.warn('could not read the Nomad version (GET /v1/agent/self); version checks are off until it can be read', { error: toDroverError(e).message });
      this.versionWarned = true;
    }
  }

  private async loadStore(): Promise<void> {
    try {
      await this.store.load(this.abort.signal);
    } catch (e) {
      this.reached('nomad', toDroverError(e));
    }
  }

  private reached(upstream: Upstream, error?: DroverError): void {
    this.upstreams.record(upstream, error);
  }

  private upstreamCheck(name: 'nomad' | 'consul' | 'vault' | 'traefik'): ReadinessCheck {
    const r = this.upstreams.check(name);
    if (r.ok && name === 'nomad' && this.store.lastError) {
      const what = this.store.loaded ? 'written' : 'read';
      return { name, ok: false, reason: `drover's applied state (Nomad Variables under drover/${this.deps.config.cluster.owner}/) cannot be ${what}: ${this.store.lastError.code}: ${this.store.lastError.message}` };
    }
    return { name, ok: r.ok, ...(r.reason ? { reason: r.reason } : {}) };
  }

  private gitCheck(): ReadinessCheck {
    const st = this.deps.source.state();
    if (this.snapshotError) return { name: 'git', ok: false, reason: this.snapshotError };
    if (!st.snapshot || !this.desired) return { name: 'git', ok: false, reason: st.lastError ? `no snapshot yet: ${st.lastError.message}` : 'no snapshot loaded yet' };
    if (st.lastError && st.lastError.at >= (st.lastSuccessAt ?? 0)) return { name: 'git', ok: false, reason: `the last fetch failed: ${st.lastError.message}` };
    const stale = 3 * this.deps.config.git.pollIntervalMs + this.deps.config.requestTimeoutMs;
    const age = this.clock.now() - (st.lastSuccessAt ?? 0);
    if (age > stale) return { name: 'git', ok: false, reason: `the last successful fetch was ${Math.round(age / 1000)}s ago (more than 3 poll intervals)` };
    return { name: 'git', ok: true };
  }

  private touch(key: string): void {
    this.touched.set(key, ++this.touchSeq);
  }

  private async onSnapshot(dir: string, revision: string): Promise<void> {
    const result = await applySnapshot({ dir, revision, config: this.deps.config, records: this.records, metrics: this.deps.metrics, logger: this.deps.logger, previous: this.desired });
    this.status.bump(); // records may have been added, removed or marked, whether the snapshot loaded or not
    if (!result.ok) {
      this.snapshotError = result.error;
      return; // the last good desired set stays in force
    }
    this.snapshotError = undefined;
    this.desired = result.desired;
    if (this.deps.history) for (const s of this.listApps()) this.deps.history.observe(s);
    for (const key of result.enqueue) this.enqueue(key, 'snapshot');
    await this.resync({ verify: false });
  }

  private onJobEvent(namespace: string, id: string, job: Record<string, unknown> | undefined, deleted: boolean): void {
    const key = `${namespace}/${id}`;
    this.touch(key);
    const rec = this.records.get(key);
    if (!rec) {
      if (job?.Meta && (job.Meta as Record<string, string>)['drover.managed'] === 'true') this.track(this.resync({ verify: false }));
      return;
    }
    rec.listedAbsent = false;
    if (rec.problems) return; // an invalid app's job is left alone whatever happens to it
    const live = deleted || !job ? null : (job as unknown as NomadJob);
    if (live && rec.observed.job && (live.ModifyIndex ?? 0) < (rec.observed.job.ModifyIndex ?? 0)) return; // an older state than one already seen
    const seen = rec.seen;
    const specMoved = !seen || !live || rec.failed || live.JobModifyIndex !== seen.jobModifyIndex || (live.Stop === true) !== seen.stop || !seen.exists;
    if (!specMoved) {
      // Only its status moved (pending → running, Stable after a deployment): health, from the payload.
      rec.observed.job = slimJob(live!);
      rec.seen = { ...seen!, modifyIndex: live!.ModifyIndex ?? seen!.modifyIndex };
      if (recomputeHealth(rec, this.healthCtx)) this.requestVerifyKey(key);
      publish(rec, this.ctx);
      return;
    }
    // The spec (or its presence) moved: decide again, from the job the event carried.
    rec.eventJob = live;
    this.enqueue(key, 'event');
  }

  /**
   * An allocation, deployment or evaluation of an app's job changed: its observations are updated from the
   * event's payload and health computed again, without reading Nomad. Health that has just settled has the
   * app's services verified on its next turn.
   */
  private onObserved(namespace: string, jobId: string, update: (rec: AppRecord) => boolean): void {
    const rec = this.records.get(`${namespace}/${jobId}`);
    if (!rec || rec.problems || rec.decision?.action.kind === 'conflict') return;
    if (!update(rec)) return;
    if (recomputeHealth(rec, this.healthCtx)) this.requestVerifyKey(rec.key);
    publish(rec, this.ctx);
  }

  /**
   * A registration in Nomad's own catalog of an app's job came or went (a stale one of a stopped allocation
   * removed late, a hand `DELETE /v1/service/…`): the app's services are compared again on its next turn,
   * once its health has settled (verifiable), instead of at the next resync.
   */
  private onServiceEvent(namespace: string, jobId: string): void {
    const rec = this.records.get(`${namespace}/${jobId}`);
    if (!rec || !this.verifier || !usesNomadServices(rec) || !verifiable(rec)) return;
    rec.nomadServicesVerifiedAt = undefined;
    this.requestVerifyKey(rec.key);
  }

  /**
   * A cluster restarted with fresh state counts its Raft index from 1 again. The jobs listing's index never
   * goes backwards on a running cluster, so one lower than the highest seen means such a restart. Checked
   * with every resync's listing and, cheaply (a listing by a prefix no job has), whenever the event stream
   * had to reconnect — which a restart makes it do.
   */
  /** The jobs index before anything was written (undefined when Nomad cannot be read): the event stream starts there. */
  private async streamFrom(): Promise<number | undefined> {
    try {
      const r = await this.deps.nomad.listJobs({ namespace: '*', prefix: INDEX_PROBE_PREFIX, signal: this.abort.signal });
      this.checkIndex(r.index);
      return r.index > 0 ? r.index : undefined;
    } catch {
      return undefined; // unreachable: the stream's own retries and the resync report it
    }
  }

  private async probeIndex(): Promise<void> {
    try {
      const r = await this.deps.nomad.listJobs({ namespace: '*', prefix: INDEX_PROBE_PREFIX, signal: this.abort.signal });
      this.checkIndex(r.index);
    } catch {
      // unreachable: the reconnecting stream and the resync report it
    }
  }

  private checkIndex(index: number): boolean {
    // Every job's ModifyIndex drover saw is at most the jobs table's index of the same cluster.
    for (const rec of this.records.values()) {
      const seen = Math.max(rec.seen?.modifyIndex ?? 0, rec.observed.job?.ModifyIndex ?? 0);
      if (seen > this.jobsIndex) this.jobsIndex = seen;
    }
    if (index > 0 && index < this.jobsIndex) {
      this.onIndexReset();
      this.jobsIndex = index;
      return true;
    }
    if (index > this.jobsIndex) this.jobsIndex = index;
    return false;
  }

  /** The cluster's index went backwards (a restart with fresh state): what drover knew of every job is stale. */
  private onIndexReset(): void {
    this.deps.logger.warn('Nomad\'s index went backwards (a restarted cluster): every app is read again');
    this.jobsIndex = 0;
    for (const rec of this.records.values()) {
      rec.seen = undefined;
      rec.eventJob = undefined;
      rec.listedAbsent = false;
      rec.observed = emptyObserved();
    }
    this.touched.clear();
    // drover's applied state lived in that cluster too: read what there is now (CAS indexes start over).
    void this.track(this.loadStore().then(() => this.resync()));
  }

  /** The bounded re-read of an app whose health has not settled: events may have been missed. */
  private async rereadHealth(rec: AppRecord): Promise<void> {
    if (rec.problems || !rec.seen?.exists || rec.seen.stop || rec.decision?.action.kind === 'conflict') return;
    try {
      await readHealth(rec, this.healthCtx);
      this.reached('nomad');
    } catch (e) {
      const err = toDroverError(e);
      this.reached('nomad', err);
      this.deps.logger.debug('re-reading health failed', { app: rec.key, code: err.code, error: err.message });
      return;
    }
    if (recomputeHealth(rec, this.healthCtx)) this.requestVerifyKey(rec.key);
    publish(rec, this.ctx);
  }

  private requestVerifyKey(key: string): void {
    if (!this.verifier && !this.routes) return;
    this.verifyRequested.add(key);
    this.queue.add(key);
  }

  private async doResync(): Promise<void> {
    const verify = this.verifyWanted;
    this.verifyWanted = false;
    let stubs: JobListStub[];
    const listedAt = this.touchSeq;
    try {
      const listed = await this.deps.nomad.listJobs({ namespace: '*', meta: true });
      stubs = listed.value;
      this.reached('nomad');
      if (this.checkIndex(listed.index)) return; // the cluster started over: so does drover (and resyncs again)
    } catch (e) {
      const err = toDroverError(e);
      this.reached('nomad', err);
      this.deps.logger.warn('resync: listing jobs failed', { code: err.code, error: err.message });
      for (const rec of this.records.values()) if (rec.failed) this.enqueue(rec.key, 'resync');
      return;
    }
    if (!this.store.loaded) await this.loadStore();
    await this.readNomadVersion();
    const byKey = new Map(stubs.map((s) => [`${s.Namespace || 'default'}/${s.ID}`, s]));
    for (const rec of this.records.values()) {
      if (rec.problems) continue;
      const stub = byKey.get(rec.key);
      // The listing vouches that there is no job — unless an event or a write for this key came after it was asked for.
      if (!stub && (this.touched.get(rec.key) ?? 0) <= listedAt && !rec.seen?.exists) rec.listedAbsent = true;
      if (needsReconcile(rec, stub)) this.enqueue(rec.key, 'resync');
    }
    if (verify) {
      this.requestHealthRereads();
      await this.requestVerification();
    }
    // namespace=* was expanded when the stream opened: a namespace made since sends nothing on it.
    const uncovered = new Set([...stubs.map((s) => s.Namespace || 'default'), ...[...this.records.values()].map((r) => r.namespace)].filter((n) => this.events && !this.events.covers(n)));
    if (uncovered.size > 0) this.events?.resubscribe(`namespace ${[...uncovered].join(', ')} is not on the event stream`);
    if (!this.desired) return;
    const live: LiveJobRef[] = stubs.map((s) => ({ namespace: s.Namespace || 'default', id: s.ID, stop: s.Stop, meta: s.Meta }));
    this.orphans = await runPrunePass(live, this.desired, {
      config: this.deps.config, nomad: this.ctx.nomad, metrics: this.deps.metrics, logger: this.deps.logger,
      clock: this.clock, canWrite: () => this.canWrite(), records: this.records, store: this.store,
      descends: (ancestor, revision) => this.descends(ancestor, revision),
    });
    for (const o of this.orphans) {
      if (o.status.lastAction === 'delete') this.touch(jobKey(o.status.namespace, o.status.name));
      this.deps.history?.observe(o.status);
    }
    this.status.bump();
    this.countDecisions();
  }

  /** drover_conflicts and drover_deployment_failed_apps, from the decisions (every second and every resync). */
  private countDecisions(): void {
    let conflicts = 0;
    let failed = 0;
    for (const rec of this.records.values()) {
      const a = rec.decision?.action;
      if (a?.kind === 'conflict') conflicts += 1;
      else if (a?.kind === 'blocked' && a.reason === 'deployment-failed') failed += 1;
    }
    this.deps.metrics.conflicts.set(conflicts);
    this.deps.metrics.deploymentFailedApps.set(failed);
  }

  /** Ancestry from the source (git); a source that cannot say is treated as "not a descendant" — nothing is stopped by it. */
  private async descends(ancestor: string, revision: string): Promise<boolean> {
    const src = this.deps.source;
    if (!src.isAncestor) return true;
    try {
      return await src.isAncestor(ancestor, revision);
    } catch (e) {
      this.deps.logger.warn('could not tell whether the revision descends from the last one; treating it as a rewrite', { ancestor, revision, error: toDroverError(e).message });
      return false;
    }
  }

  /**
   * Apps whose health has not settled are re-read on a resync, oldest read first, at most
   * HEALTH_REREADS_PER_RESYNC of them: the event stream carries their progress, this catches what it missed.
   */
  private requestHealthRereads(): void {
    const unsettled = [...this.records.values()].filter((r) => !r.problems && !r.healthFinal && r.seen?.exists && !r.seen.stop && !r.failed);
    unsettled.sort((a, b) => (a.healthReadAt ?? 0) - (b.healthReadAt ?? 0));
    for (const rec of unsettled.slice(0, HEALTH_REREADS_PER_RESYNC)) {
      this.healthRequested.add(rec.key);
      this.queue.add(rec.key);
    }
  }

  /**
   * Resync cadence: every verifiable app's services are compared once, through the queue (one worker per key).
   * Nomad's own service catalog (provider nomad) is asked first for its index, with one read: an app whose last
   * good verification read the table at that same index (nothing registered or deregistered since; allocation
   * changes are verified on their own, verifyDue) is not read again — so a resync of settled provider-nomad apps
   * costs O(1) Nomad requests, not one per app, once each has been verified since the table last changed.
   */
  private async requestVerification(): Promise<void> {
    if (!this.verifier && !this.routes) return;
    const candidates = [...this.records.values()].filter((rec) => (this.verifier && verifiable(rec)) || (this.routes && RouteChecker.checkable(rec)));
    let servicesIndex: number | undefined;
    if (this.verifier && candidates.some(usesNomadServices)) {
      try {
        servicesIndex = (await this.ctx.nomad.listServiceRegistrations(SERVICES_INDEX_PROBE, { namespace: this.deps.config.cluster.namespace })).index;
      } catch {
        servicesIndex = undefined; // verify them all: the reads will say what is wrong
      }
    }
    for (const rec of candidates) {
      const unchanged = servicesIndex !== undefined && servicesIndex > 0 && usesNomadServices(rec) && rec.nomadServicesVerifiedAt === servicesIndex && !this.routes;
      if (unchanged) continue;
      this.verifyRequested.add(rec.key);
      this.queue.add(rec.key);
    }
  }
}

/** A service name no service has: `GET /v1/service/<it>` answers [] with the index of Nomad's whole service table. */
export const SERVICES_INDEX_PROBE = 'drover-index-probe';

/** Provider nomad: the app's services are in Nomad's own catalog. */
function usesNomadServices(rec: AppRecord): boolean {
  return (rec.desired?.TaskGroups ?? []).some((tg) => (tg.Tasks ?? []).some((t) => (t.Services ?? []).some((s) => s.Provider === 'nomad')));
}

/** A job ID prefix no job has (Nomad refuses a job ID with a space): the cheapest listing that answers with the jobs index. */
export const INDEX_PROBE_PREFIX = ' drover-index-probe';

/** How many unsettled apps one resync re-reads the health of (2–3 Nomad reads each). */
export const HEALTH_REREADS_PER_RESYNC = 16;

/** The cheap comparison that keeps a resync O(1): only apps whose live stub moved are read. */
function needsReconcile(rec: AppRecord, stub: JobListStub | undefined): boolean {
  const seen = rec.seen;
  if (!seen || rec.failed) return true;
  if (!stub) return seen.exists || rec.status.sync !== 'Synced';
  if (!seen.exists) return true;
  if (stub.JobModifyIndex !== seen.jobModifyIndex || stub.Stop !== seen.stop) return true;
  return false;
}
