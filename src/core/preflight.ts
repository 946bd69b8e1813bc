// Vault pre-flight: before a job whose Vault templates changed is written, make sure every secret path
// it reads exists and is readable by drover's token — otherwise Nomad would place allocations that
// hang in "template: missing secret". Planning is pure; `preflight` only calls VaultApi.secretExists,
// which reads KV v2 metadata, never values. Messages name paths only.
import type { AppManifest } from './app-spec.js';
import { DroverError, isDroverError } from './errors.js';
import type { NomadJob } from './nomad-types.js';

/** What the pre-flight asks of Vault; src/clients/vault.ts implements it (core imports no client). */
export interface VaultApi {
  /** true when the KV v2 metadata of `path` (e.g. `secret/data/app` or `secret/app`) exists. Values are never read. */
  secretExists(path: string): Promise<boolean>;
}

export interface PreflightResult {
  ok: boolean;
  missing: string[];
  forbidden: string[];
}

/** The secret paths an App reads (`spec.vault.secrets[].path`), de-duplicated, in spec order. */
export function vaultPaths(app: Pick<AppManifest, 'spec'>): string[] {
  return [...new Set((app.spec.vault?.secrets ?? []).map((s) => s.path))];
}

/**
 * True when the desired job reads Vault secrets and its Vault-reading templates differ from the live job's
 * (or there is no live job). Only template text and destination are compared: Nomad fills in
 * ChangeMode, Splay, Perms … on register, which must not count as a change.
 */
export function secretsChanged(prevJob: NomadJob | null, desiredJob: NomadJob): boolean {
  const desired = vaultTemplates(desiredJob);
  if (desired.length === 0) return false;
  if (!prevJob) return true;
  const prev = vaultTemplates(prevJob);
  return prev.length !== desired.length || prev.some((p, i) => p !== desired[i]);
}

/** Checks every path; a missing path or one drover's token may not see is listed, never its value. */
export async function preflight(vault: VaultApi, paths: string[]): Promise<PreflightResult> {
  const outcomes = await Promise.all(paths.map(async (path) => ({ path, outcome: await check(vault, path) })));
  const missing = outcomes.filter((o) => o.outcome === 'missing').map((o) => o.path);
  const forbidden = outcomes.filter((o) => o.outcome === 'forbidden').map((o) => o.path);
  return { ok: missing.length === 0 && forbidden.length === 0, missing, forbidden };
}

/** The terminal error a failed pre-flight becomes in app status (code `vault-preflight`). */
export function preflightError(r: PreflightResult): DroverError {
  const parts = [
    ...(r.missing.length ? [`missing: ${r.missing.join(', ')}`] : []),
    ...(r.forbidden.length ? [`forbidden: ${r.forbidden.join(', ')}`] : []),
  ];
  return new DroverError('vault-preflight', `vault secrets not usable (${parts.join('; ')})`, { upstream: 'vault' });
}

async function check(vault: VaultApi, path: string): Promise<'ok' | 'missing' | 'forbidden'> {
  try {
    return (await vault.secretExists(path)) ? 'ok' : 'missing';
  } catch (e) {
    if (isDroverError(e) && e.code === 'unauthorized') return 'forbidden';
    if (isDroverError(e) && e.code === 'not-found') return 'missing';
    // Vault down or slow: retryable, and the message names the path, never a token or value.
    const code = isDroverError(e) ? e.code : 'unavailable';
    throw new DroverError(code, `vault pre-flight of ${path}: ${isDroverError(e) ? e.message : 'request failed'}`, { upstream: 'vault' });
  }
}

/** `group/task/dest␟template` of every template that reads a Vault secret, sorted. */
function vaultTemplates(job: NomadJob): string[] {
  const out: string[] = [];
  for (const g of job.TaskGroups ?? []) {
    for (const t of g.Tasks ?? []) {
      for (const tpl of t.Templates ?? []) {
        if (/\bsecret\s+"/.test(tpl.EmbeddedTmpl ?? '')) out.push(`${g.Name}/${t.Name}/${tpl.DestPath}\u001f${tpl.EmbeddedTmpl}`);
      }
    }
  }
  return out.sort();
}
