// The fast YAML path must agree with eemeli/yaml wherever it answers, and decline everything else.
// Checked over every YAML file in the test fixtures and examples, and over a table of tricky snippets.
import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { fastParseDocuments } from '../../src/spec/fast-yaml.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function yamlFiles(dir: string, out: string[] = []): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) yamlFiles(p, out);
    else if (/\.ya?ml$/.test(n)) out.push(p);
  }
  return out;
}

function slow(text: string): unknown[] | 'error' {
  const docs = parseAllDocuments(text) as any[];
  if (!Array.isArray(docs) || docs.some((d) => d.errors.length > 0)) return 'error';
  try {
    return docs.map((d) => d.toJS({ maxAliasCount: 100 }));
  } catch {
    return 'error';
  }
}

const agrees = test.macro({
  exec(t, text: string, mustAccept: boolean) {
    const fast = fastParseDocuments(text);
    if (fast === undefined) {
      t.false(mustAccept, 'the fast path declined');
      return;
    }
    const expected = slow(text);
    t.not(expected, 'error', 'the fast path accepted text the real parser rejects');
    t.deepEqual(fast.map((d) => d.data), expected);
  },
  title: (title) => title ?? '',
});

const files = [...yamlFiles(join(ROOT, 'test/fixtures')), ...yamlFiles(join(ROOT, 'examples'))];
for (const f of files) test(`fixture ${f.slice(ROOT.length)}`, agrees, readFileSync(f, 'utf8'), false);

test('the corpus is not empty and the fast path handles most of it', (t) => {
  const accepted = files.filter((f) => fastParseDocuments(readFileSync(f, 'utf8')) !== undefined);
  t.true(files.length > 40);
  t.true(accepted.length > files.length / 2, `${accepted.length} of ${files.length}`);
});

const SNIPPETS: Array<[string, string, boolean]> = [
  ['typical app', 'apiVersion: drover.io/v1alpha1\nkind: App\nmetadata:\n  name: a\n  labels:\n    app.kubernetes.io/name: a\nspec:\n  image: nginx:1.25\n  args: ["-g", \'daemon off;\']\n  env:\n    A: "1"\n    B: \'it\'\'s\'\n  health: {type: http, path: /h}\n  service: {tags: [a, b], name: x}\n  vault:\n    secrets:\n      - path: kv/data/x\n        env:\n          K: v\n      - {path: kv/data/y, env: {K2: v2}}\n', true],
  ['scalars of the core schema', 'a: 1\nb: -2\nc: 1.5\nd: .5\ne: 1e3\nf: true\ng: False\nh: ~\ni: null\nj: 0123\nk: 1_000\nl: yes\nm: +7\nn:\n', true],
  ['sequence at the same indent as its key', 'a:\n- 1\n- b: 2\n  c: 3\n- - x\n  - y\n', true],
  ['documents and comments', '# head\n---\na: 1 # note\n---\n---\nb: [1, 2,]\n...\n', false],
  ['empty flow collections', 'a: []\nb: {}\nc: [[], {}]\n', true],
  ['colon inside flow plain scalar', 'a: {image: nginx:1.25, url: http://x}\n', true],
  ['quoted keys', '"a b": 1\n\'c\': 2\n', true],
  ['escapes', 'a: "x\\ny\\t\\"q\\" \\\\ \\/"\n', true],
  ['anchor and alias', 'a: &x 1\nb: *x\n', false],
  ['tag', 'a: !!str 1\n', false],
  ['block scalar', 'a: |\n  x\n  y\n', false],
  ['multi-line plain', 'a: x\n  y\n', false],
  ['multi-line quoted', 'a: "x\n  y"\n', false],
  ['tab indentation', 'a:\n\tb: 1\n', false],
  ['CRLF', 'a: 1\r\nb: 2\r\n', false],
  ['duplicate key', 'a: 1\na: 2\n', false],
  ['hex and octal', 'a: 0x1f\nb: 0o17\n', false],
  ['infinity', 'a: .inf\n', false],
  ['directive', '%YAML 1.2\n---\na: 1\n', false],
  ['bad indentation', 'a:\n  b: 1\n c: 2\n', false],
  ['hash in quotes', 'a: "x # y"\n', false],
  ['hash without space', 'a: x#y\n', true],
  ['unicode', 'a: "héllo"\nb: 日本\n', true],
  ['proto key', '__proto__: 1\n', false],
  ['unterminated flow', 'a: [1, 2\n', false],
  ['nested flow maps', 'a: {b: {c: [1, {d: e}]}}\n', true],
  ['plain with quote inside', "a: it's\n", true],
  ['keys that are not strings', '1: a\n', false],
  ['null key', 'null: a\n', false],
  ['bool key in flow', 'a: {true: 1}\n', false],
  ['big integer', 'a: 123456789012345678901234567890\n', false],
];
for (const [title, text, mustAccept] of SNIPPETS) test(`snippet: ${title}`, agrees, text, mustAccept);
