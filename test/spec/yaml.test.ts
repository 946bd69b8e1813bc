// js-yaml with positions and guards (src/spec/yaml.ts): where each kind of node is placed, what the guards
// refuse (alias expansion, recursion, depth, document count) and what they let through, the syntax-error
// wording, and that no input makes parsing throw.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/config.js';
import { DEFAULT_LIMITS, loadAppTexts, problemToString } from '../../src/spec/index.js';
import { parseYamlFile } from '../../src/spec/parse.js';
import type { Anchor, Seg } from '../../src/spec/paths.js';
import { fileLocators, readYaml, type YamlGuards } from '../../src/spec/yaml.js';

const guards: YamlGuards = { maxDocuments: 100, maxDepth: 32, maxAliasCount: 100 };
const defaults = parseConfig({}).cluster;

function positionOf(text: string, segs: Seg[], anchor?: Anchor, doc = 0): string {
  const read = readYaml(text, guards);
  const d = read.docs[doc]!;
  const p = fileLocators(text, guards)(doc, d)(segs, anchor);
  return `${p.line}:${p.col}`;
}

const placed = test.macro({
  exec(t, text: string, segs: Seg[], anchor: Anchor | undefined, want: string, doc?: number) {
    t.is(positionOf(text, segs, anchor, doc), want);
  },
  title: (title) => `position: ${title}`,
});

test('nested block value', placed, 'a: 1\nspec:\n  port: 8080\n', ['spec', 'port'], undefined, '3:9');
test('the key of a field', placed, 'a: 1\nspec:\n  port: 8080\n', ['spec', 'port'], 'key', '3:3');
test('the mapping holding a field', placed, 'a: 1\nspec:\n  image: x\n  port: 8080\n', ['spec', 'port'], 'parent', '3:3');
test('a value in a flow mapping', placed, 'spec: {image: x, port: 80}\n', ['spec', 'port'], undefined, '1:24');
test('an item of a flow sequence', placed, 'tags: [a, "b", c]\n', ['tags', 2], undefined, '1:16');
test('a field of a mapping in a block sequence', placed, 'list:\n  - a: 1\n    b: 2\n', ['list', 0, 'b'], undefined, '3:8');
test('a sequence at the indentation of its key', placed, 'list:\n- x\n- y\n', ['list', 1], undefined, '3:3');
test('a quoted key', placed, '"a b":\n  \'c\': 1\n', ['a b', 'c'], 'key', '2:3');
test('a value after a comment line', placed, 'a:\n  # note\n  b: 1\n', ['a'], undefined, '3:3');
test('an empty value sits after its colon', placed, 'a: 1\ningress:\n', ['ingress'], undefined, '2:9');
test('a block scalar', placed, 'a: |\n  x\nb: 1\n', ['a'], undefined, '1:4');
test('a tagged value starts at its content', placed, 'a: !!str 1\n', ['a'], undefined, '1:10');
test('an anchored mapping starts at its first key', placed, 'a: &x\n  k: v\n', ['a'], undefined, '2:3');
test('a path through an alias is placed in the anchored node', placed, 'a: &x\n  k: v\nb: *x\n', ['b', 'k'], undefined, '2:6');
test('a flow collection on its own line', placed, 'a:\n  [1, 2]\n', ['a', 1], undefined, '2:7');
test('CRLF line ends', placed, 'a: 1\r\nb:\r\n  c: 2\r\n', ['b', 'c'], undefined, '3:6');
test('in the second document', placed, 'a: 1\n---\nb:\n  c: 2\n', ['b', 'c'], undefined, '4:6', 1);
test('a path leaving the document falls back to the deepest node that exists', placed, 'spec:\n  image: x\n', ['spec', 'ingress', 'host'], undefined, '2:3');
test('a multi-line plain scalar starts on its first line', placed, 'a: one\n  two\nb: 1\n', ['a'], undefined, '1:4');

test('document starts are the first content line, after comments and markers', (t) => {
  const r = readYaml('# head\n\n---\n# c\n  a: 1\n---\nb: 2\n', guards);
  t.deepEqual(r.docs.map((d) => [d.line, d.col]), [[5, 3], [7, 1]]);
});

const file = (text: string, limits = {}) => {
  const r = parseYamlFile(text, { ...DEFAULT_LIMITS, ...limits });
  return { broken: r.broken, problems: r.problems.map((p) => `${p.line}:${p.col} ${p.message}`), data: r.docs.map((d) => d.data) };
};

test('alias expansions are counted as a walk of the data would meet them, up to the limit', (t) => {
  // a1 holds 9 aliases; each alias of a1 expands to itself plus those 9: 9 + 9 × 10 = 99
  const base = 'a0: &a0 [x, x, x]\na1: &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]\na2: [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]\n';
  t.deepEqual(file(`${base}b: *a0\n`).problems, [], '100 expansions are allowed');
  t.deepEqual(file(`${base}b: [*a0, *a0]\n`).problems, ['1:1 YAML aliases expand beyond the limit (100); refusing a possible "billion laughs" document']);
  t.deepEqual(file(`${base}b: [*a0, *a0]\n`, { maxAliasCount: 101 }).problems, []);
});

test('the data of a document with aliases shares nothing the caller could expand twice by accident', (t) => {
  const r = file('a: &x {k: [1, 2]}\nb: *x\n');
  t.deepEqual(r.problems, []);
  t.deepEqual(r.data, [{ a: { k: [1, 2] }, b: { k: [1, 2] } }]);
});

const recursive = test.macro({
  exec(t, text: string) {
    const r = file(text);
    t.true(r.broken);
    t.deepEqual(r.problems, ['1:1 a YAML alias refers to a node that contains it; the data would be endless']);
    t.deepEqual(r.data, []);
  },
  title: (title) => `a recursive alias is refused: ${title}`,
});
test('in its own flow sequence', recursive, 'a: &a [*a]\n');
test('to an anchor name redefined around it', recursive, 'x: &a 1\ny: &a {k: *a}\n');
test('in a block mapping', recursive, 'a: &a\n  b:\n    c: *a\n');

const depth = test.macro({
  exec(t, text: string, ok: boolean) {
    const r = file(text, { maxDepth: 3 });
    t.deepEqual(r.problems, ok ? [] : ['1:1 nesting is deeper than 3 levels']);
    t.is(r.broken, !ok);
  },
  title: (title, _text, ok: boolean) => `depth 3: ${title} ${ok ? 'passes' : 'is refused'}`,
});
test('three block mappings', depth, 'a:\n  b:\n    c: 1\n', true);
test('a fourth level (an empty flow mapping)', depth, 'a:\n  b:\n    c: {}\n', false);
test('block sequences of a flow sequence', depth, '- - [x]\n', true);
test('one block sequence more', depth, '- - - [x]\n', false);
test('flow sequences on their own line', depth, 'a:\n  [[1]]\n', true);
test('one flow sequence more', depth, 'a:\n  [[[1]]]\n', false);
test('an alias counts the depth of what it names', depth, 'a: &x [[1]]\nb: [*x]\n', false);

test('documents are counted by the parser too, not only by `---` markers', (t) => {
  const text = Array.from({ length: 101 }, (_, i) => `n: ${i}\n...\n`).join('');
  const r = file(text);
  t.deepEqual(r.problems, ['1:1 more than 100 YAML documents in one file']);
  t.true(r.broken);
  t.deepEqual(r.data, []);
  t.is(file(text, { maxDocumentsPerFile: 101 }).data.length, 101);
});

test('a syntax error keeps the documents before it and marks the file broken', (t) => {
  const app = (name: string) => `apiVersion: drover.io/v1alpha1\nkind: App\nmetadata:\n  name: ${name}\nspec:\n  image: nginx\n`;
  const r = loadAppTexts([{ file: 'f.yaml', text: `${app('first')}---\n${app('second')}  port: [80\n` }], defaults);
  t.deepEqual(r.apps.map((a) => a.key), ['default/first']);
  t.deepEqual(r.brokenFiles, ['f.yaml']);
  t.deepEqual(r.problems.filter((p) => p.severity === 'error').map(problemToString), ['f.yaml:15:1: invalid YAML: unexpected end of the stream within a flow collection']);
});

const syntax = test.macro({
  exec(t, text: string, want: string) {
    t.deepEqual(file(text).problems, [want]);
  },
  title: (title) => `syntax error: ${title}`,
});
test('a mapping in a one-line value', syntax, 'a: b: c\n', '1:4 invalid YAML: Nested mappings are not allowed in compact mappings');
test('a more indented key after a scalar', syntax, 'a:\n  b: 1\n   c: 2\n', '2:6 invalid YAML: Nested mappings are not allowed in compact mappings');
test('a key between two indentations', syntax, 'a:\n    b: 1\n  c: 2\n', '3:1 invalid YAML: All mapping items must start at the same column');
test('a key after a sequence at another indentation', syntax, 'a:\n  - 1\n  b: 2\n', '3:1 invalid YAML: All mapping items must start at the same column');
test('a duplicate key in a flow mapping', syntax, 'a: {b: 1, b: 2}\n', '1:11 invalid YAML: Map keys must be unique');
test('a tab as indentation', syntax, 'a:\n\tb: 1\n', '2:1 invalid YAML: Tabs are not allowed as indentation');
test('an alias to nothing', syntax, 'a: *x\n', '1:6 invalid YAML: unidentified alias "x"');
test('a tag outside the core schema', syntax, 'a: !!timestamp 2001-12-14\n', '1:26 invalid YAML: unknown tag !<tag:yaml.org,2002:timestamp>');

test('no prefix of a real spec file makes parsing or placing throw', (t) => {
  const text = readFileSync(fileURLToPath(new URL('../fixtures/valid/every-field.yaml', import.meta.url)), 'utf8');
  let placedSome = 0;
  for (let n = 0; n <= text.length; n += 3) {
    const part = text.slice(0, n);
    const r = parseYamlFile(part, DEFAULT_LIMITS);
    for (const d of r.docs) {
      const p = d.locate(['spec', 'vault', 'secrets', 0, 'env'], 'key');
      t.true(p.line >= 1 && p.col >= 1 && p.line <= part.split('\n').length + 1, `prefix ${n}: ${p.line}:${p.col}`);
      placedSome++;
    }
  }
  t.true(placedSome > 100);
});
