// The simulated Docker Engine API, only what drover's node registrar reads: `GET /_ping`,
// `GET /containers/json` (running containers; `all=1` adds stopped ones; `filters={"label":["k","k=v"]}`)
// and `GET /containers/:id/json` (full id, or a unique id prefix). A version prefix (`/v1.43/...`) is
// accepted. Errors are Docker's JSON `{"message": ...}`. Containers are added, stopped and removed
// in-process; nothing is run.
import { randomBytes } from 'node:crypto';
import { SimServer, type SimReply } from '../http.js';

export interface SimContainerInput {
  /** 64 hex chars by default */
  id?: string;
  name?: string;
  image?: string;
  labels?: Record<string, string>;
  env?: Record<string, string>;
  /** the docker bridge address (what Nomad advertises in weave proxy mode) */
  bridgeIp?: string;
}

export interface SimContainer {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  env: Record<string, string>;
  bridgeIp: string;
  running: boolean;
  created: number;
}

export interface DockerSim {
  readonly server: SimServer;
  readonly url: string;
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
  addContainer(c: SimContainerInput): SimContainer;
  /** the container stays listed with `all=1`, state exited */
  stopContainer(id: string): boolean;
  removeContainer(id: string): boolean;
  containers(): SimContainer[];
}

const API_VERSION = '1.43';

export function createDockerSim(): DockerSim {
  const server = new SimServer({ name: 'docker' });
  const byId = new Map<string, SimContainer>();
  let bridgeSeq = 2;

  const find = (ref: string): SimContainer | undefined => {
    const exact = byId.get(ref) ?? [...byId.values()].find((c) => c.name === ref.replace(/^\//, ''));
    if (exact) return exact;
    const hits = ref.length >= 1 ? [...byId.values()].filter((c) => c.id.startsWith(ref)) : [];
    return hits.length === 1 ? hits[0] : undefined;
  };

  const versioned = (pattern: string, handler: Parameters<SimServer['route']>[2]) => {
    server.route('GET', pattern, handler);
    server.route('GET', `/:apiVersion${pattern}`, (req) => (/^v\d+\.\d+$/.test(req.params.apiVersion ?? '') ? handler(req) : notFound(`page not found`)));
  };

  versioned('/_ping', () => ({ status: 200, text: 'OK', headers: { 'Api-Version': API_VERSION } }));
  versioned('/containers/json', (req) => {
    const filters = parseFilters(req.query.get('filters'));
    if (typeof filters === 'string') return { status: 400, json: { message: filters } };
    const all = ['1', 'true'].includes(req.query.get('all') ?? '');
    const list = [...byId.values()]
      .filter((c) => (all || c.running) && matchesLabels(c.labels, filters.label ?? []))
      .sort((a, b) => b.created - a.created)
      .map(listItem);
    return { json: list };
  });
  versioned('/containers/:id/json', (req) => {
    const c = find(req.params.id ?? '');
    return c ? { json: inspectItem(c) } : notFound(`No such container: ${req.params.id}`);
  });

  return {
    server,
    get url() {
      return server.url;
    },
    listen: async (port = 0, host = '127.0.0.1') => (await server.listen(port, host)).url,
    close: () => server.close(),
    addContainer(input) {
      const id = input.id ?? randomBytes(32).toString('hex');
      if (byId.has(id)) throw new Error(`container ${id} exists`);
      const c: SimContainer = {
        id, name: input.name ?? `sim-${id.slice(0, 12)}`, image: input.image ?? 'busybox:latest', labels: { ...input.labels }, env: { ...input.env },
        bridgeIp: input.bridgeIp ?? `172.17.0.${(bridgeSeq++ % 250) + 2}`, running: true, created: Date.now() + byId.size,
      };
      byId.set(id, c);
      return c;
    },
    stopContainer(id) {
      const c = byId.get(id);
      if (!c) return false;
      c.running = false;
      return true;
    },
    removeContainer: (id) => byId.delete(id),
    containers: () => [...byId.values()].map((c) => ({ ...c, labels: { ...c.labels }, env: { ...c.env } })),
  };
}

function notFound(message: string): SimReply {
  return { status: 404, json: { message } };
}

/** Docker's `filters` is a JSON map of filter name → list of values (older clients sent name → {value: true}). */
function parseFilters(text: string | null): { label?: string[] } | string {
  if (!text) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'invalid filter: not JSON';
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'invalid filter: not an object';
  const out: { label?: string[] } = {};
  for (const [k, raw] of Object.entries(v as Record<string, unknown>)) {
    const values = Array.isArray(raw) ? raw : raw && typeof raw === 'object' ? Object.keys(raw) : undefined;
    if (!values || values.some((x) => typeof x !== 'string')) return `invalid filter '${k}'`;
    if (k === 'label') out.label = values as string[];
    else return `invalid filter '${k}'`;
  }
  return out;
}

/** Every label filter must hold: `key` (present) or `key=value` (equal). */
function matchesLabels(labels: Record<string, string>, filters: string[]): boolean {
  return filters.every((f) => {
    const i = f.indexOf('=');
    return i < 0 ? f in labels : labels[f.slice(0, i)] === f.slice(i + 1);
  });
}

function listItem(c: SimContainer) {
  return {
    Id: c.id, Names: [`/${c.name}`], Image: c.image, Created: Math.floor(c.created / 1000), Labels: { ...c.labels },
    State: c.running ? 'running' : 'exited', Status: c.running ? 'Up' : 'Exited (0)',
    NetworkSettings: { Networks: { bridge: { IPAddress: c.running ? c.bridgeIp : '' } } },
  };
}

function inspectItem(c: SimContainer) {
  return {
    Id: c.id, Name: `/${c.name}`, Image: c.image,
    Config: { Image: c.image, Env: Object.entries(c.env).map(([k, v]) => `${k}=${v}`), Labels: { ...c.labels } },
    State: { Status: c.running ? 'running' : 'exited', Running: c.running },
    NetworkSettings: { IPAddress: c.running ? c.bridgeIp : '', Networks: { bridge: { IPAddress: c.running ? c.bridgeIp : '' } } },
  };
}
