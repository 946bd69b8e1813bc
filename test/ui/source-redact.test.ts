// The UI shows an app's source file: every value under spec.env and spec.vault is redacted exactly (its
// source range, quotes included), keys and everything else are shown as written, and text that does not
// parse is not shown at all.
import test from 'ava';
import { redactSourceText } from '../../src/http/ui/detail.js';
import { REDACTED } from '../../src/core/redact.js';

const SRC = [
  'apiVersion: drover.io/v1alpha1', 'kind: App', 'metadata:', '  name: web', 'spec:', '  image: nginx:1.27',
  '  env:', '    TOKEN: "s3cr3t-value"   # a comment', '    PLAIN: hunter22', '    FLOW: {a: 1}',
  '  vault:', '    role: web', '    secrets:', '      - path: secret/data/web', '        env: {DB_PASSWORD: db-password}',
  '  args: ["hunter22"]', '',
].join('\n');

test('values under spec.env and spec.vault are redacted, keys and the rest kept; a repeated env value too', (t) => {
  const out = redactSourceText(SRC);
  for (const secret of ['s3cr3t-value', 'hunter22', 'secret/data/web', 'db-password']) t.false(out.includes(secret), secret);
  for (const kept of ['TOKEN:', 'PLAIN:', 'DB_PASSWORD:', 'image: nginx:1.27', '# a comment', 'name: web']) t.true(out.includes(kept), kept);
  t.true(out.includes(`TOKEN: ${REDACTED}   # a comment`), out);
  t.true(out.includes(`args: [${REDACTED}]`), 'the env value repeated in args is redacted as well');
});

test('a file that does not parse is not shown', (t) => {
  t.is(redactSourceText('spec:\n  env:\n    A: "unterminated\n'), REDACTED);
});
