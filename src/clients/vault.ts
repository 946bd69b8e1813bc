// The Vault client (VaultApi): only asks whether a KV v2 secret exists, through its metadata
// endpoint, so drover never reads (or could leak) a secret value.
import { DroverError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { nullLogger } from '../core/logger.js';
import { encodePath, HttpCore, type ClientOptions } from './http.js';
import type { UpstreamObserver, VaultApi } from './types.js';

export class VaultClient implements VaultApi {
  private readonly core: HttpCore;

  constructor(opts: ClientOptions, observer?: UpstreamObserver, logger: Logger = nullLogger) {
    this.core = new HttpCore('vault', opts, observer, logger);
  }

  async secretExists(path: string): Promise<boolean> {
    const metaPath = metadataPath(path);
    const reply = await this.core.call({ method: 'GET', route: '/v1/:mount/metadata/*path', path: metaPath, retry: true, allow: [404] });
    return reply.status !== 404;
  }
}

/**
 * `secret/data/app/db` (the form used in templates) or `secret/app/db` → `/v1/secret/metadata/app/db`.
 * The first segment is taken as the mount, as in the seeds and Vault's default `secret/` mount.
 */
export function metadataPath(path: string): string {
  const segments = path.trim().replace(/^\/+/, '').replace(/^v1\//, '').split('/').filter((s) => s.length > 0);
  const [mount, ...rest] = segments;
  if (rest[0] === 'data' || rest[0] === 'metadata') rest.shift();
  if (!mount || rest.length === 0) {
    throw new DroverError('rejected', `vault: "${path}" is not a KV v2 secret path (expected <mount>/data/<path> or <mount>/<path>)`, { upstream: 'vault' });
  }
  return `/v1/${encodePath(mount)}/metadata/${encodePath(rest.join('/'))}`;
}
