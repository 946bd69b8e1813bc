// Configuration from the environment: HashiCorp's own variables plus DROVER_*. parseConfig reads
// everything once, validates it, and either returns a frozen Config or throws ConfigError listing
// every problem at once (immich's habit). Tokens are kept out of toJSON() so they can never be logged.
import { isIpAddress, parseIpv4Cidr } from './spec/net.js';
import { boundedDurationMs, parseDurationMs } from './core/duration.js';
import { parseNotifyConfig, type NotifyConfig } from './notify/config.js';
import { clusterRolloutProblems, parseRolloutDefaults } from './spec/rollout.js';
import type { ClusterDefaults } from './core/cluster-defaults.js';

export type { ClusterDefaults, RolloutDefaults } from './core/cluster-defaults.js';

export interface UpstreamConfig {
  addr: string;
  token?: string;
  caCert?: string;
  clientCert?: string;
  clientKey?: string;
}

export interface Config {
  cluster: ClusterDefaults;
  nomad: UpstreamConfig & { region?: string; namespace?: string };
  consul: UpstreamConfig;
  /** undefined when VAULT_ADDR is not set: the Vault pre-flight is then off */
  vault?: UpstreamConfig;
  /** TRAEFIK_API_ADDR (Traefik's API, e.g. http://traefik:8080); undefined: the route check is off */
  traefik?: { addr: string };
  git: {
    url?: string;
    ref: string;
    path: string;
    pollIntervalMs: number;
    /** DROVER_GIT_CREDENTIALS_FILE: an SSH private key or a file holding an HTTPS token */
    credentialsFile?: string;
  };
  webhookSecret?: string;
  adminToken?: string;
  listen: { host: string; port: number };
  concurrency: number;
  resyncIntervalMs: number;
  selfHeal: boolean;
  prune: boolean;
  /** DROVER_PRUNE_MAX_SHARE: one git revision stops at most ceil(share × managed jobs running when it was first seen) without approval; default 0.3 */
  pruneMaxShare: number;
  /** DROVER_PRUNE_ON_REWRITE: a revision that does not descend from the last applied one (force-push, reset) may stop jobs too; default false */
  pruneOnRewrite: boolean;
  /** DROVER_LOG_FORMAT: json | pretty; default json (pretty when stdout is a TTY) */
  logFormat: 'json' | 'pretty';
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** DROVER_REQUEST_TIMEOUT: per upstream call; default 10s */
  requestTimeoutMs: number;
  /** DROVER_SHUTDOWN_TIMEOUT: how long stop waits for writes in flight before aborting them; default 10s */
  shutdownTimeoutMs: number;
  leaderElection: 'none' | 'consul';
  leaderKey: string;
  leaderTtlMs: number;
  /** outgoing notifications (DROVER_NOTIFY_*, src/notify/config.ts); no targets = off */
  notify: NotifyConfig;
}

/** Drivers drover can render (src/core/render); the App schema's spec.driver enum. */
const KNOWN_DRIVERS = ['docker', 'pot', 'exec'] as const;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const TAG_WORD = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const ENTRYPOINT = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

/**
 * Floor and ceiling of every duration variable, checked at start. The ceilings are what a sane
 * deployment could want, far below Node's timer limit (≈ 596 h, where a timer fires after 1 ms).
 */
export const DURATION_BOUNDS = {
  DROVER_GIT_POLL_INTERVAL: { minMs: 1000, maxMs: 24 * 3600_000 },
  DROVER_RESYNC_INTERVAL: { minMs: 1000, maxMs: 24 * 3600_000 },
  DROVER_REQUEST_TIMEOUT: { minMs: 100, maxMs: 10 * 60_000 },
  DROVER_SHUTDOWN_TIMEOUT: { minMs: 1000, maxMs: 5 * 60_000 },
  // Consul accepts session TTLs from 10s to 24h
  DROVER_LEADER_TTL: { minMs: 10_000, maxMs: 24 * 3600_000 },
} as const;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

export function parseConfig(env: Env = process.env, opts: { isTty?: boolean } = {}): Config {
  const problems: string[] = [];
  const str = (name: string, def?: string): string | undefined => {
    const v = env[name];
    return v === undefined || v === '' ? def : v;
  };
  const list = (name: string, def: string): string[] =>
    (str(name, def) ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const bool = (name: string, def: boolean): boolean => {
    const v = str(name);
    if (v === undefined) return def;
    if (/^(1|true|yes|on)$/i.test(v)) return true;
    if (/^(0|false|no|off)$/i.test(v)) return false;
    problems.push(`${name}: "${v}" is not a boolean (true/false)`);
    return def;
  };
  // Every duration has a floor and a ceiling (DURATION_BOUNDS): none can reach Node's 32-bit timer limit.
  const duration = (name: keyof typeof DURATION_BOUNDS, def: string): number => {
    const v = str(name, def)!;
    const r = boundedDurationMs(name, v, DURATION_BOUNDS[name]);
    if (r.ok) return r.ms;
    problems.push(r.problem);
    return parseDurationMs(def)!;
  };
  const int = (name: string, def: number, min: number, max: number): number => {
    const v = str(name);
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name}: "${v}" must be an integer from ${min} to ${max}`);
      return def;
    }
    return n;
  };
  // NOMAD_ADDR and VAULT_ADDR need their scheme (as the nomad and vault CLIs do); CONSUL_HTTP_ADDR
  // may be host:port, as Consul's own tools accept. The host must be an IP or an RFC 1123 hostname.
  const url = (name: string, def?: string, opts: { hostPortOk?: boolean } = {}): string | undefined => {
    const raw = str(name, def);
    if (raw === undefined) return undefined;
    let v = raw;
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) {
      if (!opts.hostPortOk || !/^[^/:\s]+:\d{1,5}$/.test(v) && !/^\[[0-9a-f:.]+\]:\d{1,5}$/i.test(v)) {
        problems.push(`${name}: "${raw}" is not an http(s) address (a URL such as http://127.0.0.1:4646)${opts.hostPortOk ? ' or host:port' : ''}`);
        return def;
      }
      v = `http://${v}`;
    }
    try {
      const u = new URL(v);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
      const host = u.hostname.replace(/^\[|\]$/g, '');
      if (!isIpAddress(host) && !HOSTNAME.test(host)) throw new Error('host');
      return v.replace(/\/+$/, '');
    } catch {
      problems.push(`${name}: "${raw}" is not an http(s) address (a URL such as http://127.0.0.1:4646)${opts.hostPortOk ? ' or host:port' : ''}`);
      return def;
    }
  };

  const extraEnv: Record<string, string> = {};
  for (const pair of list('DROVER_EXTRA_ENV', '')) {
    const eq = pair.indexOf('=');
    const k = eq > 0 ? pair.slice(0, eq) : '';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) {
      problems.push(`DROVER_EXTRA_ENV: "${pair}" is not NAME=value`);
      continue;
    }
    extraEnv[k] = pair.slice(eq + 1);
  }

  const provider = str('DROVER_SERVICE_PROVIDER', 'consul')!;
  if (provider !== 'consul' && provider !== 'nomad') problems.push(`DROVER_SERVICE_PROVIDER: "${provider}" must be consul or nomad`);

  const listenRaw = str('DROVER_LISTEN', '0.0.0.0:8080')!;
  const lm = /^(.*):(\d{1,5})$/.exec(listenRaw);
  let listen = { host: '0.0.0.0', port: 8080 };
  const listenHost = lm ? lm[1]!.replace(/^\[|\]$/g, '') : '';
  if (!lm || Number(lm[2]) > 65535) problems.push(`DROVER_LISTEN: "${listenRaw}" is not host:port`);
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(listenRaw)) problems.push(`DROVER_LISTEN: "${listenRaw}" is host:port, without a scheme (e.g. 0.0.0.0:8080)`);
  else if (listenHost !== '' && !isIpAddress(listenHost) && !HOSTNAME.test(listenHost)) problems.push(`DROVER_LISTEN: "${listenHost}" is not an IP address or a hostname`);
  else listen = { host: listenHost || '0.0.0.0', port: Number(lm[2]) };

  const logFormat = str('DROVER_LOG_FORMAT', opts.isTty ? 'pretty' : 'json')!;
  if (logFormat !== 'json' && logFormat !== 'pretty') problems.push(`DROVER_LOG_FORMAT: "${logFormat}" must be json or pretty`);
  const logLevel = str('DROVER_LOG_LEVEL', 'info')!;
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) problems.push(`DROVER_LOG_LEVEL: "${logLevel}" must be debug, info, warn or error`);

  const leaderElection = str('DROVER_LEADER_ELECTION', 'none')!;
  if (leaderElection !== 'none' && leaderElection !== 'consul') problems.push(`DROVER_LEADER_ELECTION: "${leaderElection}" must be none or consul`);
  const leaderKey = str('DROVER_LEADER_KEY', 'drover/leader')!;
  if (leaderKey.startsWith('/') || /\s/.test(leaderKey)) problems.push(`DROVER_LEADER_KEY: "${leaderKey}" must be a Consul KV key without a leading "/" or spaces`);

  const pruneShareRaw = str('DROVER_PRUNE_MAX_SHARE', '0.3')!;
  const pruneMaxShare = Number(pruneShareRaw);
  if (!(pruneMaxShare > 0 && pruneMaxShare <= 1)) problems.push(`DROVER_PRUNE_MAX_SHARE: "${pruneShareRaw}" must be a number in (0, 1]`);

  const owner = str('DROVER_OWNER', 'drover')!;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(owner)) problems.push(`DROVER_OWNER: "${owner}" must be 1-63 letters, digits, '.', '_' or '-'`);

  const ipList = (name: string, dflt: string): string[] => {
    const ips = list(name, dflt);
    for (const ip of ips) if (!isIpAddress(ip)) problems.push(`${name}: "${ip}" is not an IPv4 or IPv6 address`);
    return ips;
  };
  const vaultAddr = url('VAULT_ADDR');
  const traefikAddr = url('TRAEFIK_API_ADDR', undefined, { hostPortOk: true });
  const rollout = parseRolloutDefaults(str, problems);
  problems.push(...clusterRolloutProblems(rollout));
  const namespace = str('DROVER_NAMESPACE', str('NOMAD_NAMESPACE', 'default'))!;
  if (!DNS_LABEL.test(namespace)) problems.push(`${str('DROVER_NAMESPACE') !== undefined ? 'DROVER_NAMESPACE' : 'NOMAD_NAMESPACE'}: "${namespace}" is not a valid namespace (a DNS-1123 label: lower-case letters, digits and '-', at most 63, as metadata.namespace)`);
  const allowedDrivers = list('DROVER_ALLOWED_DRIVERS', 'docker,pot,exec');
  for (const d of allowedDrivers) if (!(KNOWN_DRIVERS as readonly string[]).includes(d)) problems.push(`DROVER_ALLOWED_DRIVERS: "${d}" is not a driver drover renders (${KNOWN_DRIVERS.join(', ')}; raw_exec is never allowed)`);
  const weaveRange = str('DROVER_WEAVE_RANGE', '10.32.0.0/12')!;
  const range = parseIpv4Cidr(weaveRange);
  if (!range) problems.push(`DROVER_WEAVE_RANGE: "${weaveRange}" is not an IPv4 CIDR (e.g. 10.32.0.0/12)`);
  else if (range.hostBits) problems.push(`DROVER_WEAVE_RANGE: "${weaveRange}" has host bits set (the network is ${range.text})`);
  // These end up inside Traefik tags and router rules: a backtick, space or quote would break or inject a rule.
  const traefikPrefix = str('DROVER_TRAEFIK_PREFIX', 'traefik')!;
  if (!TAG_WORD.test(traefikPrefix)) problems.push(`DROVER_TRAEFIK_PREFIX: "${traefikPrefix}" must be letters, digits, '.', '_' or '-' (it starts every Traefik tag)`);
  const httpEntrypoints = list('DROVER_HTTP_ENTRYPOINTS', 'web');
  for (const e of httpEntrypoints) if (!ENTRYPOINT.test(e)) problems.push(`DROVER_HTTP_ENTRYPOINTS: "${e}" is not a Traefik entrypoint name (letters, digits, '_' or '-')`);
  const grpcEntrypoint = str('DROVER_GRPC_ENTRYPOINT', 'grpc')!;
  if (!ENTRYPOINT.test(grpcEntrypoint)) problems.push(`DROVER_GRPC_ENTRYPOINT: "${grpcEntrypoint}" is not a Traefik entrypoint name (letters, digits, '_' or '-')`);
  const datacenters = list('DROVER_DATACENTERS', 'dc1');
  for (const dc of datacenters) if (!/^[A-Za-z0-9._*-]{1,128}$/.test(dc)) problems.push(`DROVER_DATACENTERS: "${dc}" is not a datacenter name`);
  const config: Config = {
    cluster: {
      datacenters,
      namespace,
      serviceProvider: provider === 'nomad' ? 'nomad' : 'consul',
      traefikPrefix,
      httpEntrypoints,
      httpsEntrypoints: list('DROVER_HTTPS_ENTRYPOINTS', 'websecure'),
      grpcEntrypoint,
      weaveRange,
      dnsServers: ipList('DROVER_DNS_SERVERS', '169.254.1.1'),
      dockerDnsServers: ipList('DROVER_DOCKER_DNS_SERVERS', ''),
      extraEnv,
      allowedDrivers,
      owner,
      rollout,
    },
    nomad: {
      addr: url('NOMAD_ADDR', 'http://127.0.0.1:4646')!,
      token: str('NOMAD_TOKEN'),
      region: str('NOMAD_REGION'),
      namespace: str('NOMAD_NAMESPACE'),
      caCert: str('NOMAD_CACERT'),
      clientCert: str('NOMAD_CLIENT_CERT'),
      clientKey: str('NOMAD_CLIENT_KEY'),
    },
    consul: {
      addr: url('CONSUL_HTTP_ADDR', 'http://127.0.0.1:8500', { hostPortOk: true })!,
      token: str('CONSUL_HTTP_TOKEN'),
      caCert: str('CONSUL_CACERT'),
      clientCert: str('CONSUL_CLIENT_CERT'),
      clientKey: str('CONSUL_CLIENT_KEY'),
    },
    vault: vaultAddr ? { addr: vaultAddr, token: str('VAULT_TOKEN'), caCert: str('VAULT_CACERT') } : undefined,
    traefik: traefikAddr ? { addr: traefikAddr } : undefined,
    git: {
      url: str('DROVER_GIT_URL'),
      ref: str('DROVER_GIT_REF', 'main')!,
      path: str('DROVER_GIT_PATH', '.')!,
      pollIntervalMs: duration('DROVER_GIT_POLL_INTERVAL', '30s'),
      credentialsFile: str('DROVER_GIT_CREDENTIALS_FILE'),
    },
    webhookSecret: str('DROVER_WEBHOOK_SECRET'),
    adminToken: str('DROVER_ADMIN_TOKEN'),
    listen,
    concurrency: int('DROVER_CONCURRENCY', 8, 1, 256),
    resyncIntervalMs: duration('DROVER_RESYNC_INTERVAL', '60s'),
    selfHeal: bool('DROVER_SELF_HEAL', true),
    prune: bool('DROVER_PRUNE', true),
    pruneMaxShare,
    pruneOnRewrite: bool('DROVER_PRUNE_ON_REWRITE', false),
    logFormat: logFormat === 'pretty' ? 'pretty' : 'json',
    logLevel: logLevel as Config['logLevel'],
    requestTimeoutMs: duration('DROVER_REQUEST_TIMEOUT', '10s'),
    shutdownTimeoutMs: duration('DROVER_SHUTDOWN_TIMEOUT', '10s'),
    leaderElection: leaderElection === 'consul' ? 'consul' : 'none',
    leaderKey,
    leaderTtlMs: duration('DROVER_LEADER_TTL', '15s'),
    notify: parseNotifyConfig(str, problems),
  };

  for (const [name, file] of [
    ['NOMAD_CACERT', config.nomad.caCert], ['NOMAD_CLIENT_CERT', config.nomad.clientCert], ['NOMAD_CLIENT_KEY', config.nomad.clientKey],
    ['CONSUL_CACERT', config.consul.caCert], ['VAULT_CACERT', config.vault?.caCert],
  ] as const) {
    if (file !== undefined && file.trim() === '') problems.push(`${name}: empty path`);
  }
  if (Boolean(config.nomad.clientCert) !== Boolean(config.nomad.clientKey)) problems.push('NOMAD_CLIENT_CERT and NOMAD_CLIENT_KEY must be set together');
  if (config.cluster.datacenters.length === 0) problems.push('DROVER_DATACENTERS: at least one datacenter is needed');
  if (config.cluster.allowedDrivers.length === 0) problems.push('DROVER_ALLOWED_DRIVERS: at least one driver is needed');
  for (const ep of config.cluster.httpsEntrypoints) {
    if (!/^[A-Za-z0-9_-]+$/.test(ep)) problems.push(`DROVER_HTTPS_ENTRYPOINTS: "${ep}" is not an entrypoint name (letters, digits, '_' and '-')`);
  }
  if (config.cluster.httpsEntrypoints.length === 0) problems.push('DROVER_HTTPS_ENTRYPOINTS: at least one entrypoint is needed');

  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(config);
}

/** The cluster defaults alone, for commands (validate, render) that need no upstream. */
export function clusterDefaultsFromEnv(env: Env = process.env): ClusterDefaults {
  return parseConfig(env).cluster;
}

/** A copy safe to log or serve: every token and secret replaced by `<redacted>` when set. */
export function redactConfig(c: Config): unknown {
  const r = (v: string | undefined) => (v === undefined ? undefined : '<redacted>');
  return {
    ...c,
    nomad: { ...c.nomad, token: r(c.nomad.token) },
    consul: { ...c.consul, token: r(c.consul.token) },
    vault: c.vault ? { ...c.vault, token: r(c.vault.token) } : undefined,
    webhookSecret: r(c.webhookSecret),
    adminToken: r(c.adminToken),
    notify: { ...c.notify, targets: c.notify.targets.map((t) => ({ form: t.form, url: '<redacted>' })) },
  };
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o as object)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
