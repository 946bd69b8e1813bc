// What the rest of drover may call on the HashiCorp APIs. Implementations (nomad.ts, consul.ts,
// vault.ts) translate every failure into a DroverError (src/core/errors.ts); no transport error escapes.
import type {
  AllocListStub, Deployment, EventFrame, JobListStub, NomadJob, NomadServiceRegistration, PlanResponse, RegisterResponse,
} from '../core/nomad-types.js';
import type { ConsulHealthEntry } from '../core/consul-types.js';

export interface Indexed<T> {
  value: T;
  /** X-Nomad-Index / X-Consul-Index of the reply */
  index: number;
}

export interface QueryOpts {
  namespace?: string;
  /** blocking query: wait until the index moves past this */
  index?: number;
  /** blocking query wait, milliseconds */
  waitMs?: number;
  signal?: AbortSignal;
}

/** A Nomad Variable as `GET /v1/var/:path` returns it (api/variables.go). */
export interface NomadVariable {
  Namespace: string;
  Path: string;
  Items: Record<string, string>;
  CreateIndex: number;
  ModifyIndex: number;
  [k: string]: unknown;
}

/** `GET /v1/vars` list entries: metadata only, no Items. */
export interface NomadVariableMeta {
  Namespace: string;
  Path: string;
  CreateIndex: number;
  ModifyIndex: number;
  [k: string]: unknown;
}

/** What `POST /v1/deployment/promote/:id` answers (api/deployments.go DeploymentUpdateResponse). */
export interface DeploymentUpdateResponse {
  EvalID: string;
  EvalCreateIndex: number;
  DeploymentModifyIndex: number;
  RevertedJobVersion?: number | null;
  Index?: number;
  [k: string]: unknown;
}

/** A CAS write either applies or answers 409 with the variable as it is now. */
export type VariableWriteResult = { ok: true; variable: NomadVariable } | { ok: false; conflict: NomadVariable };

export interface NomadApi {
  listJobs(opts?: QueryOpts & { prefix?: string; meta?: boolean; filter?: string }): Promise<Indexed<JobListStub[]>>;
  /** A missing job is `value: null`, not an error. */
  readJob(id: string, opts?: QueryOpts): Promise<Indexed<NomadJob | null>>;
  registerJob(job: NomadJob, opts?: { namespace?: string; enforceIndex?: boolean; jobModifyIndex?: number }): Promise<RegisterResponse>;
  stopJob(id: string, opts?: { namespace?: string; purge?: boolean }): Promise<{ EvalID: string; JobModifyIndex: number; Index: number }>;
  planJob(job: NomadJob, opts?: { namespace?: string; diff?: boolean }): Promise<PlanResponse>;
  validateJob(job: NomadJob, opts?: { namespace?: string }): Promise<{ ValidationErrors: string[] | null; Error: string; Warnings: string }>;
  jobAllocations(id: string, opts?: QueryOpts): Promise<Indexed<AllocListStub[]>>;
  jobDeployment(id: string, opts?: QueryOpts): Promise<Indexed<Deployment | null>>;
  /**
   * Promotes every canary of a running deployment (`{"DeploymentID", "All": true}`). Never retried in place: a
   * repeat after an unknown outcome could meet a deployment that already finished. Nomad refuses with a 500
   * and its own text when a canary is not healthy yet or the deployment is terminal.
   */
  promoteDeployment(id: string, opts?: { namespace?: string }): Promise<DeploymentUpdateResponse>;
  listServiceRegistrations(name: string, opts?: QueryOpts): Promise<Indexed<NomadServiceRegistration[]>>;
  /**
   * The event stream as frames (heartbeats `{}` are filtered out). Reconnects from the last seen
   * index on a dropped connection until `signal` aborts.
   */
  /** `GET /v1/vars?prefix=` (namespace `*` for all) */
  /** `GET /v1/namespaces`: the names of the namespaces that exist */
  listNamespaces(opts?: { signal?: AbortSignal }): Promise<string[]>;
  /** `GET /v1/job/:id/evaluations` (newest placement failures show here) */
  jobEvaluations(id: string, opts?: QueryOpts): Promise<Indexed<Record<string, unknown>[]>>;
  listVariables(opts: { prefix: string; namespace?: string; signal?: AbortSignal }): Promise<NomadVariableMeta[]>;
  /** null when the variable does not exist */
  readVariable(path: string, opts?: { namespace?: string; signal?: AbortSignal }): Promise<NomadVariable | null>;
  /** `cas`: 0 = must not exist yet, N = must still be at ModifyIndex N */
  writeVariable(v: { Namespace: string; Path: string; Items: Record<string, string> }, opts?: { cas?: number; signal?: AbortSignal }): Promise<VariableWriteResult>;
  deleteVariable(path: string, opts?: { namespace?: string; cas?: number; signal?: AbortSignal }): Promise<void>;
  eventStream(opts: { topics: string[]; namespace?: string; index?: number; signal: AbortSignal; onIndexReset?: (was: number, now: number) => void; onReconnect?: () => void; onOpen?: () => void }): AsyncIterable<EventFrame>;
  /** The agent's version (`GET /v1/agent/self` → config.Version.Version[-VersionPrerelease]); undefined when it does not say. */
  agentVersion(opts?: { signal?: AbortSignal }): Promise<string | undefined>;
  /** Cheap reachability probe (`GET /v1/agent/health` or `/v1/status/leader`). */
  ping(opts?: { signal?: AbortSignal }): Promise<void>;
}

export interface ConsulServiceCheck {
  CheckID?: string;
  Name?: string;
  HTTP?: string;
  TCP?: string;
  GRPC?: string;
  TTL?: string;
  Interval?: string;
  Timeout?: string;
  DeregisterCriticalServiceAfter?: string;
  Status?: string;
}

export interface ConsulServiceRegistration {
  ID: string;
  Name: string;
  Tags?: string[];
  Address?: string;
  Port?: number;
  Meta?: Record<string, string>;
  Check?: ConsulServiceCheck;
  Checks?: ConsulServiceCheck[];
}

export interface ConsulCatalogEntry {
  Node: string;
  Address: string;
  ServiceID: string;
  ServiceName: string;
  ServiceTags: string[] | null;
  ServiceAddress: string;
  ServicePort: number;
  ServiceMeta: Record<string, string> | null;
  [k: string]: unknown;
}

export type { ConsulHealthEntry } from '../core/consul-types.js';

export interface ConsulKVPair {
  Key: string;
  Value: string | null; // base64
  Flags: number;
  Session?: string;
  LockIndex: number;
  CreateIndex: number;
  ModifyIndex: number;
}

export interface ConsulApi {
  registerService(svc: ConsulServiceRegistration, opts?: { replaceExistingChecks?: boolean }): Promise<void>;
  deregisterService(id: string): Promise<void>;
  agentServices(opts?: { filter?: string }): Promise<Record<string, ConsulServiceRegistration & { Service: string }>>;
  catalogService(name: string, opts?: QueryOpts): Promise<Indexed<ConsulCatalogEntry[]>>;
  healthService(name: string, opts?: QueryOpts & { passing?: boolean }): Promise<Indexed<ConsulHealthEntry[]>>;
  kvGet(key: string, opts?: QueryOpts): Promise<Indexed<ConsulKVPair | null>>;
  kvPut(key: string, value: string, opts?: { cas?: number; acquire?: string; release?: string }): Promise<boolean>;
  sessionCreate(opts: { name: string; ttl: string; behavior?: 'release' | 'delete'; lockDelay?: string }): Promise<string>;
  /** Returns the TTL the server answered with, or throws not-found when the session is gone. */
  sessionRenew(id: string): Promise<{ ttl: string }>;
  sessionDestroy(id: string): Promise<void>;
  ping(opts?: { signal?: AbortSignal }): Promise<void>;
}

export type { VaultApi } from '../core/preflight.js';

/** Observes every upstream request, for `drover_upstream_requests_total` and its duration histogram. */
export interface UpstreamObserver {
  observe(upstream: string, route: string, code: string, seconds: number): void;
}
