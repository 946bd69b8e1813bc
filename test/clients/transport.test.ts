// The plain node:http transport under every client: compressed replies are inflated, keep-alive
// connections are reused between calls, a body that stalls past the timeout fails the call.
import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync, deflateSync } from 'node:zlib';
import { NomadClient } from '../../src/clients/nomad.js';
import { DroverError } from '../../src/core/errors.js';
import { rejection } from './helpers.js';

async function server(t: import('ava').ExecutionContext, handler: http.RequestListener): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  const s = http.createServer(handler);
  s.on('connection', (sock) => {
    connections++;
    t.teardown(() => void sock.destroy());
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => s.close(() => r())));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, connections: () => connections };
}

test('gzip and deflate replies are inflated; the client offers both', async (t) => {
  const seen: (string | undefined)[] = [];
  let enc = 'gzip';
  const { url } = await server(t, (req, res) => {
    seen.push(req.headers['accept-encoding']);
    const body = JSON.stringify({ ID: 'web', Meta: { enc } });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': enc });
    res.end(enc === 'gzip' ? gzipSync(body) : deflateSync(body));
  });
  const nomad = new NomadClient({ addr: url, timeoutMs: 2000 });
  t.deepEqual((await nomad.readJob('web')).value?.Meta, { enc: 'gzip' });
  enc = 'deflate';
  t.deepEqual((await nomad.readJob('web')).value?.Meta, { enc: 'deflate' });
  t.deepEqual(seen, ['gzip, deflate', 'gzip, deflate']);
});

test('sequential calls reuse one keep-alive connection', async (t) => {
  const srv = await server(t, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('"127.0.0.1:4647"');
  });
  const nomad = new NomadClient({ addr: srv.url, timeoutMs: 2000 });
  for (let i = 0; i < 20; i++) await nomad.ping();
  t.is(srv.connections(), 1);
});

test('headers on time but a body that stalls past the timeout fail the call as timeout', async (t) => {
  const { url } = await server(t, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write('"127.0.0.1');
    // never ends
  });
  const nomad = new NomadClient({ addr: url, timeoutMs: 300, retry: { attempts: 1 } });
  const started = Date.now();
  const err = (await rejection(nomad.ping())) as DroverError;
  t.true(err instanceof DroverError);
  t.is(err.code, 'timeout');
  t.regex(err.message, /^nomad GET \/v1\/status\/leader: no answer within 300ms$/);
  t.true(Date.now() - started < 2000);
});

test('a corrupt gzip body is an unavailable-class failure, not a crash', async (t) => {
  const { url } = await server(t, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
    res.end('not gzip at all');
  });
  const err = (await rejection(new NomadClient({ addr: url, timeoutMs: 2000, retry: { attempts: 1 } }).ping())) as DroverError;
  t.true(err instanceof DroverError);
  t.is(err.code, 'unavailable');
  t.regex(err.message, /^nomad GET \/v1\/status\/leader: request failed \(Z_DATA_ERROR\)$/);
});
