// The protocol-faithful simulated Nomad: a SimServer speaking Nomad's HTTP API on loopback, built
// from shared/reference/nomad-canonical.md and nomad-wire-shapes.md and checked against a real 2.0.5
// agent. Owns namespaces, jobs and versions, evaluations, allocations, deployments, variables, native
// services and the event stream; Consul-provider services go to a ServiceSink.
// Imports nothing of drover: its wire types are its own (./types.ts), from shared/reference/.
import type { StoredJob } from './types.js';
import { SimServer } from '../http.js';
import type { SimAclToken } from './api-common.js';
import type { ServiceSink } from '../service-sink.js';
import type { StreamRegistry } from './events.js';
import { installRoutes } from './routes.js';
import { seedNamespaces } from './namespaces.js';
import { DEFAULT_DRIVERS, Scheduler, type AllocRuntime, type SimNode } from './scheduler.js';
import { NomadState } from './state.js';
import { clone } from './util.js';

export type { SimAclToken, VariableCapability } from './api-common.js';
export type { AllocRuntime, SimNode } from './scheduler.js';
export type * from './types.js';
export { DEFAULT_DRIVERS };

export interface NomadSimOptions {
  region?: string;
  namespaces?: string[];
  aclTokens?: Record<string, SimAclToken>;
  allocDelayMs?: number;
  deploymentDelayMs?: number;
  serviceSink?: ServiceSink;
  /** the client nodes; a node without `drivers` has the `drivers` option's (default DEFAULT_DRIVERS) */
  nodes?: SimNode[];
  /** task drivers every node has unless it says otherwise (a task whose driver no node has cannot be placed) */
  drivers?: string[];
  /**
   * Wall-clock ms per simulated ms for the update block's durations: min_healthy_time, healthy_deadline,
   * progress_deadline. Default 0: min_healthy_time passes at once and deadlines never fire.
   */
  timeScale?: number;
  /** the version /v1/agent/self reports (default "2.0.5") */
  nomadVersion?: string;
  vaultEnabled?: boolean;
  clock?: () => number;
  /** event stream heartbeat interval (default 30 s, like Nomad) */
  eventHeartbeatMs?: number;
  /** datacenter reported in native service registrations (default "dc1") */
  datacenter?: string;
  /** the node's task runtime: docker allocations become containers there (the simulated cluster wires Docker + weave) */
  runtime?: AllocRuntime;
}

export interface NomadSim {
  server: SimServer;
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
  markImageBroken(image: string): void;
  /** allocations of this image run but never pass their checks: unhealthy at healthy_deadline */
  markImageUnhealthy(image: string): void;
  /** sets the drivers of every node (or of one, by ID or name); blocked evaluations are retried */
  setNodeDrivers(drivers: string[], node?: string): boolean;
  /** the agent restarts with empty state: everything gone, indexes from 1, streams and connections dropped */
  restart(): void;
  /** a running allocation fails, is lost or recovers on its client, the job untouched (see Scheduler.setClientStatus) */
  setAllocClientStatus(allocId: string, status: 'running' | 'failed' | 'lost'): boolean;
  getJob(namespace: string, id: string): StoredJob | undefined;
  raftIndex(): number;
  /** accepted writes: job register/deregister, variable put/delete, namespace upsert/delete, deployment promote/fail */
  writeCount(): number;
}

export function createNomadSim(opts: NomadSimOptions = {}): NomadSim {
  const server = new SimServer({ name: 'nomad' });
  const state = new NomadState();
  const allocDelayMs = opts.allocDelayMs ?? 50;
  const clock = opts.clock ?? Date.now;
  const drivers = opts.drivers ?? DEFAULT_DRIVERS;
  const nodes = (opts.nodes?.length ? opts.nodes : [{ id: 'f0b1e0c2-0000-4000-8000-000000000001', name: 'sim-node-1', address: '10.0.0.10' }])
    .map((n) => ({ ...n, drivers: n.drivers ?? drivers }));
  const scheduler = new Scheduler(state, {
    nodes,
    allocDelayMs,
    deploymentDelayMs: opts.deploymentDelayMs ?? allocDelayMs + 50,
    timeScale: opts.timeScale ?? 0,
    sink: opts.serviceSink,
    clock,
    datacenter: opts.datacenter ?? 'dc1',
    runtime: opts.runtime,
  });
  const namespaces = opts.namespaces ?? ['default'];
  seedNamespaces(state, namespaces);
  const streams: StreamRegistry = { heartbeatMs: opts.eventHeartbeatMs ?? 30_000, open: new Set() };
  const closing = new AbortController();
  const restart = () => {
    scheduler.reset();
    state.reset();
    seedNamespaces(state, namespaces);
    for (const res of streams.open) res.destroy();
    streams.open.clear();
    state.changed();
  };
  installRoutes(server, {
    state, scheduler, streams, region: opts.region ?? 'global', datacenter: opts.datacenter ?? 'dc1', nomadVersion: opts.nomadVersion ?? '2.0.5',
    vaultEnabled: opts.vaultEnabled ?? true, aclTokens: opts.aclTokens, clock, closing: closing.signal,
  }, { restart: (keep) => {
    restart();
    server.dropConnections(keep);
  } });
  return {
    server,
    async listen(port = 0, host = '127.0.0.1') {
      return (await server.listen(port, host)).url;
    },
    async close() {
      closing.abort();
      scheduler.close();
      for (const res of streams.open) res.end();
      streams.open.clear();
      await server.close();
    },
    markImageBroken(image) {
      scheduler.brokenImages.add(image);
    },
    markImageUnhealthy(image) {
      scheduler.unhealthyImages.add(image);
    },
    setNodeDrivers: (d, node) => scheduler.setDrivers(d, node),
    restart() {
      restart();
      server.dropConnections();
    },
    setAllocClientStatus(allocId, status) {
      return scheduler.setClientStatus(allocId, status);
    },
    getJob(namespace, id) {
      const j = state.job(namespace, id);
      return j ? (clone(j) as unknown as StoredJob) : undefined;
    },
    raftIndex: () => state.raftIndex(),
    writeCount: () => state.writes,
  };
}
