// Readiness per upstream: the outcome of the last call to each, with the reason it failed. Only faults
// of the upstream itself count — it did not answer, answered 5xx, refused the token or answered nonsense.
// A job Nomad rejected (validation), a missing object or an EnforceIndex conflict mean it answered.
import type { DroverError, ErrorCode, Upstream } from '../core/errors.js';

const UPSTREAM_FAULTS: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['unavailable', 'timeout', 'unauthorized', 'server-error', 'bad-response']);

interface State {
  ok: boolean;
  reason?: string;
  /** the last failure was "no answer at all" */
  unreachable: boolean;
}

export class UpstreamHealth {
  private readonly states = new Map<Upstream, State>();

  /** `onReachability(previous)` is called when Nomad's reachability flips. */
  constructor(watched: readonly Upstream[], private readonly onReachability?: (wasUnreachable: boolean | undefined) => void) {
    for (const u of watched) this.states.set(u, u === 'nomad' ? { ok: false, reason: 'no Nomad call answered yet', unreachable: false } : { ok: true, unreachable: false });
  }

  record(upstream: Upstream, error?: DroverError): void {
    const st = this.states.get(upstream);
    if (!st) return;
    const before = st.unreachable;
    if (!error) {
      st.ok = true;
      st.reason = undefined;
      st.unreachable = false;
    } else if (UPSTREAM_FAULTS.has(error.code)) {
      st.ok = false;
      st.reason = `${error.code}: ${error.message}`;
      st.unreachable = error.code === 'unavailable' || error.code === 'timeout';
    } else {
      // It answered (a rejected payload, a conflict, …): reachable and working.
      st.ok = true;
      st.reason = undefined;
      st.unreachable = false;
    }
    if (upstream === 'nomad' && before !== st.unreachable) this.onReachability?.(before);
  }

  unreachable(upstream: Upstream): boolean {
    return this.states.get(upstream)?.unreachable === true;
  }

  check(upstream: Upstream): { ok: boolean; reason?: string } {
    const st = this.states.get(upstream);
    if (!st) return { ok: true };
    return st.ok ? { ok: true } : { ok: false, reason: st.reason };
  }
}
