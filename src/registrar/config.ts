// The node registrar's own settings, read from the environment once at start (the lead wires it into
// the app). Every problem is listed at once; nothing here is a secret.
//   DROVER_REGISTRAR           on|off (default off: a drover on a node without docker/weave does nothing)
//   DOCKER_HOST                unix:///path or tcp://host:port (default unix:///var/run/docker.sock)
//   DOCKER_TLS_VERIFY          set (non-empty, not 0/false) → TLS with verification to a tcp:// DOCKER_HOST,
//   DOCKER_CERT_PATH           with ca.pem, cert.pem, key.pem from this dir (default ~/.docker), as the docker CLI does
//   WEAVE_ROUTER_ADDR          http://host:port of the local weave router API (default http://127.0.0.1:6784)
//   DROVER_REGISTRAR_INTERVAL  time between passes, a duration ≥ 100ms (default 10s)
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { boundedDurationMs } from '../core/duration.js';

/** PEM material of a TLS Docker endpoint (read once at start). */
export interface DockerTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export type DockerEndpoint = { kind: 'unix'; socketPath: string } | { kind: 'tcp'; host: string; port: number; tls?: DockerTls };

export interface RegistrarConfig {
  enabled: boolean;
  docker: DockerEndpoint;
  /** base URL without a trailing slash */
  weaveRouterUrl: string;
  intervalMs: number;
}

export type RegistrarConfigResult = { ok: true; config: RegistrarConfig } | { ok: false; problems: string[] };

const DEFAULTS = { docker: 'unix:///var/run/docker.sock', weave: 'http://127.0.0.1:6784', interval: '10s' };

export function parseRegistrarConfig(env: Record<string, string | undefined> = process.env): RegistrarConfigResult {
  const problems: string[] = [];
  const get = (k: string, d: string) => (env[k] === undefined || env[k]!.trim() === '' ? d : env[k]!.trim());

  const flag = get('DROVER_REGISTRAR', 'off').toLowerCase();
  if (flag !== 'on' && flag !== 'off') problems.push(`DROVER_REGISTRAR: "${flag}" must be on or off`);

  const docker = parseDockerHost(get('DOCKER_HOST', DEFAULTS.docker));
  if (typeof docker === 'string') problems.push(`DOCKER_HOST: ${docker}`);
  const tlsVerify = get('DOCKER_TLS_VERIFY', '');
  if (tlsVerify !== '' && tlsVerify !== '0' && tlsVerify.toLowerCase() !== 'false' && typeof docker !== 'string') {
    if (docker.kind !== 'tcp') problems.push('DOCKER_TLS_VERIFY: TLS needs a tcp:// DOCKER_HOST, not a unix socket');
    else {
      const tls = readDockerTls(get('DOCKER_CERT_PATH', join(homedir(), '.docker')), problems);
      if (tls) docker.tls = tls;
    }
  }

  const weave = parseWeaveAddr(get('WEAVE_ROUTER_ADDR', DEFAULTS.weave));
  if (weave.problem) problems.push(`WEAVE_ROUTER_ADDR: ${weave.problem}`);

  const intervalText = get('DROVER_REGISTRAR_INTERVAL', DEFAULTS.interval);
  const interval = boundedDurationMs('DROVER_REGISTRAR_INTERVAL', intervalText, { minMs: 100, maxMs: 24 * 3600_000 });
  const intervalMs = interval.ok ? interval.ms : undefined;
  if (!interval.ok) problems.push(interval.problem);

  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, config: { enabled: flag === 'on', docker: docker as DockerEndpoint, weaveRouterUrl: weave.url, intervalMs: intervalMs! } };
}

/** ca.pem, cert.pem and key.pem from the docker CLI's cert dir; each unreadable file is a problem naming it. */
function readDockerTls(dir: string, problems: string[]): DockerTls | undefined {
  const read = (name: string): Buffer | undefined => {
    try {
      return readFileSync(join(dir, name));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      problems.push(`DOCKER_CERT_PATH: cannot read ${join(dir, name)} (${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code ?? 'unreadable'})`);
      return undefined;
    }
  };
  const ca = read('ca.pem');
  const cert = read('cert.pem');
  const key = read('key.pem');
  return ca && cert && key ? { ca, cert, key } : undefined;
}

/** `unix:///var/run/docker.sock` or `tcp://127.0.0.1:2375`; anything else is explained, not thrown. */
export function parseDockerHost(text: string): DockerEndpoint | string {
  if (text.startsWith('unix://')) {
    const path = text.slice('unix://'.length);
    return path.startsWith('/') ? { kind: 'unix', socketPath: path } : `"${text}" must name an absolute socket path, e.g. unix:///var/run/docker.sock`;
  }
  if (text.startsWith('tcp://')) {
    let u: URL;
    try {
      u = new URL(`http://${text.slice('tcp://'.length)}`);
    } catch {
      return `"${text}" is not tcp://host:port`;
    }
    const port = Number(u.port || '2375');
    if (!u.hostname || u.pathname !== '/' || !(port > 0)) return `"${text}" is not tcp://host:port`;
    return { kind: 'tcp', host: u.hostname.replace(/^\[|\]$/g, ''), port };
  }
  return `"${text}" must start with unix:// or tcp:// (TLS: tcp:// with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH)`;
}

function parseWeaveAddr(text: string): { url: string; problem?: string } {
  try {
    const u = new URL(text.includes('://') ? text : `http://${text}`);
    if (u.protocol !== 'http:') return { url: '', problem: `"${text}" must be an http:// URL (the weave router API has no TLS)` };
    return { url: `${u.protocol}//${u.host}` };
  } catch {
    return { url: '', problem: `"${text}" is not a URL, e.g. http://127.0.0.1:6784` };
  }
}
