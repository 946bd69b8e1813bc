// The simulated Vault: KV v2 engines mounted at `secret/` and `kv/` (data read/write, metadata, list as
// `GET ?list=true` — Node's HTTP parser refuses the LIST verb),
// `sys/health` and `auth/token/lookup-self`, with X-Vault-Token checks. Errors are Vault's JSON form
// `{"errors":[...]}`: 403 ["permission denied"] for a missing or unknown token, 404 [] for a missing secret.
// Values are held in memory only; the sim never logs them.
import { randomUUID } from 'node:crypto';
import { SimServer, parseJsonBody, type SimHandler, type SimReply } from '../http.js';

export interface VaultSimOptions {
  /** tokens accepted in X-Vault-Token (default ["root"]) */
  tokens?: string[];
  /**
   * initial KV v2 secrets: `{"web": {...}}` lands at `secret/web`; a key starting with a mount name goes to that
   * mount (`"kv/otel-collector"`, `"kv/data/otel-collector"` are the same secret)
   */
  secrets?: Record<string, Record<string, string>>;
  /** KV v2 mount names (default ["secret", "kv"]) */
  mounts?: string[];
  random?: () => number;
}

export interface VaultSim {
  readonly server: SimServer;
  readonly url: string;
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
  /** writes a new version of a secret (`web` = `secret/web`, or `kv/x`), as `vault kv put` would */
  putSecret(path: string, data: Record<string, string>): number;
}

interface Version {
  data: Record<string, string>;
  createdTime: string;
}

const DENIED: SimReply = { status: 403, json: { errors: ['permission denied'] } };
const MISSING: SimReply = { status: 404, json: { errors: [] } };

export function createVaultSim(opts: VaultSimOptions = {}): VaultSim {
  const server = new SimServer({ name: 'vault', errorForm: 'vault-json', random: opts.random });
  const tokens = new Set(opts.tokens ?? ['root']);
  const secrets = new Map<string, Version[]>();
  const mounts = new Set(opts.mounts ?? ['secret', 'kv']);
  /** `mount/path` as stored; `data/` and `metadata/` after the mount are the API's, not the secret's */
  const canonical = (p: string): string => {
    const parts = trimPath(p).split('/');
    if (parts.length > 1 && mounts.has(parts[0]!)) {
      const rest = parts[1] === 'data' || parts[1] === 'metadata' ? parts.slice(2) : parts.slice(1);
      return `${parts[0]}/${rest.join('/')}`;
    }
    return `secret/${parts.join('/')}`;
  };

  const putSecret = (path: string, data: Record<string, string>): number => {
    const versions = secrets.get(path) ?? [];
    versions.push({ data: { ...data }, createdTime: new Date().toISOString() });
    secrets.set(path, versions);
    return versions.length;
  };
  for (const [path, data] of Object.entries(opts.secrets ?? {})) putSecret(canonical(path), data);
  const unknownMount: SimReply = { status: 404, json: { errors: ['no handler for route. route entry not found.'] } };

  const authed = (h: SimHandler): SimHandler => (req) => {
    const token = String(req.headers['x-vault-token'] ?? '') || /^Bearer\s+(.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1] || '';
    return tokens.has(token) ? h(req) : DENIED;
  };

  server.route('GET', '/v1/sys/health', () => ({
    json: {
      initialized: true, sealed: false, standby: false, performance_standby: false, replication_performance_mode: 'disabled',
      replication_dr_mode: 'disabled', server_time_utc: Math.floor(Date.now() / 1000), version: '1.15.0-sim', cluster_name: 'vault-sim', cluster_id: 'vault-sim',
    },
  }));

  server.route('GET', '/v1/auth/token/lookup-self', authed(() => envelope({ policies: ['root'], display_name: 'token', ttl: 0, renewable: false })));

  server.route('GET', '/v1/:mount/data/*path', authed((req) => {
    if (!mounts.has(req.params.mount ?? '')) return unknownMount;
    const versions = secrets.get(`${req.params.mount}/${trimPath(req.params.path ?? '')}`);
    if (!versions) return MISSING;
    const wanted = Number(req.query.get('version') ?? versions.length);
    const v = versions[wanted - 1];
    if (!v) return MISSING;
    return envelope({ data: { ...v.data }, metadata: versionMeta(v, wanted) });
  }));

  const write = authed((req) => {
    const body = parseJsonBody(req.body) as { data?: unknown; options?: { cas?: number } } | undefined;
    if (!body || !body.data || typeof body.data !== 'object' || Array.isArray(body.data)) {
      return { status: 400, json: { errors: ['no data provided'] } };
    }
    if (!mounts.has(req.params.mount ?? '')) return unknownMount;
    const path = `${req.params.mount}/${trimPath(req.params.path ?? '')}`;
    const current = secrets.get(path)?.length ?? 0;
    if (body.options?.cas !== undefined && body.options.cas !== current) {
      return { status: 400, json: { errors: [`check-and-set parameter did not match the current version`] } };
    }
    const data = Object.fromEntries(Object.entries(body.data as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
    const n = putSecret(path, data);
    return envelope(versionMeta(secrets.get(path)![n - 1]!, n));
  });
  server.route(['PUT', 'POST'], '/v1/:mount/data/*path', write);

  server.route('GET', '/v1/:mount/metadata/*path', authed((req) => {
    if (!mounts.has(req.params.mount ?? '')) return unknownMount;
    const path = `${req.params.mount}/${trimPath(req.params.path ?? '')}`;
    if (req.query.get('list') === 'true') {
      const keys = listKeys([...secrets.keys()], trimPath(path));
      return keys.length ? envelope({ keys }) : MISSING;
    }
    const versions = secrets.get(path);
    if (!versions) return MISSING;
    const last = versions[versions.length - 1]!;
    return envelope({
      cas_required: false, created_time: versions[0]!.createdTime, current_version: versions.length, custom_metadata: null,
      delete_version_after: '0s', max_versions: 0, oldest_version: 0, updated_time: last.createdTime,
      versions: Object.fromEntries(versions.map((v, i) => [String(i + 1), { created_time: v.createdTime, deletion_time: '', destroyed: false }])),
    });
  }));

  return {
    server,
    get url() {
      return server.url;
    },
    async listen(port = 0, host = '127.0.0.1') {
      return (await server.listen(port, host)).url;
    },
    close: () => server.close(),
    putSecret: (path, data) => putSecret(canonical(path), data),
  };
}

function envelope(data: unknown): SimReply {
  return {
    json: { request_id: randomUUID(), lease_id: '', renewable: false, lease_duration: 0, data, wrap_info: null, warnings: null, auth: null },
  };
}

function versionMeta(v: Version, version: number): Record<string, unknown> {
  return { created_time: v.createdTime, custom_metadata: null, deletion_time: '', destroyed: false, version };
}

function trimPath(p: string): string {
  return p.replace(/^\/+|\/+$/g, '');
}

/** Vault's LIST: the direct children of `prefix`, folders ending in "/". */
function listKeys(paths: string[], prefix: string): string[] {
  const base = prefix ? `${prefix}/` : '';
  const out = new Set<string>();
  for (const p of paths) {
    if (!p.startsWith(base)) continue;
    const rest = p.slice(base.length);
    const cut = rest.indexOf('/');
    out.add(cut < 0 ? rest : rest.slice(0, cut + 1));
  }
  return [...out].sort();
}
