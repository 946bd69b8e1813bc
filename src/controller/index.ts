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
import { systemClock, type Clock } from '../core/clock.js';
import { describeCause, DroverError, toDroverError } from '../core/errors.js';
import type { Scheduler, Timer } from '../core/scheduler.js';
import { plainScheduler } from '../scheduler.js';
import type { Logger } from '../core/logger.js';
import type { JobListStub } from '../core/nomad-types.js';
import { META_SPEC_HASH, type LiveJobRef } from '../core/prune.js';
import type { AppStatus } from '../core/status.js';
import type { Metrics } from '../metrics.js';
import type { SnapshotSource } from '../source/types.js';
import type { ControllerApi, ReadinessCheck } from './types.js';
import type { AppRecord } from './app-record.js';
import { applySnapshot, type DesiredState } from './desired.js';
import { runPrunePass, type OrphanStatus } from './prune-pass.js';
import { publish, reconcileApp, type DriftSource, type ReconcileContext } from './reconcile.js';
import { applyHealth, verifiable, verifyServices, type VerifyContext } from './service-verify.js';
import { WorkQueue, type BackoffOptions, type WorkResult } from './workqueue.js';
import { watchJobEvents, type AllocEvent } from './events.js';
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
}

export class Controller implements ControllerApi {
  private readonly records = new Map<string, AppRecord>();
  private readonly sources = new Map<string, DriftSource>();
  /** keys whose services are to be verified on their next turn in the queue */
  private readonly verifyRequested = new Set<string>();
  private readonly verifier: VerifyContext | undefined;
  private readonly queue: WorkQueue;
  private readonly clock: Clock;
  private readonly ctx: ReconcileContext;
  private desired: DesiredState | undefined;
  private orphans: OrphanStatus[] = [];
  private nomadOk: { ok: boolean; reason?: string } = { ok: false, reason: 'no Nomad call made yet' };
  private snapshotError: string | undefined;
  private resyncTimer: Timer | undefined;
  private gaugeTimer: Timer | undefined;
  private readonly scheduler: Scheduler;
  private readonly status = new StatusVersion();
  /** set by stop(): no write starts from then on */
  private stopRequested = false;
  private stopping: Promise<{ drained: boolean }> | undefined;
  private readonly abort = sharedAbortController();
  private eventsDone: Promise<void> | undefined;
  private resyncRunning: Promise<void> | undefined;
  private readonly pending = new Set<Promise<unknown>>();
  private started = false;
  private snapshotChain: Promise<void> = Promise.resolve();

  constructor(private readonly deps: ControllerDeps) {
    this.scheduler = deps.scheduler ?? plainScheduler;
    this.clock = deps.clock ?? deps.scheduler ?? systemClock;
    const nomad = abortableNomad(deps.nomad, this.abort.signal);
    this.ctx = {
      nomad,
      statusVersion: this.status,
      onBug: (key, e) => this.bug('reconcile', e, key),
      metrics: deps.metrics,
      logger: deps.logger,
      clock: this.clock,
      canWrite: () => this.canWrite(),
      ...(deps.vault ? { vault: deps.vault } : {}),
      nomadReached: (ok) => {
        this.nomadOk = ok ? { ok } : { ok, reason: 'the last Nomad call failed' };
      },
    };
    this.verifier = deps.consul ? { consul: abortableConsul(deps.consul, this.abort.signal), nomad, metrics: deps.metrics, logger: deps.logger, clock: this.clock } : undefined;
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
    this.deps.source.onSnapshot((s) => this.track(this.queueSnapshot(s.dir, s.revision)));
    this.track(this.probeNomad());
    await this.deps.source.start();
    if (this.stopRequested) return; // stopped during the first fetch: start nothing more
    const current = this.deps.source.state().snapshot;
    if (current && this.desired?.revision !== current.revision) await this.queueSnapshot(current.dir, current.revision);
    if (this.stopRequested) return;
    this.eventsDone = watchJobEvents(this.deps.nomad, this.abort.signal, this.deps.logger, {
      onJob: (ns, id, job, deleted) => this.onJobEvent(ns, id, job, deleted),
      onAlloc: (a) => this.onAllocEvent(a),
    }, this.scheduler);
    this.resyncTimer = this.scheduler.interval('resync', this.deps.config.resyncIntervalMs, () => void this.track(this.resync()));
    this.gaugeTimer = this.scheduler.interval('gauge-refresh', 1000, () => {
      this.deps.metrics.workqueueLongestRunning.set(this.queue.longestRunningSeconds());
      this.deps.metrics.leader.set(this.canWrite() ? 1 : 0);
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
    if (!drained) this.deps.logger.warn('stop: writes still in flight at the shutdown bound; leadership is given up without an early release', { timeoutMs, inFlight: this.queue.inFlightCount + this.pending.size });
    return { drained };
  }

  /** Bumped whenever any app's status, the app set or the revision may have changed (/apps and /metrics renderings key on it). */
  statusVersion(): number {
    return this.status.value;
  }

  /** Resolves when the queue is empty and nothing is in flight (tests, bench). */
  async idle(timeoutMs = 10_000): Promise<void> {
    const deadline = this.clock.now() + timeoutMs;
    for (;;) {
      await Promise.allSettled([...this.pending]);
      await this.queue.idle(Math.max(1, deadline - this.clock.now()));
      if (this.pending.size === 0 && this.queue.isIdle()) return;
    }
  }

  /** Lists all jobs once and enqueues only apps whose live job (or desired hash) moved; then prunes. */
  resync(): Promise<void> {
    this.resyncRunning ??= this.doResync().finally(() => {
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

  readiness(): ReadinessCheck[] {
    const snap: ReadinessCheck = this.desired
      ? { name: 'snapshot', ok: true }
      : { name: 'snapshot', ok: false, reason: this.snapshotError ?? 'no snapshot loaded yet' };
    const nomad: ReadinessCheck = { name: 'nomad', ok: this.nomadOk.ok, ...(this.nomadOk.ok ? {} : { reason: this.nomadOk.reason }) };
    return [snap, nomad];
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
  private bug(where: 'reconcile' | 'workqueue' | 'controller', e: unknown, app?: string): void {
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
    const rec = this.records.get(key);
    const source = this.sources.get(key);
    this.sources.delete(key);
    const verify = this.verifyRequested.delete(key);
    if (!rec) return 'done';
    const result = source !== undefined || !verify ? await reconcileApp(rec, source ?? 'resync', this.ctx) : 'done';
    if (this.verifier && (verify || rec.verifyDue) && verifiable(rec)) {
      rec.verifyDue = false;
      try {
        await verifyServices(rec, this.verifier);
      } catch (e) {
        this.deps.logger.warn('service verification failed', { app: key, error: toDroverError(e).message });
      }
      applyHealth(rec);
      publish(rec, this.ctx);
    }
    this.status.bump();
    return result;
  }

  /** Snapshots are applied one at a time, in the order they arrive. */
  private queueSnapshot(dir: string, revision: string): Promise<void> {
    this.snapshotChain = this.snapshotChain
      .then(() => this.onSnapshot(dir, revision))
      .catch((e) => this.deps.logger.error('applying a snapshot failed', { revision, error: toDroverError(e).message }));
    return this.snapshotChain;
  }

  private async probeNomad(): Promise<void> {
    try {
      await this.deps.nomad.ping({ signal: this.abort.signal });
      this.nomadOk = { ok: true };
    } catch (e) {
      const err = toDroverError(e);
      this.nomadOk = { ok: false, reason: `ping failed: ${err.code}: ${err.message}` };
    }
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
    for (const key of result.enqueue) this.enqueue(key, 'snapshot');
    await this.resync();
  }

  private onJobEvent(namespace: string, id: string, job: Record<string, unknown> | undefined, deleted: boolean): void {
    const key = `${namespace}/${id}`;
    const rec = this.records.get(key);
    if (rec?.problems) return; // an invalid app's job is left alone whatever happens to it
    if (!rec) {
      if (job?.Meta && (job.Meta as Record<string, string>)['drover.managed'] === 'true') this.track(this.resync());
      return;
    }
    // A status-only change (ModifyIndex moved, spec did not) matters only while health is not final.
    const seen = rec.seen;
    if (seen && job && !deleted && !rec.failed && rec.healthFinal && job.JobModifyIndex === seen.jobModifyIndex && (job.Stop === true) === seen.stop) return;
    this.enqueue(key, 'event');
  }

  /**
   * An allocation of a managed job changed on its client (failed, lost, running again, a replacement
   * placed) while the app's health was settled: health is read again now, not at the next job change.
   * While health is still moving, the Job events and the resync already re-read it; an allocation we
   * saw last time in the same state changes nothing.
   */
  private onAllocEvent(a: AllocEvent): void {
    const key = `${a.namespace}/${a.jobId}`;
    const rec = this.records.get(key);
    if (!rec || rec.problems || !rec.healthFinal) return;
    const known = rec.allocs?.find((x) => x.ID === a.id);
    if (known && known.ClientStatus === a.clientStatus && known.DesiredStatus === a.desiredStatus) return;
    if (!known && a.desiredStatus !== 'run') return; // an old allocation being stopped: not part of current health
    rec.healthFinal = false;
    this.enqueue(key, 'event');
  }

  private async doResync(): Promise<void> {
    let stubs: JobListStub[];
    try {
      stubs = (await this.deps.nomad.listJobs({ namespace: '*', meta: true })).value;
      this.nomadOk = { ok: true };
    } catch (e) {
      const err = toDroverError(e);
      this.nomadOk = { ok: false, reason: `listing jobs failed: ${err.code}: ${err.message}` };
      this.deps.logger.warn('resync: listing jobs failed', { code: err.code, error: err.message });
      for (const rec of this.records.values()) if (rec.failed) this.enqueue(rec.key, 'resync');
      return;
    }
    const byKey = new Map(stubs.map((s) => [`${s.Namespace || 'default'}/${s.ID}`, s]));
    for (const rec of this.records.values()) {
      if (rec.problems) continue;
      if (needsReconcile(rec, byKey.get(rec.key))) this.enqueue(rec.key, 'resync');
    }
    this.requestVerification();
    if (!this.desired) return;
    const live: LiveJobRef[] = stubs.map((s) => ({ namespace: s.Namespace || 'default', id: s.ID, stop: s.Stop, meta: s.Meta }));
    this.orphans = await runPrunePass(live, this.desired, {
      config: this.deps.config, nomad: this.ctx.nomad, metrics: this.deps.metrics, logger: this.deps.logger,
      clock: this.clock, canWrite: () => this.canWrite(), records: this.records,
    });
    this.status.bump();
  }

  /** Resync cadence: every verifiable app's services are compared once, through the queue (one worker per key). */
  private requestVerification(): void {
    if (!this.verifier) return;
    for (const rec of this.records.values()) {
      if (!verifiable(rec)) continue;
      this.verifyRequested.add(rec.key);
      this.queue.add(rec.key);
    }
  }
}

/** The cheap comparison that keeps a resync O(1): only apps whose live stub moved are read. */
function needsReconcile(rec: AppRecord, stub: JobListStub | undefined): boolean {
  const seen = rec.seen;
  if (!seen || rec.failed) return true;
  if (!stub) return seen.exists || rec.status.sync !== 'Synced';
  if (!seen.exists) return true;
  if (stub.JobModifyIndex !== seen.jobModifyIndex || stub.Stop !== seen.stop) return true;
  if (stub.Meta && stub.Meta[META_SPEC_HASH] !== rec.hash) return true;
  if (!rec.healthFinal && stub.ModifyIndex !== seen.modifyIndex) return true;
  return false;
}
