// Vault pre-flight planning (pure) and the runner against an in-memory VaultApi; the run against the
// Vault simulator over HTTP lives in preflight-sim.test.ts.
import test from 'ava';
import type { VaultApi } from '../../src/clients/types.js';
import { DroverError } from '../../src/core/errors.js';
import type { NomadJob, NomadTemplate } from '../../src/core/nomad-types.js';
import { preflight, preflightError, secretsChanged, vaultPaths } from '../../src/core/preflight.js';
import type { AppManifest } from '../../src/spec/types.js';

const TPL = '{{ with secret "secret/data/otel" }}DB_PASSWORD={{ index .Data.data "db-password" }}{{ end }}';

function job(templates: NomadTemplate[]): NomadJob {
  return { ID: 'otel', TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't', Driver: 'docker', Templates: templates }] }] };
}
const secretTpl = (text = TPL, extra: Partial<NomadTemplate> = {}): NomadTemplate => ({ EmbeddedTmpl: text, DestPath: 'secrets/vault.env', Envvars: true, ...extra });

test('vaultPaths: spec order, de-duplicated, none without a vault block', (t) => {
  const app: Pick<AppManifest, 'spec'> = { spec: { vault: { secrets: [{ path: 'secret/data/b', env: { B: 'b' } }, { path: 'secret/data/a', env: { A: 'a' } }, { path: 'secret/data/b', env: { C: 'c' } }] } } };
  t.deepEqual(vaultPaths(app), ['secret/data/b', 'secret/data/a']);
  t.deepEqual(vaultPaths({ spec: {} }), []);
});

const changed = test.macro((t, prev: NomadJob | null, desired: NomadJob, expected: boolean) => {
  t.is(secretsChanged(prev, desired), expected);
});
test('secretsChanged: new job with a secret template', changed, null, job([secretTpl()]), true);
test('secretsChanged: new job without secrets', changed, null, job([{ EmbeddedTmpl: 'x', DestPath: 'local/x' }]), false);
test('secretsChanged: same template, Nomad defaults filled in live', changed, job([secretTpl(TPL, { ChangeMode: 'restart', Splay: 5e9, Perms: '0644' })]), job([secretTpl()]), false);
test('secretsChanged: path in the template changed', changed, job([secretTpl()]), job([secretTpl(TPL.replace('otel', 'otel2'))]), true);
test('secretsChanged: a second secret template added', changed, job([secretTpl()]), job([secretTpl(), secretTpl(TPL, { DestPath: 'secrets/b.env' })]), true);
test('secretsChanged: only a non-secret template changed', changed,
  job([secretTpl(), { EmbeddedTmpl: 'a', DestPath: 'local/a' }]), job([secretTpl(), { EmbeddedTmpl: 'b', DestPath: 'local/a' }]), false);
test('secretsChanged: secrets removed from desired → nothing to check', changed, job([secretTpl()]), job([]), false);

/** Keeps what exists and who may see it; records the calls so the test can show values are never asked for. */
function fakeVault(existing: string[], forbidden: string[] = [], down: string[] = []): VaultApi & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async secretExists(path) {
      asked.push(path);
      if (down.includes(path)) throw new DroverError('unavailable', 'connect ECONNREFUSED 127.0.0.1:8200', { upstream: 'vault' });
      if (forbidden.includes(path)) throw new DroverError('unauthorized', 'permission denied', { upstream: 'vault', status: 403 });
      return existing.includes(path);
    },
  };
}

test('preflight: all present → ok', async (t) => {
  const v = fakeVault(['secret/data/a', 'secret/data/b']);
  t.deepEqual(await preflight(v, ['secret/data/a', 'secret/data/b']), { ok: true, missing: [], forbidden: [] });
  t.deepEqual(v.asked, ['secret/data/a', 'secret/data/b']);
});

test('preflight: missing and forbidden listed by path; error names paths only', async (t) => {
  const r = await preflight(fakeVault(['secret/data/a'], ['secret/data/c']), ['secret/data/a', 'secret/data/b', 'secret/data/c']);
  t.deepEqual(r, { ok: false, missing: ['secret/data/b'], forbidden: ['secret/data/c'] });
  const e = preflightError(r);
  t.is(e.code, 'vault-preflight');
  t.false(e.retryable);
  t.is(e.message, 'vault secrets not usable (missing: secret/data/b; forbidden: secret/data/c)');
});

test('preflight: no paths → ok without a call', async (t) => {
  const v = fakeVault([]);
  t.true((await preflight(v, [])).ok);
  t.deepEqual(v.asked, []);
});

test('preflight: Vault unreachable → retryable error naming the path', async (t) => {
  const e = await t.throwsAsync(preflight(fakeVault([], [], ['secret/data/a']), ['secret/data/a']), { instanceOf: DroverError });
  t.is(e?.code, 'unavailable');
  t.true(e?.retryable);
  t.regex(e?.message ?? '', /secret\/data\/a/);
});
