// The App spec as TypeScript types, in core because core renders from them (core imports nothing from
// src/spec; spec re-exports these). crds/app.yaml is the single source of truth for the rules;
// test/spec/schema-types.test.ts checks that every property here exists in the CRD schema and back.

export const API_VERSION = 'drover.io/v1alpha1';
export const KIND = 'App';

export type Driver = 'docker' | 'pot' | 'exec';
export type HealthType = 'http' | 'tcp' | 'grpc' | 'none';
export type ServiceProvider = 'consul' | 'nomad';
/** What marks an allocation healthy during a rollout (Nomad's update `health_check`). */
export type RolloutHealthCheck = 'checks' | 'task_states' | 'manual';

export interface AppMetadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
}

export interface IngressSpec {
  host: string;
  path?: string;
  entrypoints?: string[];
  tls?: boolean;
  certResolver?: string;
  /** A second router on the cluster's HTTP entrypoints that redirects plain HTTP to HTTPS; needs TLS. */
  httpsRedirect?: boolean;
}

export interface GrpcSpec {
  port: number;
  entrypoint?: string;
  host?: string;
  /** TLS on the gRPC router (needs `host`: a TLS router is chosen by SNI). */
  tls?: boolean;
  certResolver?: string;
}

export interface VaultSecretSpec {
  /** KV v2 path as used in a template, e.g. `secret/data/otel`. */
  path: string;
  /** environment variable name → key inside the secret */
  env: Record<string, string>;
}

export interface VaultSpec {
  role?: string;
  policies?: string[];
  secrets?: VaultSecretSpec[];
}

export interface WeaveSpec {
  subnet?: string;
  dns?: string[];
}

export interface ResourcesSpec {
  cpu?: number;
  memory?: number;
}

export interface HealthSpec {
  type?: HealthType;
  path?: string;
  /** Go-style duration, e.g. `10s` */
  interval?: string;
  timeout?: string;
}

export interface ServiceSpec {
  provider?: ServiceProvider;
  name?: string;
  tags?: string[];
}

export interface ScalingSpec {
  min: number;
  max: number;
}

/**
 * The task group's update block (Nomad's UpdateStrategy). Every field is optional: unset fields take the
 * cluster default (DROVER_ROLLOUT_*), else Nomad's own. Durations are Go durations, rendered as nanoseconds.
 */
export interface RolloutSpec {
  maxParallel?: number;
  minHealthyTime?: string;
  healthyDeadline?: string;
  /** `0`: the first unhealthy allocation fails the deployment */
  progressDeadline?: string;
  canaries?: number;
  autoPromote?: boolean;
  autoRevert?: boolean;
  healthCheck?: RolloutHealthCheck;
}

export interface SyncSpec {
  selfHeal?: boolean;
  prune?: boolean;
  /** take over an existing job with this ID that no drover manages (never another owner's) */
  adopt?: boolean;
}

export interface PotSpec {
  name: string;
  tag: string;
}

export interface AppSpec {
  image?: string;
  driver?: Driver;
  pot?: PotSpec;
  command?: string;
  args?: string[];
  count?: number;
  port?: number;
  ingress?: IngressSpec;
  grpc?: GrpcSpec;
  vault?: VaultSpec;
  weave?: WeaveSpec;
  dns?: string[];
  env?: Record<string, string>;
  resources?: ResourcesSpec;
  health?: HealthSpec;
  service?: ServiceSpec;
  datacenters?: string[];
  scaling?: ScalingSpec;
  rollout?: RolloutSpec;
  sync?: SyncSpec;
}

export interface AppManifest {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: AppMetadata;
  spec: AppSpec;
}

/** Where a document came from: path relative to the spec root, 1-based line/column of the document start. */
export interface SourceRef {
  file: string;
  line: number;
  col: number;
}

/** A valid App with its namespace resolved (config default applied) and its origin. */
export interface LoadedApp {
  /** `<namespace>/<name>` */
  key: string;
  namespace: string;
  name: string;
  manifest: AppManifest;
  source: SourceRef;
}

/** One problem found while loading or validating: printed as `file:line:col path: message`. */
export interface Problem {
  file: string;
  line: number;
  col: number;
  /** Field path such as `spec.ingress.host`; `` for file-level problems. */
  path: string;
  message: string;
  /** The app this problem belongs to (`namespace/name`) when it is known. */
  app?: string;
  severity: 'error' | 'warning';
}

/** Result of loading a directory of specs. */
export interface LoadResult {
  apps: LoadedApp[];
  problems: Problem[];
  /** Files that failed to parse at all (no app in them could be read): prune must never act on apps they last defined. */
  brokenFiles: string[];
  /**
   * App keys that were found in the files but are invalid: their running jobs must be left untouched.
   * Keyed `namespace/name` when the name (and namespace) could be read.
   */
  invalidApps: Map<string, Problem[]>;
}

export function problemToString(p: Problem): string {
  const where = `${p.file}:${p.line}:${p.col}`;
  return p.path ? `${where} ${p.path}: ${p.message}` : `${where}: ${p.message}`;
}
