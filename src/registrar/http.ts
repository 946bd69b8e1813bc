// A minimal HTTP GET for the node-local APIs (Docker Engine over a unix socket, TCP or TCP+TLS, the
// weave router). node:http, like the clients in src/clients, and it speaks to a unix socket directly. Every
// failure leaves as a DroverError naming the upstream, method and path, never a stack.
import http from 'node:http';
import https from 'node:https';
import { isTlsErrorCode } from '../clients/errors.js';
import { DroverError, type Upstream } from '../core/errors.js';
import { isIpAddress } from '../spec/net.js';
import type { DockerEndpoint } from './config.js';

export interface LocalReply {
  status: number;
  text: string;
}

export type LocalTarget = DockerEndpoint | { kind: 'url'; base: string };

const MAX_BODY = 16 * 1024 * 1024;

export function localGet(upstream: Upstream, target: LocalTarget, path: string, timeoutMs: number): Promise<LocalReply> {
  const where = `${upstream} GET ${path.split('?')[0]}`;
  // A fresh connection per call: a pass makes a handful of local calls, and a pooled socket the
  // daemon closed in between would surface as a spurious reset.
  const opts: http.RequestOptions = { method: 'GET', path, timeout: timeoutMs, agent: false, headers: { Accept: 'application/json, text/plain' } };
  if (target.kind === 'unix') opts.socketPath = target.socketPath;
  else if (target.kind === 'tcp') {
    Object.assign(opts, { host: target.host, port: target.port });
    // Docker's TLS: the daemon's CA, and our client certificate (the daemon's --tlsverify asks for it).
    if (target.tls) Object.assign(opts, { ca: target.tls.ca, cert: target.tls.cert, key: target.tls.key, servername: isIpAddress(target.host) ? undefined : target.host });
  }
  else {
    const u = new URL(target.base);
    Object.assign(opts, { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 80), path: `${u.pathname.replace(/\/$/, '')}${path}` });
  }
  return new Promise((resolve, reject) => {
    const req = (target.kind === 'tcp' && target.tls ? https : http).request(opts, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) req.destroy(new Error('reply too large'));
        else chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => reject(new DroverError('unavailable', `${where}: connection reset`, { upstream })));
    });
    req.on('timeout', () => req.destroy(new DroverError('timeout', `${where}: no answer within ${timeoutMs}ms`, { upstream })));
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e instanceof DroverError) return reject(e);
      const tlsFailure = typeof e.code === 'string' && isTlsErrorCode(e.code);
      const why = tlsFailure ? `TLS handshake failed (${e.code})` : e.code === 'ECONNREFUSED' ? 'connection refused' : e.code === 'ECONNRESET' || e.code === 'EPIPE' ? 'connection reset' : e.code === 'ENOENT' ? 'socket not found' : e.code === 'EACCES' ? 'permission denied on the socket' : e.code ?? 'transport error';
      reject(new DroverError('unavailable', `${where}: ${why}`, { upstream }));
    });
    req.end();
  });
}

export function statusError(upstream: Upstream, path: string, reply: LocalReply): DroverError {
  const text = reply.text.trim().slice(0, 300);
  const code = reply.status === 404 ? 'not-found' : reply.status >= 500 ? 'server-error' : 'bad-response';
  return new DroverError(code, `${upstream} GET ${path.split('?')[0]}: ${reply.status}${text ? ` ${text}` : ''}`, { upstream, status: reply.status });
}
