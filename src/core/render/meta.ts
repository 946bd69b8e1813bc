// Job Meta: the app's labels plus drover's ownership keys, and the spec hash that lets the controller
// tell "rendered job changed" from "git moved on". Pure; node:crypto's sha256 is computation, not I/O.
import { hash } from 'node:crypto';
import type { NomadJob } from '../nomad-types.js';

export const OWNERSHIP_META = {
  managed: 'drover.managed',
  owner: 'drover.owner',
  source: 'drover.source',
  specHash: 'drover.spec-hash',
} as const;

/**
 * Labels are copied as-is (no `label.` prefix) so they read naturally as `${NOMAD_META_<key>}`;
 * the ownership keys are written last, so a label can never spoof or drop them.
 */
export function ownershipMeta(labels: Record<string, string> | undefined, owner: string, source: string): Record<string, string> {
  const meta: Record<string, string> = { ...labels };
  meta[OWNERSHIP_META.managed] = 'true';
  meta[OWNERSHIP_META.owner] = owner;
  meta[OWNERSHIP_META.source] = source;
  delete meta[OWNERSHIP_META.specHash];
  return meta;
}

/**
 * First 16 hex chars of sha256 over the job's JSON with Meta's `drover.spec-hash` left out. The
 * renderer emits a fixed key order (sorted maps), so this is stable for a rendered job; it is meant
 * for jobs renderJob produced — compare a live job through its stored Meta value, never re-hash it.
 */
export function specHash(job: NomadJob): string {
  let hashed: NomadJob = job;
  if (job.Meta && OWNERSHIP_META.specHash in job.Meta) {
    const meta: Record<string, string> = {};
    for (const k of Object.keys(job.Meta)) if (k !== OWNERSHIP_META.specHash) meta[k] = job.Meta[k]!;
    hashed = { ...job, Meta: meta };
  }
  return hashText(JSON.stringify(hashed));
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
