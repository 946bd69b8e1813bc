// The plan endpoint's per-group `Updates` annotation (scheduler/annotate.go): the reconciler's
// DesiredTGUpdates under their plan names, non-zero counts only.
import type { JobDiff } from './types.js';
import type { Desired } from './reconcile.js';

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
