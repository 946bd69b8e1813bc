// The registrar reaches a Docker Engine on tcp:// with TLS the way the docker CLI does: DOCKER_TLS_VERIFY
// plus ca.pem/cert.pem/key.pem from DOCKER_CERT_PATH. A real HTTPS server (mutual TLS, throwaway openssl
// certificates) stands in for the daemon's --tlsverify endpoint.
import test from 'ava';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DroverError } from '../../src/core/errors.js';
import { parseRegistrarConfig, type DockerEndpoint } from '../../src/registrar/config.js';
import { localGet } from '../../src/registrar/http.js';
import { selfSigned as selfSignedIn, withOpenssl } from '../helpers/openssl.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-docker-tls-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const selfSigned = (name: string) => selfSignedIn(dir, name);

/** A docker CLI cert dir: the daemon's CA plus our client pair. */
function certDir(name: string, ca: string, client: { cert: string; key: string }): string {
  const d = join(dir, name);
  mkdirSync(d);
  copyFileSync(ca, join(d, 'ca.pem'));
  copyFileSync(client.cert, join(d, 'cert.pem'));
  copyFileSync(client.key, join(d, 'key.pem'));
  return d;
}

test('DOCKER_TLS_VERIFY: missing cert files are named; a unix socket cannot use TLS; unset or 0 means plain TCP', (t) => {
  const r = parseRegistrarConfig({ DOCKER_HOST: 'tcp://127.0.0.1:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: join(dir, 'nope') });
  t.false(r.ok);
  t.deepEqual(r.ok ? [] : r.problems, ['ca.pem', 'cert.pem', 'key.pem'].map((f) => `DOCKER_CERT_PATH: cannot read ${join(dir, 'nope', f)} (no such file)`));
  const u = parseRegistrarConfig({ DOCKER_HOST: 'unix:///var/run/docker.sock', DOCKER_TLS_VERIFY: '1' });
  t.deepEqual(u.ok ? [] : u.problems, ['DOCKER_TLS_VERIFY: TLS needs a tcp:// DOCKER_HOST, not a unix socket']);
  for (const v of ['', '0', 'false']) {
    const p = parseRegistrarConfig({ DOCKER_HOST: 'tcp://127.0.0.1:2375', DOCKER_TLS_VERIFY: v });
    t.deepEqual(p.ok && p.config.docker, { kind: 'tcp', host: '127.0.0.1', port: 2375 });
  }
});

withOpenssl('a tcp:// Docker endpoint with DOCKER_TLS_VERIFY: mutual TLS works; a wrong CA fails as a TLS handshake error', async (t) => {
  const daemon = selfSigned('daemon');
  const client = selfSigned('client');
  const server = https.createServer({ cert: readFileSync(daemon.cert), key: readFileSync(daemon.key), ca: readFileSync(client.cert), requestCert: true, rejectUnauthorized: true }, (req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(req.url === '/_ping' ? 'OK' : 'other');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as AddressInfo).port;
  const env = (certPath: string) => ({ DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certPath });

  const good = parseRegistrarConfig(env(certDir('good', daemon.cert, client)));
  if (!good.ok) return t.fail(good.problems.join('; '));
  t.truthy((good.config.docker as Extract<DockerEndpoint, { kind: 'tcp' }>).tls);
  t.deepEqual(await localGet('docker', good.config.docker, '/_ping', 3000), { status: 200, text: 'OK' });

  const stranger = selfSigned('stranger');
  const bad = parseRegistrarConfig(env(certDir('bad', stranger.cert, client)));
  if (!bad.ok) return t.fail(bad.problems.join('; '));
  const err = await t.throwsAsync(localGet('docker', bad.config.docker, '/_ping', 3000));
  t.true(err instanceof DroverError);
  t.regex(err!.message, /^docker GET \/_ping: TLS handshake failed \([A-Z_]+\)$/);

  const plain = parseRegistrarConfig({ DOCKER_HOST: `tcp://127.0.0.1:${port}` });
  if (!plain.ok) return t.fail();
  await t.throwsAsync(localGet('docker', plain.config.docker, '/_ping', 3000), { instanceOf: DroverError }, 'plain HTTP to a TLS daemon fails cleanly');
});
