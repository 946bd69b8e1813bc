// The cluster-wide defaults rendering and the spec rules read: parsed from DROVER_* variables by src/config.ts,
// defined here so that core takes them without importing the config module (config imports core).
import type { RolloutSpec } from './app-spec.js';

/**
 * DROVER_ROLLOUT_*: the rollout strategy of apps whose spec.rollout leaves a field out. Only what is set
 * here is rendered; the rest stays Nomad's default. Canaries and auto-promote are per app on purpose: a
 * cluster-wide canary count would make every change of every app wait for a person.
 */
export type RolloutDefaults = Pick<RolloutSpec, 'maxParallel' | 'minHealthyTime' | 'healthyDeadline' | 'progressDeadline' | 'autoRevert' | 'healthCheck'>;

export interface ClusterDefaults {
  /** DROVER_DATACENTERS, comma-separated; default `dc1` */
  datacenters: string[];
  /** DROVER_NAMESPACE: Nomad namespace for apps without metadata.namespace; default `default` */
  namespace: string;
  /** DROVER_SERVICE_PROVIDER: consul | nomad; default `consul` */
  serviceProvider: 'consul' | 'nomad';
  /** DROVER_TRAEFIK_PREFIX: tag prefix of Traefik's provider; default `traefik` */
  traefikPrefix: string;
  /** DROVER_HTTP_ENTRYPOINTS: default entrypoints for ingress routers; default `web` */
  httpEntrypoints: string[];
  /**
   * DROVER_HTTPS_ENTRYPOINTS: default entrypoints of TLS routers (spec.ingress / spec.grpc with `tls` or
   * `certResolver` and no entrypoint of their own); default `websecure`. The optional HTTP→HTTPS redirect
   * routers go on DROVER_HTTP_ENTRYPOINTS.
   */
  httpsEntrypoints: string[];
  /** DROVER_GRPC_ENTRYPOINT: default entrypoint for gRPC; default `grpc` */
  grpcEntrypoint: string;
  /** DROVER_WEAVE_RANGE: the weave IP allocation range; default `10.32.0.0/12` (weave's own default) */
  weaveRange: string;
  /** DROVER_DNS_SERVERS: DNS servers for weave apps without spec.weave.dns; default `169.254.1.1` (seed 002/003) */
  dnsServers: string[];
  /** DROVER_DOCKER_DNS_SERVERS: docker `dns_servers` for non-weave docker apps without spec.dns; default none (Docker's own) */
  dockerDnsServers: string[];
  /** DROVER_EXTRA_ENV: `K=V,K2=V2` added to every task's env (e.g. CONSUL_HTTP_ADDR=169.254.1.1:8500) */
  extraEnv: Record<string, string>;
  /** DROVER_ALLOWED_DRIVERS: default `docker,pot,exec` */
  allowedDrivers: string[];
  /** DROVER_OWNER: the identity written into drover.owner; default `drover` */
  owner: string;
  /** DROVER_ROLLOUT_*: cluster defaults for spec.rollout; absent or empty → nothing rendered */
  rollout?: RolloutDefaults;
}
