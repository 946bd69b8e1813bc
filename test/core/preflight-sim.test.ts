// Vault pre-flight over real HTTP: the real VaultClient against the Vault simulator. Proves missing
// and forbidden paths are reported by path and that only metadata endpoints are ever requested.
import test from 'ava';
import { VaultClient } from '../../src/clients/vault.js';
import { preflight } from '../../src/core/preflight.js';
import { createVaultSim, type VaultSim } from '@drover/sim/vault';

const SECRET_VALUE = 's3cr3t-value-never-read';
let sim: VaultSim;
let url: string;

test.before(async () => {
  sim = createVaultSim({ tokens: ['drover-token'], secrets: { 'secret/otel': { 'db-password': SECRET_VALUE }, 'secret/web/api': { key: SECRET_VALUE } } });
  url = await sim.listen(0);
});
test.after.always(async () => {
  await sim?.close();
});

const client = (token: string) => new VaultClient({ addr: url, token, timeoutMs: 2000, retry: { attempts: 1 } });

test.serial('present and missing paths; only metadata is requested', async (t) => {
  const before = sim.server.requestLog().length;
  const r = await preflight(client('drover-token'), ['secret/data/otel', 'secret/data/web/api', 'secret/data/nope']);
  t.deepEqual(r, { ok: false, missing: ['secret/data/nope'], forbidden: [] });
  const paths = sim.server.requestLog().slice(before).map((l) => `${l.method} ${l.path}`);
  t.deepEqual(paths.sort(), ['GET /v1/secret/metadata/nope', 'GET /v1/secret/metadata/otel', 'GET /v1/secret/metadata/web/api']);
  t.false(JSON.stringify(r).includes(SECRET_VALUE));
});

test.serial('bad token: every path forbidden, none read', async (t) => {
  const before = sim.server.requestLog().length;
  const r = await preflight(client('wrong-token'), ['secret/data/otel', 'secret/data/nope']);
  t.deepEqual(r, { ok: false, missing: [], forbidden: ['secret/data/otel', 'secret/data/nope'] });
  const logged = sim.server.requestLog().slice(before);
  t.true(logged.length >= 2 && logged.every((l) => l.path.startsWith('/v1/secret/metadata/') && l.status === 403));
});

test.serial('all present → ok', async (t) => {
  t.deepEqual(await preflight(client('drover-token'), ['secret/data/otel', 'secret/web/api']), { ok: true, missing: [], forbidden: [] });
});
