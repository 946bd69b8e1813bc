// One prune pass: the pure planPrune decides, this stops (never purges) what it allows and counts what
// it holds back. The results are kept as status entries for managed jobs no app declares.
import type { NomadApi } from '../clients/types.js';
import type { Config } from '../config.js';
import type { Clock } from '../core/clock.js';
import { toDroverError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { META_SOURCE, planPrune, type LiveJobRef } from '../core/prune.js';
import type { AppStatus } from '../core/status.js';
import type { Metrics } from '../metrics.js';
import type { AppRecord } from './app-record.js';
import type { DesiredState } from './desired.js';

export interface OrphanStatus {
  status: AppStatus;
}

export interface PrunePassDeps {
  config: Config;
  nomad: NomadApi;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  canWrite: () => boolean;
  records: Map<string, AppRecord>;
}

export async function runPrunePass(live: LiveJobRef[], desired: DesiredState, deps: PrunePassDeps): Promise<OrphanStatus[]> {
  const decision = planPrune(live, {
    owner: deps.config.cluster.owner,
    prune: deps.config.prune,
    pruneMaxShare: deps.config.pruneMaxShare,
    snapshotOk: true, // a failed load never reaches here: the last good desired set is used
    desiredKeys: desired.keys,
    brokenFiles: desired.brokenFiles,
    invalidKeys: desired.invalidKeys,
  });
  const out: OrphanStatus[] = [];
  const at = new Date(deps.clock.now()).toISOString();
  for (const { job, reason } of decision.blocked) {
    deps.metrics.pruneBlocked.inc({ reason });
    if (deps.records.has(`${job.namespace}/${job.id}`)) continue; // invalid apps report their own status
    out.push({ status: orphanStatus(job, 'none', [`prune blocked: ${reason}`]) });
  }
  for (const job of decision.prune) {
    if (!deps.canWrite()) {
      deps.metrics.pruneBlocked.inc({ reason: 'not-leader' });
      out.push({ status: orphanStatus(job, 'none', ['prune blocked: not-leader']) });
      continue;
    }
    try {
      await deps.nomad.stopJob(job.id, { namespace: job.namespace, purge: false });
      deps.metrics.prune.inc();
      deps.logger.info('pruned: stopped a managed job no app declares', { job: `${job.namespace}/${job.id}`, source: job.meta?.[META_SOURCE] });
      out.push({ status: { ...orphanStatus(job, 'delete', ['stopped: no app declares it']), lastSync: at } });
    } catch (e) {
      const err = toDroverError(e);
      deps.metrics.reconcileErrors.inc({ code: err.code });
      deps.logger.warn('prune failed', { job: `${job.namespace}/${job.id}`, code: err.code, error: err.message });
      out.push({ status: { ...orphanStatus(job, 'none', ['prune failed; retried on the next resync']), lastError: { code: err.code, message: err.message, at } } });
    }
  }
  return out;
}

function orphanStatus(job: LiveJobRef, lastAction: AppStatus['lastAction'], reasons: string[]): AppStatus {
  return {
    namespace: job.namespace, name: job.id, sync: 'OutOfSync', health: 'Unknown', healthReasons: reasons, drift: [],
    selfHeal: false, prune: true, lastAction,
  };
}
