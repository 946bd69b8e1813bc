// The plan endpoint's answer: the structural diff plus the scheduler's DesiredTGUpdates (what it
// would place, stop, update in place or destructively) and the per-group `Updates` annotation.
import type { JobDiff } from '../../core/nomad-types.js';
import { groupChange } from './diff.js';
import type { Alloc } from './state.js';
import type { Obj } from './util.js';

const KEYS = ['Ignore', 'Place', 'Migrate', 'Stop', 'InPlaceUpdate', 'DestructiveUpdate', 'Canary', 'Preemptions', 'Disconnect', 'Reconnect', 'RescheduleNow', 'RescheduleLater'] as const;
type Desired = Record<(typeof KEYS)[number], number>;

function empty(): Desired {
  return Object.fromEntries(KEYS.map((k) => [k, 0])) as Desired;
}

export function desiredUpdates(existing: Obj | undefined, next: Obj, live: Alloc[]): Record<string, Desired> {
  const out: Record<string, Desired> = {};
  const running = existing && !existing.Stop ? live : [];
  const prev = new Map(((existing?.TaskGroups as Obj[] | null) ?? []).map((g) => [String(g.Name), g]));
  for (const g of (next.TaskGroups as Obj[] | null) ?? []) {
    const name = String(g.Name);
    const d = empty();
    out[name] = d;
    const mine = running.filter((a) => a.TaskGroup === name);
    if (next.Stop) {
      d.Stop = mine.length;
      continue;
    }
    const count = Number(g.Count);
    const before = prev.get(name);
    if (!before || !existing || existing.Stop) {
      d.Place = count;
      continue;
    }
    const kept = Math.min(mine.length, count);
    d.Place = Math.max(0, count - mine.length);
    d.Stop = Math.max(0, mine.length - count);
    const kind = groupChange(before, g);
    if (kind === 'destructive') {
      const maxParallel = Number((g.Update as Obj | null)?.MaxParallel ?? 0) || kept;
      d.DestructiveUpdate = Math.min(kept, maxParallel);
      d.Ignore = kept - d.DestructiveUpdate;
    } else if (kind === 'in-place') d.InPlaceUpdate = kept;
    else d.Ignore = kept;
  }
  for (const [name] of prev) {
    if (out[name]) continue;
    const d = empty();
    d.Stop = running.filter((a) => a.TaskGroup === name).length;
    out[name] = d;
  }
  return out;
}

/** scheduler/annotate.go: the non-zero counts under their plan names. */
export function annotate(diff: JobDiff | null, desired: Record<string, Desired>): void {
  for (const g of diff?.TaskGroups ?? []) {
    const d = desired[g.Name];
    const u: Record<string, number> = {};
    if (d) {
      const pairs: [string, number][] = [['ignore', d.Ignore], ['create', d.Place], ['migrate', d.Migrate], ['destroy', d.Stop], ['canary', d.Canary],
        ['in-place update', d.InPlaceUpdate], ['create/destroy update', d.DestructiveUpdate]];
      for (const [k, v] of pairs) if (v) u[k] = v;
    }
    g.Updates = u;
  }
}
