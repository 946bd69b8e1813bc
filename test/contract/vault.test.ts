// Vault HTTP contract for what drover relies on (KV v2 metadata/data, token checks, error JSON,
// sys/health). Runs against the Vault simulator always, and against a real Vault when
// DROVER_CONTRACT_VAULT_ADDR and DROVER_CONTRACT_VAULT_TOKEN are set (the token needs write on secret/).
import test, { type ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import { createVaultSim } from '@drover/sim/vault';

interface Target {
  url: string;
  token: string;
}

const call = async (tg: Target, method: string, path: string, opts: { token?: string | null; body?: unknown } = {}) => {
  const token = opts.token === undefined ? tg.token : opts.token;
  const res = await fetch(tg.url + path, {
    method, headers: token ? { 'X-Vault-Token': token } : {}, body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, type: res.headers.get('content-type') ?? '' };
};

const cases: Record<string, (t: ExecutionContext, tg: Target) => Promise<void>> = {
  'sys/health answers without a token': async (t, tg) => {
    const r = await call(tg, 'GET', '/v1/sys/health', { token: null });
    t.is(r.status, 200);
    t.like(r.json, { initialized: true, sealed: false });
  },
  'a missing or wrong token is 403 {"errors":["permission denied"]}': async (t, tg) => {
    for (const token of [null, 'not-a-token']) {
      const r = await call(tg, 'GET', '/v1/secret/metadata/anything', { token });
      t.is(r.status, 403);
      t.deepEqual(r.json, { errors: ['permission denied'] });
      t.regex(r.type, /application\/json/);
    }
  },
  'a missing secret is 404 {"errors":[]} for metadata and data': async (t, tg) => {
    const path = `drover-contract/${randomUUID()}`;
    for (const kind of ['metadata', 'data']) {
      const r = await call(tg, 'GET', `/v1/secret/${kind}/${path}`);
      t.is(r.status, 404);
      t.deepEqual(r.json, { errors: [] });
    }
  },
  'a written secret has data and metadata with versions': async (t, tg) => {
    const path = `drover-contract/${randomUUID()}`;
    const w = await call(tg, 'POST', `/v1/secret/data/${path}`, { body: { data: { 'db-password': 'pw1' } } });
    t.is(w.status, 200);
    t.is(w.json.data.version, 1);
    await call(tg, 'POST', `/v1/secret/data/${path}`, { body: { data: { 'db-password': 'pw2' } } });
    const d = await call(tg, 'GET', `/v1/secret/data/${path}`);
    t.deepEqual(d.json.data.data, { 'db-password': 'pw2' });
    t.is(d.json.data.metadata.version, 2);
    const m = await call(tg, 'GET', `/v1/secret/metadata/${path}`);
    t.is(m.status, 200);
    t.is(m.json.data.current_version, 2);
    t.deepEqual(Object.keys(m.json.data.versions).sort(), ['1', '2']);
    t.false(JSON.stringify(m.json).includes('pw2'), 'metadata carries no values');
  },
};

const sim = createVaultSim({ tokens: ['sim-token'] });
const simUrl = await sim.listen(0);
test.after.always(() => sim.close());
for (const [title, body] of Object.entries(cases)) test(`sim: ${title}`, (t) => body(t, { url: simUrl, token: 'sim-token' }));

const realAddr = process.env.DROVER_CONTRACT_VAULT_ADDR;
const realToken = process.env.DROVER_CONTRACT_VAULT_TOKEN;
if (realAddr && realToken) {
  for (const [title, body] of Object.entries(cases)) test(`real: ${title}`, (t) => body(t, { url: realAddr.replace(/\/+$/, ''), token: realToken }));
} else {
  for (const title of Object.keys(cases)) test.skip(`real: ${title} (skipped: DROVER_CONTRACT_VAULT_ADDR/TOKEN not set)`, () => undefined);
}
