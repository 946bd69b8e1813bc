// The HTTP GET of the node-local APIs (Docker Engine over a unix socket, TCP or TCP+TLS, the weave
// router): one got instance per endpoint from the clients' createUpstream, so the same TLS, timeout and
// error handling as the cluster clients. Nothing is retried here: a registrar pass runs again on its
// interval. Every failure leaves as a DroverError naming the upstream, method and path, never a stack or
// a got error.
import type { Got } from 'got';
import { isTlsErrorCode } from '../clients/errors.js';
import { createUpstream } from '../clients/upstream.js';
import { DroverError, type Upstream } from '../core/errors.js';
import { isIpAddress } from '../spec/net.js';
import type { DockerEndpoint } from './config.js';

export interface LocalReply {
  status: number;
  text: string;
}

export type LocalTarget = DockerEndpoint | { kind: 'url'; base: string };

const MAX_BODY = 16 * 1024 * 1024;

export class LocalHttp {
  private readonly got: Got;

  constructor(private readonly upstream: Upstream, target: LocalTarget, private readonly timeoutMs: number) {
    this.got = createUpstream({
      upstream,
      timeoutMs,
      // A fresh connection per call: a pass makes a handful of local calls, passes are further apart than
      // an idle socket is kept, and a pooled socket the daemon closed in between surfaces as a spurious reset.
      keepAlive: false,
      headers: { accept: 'application/json, text/plain' },
      ...(target.kind === 'unix' ? { target: { socketPath: target.socketPath } }
        : target.kind === 'url' ? { target: { url: target.base } }
        : {
          target: { url: `${target.tls ? 'https' : 'http'}://${hostForUrl(target.host)}:${target.port}` },
          // Docker's TLS: the daemon's CA, and our client certificate (the daemon's --tlsverify asks for it).
          tls: target.tls ? { ...target.tls, servername: isIpAddress(target.host) ? undefined : target.host } : undefined,
        }),
    });
  }

  async get(path: string): Promise<LocalReply> {
    const where = `${this.upstream} GET ${path.split('?')[0]}`;
    const request = this.got.get(path.replace(/^\/+/, ''));
    let tooLarge = false;
    request.on('downloadProgress', (p: { transferred: number }) => {
      if (p.transferred > MAX_BODY && !tooLarge) {
        tooLarge = true;
        request.cancel();
      }
    });
    try {
      const res = await request;
      return { status: res.statusCode, text: res.body };
    } catch (e) {
      if (tooLarge) throw new DroverError('bad-response', `${where}: reply larger than ${MAX_BODY} bytes`, { upstream: this.upstream });
      const err = e as { name?: string; code?: string };
      if (err.name === 'TimeoutError') throw new DroverError('timeout', `${where}: no answer within ${this.timeoutMs}ms`, { upstream: this.upstream });
      const code = err.code;
      const why = typeof code === 'string' && isTlsErrorCode(code) ? `TLS handshake failed (${code})`
        : code === 'ECONNREFUSED' ? 'connection refused'
        : code === 'ECONNRESET' || code === 'EPIPE' ? 'connection reset'
        : code === 'ENOENT' ? 'socket not found'
        : code === 'EACCES' ? 'permission denied on the socket'
        : typeof code === 'string' && /^[A-Z0-9_]+$/.test(code) ? code : 'transport error';
      throw new DroverError('unavailable', `${where}: ${why}`, { upstream: this.upstream });
    }
  }
}

/** One GET through a fresh instance; the clients keep a LocalHttp instead. */
export function localGet(upstream: Upstream, target: LocalTarget, path: string, timeoutMs: number): Promise<LocalReply> {
  return new LocalHttp(upstream, target, timeoutMs).get(path);
}

export function statusError(upstream: Upstream, path: string, reply: LocalReply): DroverError {
  const text = reply.text.trim().slice(0, 300);
  const code = reply.status === 404 ? 'not-found' : reply.status >= 500 ? 'server-error' : 'bad-response';
  return new DroverError(code, `${upstream} GET ${path.split('?')[0]}: ${reply.status}${text ? ` ${text}` : ''}`, { upstream, status: reply.status });
}

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
