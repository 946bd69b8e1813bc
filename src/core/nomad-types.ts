// The subset of Nomad's API JSON that drover renders, reads and diffs. Field names are Nomad's own
// (PascalCase); every duration is an integer of nanoseconds. Loose on purpose: a live job carries far
// more fields than drover renders, and the diff only looks at the rendered ones.

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface NomadPort {
  Label: string;
  To?: number;
  Value?: number;
  HostNetwork?: string;
}

export interface NomadNetwork {
  Mode?: string;
  DynamicPorts?: NomadPort[] | null;
  ReservedPorts?: NomadPort[] | null;
  DNS?: { Servers?: string[] | null; Searches?: string[] | null; Options?: string[] | null } | null;
}

export interface NomadCheck {
  Name?: string;
  Type: string;
  Path?: string;
  PortLabel?: string;
  Interval: number;
  Timeout: number;
  GRPCService?: string;
  GRPCUseTLS?: boolean;
  [k: string]: unknown;
}

export interface NomadService {
  Name: string;
  PortLabel?: string;
  Tags?: string[] | null;
  Provider?: string;
  AddressMode?: string;
  Checks?: NomadCheck[] | null;
  Meta?: Record<string, string> | null;
  [k: string]: unknown;
}

export interface NomadTemplate {
  EmbeddedTmpl: string;
  DestPath: string;
  Envvars?: boolean;
  ChangeMode?: string;
  [k: string]: unknown;
}

export interface NomadVault {
  Role?: string;
  Policies?: string[];
  ChangeMode?: string;
  [k: string]: unknown;
}

export interface NomadTask {
  Name: string;
  Driver: string;
  Config?: Record<string, unknown> | null;
  Env?: Record<string, string> | null;
  Services?: NomadService[] | null;
  Resources?: { CPU?: number; MemoryMB?: number; [k: string]: unknown } | null;
  Vault?: NomadVault | null;
  Templates?: NomadTemplate[] | null;
  Meta?: Record<string, string> | null;
  [k: string]: unknown;
}

export interface NomadTaskGroup {
  Name: string;
  Count?: number;
  Tasks: NomadTask[];
  Networks?: NomadNetwork[] | null;
  Services?: NomadService[] | null;
  Meta?: Record<string, string> | null;
  [k: string]: unknown;
}

export interface NomadJob {
  ID: string;
  Name?: string;
  Namespace?: string;
  Region?: string;
  Type?: string;
  Priority?: number;
  Datacenters?: string[];
  TaskGroups: NomadTaskGroup[];
  Meta?: Record<string, string> | null;
  Stop?: boolean;
  Status?: string;
  Version?: number;
  CreateIndex?: number;
  ModifyIndex?: number;
  JobModifyIndex?: number;
  SubmitTime?: number;
  [k: string]: unknown;
}

export interface JobListStub {
  ID: string;
  Name: string;
  Namespace?: string;
  Type: string;
  Stop: boolean;
  Status: string;
  CreateIndex: number;
  ModifyIndex: number;
  JobModifyIndex: number;
  SubmitTime: number;
  Meta?: Record<string, string> | null;
  [k: string]: unknown;
}

export interface RegisterResponse {
  EvalID: string;
  EvalCreateIndex: number;
  JobModifyIndex: number;
  Warnings: string;
  Index: number;
}

export interface FieldDiff {
  Type: DiffType;
  Name: string;
  Old: string;
  New: string;
  Annotations: string[] | null;
}
export type DiffType = 'None' | 'Added' | 'Deleted' | 'Edited';
export interface ObjectDiff {
  Type: DiffType;
  Name: string;
  Fields: FieldDiff[] | null;
  Objects: ObjectDiff[] | null;
}
export interface TaskDiff extends ObjectDiff {
  Annotations: string[] | null;
}
export interface TaskGroupDiff extends ObjectDiff {
  Tasks: TaskDiff[] | null;
  Updates: Record<string, number> | null;
}
export interface JobDiff {
  Type: DiffType;
  ID: string;
  Fields: FieldDiff[] | null;
  Objects: ObjectDiff[] | null;
  TaskGroups: TaskGroupDiff[] | null;
}

export interface PlanResponse {
  Annotations: { DesiredTGUpdates: Record<string, Record<string, number>> | null; PreemptedAllocs: unknown } | null;
  FailedTGAllocs: Record<string, unknown> | null;
  JobModifyIndex: number;
  CreatedEvals: unknown[] | null;
  Diff: JobDiff | null;
  Warnings: string;
  Index: number;
}

export interface AllocListStub {
  ID: string;
  EvalID: string;
  Name: string;
  Namespace: string;
  NodeID: string;
  NodeName: string;
  JobID: string;
  JobVersion: number;
  TaskGroup: string;
  DesiredStatus: string;
  ClientStatus: string;
  DeploymentStatus: { Healthy: boolean | null; Timestamp?: string; Canary?: boolean; ModifyIndex?: number } | null;
  CreateIndex: number;
  ModifyIndex: number;
  [k: string]: unknown;
}

export interface DeploymentTG {
  DesiredTotal: number;
  PlacedAllocs: number;
  HealthyAllocs: number;
  UnhealthyAllocs: number;
  [k: string]: unknown;
}

export interface Deployment {
  ID: string;
  Namespace: string;
  JobID: string;
  JobVersion: number;
  JobModifyIndex: number;
  JobSpecModifyIndex: number;
  TaskGroups: Record<string, DeploymentTG>;
  Status: string;
  StatusDescription: string;
  CreateIndex: number;
  ModifyIndex: number;
  [k: string]: unknown;
}

export interface NomadEvent {
  Topic: string;
  Type: string;
  Key: string;
  Namespace: string;
  FilterKeys: string[] | null;
  Index: number;
  Payload: Record<string, unknown>;
}

export interface EventFrame {
  Index: number;
  Events: NomadEvent[];
}

export interface NomadServiceRegistration {
  ID: string;
  ServiceName: string;
  Namespace: string;
  NodeID: string;
  Datacenter: string;
  JobID: string;
  AllocID: string;
  Tags: string[] | null;
  Address: string;
  Port: number;
  CreateIndex: number;
  ModifyIndex: number;
}
