// The task group's update block (Nomad's UpdateStrategy) from spec.rollout and the cluster's
// DROVER_ROLLOUT_* defaults. Only fields set somewhere are rendered: Nomad fills every other field with its
// default (api/jobs.go UpdateStrategy.Canonicalize, nomad-canonical.md §1A), and the diff compares the live
// block with those defaults overlaid by what is rendered (src/core/diff.ts), so a field git removes goes back
// to Nomad's default. With nothing set anywhere no block is rendered at all: jobs of apps without a rollout
// strategy are byte-identical to what drover rendered before spec.rollout existed.
import type { ClusterDefaults, RolloutDefaults } from '../cluster-defaults.js';
import { parseDurationNs } from '../duration.js';
import { DroverError } from '../errors.js';
import type { AppSpec, RolloutHealthCheck, RolloutSpec } from '../app-spec.js';

/** Nomad's UpdateStrategy in API form; durations are integer nanoseconds. */
export interface NomadUpdateStrategy {
  Stagger?: number;
  MaxParallel?: number;
  HealthCheck?: string;
  MinHealthyTime?: number;
  HealthyDeadline?: number;
  ProgressDeadline?: number;
  AutoRevert?: boolean;
  AutoPromote?: boolean;
  Canary?: number;
}

/**
 * What Nomad stores for a field nobody set (api/jobs.go DefaultUpdateStrategy, the same as
 * nomad/structs.DefaultUpdateStrategy), in Nomad's field order.
 */
export const NOMAD_UPDATE_DEFAULTS: Readonly<Required<NomadUpdateStrategy>> = Object.freeze({
  Stagger: 30e9,
  MaxParallel: 1,
  HealthCheck: 'checks',
  MinHealthyTime: 10e9,
  HealthyDeadline: 300e9,
  ProgressDeadline: 600e9,
  AutoRevert: false,
  AutoPromote: false,
  Canary: 0,
});

/** A task's kill timeout drover leaves at Nomad's default; a progress deadline shorter than it is refused. */
export const NOMAD_KILL_TIMEOUT_NS = 5e9;

/** spec.rollout field → Nomad field, in the order the block is rendered. */
export const ROLLOUT_FIELDS = [
  ['maxParallel', 'MaxParallel'],
  ['healthCheck', 'HealthCheck'],
  ['minHealthyTime', 'MinHealthyTime'],
  ['healthyDeadline', 'HealthyDeadline'],
  ['progressDeadline', 'ProgressDeadline'],
  ['autoRevert', 'AutoRevert'],
  ['autoPromote', 'AutoPromote'],
  ['canaries', 'Canary'],
] as const satisfies readonly (readonly [keyof RolloutSpec, keyof NomadUpdateStrategy])[];

export type RolloutField = (typeof ROLLOUT_FIELDS)[number][0];
export const DURATION_FIELDS: ReadonlySet<RolloutField> = new Set(['minHealthyTime', 'healthyDeadline', 'progressDeadline']);

/** Where an effective rollout value comes from. */
export type RolloutSource = 'app' | 'cluster' | 'nomad';

export interface ResolvedField<T> {
  value: T;
  source: RolloutSource;
  /** as written (a Go duration stays as typed), or Nomad's default formatted */
  text: string;
}

export interface ResolvedRollout {
  maxParallel: ResolvedField<number>;
  healthCheck: ResolvedField<RolloutHealthCheck>;
  minHealthyTime: ResolvedField<number>;
  healthyDeadline: ResolvedField<number>;
  progressDeadline: ResolvedField<number>;
  autoRevert: ResolvedField<boolean>;
  autoPromote: ResolvedField<boolean>;
  canaries: ResolvedField<number>;
}

/** The fields set by the app or the cluster, the app winning; empty when neither sets anything. */
export function effectiveRollout(app: RolloutSpec | undefined, cluster: RolloutDefaults | undefined): RolloutSpec {
  const out: Record<string, unknown> = {};
  for (const [field] of ROLLOUT_FIELDS) {
    const v = app?.[field] ?? (cluster as RolloutSpec | undefined)?.[field];
    if (v !== undefined) out[field] = v;
  }
  return out as RolloutSpec;
}

/**
 * Every field with its value and origin (app, cluster default, or Nomad's default), for the validation
 * rules. Undefined when a duration does not parse (the schema or the config check reports that).
 */
export function resolveRollout(app: RolloutSpec | undefined, cluster: RolloutDefaults | undefined): ResolvedRollout | undefined {
  const out: Record<string, ResolvedField<unknown>> = {};
  for (const [field, nomad] of ROLLOUT_FIELDS) {
    const own = app?.[field];
    const dflt = (cluster as RolloutSpec | undefined)?.[field];
    const given = own ?? dflt;
    const source: RolloutSource = own !== undefined ? 'app' : dflt !== undefined ? 'cluster' : 'nomad';
    if (given === undefined) {
      const value = NOMAD_UPDATE_DEFAULTS[nomad];
      out[field] = { value, source, text: DURATION_FIELDS.has(field) ? formatNs(value as number) : String(value) };
      continue;
    }
    if (DURATION_FIELDS.has(field)) {
      const ns = parseDurationNs(String(given));
      if (ns === undefined) return undefined;
      out[field] = { value: ns, source, text: String(given) };
    } else out[field] = { value: given, source, text: String(given) };
  }
  return out as unknown as ResolvedRollout;
}

/** The group's `Update` block, or undefined when neither spec.rollout nor a DROVER_ROLLOUT_* default sets anything. */
export function renderUpdate(spec: AppSpec, d: ClusterDefaults): NomadUpdateStrategy | undefined {
  const r = effectiveRollout(spec.rollout, d.rollout);
  const out: Record<string, unknown> = {};
  for (const [field, nomad] of ROLLOUT_FIELDS) {
    const v = r[field];
    if (v === undefined) continue;
    out[nomad] = DURATION_FIELDS.has(field) ? durationNs(String(v), field) : v;
  }
  return Object.keys(out).length > 0 ? (out as NomadUpdateStrategy) : undefined;
}

/** The validator refuses a duration that does not parse first; this is the renderer's own last line. */
function durationNs(text: string, field: string): number {
  const ns = parseDurationNs(text);
  if (ns === undefined) throw new DroverError('invalid-spec', `spec.rollout.${field}: ${JSON.stringify(text)} is not a duration`);
  return ns;
}

/** Nanoseconds as the shortest Go-style text for whole units (300e9 → "5m"), for messages. */
export function formatNs(ns: number): string {
  if (ns === 0) return '0s';
  for (const [unit, size] of [['h', 3600e9], ['m', 60e9], ['s', 1e9], ['ms', 1e6]] as const) {
    if (ns % size === 0) return `${ns / size}${unit}`;
  }
  return `${ns}ns`;
}
