// Consul verification (pure): what drover promised for an app's services — names, tags, one instance
// per running allocation, weave addresses inside the app's subnet — against what Consul (or Nomad's
// native service catalog) shows. Callers fetch the observed side; this file does no I/O.
//
// Decisions:
// - Only promised tags are compared. Extra tags are a note, not drift (Nomad, Consul and operators add
//   their own), EXCEPT tags under a prefix drover owns (default `traefik.`): a stray router tag changes
//   routing, which drover owns, so it is a problem and drift.
// - Drift = a tag, instance-count or address mismatch. A failing check is a problem (health) but not
//   drift: re-registering the job would not fix it.
// - Tags containing `${…}` are interpolated by Nomad per allocation and are skipped.
// - Nomad-native registrations carry no check status; they count as passing.
// - Instances are matched by service name only, so another job registering the same name inflates the count.
import ipaddr from 'ipaddr.js';
import type { ConsulHealthEntry } from './consul-types.js';
import type { AllocListStub, NomadJob, NomadService, NomadServiceRegistration } from './nomad-types.js';

export type InstanceState = 'passing' | 'warning' | 'critical' | 'missing';

export interface ExpectedService {
  name: string;
  /** tags every instance must carry */
  tags: string[];
  /** tags allowed besides `tags` without a problem (canary tags) */
  allowedTags: string[];
  provider: 'consul' | 'nomad';
  /** instances expected: one per running allocation of the declaring group(s) */
  count: number;
  /** CIDR every advertised address must lie in (weave apps) */
  subnet?: string;
}

export interface ObservedInstance {
  service: string;
  /** registration ID (`_nomad-task-<alloc>-…` for Nomad's own) */
  id: string;
  address: string;
  port: number;
  tags: string[];
  status: Exclude<InstanceState, 'missing'>;
  /** names of the checks that are not passing, with their status */
  failingChecks: { name: string; status: string }[];
}

export interface VerifyOptions {
  /** extra tags under these prefixes are problems (default `['traefik.']`) */
  ownedTagPrefixes?: string[];
}

export interface VerifyResult {
  problems: string[];
  /** informational: extra tags nobody promised */
  notes: string[];
  drift: boolean;
  instances: { service: string; state: InstanceState; count: number }[];
}

/** The services a rendered job promises, with the instance count its running allocations imply. */
export function expectedServicesFromJob(job: NomadJob, runningAllocs: AllocListStub[], weaveSubnet?: string): ExpectedService[] {
  const byName = new Map<string, ExpectedService>();
  for (const group of job.TaskGroups ?? []) {
    const running = runningAllocs.filter((a) => a.TaskGroup === group.Name && a.ClientStatus === 'running' && a.JobID === job.ID).length;
    const declared: { svc: NomadService; task?: string }[] = [
      ...(group.Services ?? []).map((svc) => ({ svc })),
      ...(group.Tasks ?? []).flatMap((t) => (t.Services ?? []).map((svc) => ({ svc, task: t.Name }))),
    ];
    for (const { svc, task } of declared) {
      const name = svc.Name || [job.ID, group.Name, task].filter(Boolean).join('-');
      const tags = concreteTags(svc.Tags);
      const canary = concreteTags(svc.CanaryTags as string[] | null | undefined);
      const prev = byName.get(name);
      if (prev) {
        // Same name in two groups: only tags both promise hold on every instance.
        prev.tags = prev.tags.filter((t) => tags.includes(t));
        prev.allowedTags = [...new Set([...prev.allowedTags, ...tags, ...canary])];
        prev.count += running;
        continue;
      }
      byName.set(name, {
        name, tags, allowedTags: canary, count: running, provider: svc.Provider === 'nomad' ? 'nomad' : 'consul',
        ...(weaveSubnet ? { subnet: weaveSubnet } : {}),
      });
    }
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The allocation a catalog instance was registered for, read from its service ID: Nomad registers
 * `_nomad-task-<allocID>-…` in Consul, drover's node registrar `drover-<allocID>-…`. Undefined for
 * anything else (a registration by hand, another tool).
 */
export function allocIdOfInstance(serviceId: string): string | undefined {
  const m = /^(?:_nomad-task-|drover-)([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-/.exec(serviceId);
  return m?.[1];
}

/**
 * Splits the instances of a service name into this job's (registered for one of its allocations) and
 * others'. Consul has one service namespace: two apps of the same name in different Nomad namespaces,
 * or a hand registration, share the name, and their instances are not this app's drift.
 */
export function partitionInstances(observed: ObservedInstance[], allocIds: ReadonlySet<string>): { mine: ObservedInstance[]; others: ObservedInstance[] } {
  const mine: ObservedInstance[] = [];
  const others: ObservedInstance[] = [];
  for (const o of observed) (allocIds.has(allocIdOfInstance(o.id) ?? '') ? mine : others).push(o);
  return { mine, others };
}

/** Consul health entries → observed instances (empty service address means the node's). */
export function observedFromConsul(entries: ConsulHealthEntry[]): ObservedInstance[] {
  return entries.map((e) => {
    const failing = (e.Checks ?? []).filter((c) => c.Status !== 'passing').map((c) => ({ name: c.Name || c.CheckID, status: c.Status }));
    return {
      service: e.Service.Service, id: e.Service.ID, address: e.Service.Address || e.Node.Address, port: e.Service.Port,
      tags: e.Service.Tags ?? [], status: worstStatus(failing.map((c) => c.status)), failingChecks: failing,
    };
  });
}

/** Nomad native service registrations → observed instances (no check status is carried). */
export function observedFromNomad(regs: NomadServiceRegistration[]): ObservedInstance[] {
  return regs.map((r) => ({ service: r.ServiceName, id: r.ID, address: r.Address, port: r.Port, tags: r.Tags ?? [], status: 'passing', failingChecks: [] }));
}

export function verifyConsul(expected: ExpectedService[], observed: ObservedInstance[], opts: VerifyOptions = {}): VerifyResult {
  const owned = opts.ownedTagPrefixes ?? ['traefik.'];
  const result: VerifyResult = { problems: [], notes: [], drift: false, instances: [] };
  for (const exp of expected) {
    const mine = observed.filter((o) => o.service === exp.name).sort((a, b) => a.id.localeCompare(b.id));
    verifyCount(exp, mine.length, result);
    for (const inst of mine) verifyInstance(exp, inst, owned, result);
    result.instances.push(...instanceStates(exp, mine));
  }
  return result;
}

function verifyCount(exp: ExpectedService, seen: number, r: VerifyResult): void {
  if (seen === exp.count) return;
  r.problems.push(`service ${exp.name}: ${plural(seen, 'instance')}, ${plural(exp.count, 'allocation')} running`);
  r.drift = true;
}

function verifyInstance(exp: ExpectedService, inst: ObservedInstance, owned: string[], r: VerifyResult): void {
  const where = `on instance ${inst.id}`;
  for (const tag of exp.tags) {
    if (inst.tags.includes(tag)) continue;
    r.problems.push(`service ${exp.name}: tag ${tag} missing ${where}`);
    r.drift = true;
  }
  for (const tag of inst.tags) {
    if (exp.tags.includes(tag) || exp.allowedTags.includes(tag)) continue;
    if (owned.some((p) => tag.startsWith(p))) {
      r.problems.push(`service ${exp.name}: unexpected tag ${tag} ${where}`);
      r.drift = true;
    } else {
      r.notes.push(`service ${exp.name}: extra tag ${tag} ${where}`);
    }
  }
  for (const c of inst.failingChecks) r.problems.push(`service ${exp.name}: check ${c.name} ${c.status} ${where}`);
  if (exp.subnet && !inSubnet(inst.address, exp.subnet)) {
    r.problems.push(`service ${exp.name}: address ${inst.address || '(empty)'} outside subnet ${exp.subnet} ${where}`);
    r.drift = true;
  }
}

function instanceStates(exp: ExpectedService, mine: ObservedInstance[]): VerifyResult['instances'] {
  const counts = new Map<InstanceState, number>();
  for (const i of mine) counts.set(i.status, (counts.get(i.status) ?? 0) + 1);
  if (exp.count > mine.length) counts.set('missing', exp.count - mine.length);
  const order: InstanceState[] = ['passing', 'warning', 'critical', 'missing'];
  return order.filter((s) => counts.has(s)).map((state) => ({ service: exp.name, state, count: counts.get(state)! }));
}

/** Consul's aggregation: any critical → critical, else any warning → warning, else passing. */
function worstStatus(statuses: string[]): ObservedInstance['status'] {
  if (statuses.some((s) => s !== 'passing' && s !== 'warning')) return 'critical';
  if (statuses.includes('warning')) return 'warning';
  return 'passing';
}

export function inSubnet(address: string, cidr: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  try {
    const [net, bits] = ipaddr.parseCIDR(cidr);
    const addr = ipaddr.process(address);
    return addr.kind() === net.kind() && addr.match(net, bits);
  } catch {
    return false;
  }
}

function concreteTags(tags: string[] | null | undefined): string[] {
  return (tags ?? []).filter((t) => !t.includes('${'));
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
