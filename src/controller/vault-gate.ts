// Vault pre-flight before a write (issue #5): a job whose Vault templates changed is registered only when
// every secret path it reads exists and is visible to drover's token. Otherwise the previous job keeps
// running, the app is OutOfSync with lastError code `vault-preflight` naming the paths (never values or
// tokens). The error is not retryable with backoff: the record stays `failed`, so every resync looks again
// (one Nomad read, one Vault metadata read per path) and a spec change re-runs it at once.
import type { VaultApi } from '../clients/types.js';
import type { Logger } from '../core/logger.js';
import type { NomadJob } from '../core/nomad-types.js';
import { preflight, preflightError, secretsChanged, vaultPaths } from '../core/preflight.js';
import type { Metrics } from '../metrics.js';
import type { AppRecord } from './app-record.js';

export async function vaultGate(rec: AppRecord, live: NomadJob | null, ctx: { vault?: VaultApi; metrics: Metrics; logger: Logger }): Promise<void> {
  if (!ctx.vault || !rec.app || !rec.desired || !secretsChanged(live, rec.desired)) return;
  const paths = vaultPaths(rec.app.manifest);
  // Vault unreachable: preflight throws and nothing is written until it answers (retried with backoff).
  const result = await preflight(ctx.vault, paths);
  if (result.ok) return;
  ctx.metrics.verify.vaultPreflightFailures.inc({ namespace: rec.namespace, app: rec.name });
  ctx.logger.warn('vault pre-flight failed: job not written, the previous version keeps running', { app: rec.key, missing: result.missing, forbidden: result.forbidden });
  throw preflightError(result);
}
