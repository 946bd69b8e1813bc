// A Map that also keeps its values grouped by a secondary key (e.g. namespace + job ID), so the
// simulator answers "everything of this job" without scanning every object in the store. The
// groups follow every set/delete/clear, and each group keeps the Map's own insertion order.
export class GroupedMap<V> extends Map<string, V> {
  private readonly groups = new Map<string, Map<string, V>>();
  /** the group each primary key is filed under, and when the key entered the Map */
  private readonly filed = new Map<string, { group: string; seq: number }>();
  private seq = 0;

  constructor(private readonly groupKey: (v: V) => string) {
    super();
  }

  override set(k: string, v: V): this {
    // Map's constructor never calls set without an iterable, but guard the fields anyway.
    if (this.groups) this.file(k, v);
    return super.set(k, v);
  }

  override delete(k: string): boolean {
    const f = this.filed.get(k);
    if (f) {
      this.unfile(f.group, k);
      this.filed.delete(k);
    }
    return super.delete(k);
  }

  override clear(): void {
    this.groups.clear();
    this.filed.clear();
    super.clear();
  }

  /** The values of one group, in the order iterating the Map gives them. */
  group(g: string): V[] {
    const m = this.groups.get(g);
    return m ? [...m.values()] : [];
  }

  private file(k: string, v: V): void {
    const g = this.groupKey(v);
    const f = this.filed.get(k);
    if (f && f.group === g) {
      this.groups.get(g)!.set(k, v);
      return;
    }
    let m = this.groups.get(g);
    if (!m) this.groups.set(g, (m = new Map()));
    if (!f) {
      this.filed.set(k, { group: g, seq: this.seq++ });
      m.set(k, v);
      return;
    }
    // A key that changes group keeps its place in the Map, so it is slotted in by age (rare).
    this.unfile(f.group, k);
    f.group = g;
    m.set(k, v);
    const sorted = [...m].sort(([a], [b]) => this.filed.get(a)!.seq - this.filed.get(b)!.seq);
    m.clear();
    for (const [key, val] of sorted) m.set(key, val);
  }

  private unfile(g: string, k: string): void {
    const m = this.groups.get(g);
    if (!m) return;
    m.delete(k);
    if (m.size === 0) this.groups.delete(g);
  }
}
