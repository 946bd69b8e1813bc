// Every Prometheus series drover exports, in one place so the README table and the code cannot drift
// (test/metrics.test.ts checks the README names each one). A Metrics instance owns its own registry, so
// several drover instances can live in one test process.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { UpstreamObserver } from './clients/types.js';

export const RECONCILE_RESULTS = ['applied', 'noop', 'error', 'invalid'] as const;
export const ERROR_CODES = [
  'unavailable', 'timeout', 'unauthorized', 'conflict', 'rejected', 'not-found', 'server-error', 'bad-response',
  'invalid-spec', 'git', 'vault-preflight', 'not-leader',
] as const;
export const PRUNE_BLOCK_REASONS = ['snapshot-failed', 'file-broken', 'empty-desired-set', 'share-limit', 'prune-disabled', 'not-leader'] as const;
export const GIT_FETCH_RESULTS = ['success', 'error'] as const;
export const DRIFT_SOURCES = ['resync', 'event', 'snapshot'] as const;
/** node registrar (src/registrar/): registrations wanted and held, wanted but not yet written, and containers whose state a pass could not learn */
export const REGISTRAR_STATES = ['registered', 'pending', 'unknown'] as const;

export class Metrics implements UpstreamObserver {
  readonly registry = new Registry();
  /** Consul verification and Vault pre-flight series (issue #5), defined in the block at the end of this file */
  readonly verify = new VerifyMetrics(this.registry);
  readonly reconcileTotal: Counter<'result'>;
  readonly reconcileErrors: Counter<'code'>;
  readonly reconcileDuration: Histogram;
  readonly appInfo: Gauge<'namespace' | 'app' | 'sync_status' | 'health_status'>;
  readonly appDrift: Gauge<'namespace' | 'app'>;
  readonly appDriftFields: Gauge<'namespace' | 'app'>;
  readonly driftDetected: Counter<'namespace' | 'app' | 'source'>;
  readonly driftFirstSeen: Gauge<'namespace' | 'app'>;
  readonly selfHeal: Counter<'namespace' | 'app'>;
  readonly falseDrift: Counter;
  readonly prune: Counter;
  readonly pruneBlocked: Counter<'reason'>;
  readonly invalidApps: Gauge;
  readonly gitFetch: Counter<'result'>;
  readonly gitLastSuccess: Gauge;
  readonly gitRevision: Gauge<'revision'>;
  readonly upstreamRequests: Counter<'upstream' | 'route' | 'code'>;
  readonly upstreamDuration: Histogram<'upstream' | 'route'>;
  readonly workqueueDepth: Gauge;
  readonly workqueueRetries: Counter;
  readonly workqueueLongestRunning: Gauge;
  readonly leader: Gauge;
  readonly ready: Gauge;
  readonly registrarServices: Gauge<'state'>;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.reconcileTotal = new Counter({ name: 'drover_reconcile_total', help: 'Reconcile passes of one app, by result.', labelNames: ['result'], registers });
    this.reconcileErrors = new Counter({ name: 'drover_reconcile_errors_total', help: 'Reconcile passes that failed, by error code.', labelNames: ['code'], registers });
    this.reconcileDuration = new Histogram({
      name: 'drover_reconcile_duration_seconds', help: 'Time to reconcile one app.', registers,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    this.appInfo = new Gauge({ name: 'drover_app_info', help: 'One series per app with its sync and health status as labels (value 1).', labelNames: ['namespace', 'app', 'sync_status', 'health_status'], registers });
    this.appDrift = new Gauge({ name: 'drover_app_drift', help: '1 when the live job differs from git (or is missing/stopped), else 0.', labelNames: ['namespace', 'app'], registers });
    this.appDriftFields = new Gauge({ name: 'drover_app_drift_fields', help: 'Number of JSON Patch operations between live and desired.', labelNames: ['namespace', 'app'], registers });
    this.driftDetected = new Counter({ name: 'drover_drift_detected_total', help: 'Times drift was newly detected, by what triggered the pass.', labelNames: ['namespace', 'app', 'source'], registers });
    this.driftFirstSeen = new Gauge({ name: 'drover_drift_first_seen_timestamp_seconds', help: 'When the current drift was first seen (0 when in sync).', labelNames: ['namespace', 'app'], registers });
    this.selfHeal = new Counter({ name: 'drover_self_heal_total', help: 'Drift corrected by re-registering the job.', labelNames: ['namespace', 'app'], registers });
    this.falseDrift = new Counter({ name: 'drover_false_drift_total', help: 'Local diff saw drift but Nomad plan said nothing would change (no write made).', registers });
    this.prune = new Counter({ name: 'drover_prune_total', help: 'Managed jobs stopped because no app declares them.', registers });
    this.pruneBlocked = new Counter({ name: 'drover_prune_blocked_total', help: 'Prunes held back by a safety rule, by reason.', labelNames: ['reason'], registers });
    this.invalidApps = new Gauge({ name: 'drover_invalid_apps', help: 'Apps in the current snapshot that are invalid.', registers });
    this.gitFetch = new Counter({ name: 'drover_git_fetch_total', help: 'Git fetches, by result.', labelNames: ['result'], registers });
    this.gitLastSuccess = new Gauge({ name: 'drover_git_last_success_timestamp_seconds', help: 'Unix time of the last successful git fetch.', registers });
    this.gitRevision = new Gauge({ name: 'drover_git_revision_info', help: 'The git revision of the current snapshot (value 1).', labelNames: ['revision'], registers });
    this.upstreamRequests = new Counter({ name: 'drover_upstream_requests_total', help: 'Requests to Nomad, Consul and Vault, by route and result code.', labelNames: ['upstream', 'route', 'code'], registers });
    this.upstreamDuration = new Histogram({
      name: 'drover_upstream_request_duration_seconds', help: 'Upstream request latency.', labelNames: ['upstream', 'route'], registers,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    this.workqueueDepth = new Gauge({ name: 'drover_workqueue_depth', help: 'App keys waiting in the work queue.', registers });
    this.workqueueRetries = new Counter({ name: 'drover_workqueue_retries_total', help: 'Keys re-queued with backoff after a failure.', registers });
    this.workqueueLongestRunning = new Gauge({ name: 'drover_workqueue_longest_running_seconds', help: 'How long the oldest in-flight reconcile has been running.', registers });
    this.leader = new Gauge({ name: 'drover_leader', help: '1 when this instance may write (leader, or leader election off).', registers });
    this.ready = new Gauge({ name: 'drover_ready', help: '1 when /readyz answers 200.', registers });
    this.registrarServices = new Gauge({ name: 'drover_registrar_services', help: 'Weave proxy-mode registrations of this node, by state (registered, pending, unknown), after the last registrar pass.', labelNames: ['state'], registers });

    // Every label combination known up front starts at 0 so dashboards and rate() have no gaps.
    for (const r of RECONCILE_RESULTS) this.reconcileTotal.inc({ result: r }, 0);
    for (const c of ERROR_CODES) this.reconcileErrors.inc({ code: c }, 0);
    for (const r of PRUNE_BLOCK_REASONS) this.pruneBlocked.inc({ reason: r }, 0);
    for (const r of GIT_FETCH_RESULTS) this.gitFetch.inc({ result: r }, 0);
    this.falseDrift.inc(0);
    this.prune.inc(0);
    this.workqueueRetries.inc(0);
    this.invalidApps.set(0);
    this.gitLastSuccess.set(0);
    this.workqueueDepth.set(0);
    this.workqueueLongestRunning.set(0);
    this.leader.set(0);
    this.ready.set(0);
    for (const st of REGISTRAR_STATES) this.registrarServices.set({ state: st }, 0);
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  observe(upstream: string, route: string, code: string, seconds: number): void {
    this.upstreamRequests.inc({ upstream, route, code });
    this.upstreamDuration.observe({ upstream, route }, seconds);
  }

  /** Sets up the per-app series at 0 (called when an app first appears). */
  initApp(namespace: string, app: string): void {
    this.appDrift.set({ namespace, app }, 0);
    this.appDriftFields.set({ namespace, app }, 0);
    this.driftFirstSeen.set({ namespace, app }, 0);
    this.selfHeal.inc({ namespace, app }, 0);
    for (const source of DRIFT_SOURCES) this.driftDetected.inc({ namespace, app, source }, 0);
  }

  /** Removes an app's series when it leaves the snapshot. */
  forgetApp(namespace: string, app: string): void {
    this.appDrift.remove({ namespace, app });
    this.appDriftFields.remove({ namespace, app });
    this.driftFirstSeen.remove({ namespace, app });
    this.selfHeal.remove({ namespace, app });
    for (const source of DRIFT_SOURCES) this.driftDetected.remove({ namespace, app, source });
    for (const m of this.appInfoSeries(namespace, app)) this.appInfo.remove(m);
  }

  setAppInfo(namespace: string, app: string, syncStatus: string, healthStatus: string): void {
    for (const m of this.appInfoSeries(namespace, app)) this.appInfo.remove(m);
    this.appInfo.set({ namespace, app, sync_status: syncStatus, health_status: healthStatus }, 1);
    this.appInfoLabels.set(`${namespace}/${app}`, { namespace, app, sync_status: syncStatus, health_status: healthStatus });
  }

  private readonly appInfoLabels = new Map<string, { namespace: string; app: string; sync_status: string; health_status: string }>();
  private appInfoSeries(namespace: string, app: string) {
    const l = this.appInfoLabels.get(`${namespace}/${app}`);
    if (!l) return [];
    this.appInfoLabels.delete(`${namespace}/${app}`);
    return [l];
  }
}

// --- Consul verification and Vault pre-flight (issue #5) ---
// Per-app series start at 0 when the app appears (initApp) and go with it (forgetApp); per-service
// instance series are set for every state of every verified service so a missing state reads 0.
export const INSTANCE_STATES = ['passing', 'warning', 'critical', 'missing'] as const;
export const CONSUL_VERIFY_RESULTS = ['ok', 'drift', 'problems', 'unreachable'] as const;

export class VerifyMetrics {
  readonly consulDrift: Gauge<'namespace' | 'app'>;
  readonly serviceInstances: Gauge<'namespace' | 'app' | 'service' | 'state'>;
  readonly vaultPreflightFailures: Counter<'namespace' | 'app'>;
  readonly consulVerifications: Counter<'result'>;
  private readonly servicesOf = new Map<string, Set<string>>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.consulDrift = new Gauge({ name: 'drover_app_consul_drift', help: '1 when Consul (or Nomad\'s service catalog) differs from what the app\'s job promises (tags, instance count, weave address), else 0.', labelNames: ['namespace', 'app'], registers });
    this.serviceInstances = new Gauge({ name: 'drover_service_instances', help: 'Service instances of an app seen at the last verification, by check state (missing = running allocations without an instance).', labelNames: ['namespace', 'app', 'service', 'state'], registers });
    this.vaultPreflightFailures = new Counter({ name: 'drover_vault_preflight_failures_total', help: 'Job writes held back because a Vault secret path was missing or forbidden.', labelNames: ['namespace', 'app'], registers });
    this.consulVerifications = new Counter({ name: 'drover_consul_verifications_total', help: 'Service verifications of one app, by result.', labelNames: ['result'], registers });
    for (const r of CONSUL_VERIFY_RESULTS) this.consulVerifications.inc({ result: r }, 0);
  }

  initApp(namespace: string, app: string): void {
    this.consulDrift.set({ namespace, app }, 0);
    this.vaultPreflightFailures.inc({ namespace, app }, 0);
  }

  forgetApp(namespace: string, app: string): void {
    this.consulDrift.remove({ namespace, app });
    this.vaultPreflightFailures.remove({ namespace, app });
    this.setInstances(namespace, app, []);
  }

  /** Replaces the app's instance series; services no longer expected lose theirs. */
  setInstances(namespace: string, app: string, services: string[], counts: { service: string; state: string; count: number }[] = []): void {
    const key = `${namespace}/${app}`;
    for (const service of this.servicesOf.get(key) ?? []) {
      if (services.includes(service)) continue;
      for (const state of INSTANCE_STATES) this.serviceInstances.remove({ namespace, app, service, state });
    }
    for (const service of services) {
      for (const state of INSTANCE_STATES) {
        const n = counts.find((c) => c.service === service && c.state === state)?.count ?? 0;
        this.serviceInstances.set({ namespace, app, service, state }, n);
      }
    }
    if (services.length) this.servicesOf.set(key, new Set(services));
    else this.servicesOf.delete(key);
  }
}
