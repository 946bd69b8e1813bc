// A small subset of Consul's `?filter=` expression language, enough for the lookups drover makes:
// clauses joined by `and`, each `Sel == "v"`, `Sel != "v"`, `"v" in Sel`, `"v" not in Sel`,
// `Sel contains "v"`, `Sel is empty`, `Sel is not empty`; selectors are dotted field paths with
// `Meta.key` or `Meta["key"]`. Anything else is refused with a 400, never silently matched.

type Pred = (obj: Record<string, unknown>) => boolean;

const CLAUSE = [
  { re: /^(\S+)\s*(==|!=)\s*"((?:[^"\\]|\\.)*)"$/, build: (m: RegExpExecArray): Pred => {
    const sel = m[1]!; const want = unquote(m[3]!); const eq = m[2] === '==';
    return (o) => (String(select(o, sel) ?? '') === want) === eq;
  } },
  { re: /^"((?:[^"\\]|\\.)*)"\s+(not\s+in|in)\s+(\S+)$/, build: (m: RegExpExecArray): Pred => {
    const want = unquote(m[1]!); const neg = m[2] !== 'in'; const sel = m[3]!;
    return (o) => contains(select(o, sel), want) !== neg;
  } },
  { re: /^(\S+)\s+(not\s+contains|contains)\s+"((?:[^"\\]|\\.)*)"$/, build: (m: RegExpExecArray): Pred => {
    const sel = m[1]!; const neg = m[2] !== 'contains'; const want = unquote(m[3]!);
    return (o) => contains(select(o, sel), want) !== neg;
  } },
  { re: /^(\S+)\s+is\s+(not\s+)?empty$/, build: (m: RegExpExecArray): Pred => {
    const sel = m[1]!; const neg = Boolean(m[2]);
    return (o) => isEmpty(select(o, sel)) !== neg;
  } },
];

/** Compiles a filter, or returns the reason it is not supported. */
export function compileFilter(expr: string): Pred | string {
  const clauses = expr.split(/\s+and\s+/).map((c) => c.trim()).filter(Boolean);
  if (clauses.length === 0) return 'Failed to create boolean expression evaluator: empty filter';
  const preds: Pred[] = [];
  for (const c of clauses) {
    const hit = CLAUSE.map((k) => ({ k, m: k.re.exec(c) })).find((x) => x.m);
    if (!hit?.m) return `Failed to create boolean expression evaluator: unsupported filter clause ${JSON.stringify(c)}`;
    preds.push(hit.k.build(hit.m));
  }
  return (o) => preds.every((p) => p(o));
}

function unquote(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

function select(o: Record<string, unknown>, sel: string): unknown {
  const parts = sel.replace(/\["((?:[^"\\]|\\.)*)"\]/g, (_m, k: string) => `.${unquote(k)}`).split('.');
  let cur: unknown = o;
  for (const p of parts) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function contains(v: unknown, want: string): boolean {
  if (Array.isArray(v)) return v.map(String).includes(want);
  if (v && typeof v === 'object') return want in v;
  if (typeof v === 'string') return v.includes(want);
  return false;
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}
