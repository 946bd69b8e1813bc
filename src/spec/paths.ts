// Field paths and source positions: turns a path such as ['spec','vault','secrets',0,'env','DB_PASS'] into
// the printed form `spec.vault.secrets[0].env.DB_PASS` and into the 1-based line:col of the YAML node.
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export type Seg = string | number;

/** Which node a problem points at: the value, the key of the last segment, or the mapping holding it. */
export type Anchor = 'value' | 'key' | 'parent';

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function formatPath(segs: readonly Seg[]): string {
  let out = '';
  for (const s of segs) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (PLAIN_KEY.test(s)) out += out ? `.${s}` : s;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** Nodes along `segs` from the document root: [root, child, ...]; stops where the path leaves the document. */
function walk(doc: Document, segs: readonly Seg[]): { nodes: Node[]; lastKey?: Node } {
  const nodes: Node[] = [];
  let cur: unknown = doc.contents;
  let lastKey: Node | undefined;
  for (let i = 0; ; i++) {
    if (isAlias(cur)) cur = cur.resolve(doc);
    if (!cur || typeof cur !== 'object') break;
    nodes.push(cur as Node);
    if (i === segs.length) break;
    const seg = segs[i]!;
    let next: unknown;
    if (isMap(cur)) {
      const pair = cur.items.find((p) => isPair(p) && keyText(p.key) === String(seg));
      if (!pair) break;
      if (i === segs.length - 1 && pair.key && typeof pair.key === 'object') lastKey = pair.key as Node;
      next = pair.value;
    } else if (isSeq(cur) && typeof seg === 'number') {
      next = cur.items[seg];
    }
    if (next === undefined || next === null) break;
    cur = next;
  }
  return { nodes, lastKey };
}

function keyText(k: unknown): string | undefined {
  if (isScalar(k)) return String(k.value);
  return typeof k === 'string' ? k : undefined;
}

/** 1-based line and column of the node `anchor` selects, falling back to the deepest node that exists. */
export function positionOf(doc: Document, lc: LineCounter, segs: readonly Seg[], anchor: Anchor = 'value'): { line: number; col: number } {
  const { nodes, lastKey } = walk(doc, segs);
  let node: Node | undefined;
  if (anchor === 'key' && lastKey) node = lastKey;
  else if (anchor === 'parent') node = nodes[Math.min(nodes.length - 1, Math.max(0, segs.length - 1))];
  else node = nodes[nodes.length - 1];
  return offsetPos(lc, node?.range?.[0] ?? 0);
}

export function offsetPos(lc: LineCounter, offset: number): { line: number; col: number } {
  const p = lc.linePos(offset);
  return { line: p.line, col: p.col };
}
