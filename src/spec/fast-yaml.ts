// A fast path for the plain YAML that App specs are made of: block mappings and sequences, one-line flow
// lists/maps of scalars, plain and simply-quoted scalars, comments and `---`. Anything else (anchors,
// aliases, tags, block scalars, multi-line scalars, tabs, CRLF, directives, unusual escapes, duplicate
// keys) makes it return undefined and the caller uses the full `yaml` parser instead, which also
// supplies positions whenever a problem must be placed. Scalars resolve exactly as the YAML 1.2 core
// schema does in eemeli/yaml; test/spec/fast-yaml.test.ts checks both agree on every fixture.
// Why: eemeli/yaml costs ~0.3 ms per App document, which made 10,000 apps take seconds.

export interface FastDoc {
  data: unknown;
  /** 1-based position of the document's first content line */
  line: number;
  col: number;
}

interface Line {
  indent: number;
  text: string;
  /** 1-based line number in the file */
  no: number;
}

class Decline extends Error {}
const decline = (): never => {
  throw new Decline();
};

/** All documents of `text`, or undefined when the text is outside the supported subset. */
export function fastParseDocuments(text: string): FastDoc[] | undefined {
  if (/[\t\r\0]/.test(text) || /^%/m.test(text)) return undefined;
  try {
    const docs: FastDoc[] = [];
    let cur: Line[] = [];
    let started = false;
    const flush = () => {
      if (cur.length > 0) docs.push(parseDoc(cur));
      else if (started) docs.push({ data: null, line: 0, col: 0 });
      cur = [];
    };
    const raw = text.split('\n');
    for (let i = 0; i < raw.length; i++) {
      const s = raw[i]!;
      if (s.startsWith('---')) {
        if (s.length > 3 && !/^---\s*(#.*)?$/.test(s)) return undefined;
        flush();
        started = true;
        continue;
      }
      if (s.startsWith('...')) return undefined;
      const body = stripComment(s);
      if (body.trim() === '') continue;
      const indent = body.length - body.trimStart().length;
      cur.push({ indent, text: body.trimEnd().slice(indent), no: i + 1 });
    }
    flush();
    return docs;
  } catch (e) {
    if (e instanceof Decline) return undefined;
    throw e;
  }
}

function stripComment(s: string): string {
  const hash = s.indexOf('#');
  if (hash < 0) return s;
  if (/["']/.test(s)) return decline(); // a '#' and a quote on one line: leave it to the real parser
  for (let i = hash; i >= 0; i = s.indexOf('#', i + 1)) {
    if (i === 0 || s[i - 1] === ' ') return s.slice(0, i);
  }
  return s;
}

function parseDoc(lines: Line[]): FastDoc {
  const first = lines[0]!;
  const [data, next] = parseBlock(lines, 0, first.indent);
  if (next !== lines.length) decline();
  return { data, line: first.no, col: first.indent + 1 };
}

const SEQ_ITEM = /^-( +|$)/;
const KEY = /^(?:([A-Za-z0-9_][A-Za-z0-9_./-]*)|"([^"\\]*)"|'([^']*)')[ ]*:(?: +(.*))?$/;

function parseBlock(lines: Line[], i: number, indent: number): [unknown, number] {
  return SEQ_ITEM.test(lines[i]!.text) ? parseSeq(lines, i, indent) : parseMap(lines, i, indent);
}

function parseMap(lines: Line[], i: number, indent: number): [unknown, number] {
  const out: Record<string, unknown> = {};
  while (i < lines.length && lines[i]!.indent === indent && !SEQ_ITEM.test(lines[i]!.text)) {
    const m = KEY.exec(lines[i]!.text) ?? decline();
    const key = m[1] !== undefined ? plainKey(m[1]) : (m[2] ?? m[3]!);
    if (Object.hasOwn(out, key) || key === '__proto__') decline();
    const rest = m[4];
    i++;
    if (rest !== undefined && rest !== '') {
      out[key] = inlineValue(rest);
      if (i < lines.length && lines[i]!.indent > indent) decline(); // multi-line plain scalar
    } else if (i < lines.length && lines[i]!.indent > indent) {
      [out[key], i] = parseBlock(lines, i, lines[i]!.indent);
    } else if (i < lines.length && lines[i]!.indent === indent && SEQ_ITEM.test(lines[i]!.text)) {
      [out[key], i] = parseSeq(lines, i, indent);
    } else {
      out[key] = null;
    }
  }
  if (i < lines.length && lines[i]!.indent > indent) decline();
  return [out, i];
}

function parseSeq(lines: Line[], i: number, indent: number): [unknown, number] {
  const out: unknown[] = [];
  while (i < lines.length && lines[i]!.indent === indent && SEQ_ITEM.test(lines[i]!.text)) {
    const line = lines[i]!;
    const m = SEQ_ITEM.exec(line.text)!;
    const rest = line.text.slice(m[0].length);
    if (rest === '') {
      i++;
      if (i < lines.length && lines[i]!.indent > indent) [out[out.length], i] = parseBlock(lines, i, lines[i]!.indent);
      else out.push(null);
    } else if (SEQ_ITEM.test(rest) || KEY.test(rest)) {
      // `- key: v` / `- - x`: the item is a block that starts at the column after "- "
      lines[i] = { indent: indent + m[0].length, text: rest, no: line.no };
      const [v, next] = parseBlock(lines, i, indent + m[0].length);
      out.push(v);
      i = next;
    } else {
      out.push(inlineValue(rest));
      i++;
      if (i < lines.length && lines[i]!.indent > indent) decline();
    }
  }
  return [out, i];
}

function inlineValue(s: string): unknown {
  const c = s[0];
  if (c === '[' || c === '{') return flowCollection(s);
  if (c === '"' || c === "'") {
    const [v, end] = quoted(s, 0);
    if (end !== s.length) decline();
    return v;
  }
  return plainScalar(s, false);
}

function flowCollection(s: string): unknown {
  const [v, end] = flowValue(s, 0);
  if (end !== s.length) decline();
  return v;
}

const skip = (s: string, i: number): number => {
  while (s[i] === ' ') i++;
  return i;
};
const FLOW_KEY = /([A-Za-z0-9_][A-Za-z0-9_./-]*): +/y;

/** One flow value starting at s[i] (after spaces): a list, a map, a quoted or a plain scalar. */
function flowValue(s: string, i: number): [unknown, number] {
  i = skip(s, i);
  const c = s[i];
  if (c === '[') {
    const out: unknown[] = [];
    for (i = skip(s, i + 1); s[i] !== ']'; ) {
      const [v, j] = flowValue(s, i);
      out.push(v);
      i = skip(s, j);
      if (s[i] === ',') i = skip(s, i + 1);
      else if (s[i] !== ']') decline();
    }
    return [out, i + 1];
  }
  if (c === '{') {
    const out: Record<string, unknown> = {};
    for (i = skip(s, i + 1); s[i] !== '}'; ) {
      FLOW_KEY.lastIndex = i;
      const m = FLOW_KEY.exec(s) ?? decline();
      const key = plainKey(m[1]!);
      if (Object.hasOwn(out, key) || key === '__proto__') decline();
      const [v, j] = flowValue(s, FLOW_KEY.lastIndex);
      out[key] = v;
      i = skip(s, j);
      if (s[i] === ',') i = skip(s, i + 1);
      else if (s[i] !== '}') decline();
    }
    return [out, i + 1];
  }
  if (c === '"' || c === "'") return quoted(s, i);
  let j = i;
  while (j < s.length && s[j] !== ',' && s[j] !== ']' && s[j] !== '}') j++;
  const raw = s.slice(i, j).trimEnd();
  if (raw === '' || /[[{]/.test(raw)) decline();
  return [plainScalar(raw, true), j];
}

/** A quoted scalar starting at s[i]; returns its value and the index after the closing quote. */
function quoted(s: string, i: number): [string, number] {
  const q = s[i]!;
  let out = '';
  for (let j = i + 1; j < s.length; j++) {
    const c = s[j]!;
    if (q === "'" && c === "'") {
      if (s[j + 1] === "'") {
        out += "'";
        j++;
        continue;
      }
      return [out, j + 1];
    }
    if (q === '"' && c === '"') return [out, j + 1];
    if (q === '"' && c === '\\') {
      const e = s[++j];
      const map: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t', '/': '/' };
      out += map[e ?? ''] ?? decline();
      continue;
    }
    out += c;
  }
  return decline();
}

/** A plain key that would resolve to null, a boolean or a number is left to the real parser. */
function plainKey(k: string): string {
  return typeof plainScalar(k, false) === 'string' ? k : decline();
}

const INT = /^[-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;

function plainScalar(s: string, inFlow: boolean): unknown {
  if (s === '' || s === '~' || s === 'null' || s === 'Null' || s === 'NULL') return null;
  if (s === 'true' || s === 'True' || s === 'TRUE') return true;
  if (s === 'false' || s === 'False' || s === 'FALSE') return false;
  if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(s) && !/^-[0-9.]/.test(s)) decline();
  if (s.includes(': ') || s.endsWith(':') || s.includes(' #') || (inFlow && /[,[\]{}]/.test(s))) decline();
  if (INT.test(s)) {
    const n = Number(s);
    return Number.isSafeInteger(n) ? n : decline();
  }
  if (FLOAT.test(s)) return Number(s);
  if (/^[-+]?(\.inf|\.Inf|\.INF|\.nan|\.NaN|\.NAN)$/.test(s) || /^0[ox]/.test(s)) decline();
  return s;
}
