// What the controller and the HTTP surface use: a Leadership, either the Consul lock (HA) or a
// single-instance stand-in that always may write (DROVER_LEADER_ELECTION=none).
import os from 'node:os';
import type { ConsulApi } from '../clients/types.js';
import type { Config } from '../config.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../metrics.js';
import { ConsulLeaderElector } from './consul-lock.js';
import type { Leadership } from './types.js';

export { ConsulLeaderElector, type LeaderElectorOptions, type StepDownReason } from './consul-lock.js';
export { validateElectorOptions, windowMs } from './options.js';
export type { Leadership } from './types.js';


/** `hostname:pid`, the default identity stored in the lock key. */
export function defaultInstanceId(): string {
  return `${os.hostname()}:${process.pid}`;
}

/** Leader election off: this instance always leads (and says so in `drover_leader`). */
export class SoleLeader implements Leadership {
  readonly enabled = false;
  constructor(private readonly id: string, private readonly metrics?: Metrics) {}
  start(): void {
    this.metrics?.leader.set(1);
  }
  async stop(): Promise<void> {
    this.metrics?.leader.set(0);
  }
  isLeader(): boolean {
    return true;
  }
  canWrite(): boolean {
    return true;
  }
  leaderId(): string {
    return this.id;
  }
  onChange(): () => void {
    return () => undefined;
  }
}

export function createLeadership(
  config: Pick<Config, 'leaderElection' | 'leaderKey' | 'leaderTtlMs'>,
  deps: { consul: ConsulApi; logger: Logger; metrics?: Metrics; id?: string },
): Leadership {
  const id = deps.id ?? defaultInstanceId();
  if (config.leaderElection !== 'consul') return new SoleLeader(id, deps.metrics);
  return new ConsulLeaderElector({ consul: deps.consul, key: config.leaderKey, ttlMs: config.leaderTtlMs, id, logger: deps.logger, metrics: deps.metrics });
}
