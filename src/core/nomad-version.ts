// What the Nomad drover talks to can hold: a job field a version drops or does not know is refused before
// any write, with the reason, instead of being registered and silently lost (Nomad 2.x drops
// Vault.Policies on register: nomad/structs has no such field since 1.10; workload identity's Vault.Role
// arrived in 1.7). Pure: the version comes from GET /v1/agent/self (config.Version.Version).
import type { NomadJob } from './nomad-types.js';

export interface NomadVersion {
  major: number;
  minor: number;
  patch: number;
  /** as Nomad reports it, e.g. "2.0.5" or "1.9.7-dev" */
  text: string;
}

export function parseNomadVersion(text: string | undefined): NomadVersion | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(text?.trim() ?? '');
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), text: text!.trim() };
}

function atLeast(v: NomadVersion, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}

/** Each spec field of `job` that this Nomad cannot hold, as `field: reason` lines; [] when all is fine or the version is unknown. */
export function unsupportedByNomad(job: NomadJob, version: NomadVersion | undefined): string[] {
  if (!version) return [];
  const out: string[] = [];
  for (const tg of job.TaskGroups ?? []) {
    for (const task of tg.Tasks ?? []) {
      const vault = task.Vault;
      if (!vault) continue;
      if (vault.Policies?.length && atLeast(version, 1, 10)) {
        out.push(`spec.vault.policies: Nomad ${version.text} has no Vault policies (removed in 1.10; tasks get Vault tokens through workload identity) — it would drop them on register and run the task without any policy; use spec.vault.role`);
      }
      if (vault.Role && !atLeast(version, 1, 7)) {
        out.push(`spec.vault.role: Nomad ${version.text} has no workload identity for Vault (added in 1.7); use spec.vault.policies on this version`);
      }
    }
  }
  return out;
}
