// Writing a job version into the simulated state store (nomad/state/state_store.go upsertJobImpl):
// version numbering, indexes, Stable reset, the stored versions list, the job summary row, and the
// scaling_policy table — whose upsert writes ID, CreateIndex and ModifyIndex into the job's own
// Scaling block, but only when the policy itself changed (updateJobScalingPolicies). That is why a
// job with a Scaling block shows `Edited` in its plan right after creation, and re-registering the
// same body bumps its Version once (the new body's policy has zero indexes), then never again.
import { NomadState } from './state.js';
import { deepEqual, uuid, type Obj } from './util.js';

/** Stores `job` (already canonical, validated) as the new version of `existing` (or a new job) at `index`. */
export function storeJob(state: NomadState, job: Obj, existing: Obj | undefined, index: number, nowNs: number): void {
  const submitted = Number(job.Version ?? 0);
  // 2.0.0+ honours a submitted Version above the current one (GH-27768); otherwise current + 1
  job.Version = existing ? (submitted <= Number(existing.Version) ? Number(existing.Version) + 1 : submitted) : submitted;
  job.SubmitTime = nowNs;
  job.CreateIndex = existing ? existing.CreateIndex : index;
  job.ModifyIndex = index;
  job.JobModifyIndex = index;
  // Stable is what the stored body says: false from a register, true for a revert to a stable version
  job.Stable = job.Stable === true;
  const key = NomadState.key(String(job.Namespace), String(job.ID));
  state.jobs.set(key, job);
  state.pushVersion(job);
  if (!existing) state.summaryIndex.set(key, { CreateIndex: index, ModifyIndex: index });
  upsertScalingPolicies(state, job, index);
}

function policyKey(ns: string, job: string, group: string, task: string, type: string): string {
  return [ns, job, group, task, type].join('\u0000');
}

/** Job.GetScalingPolicies: the group Scaling blocks (task-level policies are not produced by drover). */
function jobPolicies(job: Obj): { group: string; p: Obj }[] {
  return ((job.TaskGroups as Obj[] | null) ?? []).filter((g) => g.Scaling).map((g) => ({ group: String(g.Name), p: g.Scaling as Obj }));
}

/** propagateScalingPolicyIDs (nomad/job_endpoint.go): keep the existing policy's ID, else a new one. */
export function propagateScalingPolicyIds(existing: Obj | undefined, job: Obj): void {
  const old = new Map((existing ? jobPolicies(existing) : []).map(({ group, p }) => [`${String(p.Type)}\u0000${group}`, String(p.ID)]));
  for (const { group, p } of jobPolicies(job)) p.ID = old.get(`${String(p.Type)}\u0000${group}`) ?? uuid();
}

/** ScalingPolicy.Diff: anything but ID and indexes. */
function policyDiffers(a: Obj, b: Obj): boolean {
  const strip = (p: Obj) => ({ ...p, ID: '', CreateIndex: 0, ModifyIndex: 0 });
  return !deepEqual(strip(a), strip(b));
}

function upsertScalingPolicies(state: NomadState, job: Obj, index: number): void {
  const ns = String(job.Namespace);
  const id = String(job.ID);
  const wanted = new Set<string>();
  for (const { group, p } of jobPolicies(job)) {
    const k = policyKey(ns, id, group, '', String(p.Type));
    wanted.add(k);
    const existing = state.scalingPolicies.get(k);
    if (existing && !policyDiffers(existing, p)) continue;
    if (existing) {
      p.ID = existing.ID;
      p.CreateIndex = existing.CreateIndex;
    } else p.CreateIndex = index;
    p.ModifyIndex = index;
    state.scalingPolicies.set(k, p);
    state.tables.scaling_policy = index;
  }
  const prefix = policyKey(ns, id, '', '', '').split('\u0000').slice(0, 2).join('\u0000') + '\u0000';
  for (const k of [...state.scalingPolicies.keys()]) if (k.startsWith(prefix) && !wanted.has(k)) state.scalingPolicies.delete(k);
}
