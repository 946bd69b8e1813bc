// The got transport under every client (src/clients/upstream.ts): compressed replies are inflated,
// keep-alive connections are reused between calls, a body that stalls past the timeout fails the call,
// a stream outlives the per-call timeout, and an attempt is observed before the retry backoff.
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

test('an event stream is bounded by silence, not by the per-call timeout', async (t) => {
  const ac = new AbortController();
  t.teardown(() => ac.abort());
  let streams = 0;
  const srv = await server(t, (_req, res) => {
    if (++streams > 1) return ac.abort(); // the first stream was cut: stop here, the assertions say why
    res.writeHead(200, { 'Content-Type': 'application/json' });
    let beats = 0;
    const timer = setInterval(() => {
      beats++;
      res.write(beats === 12 ? `${JSON.stringify({ Index: 5, Events: [{ Topic: 'Job', Type: 'JobRegistered', Key: 'web', Index: 5, Payload: {} }] })}\n` : '{}\n');
    }, 50);
    res.on('close', () => clearInterval(timer));
  });
  // 12 heartbeats 50 ms apart outlast the 200 ms per-call timeout; each one is well inside the idle limit
  const nomad = new NomadClient({ addr: srv.url, timeoutMs: 200, streamIdleMs: 2000, retry: { attempts: 1, baseMs: 1, maxMs: 1 } });
  const frames: number[] = [];
  for await (const frame of nomad.eventStream({ topics: ['Job'], signal: ac.signal })) {
    frames.push(frame.Index);
    break;
  }
  t.deepEqual(frames, [5]);
  t.is(streams, 1);
});

test('each attempt is observed when it ends, before the backoff that follows it', async (t) => {
  const { url } = await server(t, (req) => req.socket.destroy());
  const seen: Array<{ code: string; seconds: number; at: number }> = [];
  const obs = { observe: (_u: string, _r: string, code: string, seconds: number) => void seen.push({ code, seconds, at: performance.now() }) };
  // random 0.99: the backoffs are 297 and 594 ms
  const nomad = new NomadClient({ addr: url, timeoutMs: 2000, retry: { attempts: 3, baseMs: 300, maxMs: 1000, random: () => 0.99 } }, obs);
  const err = (await rejection(nomad.readJob('web'))) as DroverError;
  t.is(err.code, 'unavailable');
  t.deepEqual(seen.map((o) => o.code), ['unavailable', 'unavailable', 'unavailable']);
  // the next attempt starts (its end minus its duration) at least one backoff after this one was observed
  const starts = seen.map((o) => o.at - o.seconds * 1000);
  t.true(starts[1]! - seen[0]!.at >= 290, `gap ${(starts[1]! - seen[0]!.at).toFixed(0)} ms`);
  t.true(starts[2]! - seen[1]!.at >= 580, `gap ${(starts[2]! - seen[1]!.at).toFixed(0)} ms`);
});
