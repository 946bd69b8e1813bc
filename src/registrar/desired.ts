// Pure: what the local Consul agent should hold for this node's weave proxy-mode containers, and the
// register / deregister steps that get it there from what it holds now. Level-based: the desired set
// is recomputed from scratch every pass, so a failed step is simply found again on the next one.
// A container whose state could not be learnt this pass (docker inspect, Nomad or weave failed) puts
// its allocation in `unknownAllocs`: its existing registrations are kept, never removed on a guess.
import { createHash } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import type { RegistrarService } from '../core/render/index.js';
import type { ConsulServiceCheck, ConsulServiceRegistration } from '../clients/types.js';

// Consul allows only letters, digits, `_` and `-` in service Meta keys (a real 1.8.7 agent answers
// 400 "Invalid Service Meta: … Key contains invalid characters" to `drover.managed`): unlike the
// job's Meta, these use dashes.
export const REGISTRATION_META = {
  managed: 'drover-managed',
  owner: 'drover-owner',
  alloc: 'drover-alloc',
  source: 'external-source',
  hash: 'drover-registration-hash',
} as const;

/** One container whose job drover manages and whose weave address is known. */
export interface ResolvedContainer {
  containerId: string;
  allocId: string;
  task: string;
  weaveIp: string;
  services: RegistrarService[];
}

export type AgentServices = Record<string, { ID?: string; Meta?: Record<string, string> | null }>;

export interface SyncPlan {
  desired: ConsulServiceRegistration[];
  register: ConsulServiceRegistration[];
  deregister: string[];
}

export function registrationId(allocId: string, task: string, service: string): string {
  return `drover-${allocId}-${task}-${service}`;
}

export function desiredRegistrations(owner: string, containers: ResolvedContainer[]): ConsulServiceRegistration[] {
  const out: ConsulServiceRegistration[] = [];
  for (const c of containers) for (const svc of c.services) out.push(registration(owner, c, svc));
  return out.sort((a, b) => a.ID.localeCompare(b.ID));
}

function registration(owner: string, c: ResolvedContainer, svc: RegistrarService): ConsulServiceRegistration {
  const id = registrationId(c.allocId, c.task, svc.name);
  const reg: ConsulServiceRegistration = {
    ID: id, Name: svc.name, Tags: [...svc.tags], Address: c.weaveIp, Port: svc.port,
    Meta: { [REGISTRATION_META.alloc]: c.allocId, [REGISTRATION_META.managed]: 'true', [REGISTRATION_META.owner]: owner, [REGISTRATION_META.source]: 'drover' },
  };
  if (svc.check) reg.Check = check(id, c.weaveIp, svc);
  // The agent's service listing does not show checks, so a hash of the whole registration in Meta
  // tells "already as wanted" from "re-register" (a changed check, tag or address).
  reg.Meta![REGISTRATION_META.hash] = createHash('sha256').update(JSON.stringify(reg)).digest('hex').slice(0, 16);
  return reg;
}

function check(id: string, ip: string, svc: RegistrarService): ConsulServiceCheck {
  const c = svc.check!;
  const target = `${ip}:${svc.port}`;
  const base: ConsulServiceCheck = { CheckID: `${id}-check`, Name: `${svc.name} ${c.type} on the weave address`, Interval: c.interval, Timeout: c.timeout };
  if (c.type === 'http') return { ...base, HTTP: `http://${target}${c.path ?? '/'}` };
  if (c.type === 'grpc') return { ...base, GRPC: target };
  return { ...base, TCP: target };
}

/** Registrations of this owner that the agent holds (the crash-left ones included). */
export function ownedIds(owner: string, current: AgentServices): string[] {
  return Object.entries(current)
    .filter(([, s]) => s.Meta?.[REGISTRATION_META.source] === 'drover' && s.Meta?.[REGISTRATION_META.owner] === owner && s.Meta?.[REGISTRATION_META.managed] === 'true')
    .map(([id]) => id)
    .sort();
}

export function planSync(owner: string, desired: ConsulServiceRegistration[], current: AgentServices, unknownAllocs: ReadonlySet<string>): SyncPlan {
  const wanted = new Map(desired.map((r) => [r.ID, r]));
  const register = desired.filter((r) => current[r.ID]?.Meta?.[REGISTRATION_META.hash] !== r.Meta?.[REGISTRATION_META.hash]);
  const deregister = ownedIds(owner, current).filter((id) => !wanted.has(id) && !unknownAllocs.has(current[id]?.Meta?.[REGISTRATION_META.alloc] ?? ''));
  return { desired, register, deregister };
}

/**
 * The subnet named in WEAVE_CIDR (`net:10.32.1.0/24`; several space-separated values allowed), or
 * undefined for `net:default`, plain addresses or `none`.
 */
export function weaveSubnet(weaveCidr: string): string | undefined {
  for (const part of weaveCidr.trim().split(/\s+/)) {
    if (!part.startsWith('net:')) continue;
    const cidr = part.slice(4);
    if (ipaddr.isValidCIDR(cidr)) return cidr;
  }
  return undefined;
}

/** The first address inside `subnet` (any first address when no subnet is known). */
export function pickAddress(ips: string[], subnet?: string): string | undefined {
  if (!subnet) return ips[0];
  const range = ipaddr.parseCIDR(subnet);
  return ips.find((ip) => ipaddr.isValid(ip) && ipaddr.parse(ip).kind() === range[0].kind() && ipaddr.parse(ip).match(range));
}
