// The Nomad wire shapes the simulator serves, written from shared/reference/ rather than taken from drover's
// own types (src/core/nomad-types.ts), so that a misreading of Nomad on one side shows up as a failing test
// instead of being shared by the client and the fake it is tested against.
//   - the job as GET /v1/job/:id returns it: hashicorp-api.md §1, nomad-canonical.md §5 (worked example)
//   - the plan diff: nomad-wire-shapes.md §3 (structs/diff.go)
//   - event frames: nomad-wire-shapes.md §5 (structs/event.go)
//   - native service registrations: nomad/structs/service_registration.go, hashicorp-api.md §2
// Durations are integer nanoseconds; nil slices and maps are encoded as null.

/** A task as stored: canonicalisation has filled in every field, so only what the simulator's users read is typed. */
export interface StoredTask {
  Name: string;
  Driver: string;
  Config: Record<string, unknown> | null;
  Env: Record<string, string> | null;
  Services: Array<Record<string, unknown>> | null;
  Meta: Record<string, string> | null;
  [k: string]: unknown;
}

export interface StoredTaskGroup {
  Name: string;
  Count: number;
  Tasks: StoredTask[];
  Meta: Record<string, string> | null;
  [k: string]: unknown;
}

/** A job as the simulated server stores and returns it (after canonicalisation and the register mutators). */
export interface StoredJob {
  ID: string;
  Name: string;
  Namespace: string;
  Region: string;
  Type: string;
  Priority: number;
  Datacenters: string[];
  TaskGroups: StoredTaskGroup[];
  Meta: Record<string, string> | null;
  Stop: boolean;
  Status: string;
  Stable: boolean;
  Version: number;
  SubmitTime: number;
  CreateIndex: number;
  ModifyIndex: number;
  JobModifyIndex: number;
  [k: string]: unknown;
}

/** `Type` of every diff object. */
export type DiffType = 'None' | 'Added' | 'Deleted' | 'Edited';

/** Old and New are always strings: ints in decimal, bools "true"/"false", durations in nanoseconds. */
export interface FieldDiff {
  Type: DiffType;
  Name: string;
  Old: string;
  New: string;
  Annotations: string[] | null;
}

export interface ObjectDiff {
  Type: DiffType;
  Name: string;
  Fields: FieldDiff[] | null;
  Objects: ObjectDiff[] | null;
}

export interface TaskDiff {
  Type: DiffType;
  Name: string;
  Fields: FieldDiff[] | null;
  Objects: ObjectDiff[] | null;
  Annotations: string[] | null;
}

export interface TaskGroupDiff {
  Type: DiffType;
  Name: string;
  Fields: FieldDiff[] | null;
  Objects: ObjectDiff[] | null;
  Tasks: TaskDiff[] | null;
  /** update kind ("create", "ignore", "create/destroy update", …) → a nonzero count */
  Updates: Record<string, number> | null;
}

export interface JobDiff {
  Type: DiffType;
  ID: string;
  Fields: FieldDiff[] | null;
  Objects: ObjectDiff[] | null;
  TaskGroups: TaskGroupDiff[] | null;
}

/** One event of a frame; keys in this order on the wire. Index equals the frame's. */
export interface NomadEvent {
  Topic: string;
  Type: string;
  Key: string;
  Namespace: string;
  FilterKeys: string[] | null;
  Index: number;
  Payload: Record<string, unknown>;
}

/** One NDJSON line of /v1/event/stream (a heartbeat is `{}`). */
export interface EventFrame {
  Index: number;
  Events: NomadEvent[];
}

/** A service of provider "nomad", as GET /v1/service/:name lists it. */
export interface ServiceRegistration {
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
