// The upstream clients (Nomad, Consul, Vault) built from the parsed configuration. Everything a
// caller can get from here speaks DroverError; no transport type leaks through this folder's exports.
import type { Config } from '../config.js';
import type { Logger } from '../core/logger.js';
import { nullLogger } from '../core/logger.js';
import { ConsulClient } from './consul.js';
import { NomadClient } from './nomad.js';
import type { ConsulApi, NomadApi, UpstreamObserver, VaultApi } from './types.js';
import { VaultClient } from './vault.js';
import { createTraefikClient, type TraefikApi } from './traefik.js';

export { ConsulClient } from './consul.js';
export { NomadClient } from './nomad.js';
export { VaultClient, metadataPath } from './vault.js';
export type { ClientOptions } from './http.js';
export type { RetryPolicy } from './retry.js';

export interface Clients {
  nomad: NomadApi;
  consul: ConsulApi;
  /** only when VAULT_ADDR is set */
  vault?: VaultApi;
  /** only when TRAEFIK_API_ADDR is set (the route check) */
  traefik?: TraefikApi;
}

/** Throws a DroverError (code `rejected`) naming the file when a configured certificate or key cannot be read. */
export function createClients(config: Config, observer?: UpstreamObserver, logger: Logger = nullLogger): Clients {
  const timeoutMs = config.requestTimeoutMs;
  const n = config.nomad;
  const c = config.consul;
  const nomad = new NomadClient({
    addr: n.addr, token: n.token, caCert: n.caCert, clientCert: n.clientCert, clientKey: n.clientKey, region: n.region, namespace: n.namespace, timeoutMs,
  }, observer, logger);
  const consul = new ConsulClient({ addr: c.addr, token: c.token, caCert: c.caCert, clientCert: c.clientCert, clientKey: c.clientKey, timeoutMs }, observer, logger);
  const v = config.vault;
  const vault = v
    ? new VaultClient({ addr: v.addr, token: v.token, caCert: v.caCert, clientCert: v.clientCert, clientKey: v.clientKey, timeoutMs }, observer, logger)
    : undefined;
  const traefik = createTraefikClient(config, observer, logger);
  return { nomad, consul, ...(vault ? { vault } : {}), ...(traefik ? { traefik } : {}) };
}
