// Validation of the elector's timing options, kept apart so config parsing can reuse the same rule.

export interface ElectorTiming {
  key: string;
  id: string;
  ttlMs: number;
  lockDelayMs?: number;
  marginMs?: number;
  retryMs?: number;
}

/** The span a renewal keeps leadership valid, before the safety margin: the shorter of TTL and lock-delay. */
export function windowMs(ttlMs: number, lockDelayMs: number): number {
  return Math.min(ttlMs, lockDelayMs);
}

/** Throws one Error listing every problem; a window shorter than the renewal interval would flap leadership. */
export function validateElectorOptions(o: ElectorTiming): void {
  const problems: string[] = [];
  const lockDelayMs = o.lockDelayMs ?? 15_000;
  if (!o.key || o.key.startsWith('/')) problems.push('key: must be a non-empty KV key without a leading "/"');
  if (!o.id) problems.push('id: must be non-empty (e.g. hostname:pid)');
  if (!(o.ttlMs > 0)) problems.push('ttlMs: must be > 0');
  if (!(lockDelayMs > 0)) problems.push('lockDelayMs: must be > 0 (lock-delay is what keeps a second leader out while an invalidated leader still writes)');
  if (o.retryMs !== undefined && !(o.retryMs > 0)) problems.push('retryMs: must be > 0');
  if (problems.length === 0) {
    const w = windowMs(o.ttlMs, lockDelayMs);
    const margin = o.marginMs ?? Math.floor(w / 5);
    if (!(margin >= 0) || w - margin <= w / 2) {
      problems.push(`marginMs: ${margin} leaves no time to retry a renewal (window ${w} ms = min(TTL, lock-delay); renewal every ${Math.floor(w / 2)} ms)`);
    }
  }
  if (problems.length) throw new Error(`invalid leader election options: ${problems.join('; ')}`);
}
