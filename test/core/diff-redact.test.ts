import test from 'ava';
import { redactPatch, REDACTED } from '../../src/core/redact.js';
import type { NomadJob } from '../../src/core/nomad-types.js';

const job: NomadJob = { ID: 'a', TaskGroups: [{ Name: 'a', Tasks: [{ Name: 'a', Driver: 'docker', Env: { TOKEN: 's3cr3t-value' } }] }] };

test('env values, templates and vault are redacted; other values kept', (t) => {
  const out = redactPatch([
    { op: 'replace', path: '/TaskGroups/0/Tasks/0/Env/TOKEN', value: 's3cr3t-value' },
    { op: 'add', path: '/TaskGroups/0/Tasks/0/Templates', value: [{ EmbeddedTmpl: '{{ secret }}', DestPath: 'secrets/a.env' }] },
    { op: 'replace', path: '/TaskGroups/0/Tasks/0/Vault/Role', value: 'r' },
    { op: 'replace', path: '/TaskGroups/0/Tasks/0/Config/args/0', value: 's3cr3t-value' },
    { op: 'replace', path: '/TaskGroups/0/Count', value: 3 },
    { op: 'remove', path: '/TaskGroups/0/Tasks/0/Env/OLD' },
  ], job);
  t.is((out[0] as { value: unknown }).value, REDACTED);
  t.deepEqual((out[1] as { value: unknown }).value, [{ EmbeddedTmpl: REDACTED, DestPath: REDACTED }]);
  t.is((out[2] as { value: unknown }).value, REDACTED);
  t.is((out[3] as { value: unknown }).value, REDACTED);
  t.is((out[4] as { value: unknown }).value, 3);
  t.deepEqual(out[5], { op: 'remove', path: '/TaskGroups/0/Tasks/0/Env/OLD' });
  t.false(JSON.stringify(out).includes('s3cr3t'));
});

test('a whole job added (missing) has env redacted inside', (t) => {
  const out = redactPatch([{ op: 'add', path: '/TaskGroups', value: job.TaskGroups }], job);
  t.false(JSON.stringify(out).includes('s3cr3t'));
  t.true(JSON.stringify(out).includes('"TOKEN"'));
});
