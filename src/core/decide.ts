// The one decision per app (DESIGN.md "Reconciling"): given what git wants, what Nomad holds, what drover
// last applied and the policy, say what to do — and whether it is a rollout (git changed the app) or a heal
// (the cluster changed). `drover run` (src/controller), `drover diff` (src/cli/commands/diff.ts), status and
// metrics all take it from here; nothing else decides. Pure: no I/O, no clock.
import { diffJob, type JobDiffResult } from './diff.js';
import type { AppliedRecord } from './memory.js';
import type { NomadJob } from './nomad-types.js';
import { unsupportedByNomad, type NomadVersion } from './nomad-version.js';
import type { LoadedApp } from './app-spec.js';

export const META_MANAGED = 'drover.managed';
export const META_OWNER = 'drover.owner';
export const META_SOURCE = 'drover.source';
/** Written into job Meta by drover < 0.2; read only as the applied-state of jobs that predate the store. */
export const META_LEGACY_SPEC_HASH = 'drover.spec-hash';

/** Who holds a live job with an app's ID. */
export type Ownership = 'ours' | 'other-owner' | 'unmanaged';

export function ownershipOf(meta: Record<string, string> | null | undefined, owner: string): Ownership {
  if (meta?.[META_MANAGED] !== 'true') return 'unmanaged';
  return meta[META_OWNER] === owner ? 'ours' : 'other-owner';
}

export function isOurs(meta: Record<string, string> | null | undefined, owner: string): boolean {
  return ownershipOf(meta, owner) === 'ours';
}

/** What git wants for one app: the rendered job, or why there is none. */
export type DesiredApp =
  | {
      kind: 'valid';
      job: NomadJob;
      /** hash of `job` (render/meta.ts specHash) */
      hash: string;
      /** spec.scaling: an autoscaler owns Count */
      ignoreCount: boolean;
      selfHeal: boolean;
      /** spec.sync.adopt: take over an unmanaged job of the same ID */
      adopt: boolean;
    }
  | { kind: 'invalid'; problems: string[] };

/** The desired side of decide() for a valid app: the one place per-app policy is read (`run` and `diff` both call it). */
export function desiredApp(app: LoadedApp, job: NomadJob, hash: string, policy: { selfHeal: boolean }): DesiredApp {
  const spec = app.manifest.spec;
  return {
    kind: 'valid', job, hash, ignoreCount: spec.scaling !== undefined,
    selfHeal: spec.sync?.selfHeal ?? policy.selfHeal, adopt: spec.sync?.adopt === true,
  };
}

export interface DecideInput {
  desired: DesiredApp;
  /** the live job; null when Nomad has none with this ID */
  live: NomadJob | null;
  /** what drover last applied for this app (src/core/memory.ts); undefined when nothing is recorded */
  memory: AppliedRecord | undefined;
  /** DROVER_OWNER */
  owner: string;
  /** the Nomad version drover talks to (GET /v1/agent/self); unknown: nothing is refused for it */
  nomadVersion?: NomadVersion;
}

/** rollout: git changed the app since drover last applied it; heal: the cluster changed under an unchanged git; new: first create */
export type Cause = 'new' | 'rollout' | 'heal' | 'adopt';

export type BlockReason = 'invalid-spec' | 'unsupported-by-nomad' | 'deployment-failed';

export type AppAction =
  | { kind: 'noop' }
  | { kind: 'create'; cause: Exclude<Cause, 'adopt'> }
  | { kind: 'update'; cause: Exclude<Cause, 'new'> }
  /** drift seen, self-heal off: reported, never written */
  | { kind: 'report-only' }
  /** a live job with this ID that drover does not own: never written */
  | { kind: 'conflict'; ownership: Exclude<Ownership, 'ours'>; liveOwner?: string }
  | { kind: 'blocked'; reason: BlockReason };

export interface AppDecision {
  action: AppAction;
  /** the diff of desired against live (absent for invalid specs and conflicts) */
  diff?: JobDiffResult;
  /** the live job moved away from an unchanged git (or was stopped or removed): drift, healed or reported */
  drift: boolean;
  /** one human line per reason, for `drover diff`, status and logs */
  reasons: string[];
}

export function decide(input: DecideInput): AppDecision {
  const { desired, live, owner } = input;
  if (desired.kind === 'invalid') {
    return { action: { kind: 'blocked', reason: 'invalid-spec' }, drift: false, reasons: ['spec is invalid; the running job is left untouched', ...desired.problems] };
  }
  const unsupported = unsupportedByNomad(desired.job, input.nomadVersion);
  if (unsupported.length > 0) {
    return { action: { kind: 'blocked', reason: 'unsupported-by-nomad' }, drift: false, reasons: ['this Nomad cannot hold the spec; nothing is written and the running job is left untouched', ...unsupported] };
  }
  if (live) {
    const ownership = ownershipOf(live.Meta, owner);
    if (ownership === 'other-owner') {
      const liveOwner = live.Meta?.[META_OWNER];
      return {
        action: { kind: 'conflict', ownership, ...(liveOwner ? { liveOwner } : {}) },
        drift: false,
        reasons: [`job ${live.ID} belongs to drover owner "${liveOwner ?? '(none)'}", not "${owner}"; it is never written — rename the app or remove it from one of the two repositories`],
      };
    }
    if (ownership === 'unmanaged' && !desired.adopt) {
      return {
        action: { kind: 'conflict', ownership },
        drift: false,
        reasons: [`job ${live.ID} exists and is not managed by drover; it is never written — rename the app, delete the job, or set spec.sync.adopt: true to take it over`],
      };
    }
  }
  const diff = diffJob(desired.job, live, { ignoreCount: desired.ignoreCount });
  if (diff.kind === 'in-sync') return { action: { kind: 'noop' }, diff, drift: false, reasons: ['live job matches the spec'] };

  if (live && ownershipOf(live.Meta, owner) === 'unmanaged') {
    return { action: { kind: 'update', cause: 'adopt' }, diff, drift: false, reasons: [`adopting the unmanaged job ${live.ID} (spec.sync.adopt)`, ...changeLines(diff)] };
  }

  const applied = appliedHash(input);
  // The flap guard: a spec whose deployment failed (and that Nomad may have reverted) is not re-applied.
  if (input.memory?.failedSpecHash === desired.hash) {
    return {
      action: { kind: 'blocked', reason: 'deployment-failed' },
      diff,
      drift: false,
      reasons: ['the deployment of this spec failed; it is not applied again until git changes the app'],
    };
  }
  // git moved on since drover last applied this app (or drover never applied it): a rollout, applied
  // whatever self-heal says. Otherwise the cluster moved: drift, healed only with self-heal on.
  const gitChanged = applied !== desired.hash;
  if (!live) {
    if (applied === undefined) return { action: { kind: 'create', cause: 'new' }, diff, drift: false, reasons: ['job does not exist in Nomad'] };
    if (gitChanged) return { action: { kind: 'create', cause: 'rollout' }, diff, drift: false, reasons: ['job does not exist in Nomad; git changed the app'] };
    if (!desired.selfHeal) return { action: { kind: 'report-only' }, diff, drift: true, reasons: ['job was removed behind drover\'s back; self-heal is off, drift reported only'] };
    return { action: { kind: 'create', cause: 'heal' }, diff, drift: true, reasons: ['job was removed behind drover\'s back'] };
  }
  if (gitChanged) return { action: { kind: 'update', cause: 'rollout' }, diff, drift: false, reasons: ['git changed the app', ...changeLines(diff)] };
  if (!desired.selfHeal) {
    return { action: { kind: 'report-only' }, diff, drift: true, reasons: [`${driftLine(diff)}; self-heal is off, drift reported only`] };
  }
  return { action: { kind: 'update', cause: 'heal' }, diff, drift: true, reasons: [driftLine(diff)] };
}

/**
 * The spec hash drover last applied: the store's record, else (a job written before the store existed)
 * the legacy `drover.spec-hash` Meta of a job we own. A pruned record means git removed the app: whatever
 * comes back is git changing it again.
 */
export function appliedHash(input: Pick<DecideInput, 'memory' | 'live' | 'owner'>): string | undefined {
  const m = input.memory;
  if (m) return m.pruned ? undefined : m.specHash;
  const live = input.live;
  if (live && ownershipOf(live.Meta, input.owner) === 'ours') return live.Meta?.[META_LEGACY_SPEC_HASH];
  return undefined;
}

/** True when the action writes the job. */
export function isWrite(a: AppAction): a is Extract<AppAction, { kind: 'create' | 'update' }> {
  return a.kind === 'create' || a.kind === 'update';
}

function driftLine(diff: JobDiffResult): string {
  if (diff.kind === 'stopped') return 'job was stopped behind drover\'s back';
  return `${diff.fields} field(s) changed behind drover's back`;
}

function changeLines(diff: JobDiffResult): string[] {
  if (diff.kind === 'stopped') return ['job is stopped'];
  return diff.fields > 0 ? [`${diff.fields} field(s) differ`] : [];
}
