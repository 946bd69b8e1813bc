// `drover schema` prints a draft-07 JSON Schema for whole App documents that a validator (and
// yaml-language-server) can use directly.
import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('drover schema prints a usable JSON Schema for App documents', async (t) => {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'schema'], { cwd: ROOT, timeout: 30_000 }, (err, out) => (err ? reject(err) : resolve(out)));
  });
  const schema = JSON.parse(stdout) as Record<string, any>;
  t.is(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  t.deepEqual(Object.keys(schema.properties), ['apiVersion', 'kind', 'metadata', 'spec']);
  const validate = new Ajv({ strict: false }).compile(schema);
  const good = { apiVersion: 'drover.io/v1alpha1', kind: 'App', metadata: { name: 'web', labels: { team: 'a' } }, spec: { image: 'nginx', port: 80 } };
  t.true(validate(good), JSON.stringify(validate.errors));
  t.false(validate({ ...good, spec: { image: 'nginx', prot: 80 } }), 'unknown field rejected');
  t.false(validate({ ...good, kind: 'Deployment' }));
  t.false(validate({ ...good, spec: { ingress: { host: 'a`b' } } }));
});
