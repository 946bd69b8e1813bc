// The simulated Consul catalog: nodes, services and their health checks. Services registered over the
// agent HTTP API live on the sim's own node; those the Nomad sim hands over (ServiceSink) live on the
// allocation's node, as a Nomad client registers them with its local agent.
// Facts from a real 1.8.7 agent: a check without CheckID is `service:<id>` (one Check) or
// `service:<id>:<n>` (n-th of Checks); its default Name is "Service '<name>' check"; TTL checks start
// critical and fall back to critical ("TTL expired") when not updated in time; health/catalog reads of
// one service carry that service's own index, so a change to another service does not wake them.
// The sim does not probe HTTP/TCP/gRPC checks: they start `passing` (or their given Status) and change
// only through `PUT /_sim/consul/check/:id/status`.
import { createHash } from 'node:crypto';
import { parseGoDurationMs } from '../duration.js';
import type { SimServiceInstance } from '../service-sink.js';
import type { ConsulContext } from './context.js';

export type CheckStatus = 'passing' | 'warning' | 'critical';
export const CHECK_STATUSES: readonly string[] = ['passing', 'warning', 'critical'];

export interface NodeRec {
  name: string;
  id: string;
  address: string;
  createIndex: number;
  modifyIndex: number;
}

export interface ServiceRec extends Omit<ServiceInput, 'checks'> {
  node: string;
  createIndex: number;
  modifyIndex: number;
  /** the agent's own "consul" service: in the catalog, not in /v1/agent/services */
  internal?: boolean;
}

export interface CheckRec {
  node: string;
  checkId: string;
  name: string;
  status: CheckStatus;
  output: string;
  notes: string;
  serviceId: string;
  serviceName: string;
  type: string;
  ttlMs: number;
  definition: Record<string, unknown>;
  createIndex: number;
  modifyIndex: number;
  timer?: NodeJS.Timeout;
}

export interface CheckInput {
  checkId: string;
  name: string;
  type: string;
  status: CheckStatus;
  ttlMs: number;
  notes: string;
  definition: Record<string, unknown>;
}

export interface ServiceInput {
  id: string;
  name: string;
  tags: string[];
  address: string;
  port: number;
  meta: Record<string, string>;
  checks: CheckInput[];
}

const key = (node: string, id: string) => `${node}\u0000${id}`;

export class ServiceTable {
  private readonly nodes = new Map<string, NodeRec>();
  private readonly services = new Map<string, ServiceRec>();
  private readonly checks = new Map<string, CheckRec>();
  /** per service name: the index of its last change (register, deregister, check status) */
  private readonly serviceIndex = new Map<string, number>();
  private catalogIndex = 1;

  constructor(private readonly ctx: Pick<ConsulContext, 'store' | 'node'>) {
    const idx = ctx.store.nextIndex();
    this.ensureNode(ctx.node.name, ctx.node.address, ctx.node.id, idx);
    this.services.set(key(ctx.node.name, 'consul'), {
      node: ctx.node.name, id: 'consul', name: 'consul', tags: [], address: '', port: 8300, meta: {}, createIndex: idx, modifyIndex: idx, internal: true,
    });
    this.serviceIndex.set('consul', idx);
    this.catalogIndex = idx;
  }

  get index(): number {
    return this.catalogIndex;
  }

  /** The index a read of service `name` carries: its own, or the catalog's when it is unknown. */
  indexOf(name: string): number {
    return this.serviceIndex.get(name) ?? this.catalogIndex;
  }

  watchIndexOf(name: string): number {
    return this.serviceIndex.get(name) ?? 0;
  }

  register(node: { name: string; address: string }, svc: ServiceInput, replaceChecks: boolean): void {
    const idx = this.ctx.store.nextIndex();
    this.ensureNode(node.name, node.address, nodeId(node.name), idx);
    const k = key(node.name, svc.id);
    const prev = this.services.get(k);
    if (prev && prev.name !== svc.name) this.touch(prev.name, idx);
    this.services.set(k, { node: node.name, ...svc, createIndex: prev?.createIndex ?? idx, modifyIndex: idx });
    const keep = new Set(svc.checks.map((c) => c.checkId));
    if (replaceChecks) {
      for (const c of this.checksOfService(node.name, svc.id)) if (!keep.has(c.checkId)) this.dropCheck(c);
    }
    for (const c of svc.checks) {
      const ck = key(node.name, c.checkId);
      clearTimeout(this.checks.get(ck)?.timer);
      const rec: CheckRec = {
        node: node.name, checkId: c.checkId, name: c.name, status: c.status, output: '', notes: c.notes, serviceId: svc.id, serviceName: svc.name,
        type: c.type, ttlMs: c.ttlMs, definition: c.definition, createIndex: this.checks.get(ck)?.createIndex ?? idx, modifyIndex: idx,
      };
      this.checks.set(ck, rec);
      this.armTtl(rec);
    }
    this.touch(svc.name, idx);
  }

  /** Removes a service and its checks; false when the node has no such service. */
  deregister(nodeName: string, id: string): boolean {
    const k = key(nodeName, id);
    const svc = this.services.get(k);
    if (!svc || svc.internal) return false;
    const idx = this.ctx.store.nextIndex();
    this.services.delete(k);
    for (const c of this.checksOfService(nodeName, id)) this.dropCheck(c);
    this.touch(svc.name, idx);
    return true;
  }

  /** Sets a check's status (TTL update or sim control). Undefined when no such check. */
  setCheckStatus(checkId: string, status: CheckStatus, output: string, nodeName?: string): CheckRec | undefined {
    const c = this.findCheck(checkId, nodeName);
    if (!c) return undefined;
    const idx = this.ctx.store.nextIndex();
    c.status = status;
    c.output = output;
    c.modifyIndex = idx;
    this.armTtl(c);
    this.touch(c.serviceName, idx);
    return c;
  }

  findCheck(checkId: string, nodeName?: string): CheckRec | undefined {
    if (nodeName) return this.checks.get(key(nodeName, checkId));
    return this.checks.get(key(this.ctx.node.name, checkId)) ?? [...this.checks.values()].find((c) => c.checkId === checkId);
  }

  servicesOfNode(nodeName: string): ServiceRec[] {
    return [...this.services.values()].filter((s) => s.node === nodeName && !s.internal);
  }

  checksOfNode(nodeName: string): CheckRec[] {
    return [...this.checks.values()].filter((c) => c.node === nodeName);
  }

  instances(name: string): ServiceRec[] {
    return [...this.services.values()].filter((s) => s.name === name).sort((a, b) => (a.node + a.id < b.node + b.id ? -1 : 1));
  }

  serviceNames(): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    for (const s of this.services.values()) {
      const tags = out.get(s.name) ?? new Set<string>();
      for (const t of s.tags) tags.add(t);
      out.set(s.name, tags);
    }
    return out;
  }

  node(name: string): NodeRec | undefined {
    return this.nodes.get(name);
  }

  /** The node's serfHealth check first, then the service's own checks. */
  checksFor(s: ServiceRec): CheckRec[] {
    const serf: CheckRec = {
      node: s.node, checkId: 'serfHealth', name: 'Serf Health Status', status: 'passing', output: 'Agent alive and reachable', notes: '',
      serviceId: '', serviceName: '', type: '', ttlMs: 0, definition: {}, createIndex: this.nodes.get(s.node)?.createIndex ?? 0,
      modifyIndex: this.nodes.get(s.node)?.createIndex ?? 0,
    };
    return [serf, ...this.checksOfService(s.node, s.id)];
  }

  /** Sink side: a Nomad allocation's service instance appears on its node. */
  registerInstance(inst: SimServiceInstance): void {
    const checks = inst.checks.map((c, i): CheckInput => ({
      checkId: `_nomad-check-${createHash('sha1').update(`${inst.id}/${i}/${c.name ?? ''}`).digest('hex').slice(0, 40)}`,
      name: c.name ?? `service: "${inst.name}" check`,
      type: c.type,
      status: 'passing',
      ttlMs: 0,
      notes: '',
      definition: { Interval: c.interval, Timeout: c.timeout, ...(c.http ? { HTTP: c.http } : {}), ...(c.tcp ? { TCP: c.tcp } : {}), ...(c.grpc ? { GRPC: c.grpc } : {}) },
    }));
    this.register(
      { name: inst.node, address: inst.nodeAddress },
      { id: inst.id, name: inst.name, tags: [...inst.tags], address: inst.address, port: inst.port, meta: { ...inst.meta }, checks },
      true,
    );
  }

  /** Sink side: the instance's allocation went away; it may run on any node. */
  deregisterInstance(id: string): void {
    for (const s of [...this.services.values()]) if (s.id === id && !s.internal) this.deregister(s.node, id);
  }

  closeAll(): void {
    for (const c of this.checks.values()) clearTimeout(c.timer);
  }

  private checksOfService(nodeName: string, serviceId: string): CheckRec[] {
    return [...this.checks.values()].filter((c) => c.node === nodeName && c.serviceId === serviceId).sort((a, b) => (a.checkId < b.checkId ? -1 : 1));
  }

  private dropCheck(c: CheckRec): void {
    clearTimeout(c.timer);
    this.checks.delete(key(c.node, c.checkId));
  }

  /** A TTL check not updated within its TTL goes critical, as the agent does. */
  private armTtl(c: CheckRec): void {
    clearTimeout(c.timer);
    if (c.type !== 'ttl' || c.ttlMs <= 0) return;
    c.timer = setTimeout(() => {
      if (this.checks.get(key(c.node, c.checkId)) !== c) return;
      this.setCheckStatus(c.checkId, 'critical', 'TTL expired', c.node);
    }, c.ttlMs);
    c.timer.unref();
  }

  private ensureNode(name: string, address: string, id: string, idx: number): void {
    if (!this.nodes.has(name)) this.nodes.set(name, { name, id, address, createIndex: idx, modifyIndex: idx });
  }

  private touch(serviceName: string, idx: number): void {
    this.serviceIndex.set(serviceName, idx);
    this.catalogIndex = idx;
    this.ctx.store.changed();
  }
}

/** A stable UUID-shaped node ID derived from the node name. */
export function nodeId(name: string): string {
  const h = createHash('sha1').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Parses one check of a registration body into the table's form, or returns the agent's 400 text. */
export function parseCheck(raw: unknown, svc: { id: string; name: string }, position: number | undefined): CheckInput | string {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return 'Request decode failed: check must be an object';
  const c = raw as Record<string, unknown>;
  const str = (k: string) => (typeof c[k] === 'string' ? (c[k] as string) : '');
  const type = str('HTTP') ? 'http' : str('TCP') ? 'tcp' : str('GRPC') ? 'grpc' : 'ttl';
  let ttlMs = 0;
  if (type === 'ttl') {
    ttlMs = parseGoDurationMs(str('TTL')) ?? 0;
    if (!(ttlMs > 0)) return 'Invalid check: TTL must be > 0 for TTL checks';
  } else if (!((parseGoDurationMs(str('Interval')) ?? 0) > 0)) {
    return 'Invalid check: Interval must be > 0 for Script, HTTP, or TCP checks';
  }
  const status = str('Status') || (type === 'ttl' ? 'critical' : 'passing');
  if (!CHECK_STATUSES.includes(status)) return "Status for checks must 'passing', 'warning', 'critical'";
  const checkId = str('CheckID') || str('ID') || (position === undefined ? `service:${svc.id}` : `service:${svc.id}:${position}`);
  const definition: Record<string, unknown> = {};
  for (const k of ['HTTP', 'TCP', 'GRPC', 'TTL', 'Interval', 'Timeout', 'DeregisterCriticalServiceAfter']) if (str(k)) definition[k] = str(k);
  return { checkId, name: str('Name') || `Service '${svc.name}' check`, type, status: status as CheckStatus, ttlMs, notes: str('Notes'), definition };
}
