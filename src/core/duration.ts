// Go-style durations ("1h2m3.5s", "300ms", "0") as used by Nomad HCL, Consul and DROVER_* variables.
const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;

/** Parses a Go duration into integer nanoseconds, or returns undefined when it is not one. Negative durations are refused. */
export function parseDurationNs(text: string): number | undefined {
  if (text === '0') return 0;
  if (text.length === 0 || text.length > 64) return undefined;
  let total = 0;
  PART.lastIndex = 0;
  let pos = 0;
  while (pos < text.length) {
    PART.lastIndex = pos;
    const m = PART.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_NS[m[2]!]!;
    pos = PART.lastIndex;
  }
  if (!Number.isFinite(total)) return undefined;
  return Math.round(total);
}

export function parseDurationMs(text: string): number | undefined {
  const ns = parseDurationNs(text);
  return ns === undefined ? undefined : ns / 1e6;
}

/** Formats milliseconds the way Consul wants its durations ("15s", "500ms"). */
export function formatDurationMs(ms: number): string {
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${Math.round(ms)}ms`;
}

/**
 * No duration drover takes may come near Node's timer limit (2^31-1 ms ≈ 596 h: longer delays fire
 * after 1 ms). Each variable has its own, much lower maximum (see boundedDurationMs callers); this is
 * the ceiling none may pass.
 */
export const MAX_DURATION_MS = 7 * 24 * 3600_000;

export type BoundedDuration = { ok: true; ms: number } | { ok: false; problem: string };

/**
 * Parses a duration setting and checks it against its bounds, with the message an operator needs:
 * `DROVER_GIT_POLL_INTERVAL: 600h is longer than the maximum 24h`.
 */
export function boundedDurationMs(name: string, text: string, bounds: { minMs: number; maxMs: number }): BoundedDuration {
  const ms = parseDurationMs(text);
  const range = `${humanMs(bounds.minMs)} to ${humanMs(Math.min(bounds.maxMs, MAX_DURATION_MS))}`;
  if (ms === undefined) return { ok: false, problem: `${name}: "${text}" is not a duration (e.g. 30s, 5m; from ${range})` };
  if (ms < bounds.minMs) return { ok: false, problem: `${name}: ${text} is shorter than the minimum ${humanMs(bounds.minMs)}` };
  if (ms > Math.min(bounds.maxMs, MAX_DURATION_MS)) return { ok: false, problem: `${name}: ${text} is longer than the maximum ${humanMs(Math.min(bounds.maxMs, MAX_DURATION_MS))}` };
  return { ok: true, ms };
}

/** `86400000` → `24h`, `90000` → `1m30s`, `250` → `250ms`. */
export function humanMs(ms: number): string {
  if (ms < 1000 || ms % 1000 !== 0) return `${ms}ms`;
  let s = ms / 1000;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
}
