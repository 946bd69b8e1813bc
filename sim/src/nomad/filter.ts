// The subset of Nomad's `filter=` expression language (go-bexpr) the simulator supports:
//   <selector> == "<value>" | <selector> != "<value>" | "<value>" in <selector> | <selector> contains "<value>"
// joined by `and` / `or` (and binds tighter; no parentheses, no `not`). Selectors: `Field`,
// `Field.Sub`, `Meta["key"]`, `Meta.key`. Anything else is rejected with a 400.
import { isObj } from './util.js';

type Pred = (o: unknown) => boolean;

export class FilterError extends Error {}

function select(o: unknown, sel: string[]): unknown {
  let cur: unknown = o;
  for (const s of sel) cur = isObj(cur) ? cur[s] : undefined;
  return cur;
}

function parseSelector(src: string): string[] {
  const out: string[] = [];
  const re = /^(?:([A-Za-z_][A-Za-z0-9_]*)|\["((?:[^"\\]|\\.)*)"\]|\.([A-Za-z0-9_.-]+?)(?=$|\[|\.))/;
  let rest = src.trim();
  if (!rest) throw new FilterError('empty selector');
  while (rest) {
    const m = re.exec(rest);
    if (!m) throw new FilterError(`unsupported selector "${src.trim()}"`);
    out.push(m[1] ?? m[2] ?? m[3]!);
    rest = rest.slice(m[0].length);
  }
  return out;
}

function str(v: string): string {
  return JSON.parse(v) as string;
}

function clause(src: string): Pred {
  const s = src.trim();
  let m = /^(.+?)\s*(==|!=)\s*("(?:[^"\\]|\\.)*")$/.exec(s);
  if (m) {
    const sel = parseSelector(m[1]!);
    const want = str(m[3]!);
    const eq = m[2] === '==';
    return (o) => (String(select(o, sel) ?? '') === want) === eq && (eq ? select(o, sel) !== undefined : true);
  }
  m = /^("(?:[^"\\]|\\.)*")\s+in\s+(.+)$/.exec(s) ?? null;
  const c = /^(.+?)\s+contains\s+("(?:[^"\\]|\\.)*")$/.exec(s);
  if (m || c) {
    const sel = parseSelector(m ? m[2]! : c![1]!);
    const want = str(m ? m[1]! : c![2]!);
    return (o) => {
      const v = select(o, sel);
      if (Array.isArray(v)) return v.includes(want);
      if (isObj(v)) return want in v;
      return typeof v === 'string' && v.includes(want);
    };
  }
  throw new FilterError(`unsupported filter clause "${s}"`);
}

export function compileFilter(expr: string): Pred {
  const ors = expr.split(/\s+or\s+/).map((part) => part.split(/\s+and\s+/).map(clause));
  return (o) => ors.some((ands) => ands.every((p) => p(o)));
}
