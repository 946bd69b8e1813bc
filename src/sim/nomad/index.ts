// The protocol-faithful simulated Nomad: a SimServer speaking Nomad's HTTP API on loopback, built
// from shared/reference/nomad-canonical.md and nomad-wire-shapes.md. Owns jobs, allocations,
// deployments, native services and the event stream; Consul-provider services go to a ServiceSink.
// Must not import drover's clients or core logic beyond the shared Nomad types.
import type { NomadJob } from '../../core/nomad-types.js';
import { SimServer } from '../http.js';
import type { SimAclToken } from './api-common.js';
import type { ServiceSink } from '../service-sink.js';
import type { StreamRegistry } from './events.js';
import { installRoutes } from './routes.js';
import { Scheduler, type AllocRuntime } from './scheduler.js';
import { NomadState } from './state.js';
import { clone } from './util.js';

export type { SimAclToken, VariableCapability } from './api-common.js';

export interface NomadSimOptions {
  region?: string;
  namespaces?: string[];
  aclTokens?: Record<string, SimAclToken>;
  allocDelayMs?: number;
  deploymentDelayMs?: number;
  serviceSink?: ServiceSink;
  nodes?: { id: string; name: string; address: string }[];
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
  /** a running allocation fails, is lost or recovers on its client, the job untouched (see Scheduler.setClientStatus) */
  setAllocClientStatus(allocId: string, status: 'running' | 'failed' | 'lost'): boolean;
  getJob(namespace: string, id: string): NomadJob | undefined;
  raftIndex(): number;
  writeCount(): number;
}

export function createNomadSim(opts: NomadSimOptions = {}): NomadSim {
  const server = new SimServer({ name: 'nomad' });
  const state = new NomadState();
  const allocDelayMs = opts.allocDelayMs ?? 50;
  const clock = opts.clock ?? Date.now;
  const scheduler = new Scheduler(state, {
    nodes: opts.nodes?.length ? opts.nodes : [{ id: 'f0b1e0c2-0000-4000-8000-000000000001', name: 'sim-node-1', address: '10.0.0.10' }],
    allocDelayMs,
    deploymentDelayMs: opts.deploymentDelayMs ?? allocDelayMs + 50,
    sink: opts.serviceSink,
    clock,
    datacenter: opts.datacenter ?? 'dc1',
    runtime: opts.runtime,
  });
  const streams: StreamRegistry = { heartbeatMs: opts.eventHeartbeatMs ?? 30_000, open: new Set() };
  const closing = new AbortController();
  installRoutes(server, {
    state, scheduler, streams, region: opts.region ?? 'global', namespaces: opts.namespaces ?? ['default'],
    vaultEnabled: opts.vaultEnabled ?? true, aclTokens: opts.aclTokens, clock, closing: closing.signal,
  });
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
    setAllocClientStatus(allocId, status) {
      return scheduler.setClientStatus(allocId, status);
    },
    getJob(namespace, id) {
      const j = state.job(namespace, id);
      return j ? (clone(j) as unknown as NomadJob) : undefined;
    },
    raftIndex: () => state.raftIndex(),
    writeCount: () => state.writes,
  };
}
