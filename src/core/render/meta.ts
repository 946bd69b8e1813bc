// Job Meta: the app's labels plus drover's two ownership keys. Nothing else drover needs goes here: job
// Meta reaches tasks as NOMAD_META_*, so Nomad counts any Meta change as a destructive update
// (scheduler/util.go tasksUpdated) — bookkeeping in Meta would restart every task on every change.
// What drover last applied lives in Nomad Variables instead (src/core/memory.ts). Pure; node:crypto's
// sha256 is computation, not I/O.
import { hash } from 'node:crypto';
import type { NomadJob } from '../nomad-types.js';

export const OWNERSHIP_META = {
  managed: 'drover.managed',
  owner: 'drover.owner',
} as const;

/**
 * Meta keys drover < 0.2 wrote and no longer renders. A job written then keeps them: an update carries
 * the live values over (withLegacyMeta), because dropping them would itself be a Meta change — one
 * restart per app on upgrade for nothing.
 */
export const LEGACY_META_KEYS = ['drover.source', 'drover.spec-hash'] as const;

/**
 * Labels are copied as-is (no `label.` prefix) so they read naturally as `${NOMAD_META_<key>}`;
 * the ownership keys are written last, so a label can never spoof or drop them, and drover's legacy
 * keys cannot be set by a label either.
 */
export function ownershipMeta(labels: Record<string, string> | undefined, owner: string): Record<string, string> {
  const meta: Record<string, string> = { ...labels };
  for (const k of LEGACY_META_KEYS) delete meta[k];
  meta[OWNERSHIP_META.managed] = 'true';
  meta[OWNERSHIP_META.owner] = owner;
  return meta;
}

/**
 * First 16 hex chars of sha256 over the rendered job's JSON. The renderer emits a fixed key order
 * (sorted maps), so this is stable for a rendered job; it is meant for jobs renderJob produced — a live
 * job is compared through what drover recorded when it applied it, never re-hashed.
 */
export function specHash(job: NomadJob): string {
  return hashText(JSON.stringify(job));
}

/** The job to register: `desired` with the live job's legacy drover Meta keys carried over (see LEGACY_META_KEYS). */
export function withLegacyMeta(desired: NomadJob, live: NomadJob | null): NomadJob {
  const carried = LEGACY_META_KEYS.filter((k) => typeof live?.Meta?.[k] === 'string');
  if (carried.length === 0) return desired;
  const meta: Record<string, string> = { ...desired.Meta };
  for (const k of carried) meta[k] = live!.Meta![k]!;
  return { ...desired, Meta: sortedRecord(meta) };
}

export function hashText(text: string): string {
  return hash('sha256', text, 'hex').slice(0, 16);
}

/** A copy of `obj` with its keys in sorted order (Nomad maps come back unordered; ours must not flap). */
export function sortedRecord(obj: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(obj).sort()) out[k] = obj[k]!;
  return out;
}
