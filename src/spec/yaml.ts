// YAML through js-yaml (`loadAll`, the core schema), watched by its `listener` option: every node js-yaml
// composes is opened and closed through the listener, which is how this file learns where documents start,
// how deep collections nest, how many alias expansions a walk of the data would meet, and — on request — the
// source position of every node. js-yaml builds data that shares alias targets (nothing is expanded while
// parsing), so the guards here count what expansion *would* cost instead of letting a walk find out.
// Never throws for any input.
import { CORE_SCHEMA, loadAll, YAMLException, type LoadOptions, type State } from 'js-yaml';
import type { Anchor, Seg } from './paths.js';

export interface YamlGuards {
  maxDocuments: number;
  /** deepest nesting of collections in one document (a top-level mapping is 1) */
  maxDepth: number;
  /** most alias nodes a full walk of one document's data may meet */
  maxAliasCount: number;
}

export interface YamlPos {
  line: number;
  col: number;
}

export interface YamlDoc extends YamlPos {
  data: unknown;
  /** why this document's data is withheld (it was read, but using it would hurt) */
  refused?: string;
}

export interface YamlRead {
  docs: YamlDoc[];
  /** the text could not be read past this point: documents before it are in `docs` */
  error?: YamlPos & { message: string };
  warnings: Array<YamlPos & { message: string }>;
}

/** A node as js-yaml composed it: where it starts and, for collections, its children in source order. */
interface PosNode {
  start: number;
  /** scalars: where the value (quotes included) ends */
  end?: number;
  kind: 'mapping' | 'sequence' | 'scalar' | 'alias' | 'empty';
  value: unknown;
  /** mapping: key, value, key, value …; sequence: the items */
  children?: PosNode[];
  /** alias of a collection: the anchored node */
  target?: PosNode;
}

/** What is known of an anchored collection when an alias names it. */
interface AnchorInfo {
  expansions: number;
  height: number;
  node?: PosNode;
}

/** Thrown from the listener to stop js-yaml early; never leaves this file. */
class Stop extends Error {}

/**
 * Collects, per composed node, what the guards (and optionally the positions) need. js-yaml calls `open`
 * before it reads a node and `close` after; the per-depth arrays are frames of the open nodes.
 */
class Watcher {
  input = '';
  depth = 0;
  readonly docs: Array<YamlDoc & { height: number; expansions: number; recursive: boolean; root?: PosNode }> = [];
  private readonly openAt: number[] = [];
  private readonly expansions: number[] = [];
  private readonly height: number[] = [];
  private readonly lastChild: unknown[] = [];
  private readonly kids: PosNode[][] = [];
  private anchors: Map<object, AnchorInfo> | undefined;

  constructor(private readonly maxDocuments: number, private readonly tree: boolean) {}

  readonly listener = (event: 'open' | 'close', state: State): void => {
    if (event === 'open') this.open(state);
    else this.close(state as WatchedState);
  };

  private open(state: State): void {
    const d = ++this.depth;
    if (d === 1) {
      if (this.docs.length >= this.maxDocuments) throw new Stop('documents');
      this.input = state.input;
      // js-yaml skipped the separation space before a document's root: this is where its content starts
      this.docs.push({ data: null, line: state.line + 1, col: state.position - state.lineStart + 1, height: 0, expansions: 0, recursive: false });
    }
    this.openAt[d] = state.position;
    this.expansions[d] = 0;
    this.height[d] = 0;
    this.lastChild[d] = undefined;
    if (this.tree) this.kids[d] = [];
  }

  private close(state: WatchedState): void {
    const d = this.depth--;
    const doc = this.docs[this.docs.length - 1]!;
    const { kind, result } = state;
    const collection = kind === 'mapping' || kind === 'sequence';
    // js-yaml sometimes composes a node inside a node that then takes its result unchanged (a flow
    // collection or scalar tried as a mapping key first): such a wrapper is the same node, not a level
    const wrapper = collection && this.lastChild[d] === result;
    let expansions = this.expansions[d]!;
    let height = this.height[d]! + (collection && !wrapper ? 1 : 0);
    let alias = false;
    let target: AnchorInfo | undefined;
    if (kind === null && result != null && this.input.charCodeAt(skipSpace(this.input, this.openAt[d]!)) === 0x2a /* * */) {
      alias = true;
      if (typeof result === 'object') {
        target = this.anchors?.get(result);
        // an alias to a collection that has not closed yet is inside it: the data would be a cycle
        if (target === undefined) doc.recursive = true;
      }
      expansions = 1 + (target?.expansions ?? 0); // a wrapped alias is the same alias, counted once
      height = target?.height ?? 0;
    }
    let node: PosNode | undefined;
    if (this.tree) node = this.node(d, kind, result, alias, wrapper, target, state.position);
    if (state.anchor !== null && result !== null && typeof result === 'object') {
      (this.anchors ??= new Map()).set(result, { expansions, height, node });
    }
    if (d > 1) {
      this.expansions[d - 1]! += expansions;
      if (height > this.height[d - 1]!) this.height[d - 1] = height;
      this.lastChild[d - 1] = result;
      if (node) this.kids[d - 1]!.push(node);
    } else {
      doc.data = result;
      doc.height = height;
      doc.expansions = expansions;
      doc.root = node;
    }
  }

  private node(d: number, kind: string | null, value: unknown, alias: boolean, wrapper: boolean, target: AnchorInfo | undefined, end: number): PosNode {
    const kids = this.kids[d]!;
    if (wrapper) return kids[kids.length - 1]!;
    if (alias) return { start: skipProps(this.input, this.openAt[d]!), kind: 'alias', value, target: target?.node };
    // a block mapping ends by trying one more key where the next document (`---`) starts: not a node
    if (kind === 'mapping' && kids.length % 2 === 1 && kids[kids.length - 1]!.kind === 'empty') kids.pop();
    if (kind === 'mapping' || kind === 'sequence') return { start: skipProps(this.input, this.openAt[d]!), kind, value, children: kids };
    // a scalar (a wrapper's children are the scalar itself or a failed first try: not kept)
    if (kind === null && value == null) return { start: skipBlanks(this.input, this.openAt[d]!), kind: 'empty', value };
    return { start: skipProps(this.input, this.openAt[d]!), end, kind: 'scalar', value };
  }

  /** The innermost node still open, with the children it had closed (tree mode): where an error struck. */
  openChildren(): PosNode[] {
    return this.kids[this.depth] ?? [];
  }
}

/** js-yaml's state as the listener sees it; `anchor` is the node's own anchor at close. */
interface WatchedState extends State {
  anchor: string | null;
  kind: string;
}

/** Past spaces and tabs on the same line: where an empty value (`key:`) is placed. */
function skipBlanks(s: string, i: number): number {
  while (s.charCodeAt(i) === 0x20 || s.charCodeAt(i) === 0x09) i++;
  return i;
}

function skipSpace(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
    else if (c === 0x23 /* # */) {
      while (i < s.length && s.charCodeAt(i) !== 0x0a && s.charCodeAt(i) !== 0x0d) i++;
    } else return i;
  }
}

/** Past the separation space and any `&anchor` / `!tag` properties: where the node's content begins. */
function skipProps(s: string, i: number): number {
  for (i = skipSpace(s, i); ; i = skipSpace(s, i)) {
    const c = s.charCodeAt(i);
    if (c !== 0x26 /* & */ && c !== 0x21 /* ! */) return i;
    while (i < s.length && !/[\s]/.test(s[i]!)) i++;
  }
}

function parse(text: string, guards: YamlGuards, tree: boolean): { watcher: Watcher; error?: unknown; warnings: YAMLException[] } {
  const watcher = new Watcher(guards.maxDocuments, tree);
  const warnings: YAMLException[] = [];
  try {
    loadAll(text, null, {
      schema: CORE_SCHEMA,
      listener: watcher.listener,
      onWarning: (w: YAMLException) => warnings.push(w),
      // a backstop far beyond the limit (js-yaml counts every composed node, wrappers included): the
      // exact collection depth is measured by the watcher, document by document
      maxDepth: 2 * guards.maxDepth + 4,
    } as LoadOptions);
    return { watcher, warnings };
  } catch (error) {
    return { watcher, error, warnings };
  }
}

/** Reads every document of `text` under the guards. */
export function readYaml(text: string, guards: YamlGuards): YamlRead {
  const { watcher, error, warnings } = parse(text, guards, false);
  const out: YamlRead = { docs: [], warnings: warnings.map((w) => ({ ...markPos(w), message: oneLine(w.reason) })) };
  if (error instanceof Stop) return { ...out, error: { line: 1, col: 1, message: `more than ${guards.maxDocuments} YAML documents in one file` } };
  // after an error, the document it struck in is incomplete even if its root had closed
  const complete = error === undefined ? watcher.docs : watcher.docs.slice(0, -1);
  for (const d of complete) {
    const refused =
      d.height > guards.maxDepth ? `nesting is deeper than ${guards.maxDepth} levels`
      : d.recursive ? 'a YAML alias refers to a node that contains it; the data would be endless'
      : d.expansions > guards.maxAliasCount ? `YAML aliases expand beyond the limit (${guards.maxAliasCount}); refusing a possible "billion laughs" document`
      : undefined;
    out.docs.push(refused === undefined ? { data: d.data, line: d.line, col: d.col } : { data: null, line: d.line, col: d.col, refused });
  }
  if (error !== undefined) out.error = describeError(text, guards, error, watcher);
  return out;
}

function describeError(text: string, guards: YamlGuards, error: unknown, watcher: Watcher): YamlPos & { message: string } {
  const docStart = watcher.docs[watcher.docs.length - 1] ?? { line: 1, col: 1 };
  if (!(error instanceof YAMLException)) {
    return { line: 1, col: 1, message: `cannot parse YAML: ${oneLine(error instanceof Error ? error.message : String(error))}` };
  }
  if (/^nesting exceeded maxDepth/.test(error.reason)) return { line: docStart.line, col: docStart.col, message: `nesting is deeper than ${guards.maxDepth} levels` };
  const at = markPos(error);
  if (error.reason === 'bad indentation of a mapping entry') return badIndentation(text, guards, error, at);
  const said = REASONS[error.reason];
  return { ...at, message: `invalid YAML: ${said ?? oneLine(error.reason)}` };
}

/** js-yaml's words → drover's, where drover says it more plainly (the rest are passed on as they are). */
const REASONS: Record<string, string> = {
  'duplicated mapping key': 'Map keys must be unique',
  'tab characters must not be used in indentation': 'Tabs are not allowed as indentation',
};

/**
 * js-yaml reports one reason for two different mistakes after a mapping entry:
 * - `key: value` followed by a more indented `other: x` (js-yaml read `value other` as one plain scalar and
 *   then met the `:`): a mapping nested in a one-line value. Pointed at the value, where it went wrong.
 * - a line whose key sits at another column than its siblings. Pointed at the start of that line.
 */
function badIndentation(text: string, guards: YamlGuards, error: YAMLException, at: YamlPos): YamlPos & { message: string } {
  const m = error.mark;
  const lineText = m.buffer.slice(m.position - m.column).split(/\r?\n|\r/, 1)[0] ?? '';
  const indent = lineText.length - lineText.trimStart().length;
  if (m.buffer.charCodeAt(m.position) === 0x3a /* : */) {
    // parse again with positions to find the value that swallowed the line
    const { watcher } = parse(text, guards, true);
    const kids = watcher.openChildren();
    const value = kids[kids.length - 1];
    if (value) return { ...lineCol(watcher.input, value.start), message: 'invalid YAML: Nested mappings are not allowed in compact mappings' };
  }
  if (m.column === indent) return { line: m.line + 1, col: 1, message: 'invalid YAML: All mapping items must start at the same column' };
  return { ...at, message: `invalid YAML: ${error.reason}` };
}

function markPos(e: YAMLException): YamlPos {
  return { line: e.mark.line + 1, col: e.mark.column + 1 };
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

export type Locate = (segs: readonly Seg[], anchor?: Anchor) => YamlPos;

/** One scalar value of a document (never a mapping key), where it sits in the text. */
export interface ScalarRange {
  /** the mapping keys and sequence indexes that lead to it */
  path: (string | number)[];
  start: number;
  end: number;
  value: unknown;
}

/**
 * Every scalar value of every document with its exact source range (for redacting values in a file shown
 * to people); undefined when the text does not read cleanly. Aliases are not followed.
 */
export function scalarRanges(text: string, guards: YamlGuards): ScalarRange[][] | undefined {
  const { watcher, error } = parse(text, guards, true);
  if (error !== undefined) return undefined;
  return watcher.docs.map((d) => {
    const out: ScalarRange[] = [];
    const walk = (n: PosNode | undefined, path: (string | number)[]) => {
      if (!n) return;
      if (n.kind === 'scalar' && n.end !== undefined) out.push({ path, start: n.start, end: n.end, value: n.value });
      const kids = n.children ?? [];
      if (n.kind === 'mapping') for (let k = 0; k + 1 < kids.length; k += 2) walk(kids[k + 1], [...path, String(kids[k]!.value)]);
      if (n.kind === 'sequence') kids.forEach((c, i) => walk(c, [...path, i]));
    };
    walk(d.root, []);
    return out;
  });
}

/**
 * Positions for the documents of one file: the file is parsed again, with a node tree, the first time any
 * of its documents is asked — most files never are, and a kept tree per file costs more than a re-parse.
 */
export function fileLocators(text: string, guards: YamlGuards): (index: number, fallback: YamlPos) => Locate {
  let tree: { input: string; roots: Array<PosNode | undefined>; lines?: number[] } | undefined;
  return (index, fallback) => (segs, anchor = 'value') => {
    if (!tree) {
      const { watcher } = parse(text, guards, true);
      tree = { input: watcher.input, roots: watcher.docs.map((d) => d.root) };
    }
    const root = tree.roots[index];
    if (!root) return fallback;
    tree.lines ??= lineStarts(tree.input);
    return offsetPos(tree.lines, positionIn(root, segs, anchor));
  };
}

/** The offset of the node `anchor` selects along `segs`, falling back to the deepest node that exists. */
function positionIn(root: PosNode, segs: readonly Seg[], anchor: Anchor): number {
  const nodes: PosNode[] = [];
  let lastKey: PosNode | undefined;
  let cur: PosNode | undefined = root;
  for (let i = 0; cur; i++) {
    if (cur.kind === 'alias' && cur.target) cur = cur.target;
    nodes.push(cur);
    if (i === segs.length) break;
    const seg = segs[i]!;
    let next: PosNode | undefined;
    const kids = cur.children;
    if (cur.kind === 'mapping' && kids && kids.length === 2 * Object.keys(cur.value as object).length) {
      for (let k = 0; k < kids.length; k += 2) {
        if (String(kids[k]!.value) === String(seg)) {
          if (i === segs.length - 1) lastKey = kids[k];
          next = kids[k + 1];
          break;
        }
      }
    } else if (cur.kind === 'sequence' && kids && typeof seg === 'number' && kids.length === (cur.value as unknown[]).length) {
      next = kids[seg];
    }
    cur = next;
  }
  let node: PosNode | undefined;
  if (anchor === 'key' && lastKey) node = lastKey;
  else if (anchor === 'parent') node = nodes[Math.min(nodes.length - 1, Math.max(0, segs.length - 1))];
  else node = nodes[nodes.length - 1];
  return node?.start ?? 0;
}

function lineStarts(s: string): number[] {
  const out = [0];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x0a || (c === 0x0d && s.charCodeAt(i + 1) !== 0x0a)) out.push(i + 1);
  }
  return out;
}

function lineCol(input: string, offset: number): YamlPos {
  return offsetPos(lineStarts(input), offset);
}

function offsetPos(lines: number[], offset: number): YamlPos {
  let lo = 0;
  let hi = lines.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lines[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, col: offset - lines[lo]! + 1 };
}
