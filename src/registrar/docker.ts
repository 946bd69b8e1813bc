// Reads the local Docker Engine API: the running containers Nomad's docker driver started (they carry
// the `com.hashicorp.nomad.alloc_id` label, hashicorp/nomad drivers/docker/driver.go), and for each
// its environment and labels. Unversioned paths: the engine answers them with its own API version.
import { DroverError } from '../core/errors.js';
import type { DockerEndpoint } from './config.js';
import { LocalHttp, statusError } from './http.js';

export const NOMAD_LABELS = {
  allocId: 'com.hashicorp.nomad.alloc_id',
  jobId: 'com.hashicorp.nomad.job_id',
  jobName: 'com.hashicorp.nomad.job_name',
  taskName: 'com.hashicorp.nomad.task_name',
  namespace: 'com.hashicorp.nomad.namespace',
} as const;

export interface ContainerInfo {
  id: string;
  labels: Record<string, string>;
  env: Record<string, string>;
  running: boolean;
}

export interface DockerApi {
  /** the running containers labelled with a Nomad alloc id, with their labels */
  listNomadContainers(): Promise<{ id: string; labels: Record<string, string> }[]>;
  /** null when the container is gone */
  inspect(id: string): Promise<ContainerInfo | null>;
}

export class DockerClient implements DockerApi {
  private readonly http: LocalHttp;

  constructor(endpoint: DockerEndpoint, timeoutMs = 5000) {
    this.http = new LocalHttp('docker', endpoint, timeoutMs);
  }

  async listNomadContainers(): Promise<{ id: string; labels: Record<string, string> }[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: [NOMAD_LABELS.allocId] }));
    const path = `/containers/json?filters=${filters}`;
    const reply = await this.http.get(path);
    if (reply.status !== 200) throw statusError('docker', path, reply);
    const list = parse(reply.text, path);
    if (!Array.isArray(list)) throw new DroverError('bad-response', 'docker GET /containers/json: reply is not a list', { upstream: 'docker' });
    const out: { id: string; labels: Record<string, string> }[] = [];
    for (const c of list as { Id?: unknown; Labels?: Record<string, string> | null }[]) {
      if (typeof c?.Id === 'string' && c.Id !== '') out.push({ id: c.Id, labels: { ...c.Labels } });
    }
    return out;
  }

  async inspect(id: string): Promise<ContainerInfo | null> {
    const path = `/containers/${encodeURIComponent(id)}/json`;
    const reply = await this.http.get(path);
    if (reply.status === 404) return null;
    if (reply.status !== 200) throw statusError('docker', path, reply);
    const c = parse(reply.text, path) as { Id?: string; Config?: { Env?: string[] | null; Labels?: Record<string, string> | null }; State?: { Running?: boolean } };
    return { id: c.Id ?? id, labels: { ...c.Config?.Labels }, env: envMap(c.Config?.Env ?? []), running: c.State?.Running === true };
  }
}

/** `KEY=value` lines; the first `=` splits, so values may hold `=`. */
export function envMap(lines: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf('=');
    if (i > 0) env[line.slice(0, i)] = line.slice(i + 1);
  }
  return env;
}

function parse(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new DroverError('bad-response', `docker GET ${path.split('?')[0]}: reply is not JSON`, { upstream: 'docker' });
  }
}
