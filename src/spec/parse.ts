// YAML text → documents with positions, under the load limits. Cheap pre-scans (size, document markers,
// flow nesting) run before any parser so a hostile file is refused before it costs anything. Plain specs
// go through fast-yaml.ts; everything else through eemeli/yaml, with alias expansion capped. Positions
// come from eemeli/yaml, parsed again lazily only when a problem must be placed. Never throws.
import { LineCounter, parseAllDocuments, isCollection, isPair, type Document, type Node } from 'yaml';
import type { LoadLimits } from './limits.js';
import { offsetPos, positionOf, type Anchor, type Seg } from './paths.js';
import { fastParseDocuments } from './fast-yaml.js';

export type Locate = (segs: readonly Seg[], anchor?: Anchor) => { line: number; col: number };

export interface ParsedDoc {
  data: unknown;
  /** 1-based position of the document's content */
  line: number;
  col: number;
  /** positions of fields in this document */
  locate: Locate;
  /** the same, holding no parsed tree (re-parses the file on first use): for documents kept long */
  relocate: Locate;
}

export interface FileProblem {
  line: number;
  col: number;
  message: string;
  severity: 'error' | 'warning';
}

export interface ParsedFile {
  docs: ParsedDoc[];
  problems: FileProblem[];
  /** true when (part of) the file could not be read: apps it defined must not be pruned */
  broken: boolean;
}

/** Flow nesting found by the pre-scan above which the parser is not even started. */
const PRESCAN_DEPTH_FLOOR = 1000;

export function parseYamlFile(text: string, limits: LoadLimits): ParsedFile {
  const refuse = (message: string): ParsedFile => ({ docs: [], problems: [{ line: 1, col: 1, message, severity: 'error' }], broken: true });
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.maxFileBytes) return refuse(`file is ${bytes} bytes; the limit is ${limits.maxFileBytes}`);
  if (countDocumentMarkers(text) > limits.maxDocumentsPerFile) return refuse(`more than ${limits.maxDocumentsPerFile} YAML documents in one file`);
  if (flowDepth(text) > Math.max(PRESCAN_DEPTH_FLOOR, limits.maxDepth)) return refuse(`nesting is deeper than ${limits.maxDepth} levels`);

  const fast = fastParseDocuments(text);
  if (fast) return fromFastPath(text, fast, limits);

  const lc = new LineCounter();
  let docs: Document.Parsed[];
  try {
    docs = withFastEnv(() => parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true }) as Document.Parsed[]);
  } catch (e) {
    return refuse(`cannot parse YAML: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (docs.length > limits.maxDocumentsPerFile) return refuse(`more than ${limits.maxDocumentsPerFile} YAML documents in one file`);

  const out: ParsedFile = { docs: [], problems: [], broken: false };
  const relocators = fileRelocators(text);
  docs.forEach((doc, i) => readDocument(doc, lc, limits, out, relocators(i)));
  return out;
}

function fromFastPath(text: string, docs: ReturnType<typeof fastParseDocuments> & object, limits: LoadLimits): ParsedFile {
  const out: ParsedFile = { docs: [], problems: [], broken: false };
  if (docs.length > limits.maxDocumentsPerFile) return { ...out, broken: true, problems: [{ line: 1, col: 1, message: `more than ${limits.maxDocumentsPerFile} YAML documents in one file`, severity: 'error' }] };
  const relocators = fileRelocators(text);
  docs.forEach((d, i) => {
    if (d.data === null) return;
    if (dataDepth(d.data) > limits.maxDepth) {
      out.problems.push({ line: d.line, col: d.col, message: `nesting is deeper than ${limits.maxDepth} levels`, severity: 'error' });
      out.broken = true;
      return;
    }
    const relocate = relocators(i, d);
    out.docs.push({ data: d.data, line: d.line, col: d.col, locate: relocate, relocate });
  });
  return out;
}

/** Per file: locators for document i that parse the file with positions only when first asked. */
function fileRelocators(text: string): (index: number, start?: { line: number; col: number }) => Locate {
  let parsed: { docs: Document.Parsed[]; lc: LineCounter } | undefined;
  return (index, start) => (segs, anchor) => {
    if (!parsed) {
      const lc = new LineCounter();
      parsed = { lc, docs: withFastEnv(() => parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true }) as Document.Parsed[]) };
    }
    const doc = parsed.docs[index];
    return doc ? positionOf(doc, parsed.lc, segs, anchor) : (start ?? { line: 1, col: 1 });
  };
}

function dataDepth(root: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    if (d > max) max = d;
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

function readDocument(doc: Document.Parsed, lc: LineCounter, limits: LoadLimits, out: ParsedFile, relocate: Locate): void {
  for (const w of doc.warnings) out.problems.push({ ...offsetPos(lc, w.pos[0]), message: oneLine(w.message), severity: 'warning' });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) out.problems.push({ ...offsetPos(lc, e.pos[0]), message: `invalid YAML: ${oneLine(e.message)}`, severity: 'error' });
    out.broken = true;
    return;
  }
  const contents = doc.contents as Node | null;
  if (!contents || (!isCollection(contents) && (contents as { value?: unknown }).value == null)) return; // empty document
  const start = offsetPos(lc, contents.range?.[0] ?? 0);
  if (depthOf(contents) > limits.maxDepth) {
    out.problems.push({ ...start, message: `nesting is deeper than ${limits.maxDepth} levels`, severity: 'error' });
    out.broken = true;
    return;
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: limits.maxAliasCount });
  } catch (e) {
    const alias = e instanceof ReferenceError && /alias/i.test(e.message);
    const message = alias ? `YAML aliases expand beyond the limit (${limits.maxAliasCount}); refusing a possible "billion laughs" document` : `cannot read YAML: ${oneLine(e instanceof Error ? e.message : String(e))}`;
    out.problems.push({ ...start, message, severity: 'error' });
    out.broken = true;
    return;
  }
  out.docs.push({ data, ...start, locate: (segs, anchor) => positionOf(doc, lc, segs, anchor), relocate });
}

/**
 * The yaml parser reads process.env.LOG_TOKENS once per token, and every process.env read is a call into
 * the C++ environment (~0.5-1 µs): that alone was most of the time for 10,000 apps. For the duration of
 * the synchronous parse, process.env is an object that answers the two debug variables itself and
 * everything else from the real environment (its prototype); it is restored before anything else runs.
 */
function withFastEnv<T>(fn: () => T): T {
  const real = process.env;
  process.env = Object.create(real, {
    LOG_TOKENS: { value: real.LOG_TOKENS, enumerable: true },
    LOG_STREAM: { value: real.LOG_STREAM, enumerable: true },
  }) as NodeJS.ProcessEnv;
  try {
    return fn();
  } finally {
    process.env = real;
  }
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

/** Upper bound of the document count: each `---` line starts a document. */
function countDocumentMarkers(text: string): number {
  let n = 0;
  const re = /^---(?=[ \t\r\n]|$)/gm;
  while (re.exec(text) !== null) n++;
  return n;
}

/** Deepest [ / { nesting outside quotes and comments; a cheap over-estimate used only as a guard. */
function flowDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = '';
      continue;
    }
    const prev = i === 0 ? '\n' : text[i - 1]!;
    if (c === '#' && /\s/.test(prev)) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
    } else if ((c === '"' || c === "'") && /[\s[{,:]/.test(prev)) quote = c;
    else if (c === '[' || c === '{') max = Math.max(max, ++depth);
    else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return max;
}

/** Nesting depth of collections (a top-level mapping is 1), without recursion. */
function depthOf(root: Node): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [node, d] = stack.pop()!;
    if (!isCollection(node)) continue;
    if (d > max) max = d;
    for (const item of node.items as unknown[]) {
      if (isPair(item)) {
        stack.push([item.key, d + 1], [item.value, d + 1]);
      } else stack.push([item, d + 1]);
    }
  }
  return max;
}
