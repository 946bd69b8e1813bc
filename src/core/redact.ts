// Redaction of drift patches before they reach status, logs or metrics: env values may carry
// secrets, and Vault blocks and templates (EmbeddedTmpl renders secrets) are never shown.
import type { Operation } from 'fast-json-patch';
import type { NomadJob } from './nomad-types.js';

export const REDACTED = '<redacted>';

/** Path segments whose whole subtree is secret-bearing. */
const SECRET_SUBTREES = new Set(['Templates', 'EmbeddedTmpl', 'Vault']);

/**
 * Returns a copy of `patch` with every value under Env, Templates, EmbeddedTmpl or Vault replaced by
 * `<redacted>`. Values elsewhere that equal one of the desired job's env values are redacted too, so a
 * secret copied into another field (args, config) does not leak through the diff.
 */
export function redactPatch(patch: readonly Operation[], desired?: NomadJob | null): Operation[] {
  const envValues = desired ? collectEnvValues(desired) : new Set<string>();
  return patch.map((op) => {
    if (!('value' in op)) return { ...op };
    const segments = op.path.split('/').slice(1);
    const value = (op as { value: unknown }).value;
    let redacted: unknown;
    if (segments.some((s) => SECRET_SUBTREES.has(s))) redacted = redactAll(value);
    else if (segments.includes('Env')) redacted = redactAll(value);
    else redacted = redactNested(value, envValues);
    return { ...op, value: redacted } as Operation;
  });
}

/** Keeps structure (keys) so the reader sees *what* changed, never the value. */
function redactAll(v: unknown): unknown {
  if (v === null || v === undefined) return v;
  if (Array.isArray(v)) return v.map(redactAll);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, redactAll(x)]));
  return REDACTED;
}

function redactNested(v: unknown, envValues: Set<string>): unknown {
  if (v === null || v === undefined) return v;
  if (typeof v === 'string') return envValues.has(v) ? REDACTED : v;
  if (Array.isArray(v)) return v.map((x) => redactNested(x, envValues));
  if (typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v as object).map(([k, x]) => [k, SECRET_SUBTREES.has(k) || k === 'Env' ? redactAll(x) : redactNested(x, envValues)]),
    );
  }
  return v;
}

function collectEnvValues(job: NomadJob): Set<string> {
  const out = new Set<string>();
  for (const tg of job.TaskGroups ?? []) {
    for (const task of tg.Tasks ?? []) {
      for (const v of Object.values(task.Env ?? {})) if (typeof v === 'string' && v.length >= 4) out.add(v);
    }
  }
  return out;
}
