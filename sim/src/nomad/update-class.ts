// Which job changes Nomad can apply to a running allocation in place and which need a new one:
// scheduler/util.go tasksUpdated (Nomad 2.0.5) over the stored job shape. Anything it reports forces a
// destructive update (stop + place); everything else — count, service tags and checks, the update
// block, constraints, kill timeout, log rotation — is an in-place update of the allocation.
import { deepEqual, isObj, type Obj } from './util.js';

type Why = string | undefined;

const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);
const map = (v: unknown): Record<string, unknown> => (isObj(v) ? v : {});

/** Job > group > task Meta merged, deepest wins (Job.CombinedTaskMeta): a job Meta change reaches tasks as NOMAD_META_*. */
export function combinedTaskMeta(job: Obj, group: Obj, task: Obj): Record<string, unknown> {
  return { ...map(job.Meta), ...map(group.Meta), ...map(task.Meta) };
}

/** networkPortMap: reserved ports by value, dynamic ports by label and `To` only (their host value is not the spec). */
function portMap(n: Obj): unknown[] {
  return [
    ...list(n.ReservedPorts).map((p) => [p.Label, p.Value ?? 0, p.To ?? 0, p.HostNetwork ?? '']),
    ...list(n.DynamicPorts).map((p) => [p.Label, -1, p.To ?? 0, p.HostNetwork ?? '']),
  ];
}

function networkUpdated(a: unknown, b: unknown): Why {
  const na = list(a);
  const nb = list(b);
  if (na.length !== nb.length) return 'network lengths';
  for (let i = 0; i < na.length; i++) {
    const x = na[i]!;
    const y = nb[i]!;
    if ((x.Mode ?? '') !== (y.Mode ?? '')) return 'network mode';
    if ((x.MBits ?? 0) !== (y.MBits ?? 0)) return 'network mbits';
    if ((x.Hostname ?? '') !== (y.Hostname ?? '')) return 'network hostname';
    if (!deepEqual(x.DNS ?? null, y.DNS ?? null)) return 'network dns';
    if (!deepEqual(x.CNI ?? null, y.CNI ?? null)) return 'network cni';
    if (!deepEqual(portMap(x), portMap(y))) return 'network port map';
  }
  return undefined;
}

const RESOURCE_FIELDS = ['CPU', 'Cores', 'MemoryMB', 'MemoryMaxMB', 'Devices', 'NUMA', 'SecretsMB'];
const TASK_FIELDS = ['Driver', 'User', 'Config', 'Env', 'Artifacts', 'Vault', 'Secrets', 'Consul', 'Templates', 'CSIPluginConfig', 'VolumeMounts', 'Identity', 'Identities'];

/** The reason a group's allocations of `a` cannot run `b` in place, or undefined when they can. */
export function tasksUpdated(a: Obj, b: Obj, groupName: string): Why {
  const ga = list(a.TaskGroups).find((g) => g.Name === groupName);
  const gb = list(b.TaskGroups).find((g) => g.Name === groupName);
  if (!ga || !gb) return 'task group';
  const ta = list(ga.Tasks);
  const tb = list(gb.Tasks);
  if (ta.length !== tb.length) return 'number of tasks';
  if (!deepEqual(ga.EphemeralDisk ?? null, gb.EphemeralDisk ?? null)) return 'ephemeral disk';
  const net = networkUpdated(ga.Networks, gb.Networks);
  if (net) return net;
  if (!deepEqual(ga.Consul ?? null, gb.Consul ?? null)) return 'consul';
  const connect = (g: Obj) => list(g.Services).map((s) => s.Connect ?? null);
  if (!deepEqual(connect(ga), connect(gb))) return 'connect service';
  if (!deepEqual(ga.Volumes ?? null, gb.Volumes ?? null)) return 'volume request';
  const render = (r: unknown) => !!(isObj(r) && r.RenderTemplates);
  if (render(ga.RestartPolicy) !== render(gb.RestartPolicy)) return 'group restart render_templates';
  for (const at of ta) {
    const bt = tb.find((t) => t.Name === at.Name);
    if (!bt) return 'task deleted';
    for (const f of TASK_FIELDS) if (!deepEqual(at[f] ?? null, bt[f] ?? null)) return `task ${f.toLowerCase()}`;
    if (!deepEqual(combinedTaskMeta(a, ga, at), combinedTaskMeta(b, gb, bt))) return 'task meta';
    const ra = map(at.Resources);
    const rb = map(bt.Resources);
    const tnet = networkUpdated(ra.Networks, rb.Networks);
    if (tnet) return tnet;
    for (const f of RESOURCE_FIELDS) if (!deepEqual(ra[f] ?? null, rb[f] ?? null)) return `task ${f.toLowerCase()}`;
    if (!!map(at.LogConfig).Disabled !== !!map(bt.LogConfig).Disabled) return 'task log disabled';
    if (render(at.RestartPolicy) !== render(bt.RestartPolicy)) return 'task restart render_templates';
  }
  return undefined;
}
