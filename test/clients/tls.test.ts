// TLS material: read once at construction, a missing file is a clear error naming it, and a real
// HTTPS (and mutual TLS) server on loopback with throwaway certificates made by openssl.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NomadClient } from '../../src/clients/nomad.js';
import { createClients } from '../../src/clients/index.js';
import { parseConfig } from '../../src/config.js';
import { DroverError } from '../../src/core/errors.js';
import { assertNoToken, rejection, TOKEN } from './helpers.js';
import { selfSigned as selfSignedIn, withOpenssl } from '../helpers/openssl.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-tls-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const selfSigned = (name: string) => selfSignedIn(dir, name);

async function httpsServer(t: import('ava').ExecutionContext, opts: https.ServerOptions): Promise<string> {
  const server = https.createServer(opts, (req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify('127.0.0.1:4647'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  server.on('connection', (s) => t.teardown(() => void s.destroy()));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('a missing CA file is a clear DroverError naming the file, not a crash', (t) => {
  const err = t.throws(() => new NomadClient({ addr: 'https://127.0.0.1:4646', token: TOKEN, caCert: '/nonexistent/ca.pem', timeoutMs: 1000 })) as DroverError;
  t.true(err instanceof DroverError);
  t.is(err.code, 'rejected');
  t.is(err.message, 'nomad: cannot read the CA certificate file "/nonexistent/ca.pem": no such file');
  assertNoToken(t, err);
});

test('createClients reports a missing Consul client certificate file', (t) => {
  const config = parseConfig({ CONSUL_HTTP_ADDR: 'https://127.0.0.1:8501', CONSUL_CLIENT_CERT: '/nope/c.pem', CONSUL_CLIENT_KEY: '/nope/k.pem' });
  const err = t.throws(() => createClients(config)) as DroverError;
  t.is(err.message, 'consul: cannot read the client certificate file "/nope/c.pem": no such file');
});

test('createClients builds vault only when VAULT_ADDR is set', (t) => {
  t.is(createClients(parseConfig({})).vault, undefined);
  t.truthy(createClients(parseConfig({ VAULT_ADDR: 'http://127.0.0.1:8200' })).vault);
});

test('a certificate without its key is refused at construction', (t) => {
  const err = t.throws(() => new NomadClient({ addr: 'https://127.0.0.1:4646', clientCert: '/x.pem', timeoutMs: 1000 })) as DroverError;
  t.regex(err.message, /client certificate and a client key must be given together/);
});

withOpenssl('HTTPS with the CA from a file works; without it the handshake fails as unavailable', async (t) => {
  const server = selfSigned('server');
  const url = await httpsServer(t, { cert: readFileSync(server.cert), key: readFileSync(server.key) });
  await t.notThrowsAsync(new NomadClient({ addr: url, caCert: server.cert, timeoutMs: 3000 }).ping());
  const err = (await rejection(new NomadClient({ addr: url, token: TOKEN, timeoutMs: 3000, retry: { attempts: 1 } }).ping())) as DroverError;
  t.is(err.code, 'unavailable');
  t.regex(err.message, /^nomad GET \/v1\/status\/leader: TLS handshake failed \([A-Z_]+\)$/);
  assertNoToken(t, err);
});

withOpenssl('mutual TLS: the client certificate and key are presented', async (t) => {
  const server = selfSigned('server2');
  const client = selfSigned('client');
  const url = await httpsServer(t, {
    cert: readFileSync(server.cert), key: readFileSync(server.key), ca: readFileSync(client.cert), requestCert: true, rejectUnauthorized: true,
  });
  await t.notThrowsAsync(new NomadClient({ addr: url, caCert: server.cert, clientCert: client.cert, clientKey: client.key, timeoutMs: 3000 }).ping());
  const err = (await rejection(new NomadClient({ addr: url, caCert: server.cert, timeoutMs: 3000, retry: { attempts: 1 } }).ping())) as DroverError;
  t.is(err.code, 'unavailable');
});
