// YAML text → documents with positions, under the load limits. Cheap pre-scans (size, document markers,
// flow nesting) run before the parser so a hostile file is refused before it costs anything; js-yaml
// (yaml.ts) then reads every document while its listener guards document count, depth and alias
// expansion. Positions are found only when a problem must be placed. Never throws.
import type { LoadLimits } from './limits.js';
import { fileLocators, readYaml, type Locate, type YamlGuards } from './yaml.js';

export type { Locate } from './yaml.js';

export interface ParsedDoc {
  data: unknown;
  /** 1-based position of the document's content */
  line: number;
  col: number;
  /** positions of fields in this document; holds no parsed tree until first used */
  locate: Locate;
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

  const guards: YamlGuards = { maxDocuments: limits.maxDocumentsPerFile, maxDepth: limits.maxDepth, maxAliasCount: limits.maxAliasCount };
  const read = readYaml(text, guards);
  const out: ParsedFile = { docs: [], problems: read.warnings.map((w) => ({ ...w, severity: 'warning' })), broken: false };
  const locators = fileLocators(text, guards);
  read.docs.forEach((d, i) => {
    if (d.refused !== undefined) {
      out.problems.push({ line: d.line, col: d.col, message: d.refused, severity: 'error' });
      out.broken = true;
    } else if (d.data != null) {
      out.docs.push({ data: d.data, line: d.line, col: d.col, locate: locators(i, d) });
    }
  });
  if (read.error) {
    out.problems.push({ ...read.error, severity: 'error' });
    out.broken = true;
  }
  return out;
}

/** A cheap count of documents before parsing (each `---` line starts one); the parser counts exactly. */
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
