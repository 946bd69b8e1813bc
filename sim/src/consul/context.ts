// What the simulated Consul's route modules share: the store (index + blocking), the tables and the ACL guard.
import type { SimHandler } from '../http.js';
import type { KvTable } from './kv.js';
import type { SessionTable } from './sessions.js';
import type { ServiceTable } from './services.js';
import type { ConsulStore } from './store.js';

export interface ConsulContext {
  store: ConsulStore;
  kv: KvTable;
  sessions: SessionTable;
  services: ServiceTable;
  /** wraps a handler with the X-Consul-Token check when the sim has an ACL token */
  guard: (h: SimHandler) => SimHandler;
  now: () => number;
  /** the agent's own node (services registered over HTTP land here) */
  node: { name: string; address: string; id: string; datacenter: string };
}
