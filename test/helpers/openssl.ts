// Throwaway TLS material for tests that stand up a real HTTPS server: self-signed EC certificates for
// 127.0.0.1 made by the openssl binary, and a test function that skips when openssl is missing.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

let hasOpenssl = true;
try {
  execFileSync('openssl', ['version'], { stdio: 'ignore' });
} catch {
  hasOpenssl = false;
}

/** `test`, or `test.skip` when there is no openssl on the PATH. */
export const withOpenssl = hasOpenssl ? test : test.skip;

/** A self-signed certificate and key for `CN=<name>`, `subjectAltName=IP:127.0.0.1`, written into `dir`. */
export function selfSigned(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
    '-days', '1', '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'ignore' });
  return { cert, key };
}
