// Every Prometheus series drover exports, in one place so the README table and the code cannot drift
// (test/metrics.test.ts checks the README names each one). A Metrics instance owns its own registry, so
// several drover instances can live in one test process.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { UpstreamObserver } from './clients/types.js';
import { PRUNE_BLOCK_REASONS } from './core/prune.js';
import { AppFamily, AppInfoFamily, AppTable, InstancesFamily } from './metrics-apps.js';

export const RECONCILE_RESULTS = ['applied', 'noop', 'error', 'invalid'] as const;
export const ERROR_CODES = [
  'unavailable', 'timeout', 'unauthorized', 'conflict', 'rejected', 'not-found', 'server-error', 'bad-response',
  'invalid-spec', 'git', 'vault-preflight', 'not-leader', 'aborted', 'internal',
] as const;
export { PRUNE_BLOCK_REASONS } from './core/prune.js';
/** the named readiness checks (GET /readyz) */
export const READINESS_CHECKS = ['git', 'nomad', 'consul', 'vault', 'traefik'] as const;
/** where a bug (an exception no code path expected) was caught: drover_bugs_total{where} */
export const BUG_SITES = ['reconcile', 'prune', 'snapshot', 'events', 'verify', 'workqueue', 'controller'] as const;
export const GIT_FETCH_RESULTS = ['success', 'error'] as const;
export const DRIFT_SOURCES = ['resync', 'event', 'snapshot'] as const;
/** node registrar (src/registrar/): registrations wanted and held, wanted but not yet written, and containers whose state a pass could not learn */
export const REGISTRAR_STATES = ['registered', 'pending', 'unknown'] as const;
/** outgoing notifications (src/notify/): the two forms, and what became of each message */
export const NOTIFY_TARGETS = ['webhook', 'slack'] as const;
export const NOTIFY_RESULTS = ['sent', 'failed', 'dropped', 'deduplicated'] as const;

export class Metrics implements UpstreamObserver {
  readonly registry = new Registry();
  /** per-app values of every per-app family below and in `verify` (metrics-apps.ts) */
  readonly apps = new AppTable();
  /** Consul verification and Vault pre-flight series (issue #5), defined in the block at the end of this file */
  readonly verify = new VerifyMetrics(this.registry, this.apps);
  readonly reconcileTotal: Counter<'result'>;
  readonly reconcileErrors: Counter<'code'>;
  readonly reconcileDuration: Histogram;
  readonly appInfo: AppInfoFamily;
  readonly appDrift: AppFamily;
  readonly appDriftFields: AppFamily;
  readonly driftDetected: AppFamily<'source'>;
  readonly driftFirstSeen: AppFamily;
  readonly selfHeal: AppFamily;
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
  readonly bugs: Counter<'where'>;
  readonly pruneHeld: Gauge;
  readonly pruneApproved: Counter;
  readonly conflicts: Gauge;
  readonly deploymentFailedApps: Gauge;
  readonly readiness: Gauge<'check'>;
  readonly brokenFiles: Gauge;
  readonly notifications: Counter<'target' | 'result'>;
  readonly notifyQueueDepth: Gauge<'target'>;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.reconcileTotal = new Counter({ name: 'drover_reconcile_total', help: 'Reconcile passes of one app, by result.', labelNames: ['result'], registers });
    this.reconcileErrors = new Counter({ name: 'drover_reconcile_errors_total', help: 'Reconcile passes that failed, by error code.', labelNames: ['code'], registers });
    this.reconcileDuration = new Histogram({
      name: 'drover_reconcile_duration_seconds', help: 'Time to reconcile one app.', registers,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    const apps = this.apps;
    this.appInfo = new AppInfoFamily(apps, this.registry, { name: 'drover_app_info', help: 'One series per app with its sync and health status as labels (value 1).' });
    this.appDrift = new AppFamily(apps, this.registry, { name: 'drover_app_drift', help: '1 when the live job differs from git (or is missing/stopped), else 0.', type: 'gauge' });
    this.appDriftFields = new AppFamily(apps, this.registry, { name: 'drover_app_drift_fields', help: 'Number of JSON Patch operations between live and desired.', type: 'gauge' });
    this.driftDetected = new AppFamily(apps, this.registry, { name: 'drover_drift_detected_total', help: 'Times drift was newly detected, by what triggered the pass.', type: 'counter', extra: { label: 'source', values: DRIFT_SOURCES } });
    this.driftFirstSeen = new AppFamily(apps, this.registry, { name: 'drover_drift_first_seen_timestamp_seconds', help: 'When the current drift was first seen (0 when in sync).', type: 'gauge' });
    this.selfHeal = new AppFamily(apps, this.registry, { name: 'drover_self_heal_total', help: 'Drift corrected by re-registering the job.', type: 'counter' });
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
    this.bugs = new Counter({ name: 'drover_bugs_total', help: 'Unexpected exceptions (bugs in drover, not upstream faults), by where they happened.', labelNames: ['where'], registers });
    this.pruneHeld = new Gauge({ name: 'drover_prune_held', help: 'Managed jobs no app declares whose stop is held until a person approves it (share-limit, not-descendant, empty-desired-set).', registers });
    this.pruneApproved = new Counter({ name: 'drover_prune_approved_total', help: 'Held prunes approved through POST /apps/:namespace/:name/approve-prune.', registers });
    this.conflicts = new Gauge({ name: 'drover_conflicts', help: 'Apps whose job ID is held by a job drover does not own (sync Conflict).', registers });
    this.deploymentFailedApps = new Gauge({ name: 'drover_deployment_failed_apps', help: 'Apps whose git spec failed to deploy (Nomad may have reverted it) and that the flap guard keeps from being applied again until git changes them.', registers });
    this.readiness = new Gauge({ name: 'drover_readiness', help: '1 when the named readiness check passes, 0 when it fails (a check that does not apply reads 1).', labelNames: ['check'], registers });
    this.brokenFiles = new Gauge({ name: 'drover_broken_files', help: 'Files of the current snapshot that failed to load at all (listed in GET /apps brokenFiles).', registers });

    this.notifications = new Counter({ name: 'drover_notifications_total', help: 'Outgoing notifications by target form and result (sent, failed after retries, dropped from a full queue, deduplicated).', labelNames: ['target', 'result'], registers });
    this.notifyQueueDepth = new Gauge({ name: 'drover_notification_queue_depth', help: 'Notifications waiting to be sent, by target form.', labelNames: ['target'], registers });

    // Every label combination known up front starts at 0 so dashboards and rate() have no gaps.
    for (const r of RECONCILE_RESULTS) this.reconcileTotal.inc({ result: r }, 0);
    for (const c of ERROR_CODES) this.reconcileErrors.inc({ code: c }, 0);
    for (const r of PRUNE_BLOCK_REASONS) this.pruneBlocked.inc({ reason: r }, 0);
    for (const r of GIT_FETCH_RESULTS) this.gitFetch.inc({ result: r }, 0);
    this.falseDrift.inc(0);
    this.pruneHeld.set(0);
    this.pruneApproved.inc(0);
    this.conflicts.set(0);
    this.deploymentFailedApps.set(0);
    for (const c of READINESS_CHECKS) this.readiness.set({ check: c }, 0);
    this.brokenFiles.set(0);
    this.prune.inc(0);
    this.workqueueRetries.inc(0);
    this.invalidApps.set(0);
    this.gitLastSuccess.set(0);
    this.workqueueDepth.set(0);
    this.workqueueLongestRunning.set(0);
    this.leader.set(0);
    this.ready.set(0);
    for (const st of REGISTRAR_STATES) this.registrarServices.set({ state: st }, 0);
    for (const target of NOTIFY_TARGETS) {
      this.notifyQueueDepth.set({ target }, 0);
      for (const result of NOTIFY_RESULTS) this.notifications.inc({ target, result }, 0);
    }
    for (const w of BUG_SITES) this.bugs.inc({ where: w }, 0);
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  observe(upstream: string, route: string, code: string, seconds: number): void {
    this.upstreamRequests.inc({ upstream, route, code });
    this.upstreamDuration.observe({ upstream, route }, seconds);
  }

  /** Sets up the per-app series at 0 (called when an app first appears): every per-app family reads 0 for it. */
  initApp(namespace: string, app: string): void {
    this.apps.row(namespace, app);
  }

  /** Removes an app's series, in every per-app family, when it leaves the snapshot. */
  forgetApp(namespace: string, app: string): void {
    this.apps.delete(namespace, app);
  }

  setAppInfo(namespace: string, app: string, syncStatus: string, healthStatus: string): void {
    this.appInfo.set(namespace, app, syncStatus, healthStatus);
  }
}

// --- Consul verification and Vault pre-flight (issue #5) ---
// Per-app series start at 0 when the app appears (initApp) and go with it (forgetApp); per-service
// instance series are set for every state of every verified service so a missing state reads 0.
export const INSTANCE_STATES = ['passing', 'warning', 'critical', 'missing'] as const;
export const CONSUL_VERIFY_RESULTS = ['ok', 'drift', 'problems', 'unreachable'] as const;

export class VerifyMetrics {
  readonly consulDrift: AppFamily;
  readonly serviceInstances: InstancesFamily;
  readonly vaultPreflightFailures: AppFamily;
  readonly consulVerifications: Counter<'result'>;
  readonly routeDrift: AppFamily;
  readonly routeVerifications: Counter<'result'>;

  /** `apps` is the owning Metrics' table: Metrics.initApp/forgetApp add and remove these families' rows too. */
  constructor(registry: Registry, apps: AppTable) {
    const registers = [registry];
    this.consulDrift = new AppFamily(apps, registry, { name: 'drover_app_consul_drift', help: '1 when Consul (or Nomad\'s service catalog) differs from what the app\'s job promises (tags, instance count, weave address), else 0.', type: 'gauge' });
    this.serviceInstances = new InstancesFamily(apps, registry, INSTANCE_STATES, { name: 'drover_service_instances', help: 'Service instances of an app seen at the last verification, by check state (missing = running allocations without an instance).' });
    this.vaultPreflightFailures = new AppFamily(apps, registry, { name: 'drover_vault_preflight_failures_total', help: 'Job writes held back because a Vault secret path was missing or forbidden.', type: 'counter' });
    this.consulVerifications = new Counter({ name: 'drover_consul_verifications_total', help: 'Service verifications of one app, by result.', labelNames: ['result'], registers });
    for (const r of CONSUL_VERIFY_RESULTS) this.consulVerifications.inc({ result: r }, 0);
    this.routeDrift = new AppFamily(apps, registry, { name: 'drover_app_route_drift', help: '1 when Traefik does not route what the app\'s tags declare (a router missing, disabled, or with another rule or entrypoints), else 0 (route check: TRAEFIK_API_ADDR).', type: 'gauge' });
    this.routeVerifications = new Counter({ name: 'drover_route_verifications_total', help: 'Route checks of one app against Traefik\'s API, by result.', labelNames: ['result'], registers });
    for (const r of CONSUL_VERIFY_RESULTS) this.routeVerifications.inc({ result: r }, 0);
  }

  /** Replaces the app's instance series; services no longer expected lose theirs. */
  setInstances(namespace: string, app: string, services: string[], counts: { service: string; state: string; count: number }[] = []): void {
    this.serviceInstances.replace(namespace, app, services, counts);
  }
}
