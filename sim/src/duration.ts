// Go's time.ParseDuration, which the simulated Go servers use for every duration string they read (Consul's
// `wait`, session TTL and LockDelay, check intervals; Nomad's `wait`). Written from Go's documented grammar
// (time/format.go: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, units ns us µs μs ms s m h, a bare "0") and kept apart
// from drover's own parser on purpose: the two sides must not share a misreading.
// One deliberate difference from Go: a sign is refused. Go accepts "-5s", but none of the values the
// simulated APIs take is meaningful below zero, and the simulator has always answered such a value as
// malformed.

const NS_PER_UNIT: ReadonlyMap<string, number> = new Map([
  ['ns', 1],
  ['us', 1e3],
  ['\u00b5s', 1e3], // MICRO SIGN
  ['\u03bcs', 1e3], // GREEK SMALL LETTER MU
  ['ms', 1e6],
  ['s', 1e9],
  ['m', 60e9],
  ['h', 3600e9],
]);

/** One `number unit` term: digits with an optional fraction (at least one digit on either side), then letters. */
const TERM = /(\d*)(?:\.(\d*))?([^\d.]+)/y;

/** Nanoseconds, or undefined when `text` is not a Go duration. */
export function parseGoDurationNs(text: string): number | undefined {
  if (text === '0') return 0;
  if (text === '') return undefined;
  let total = 0;
  let at = 0;
  while (at < text.length) {
    TERM.lastIndex = at;
    const m = TERM.exec(text);
    if (!m) return undefined;
    const [, whole = '', frac, unit = ''] = m;
    if (whole === '' && (frac === undefined || frac === '')) return undefined;
    const perUnit = NS_PER_UNIT.get(unit);
    if (perUnit === undefined) return undefined;
    total += Number(`${whole || '0'}.${frac || '0'}`) * perUnit;
    at = TERM.lastIndex;
  }
  // Go's Duration is an int64 of nanoseconds (about 292 years); past it ParseDuration fails.
  if (!(total <= 2 ** 63 - 1)) return undefined;
  return Math.round(total);
}

/** Milliseconds, or undefined when `text` is not a Go duration. */
export function parseGoDurationMs(text: string): number | undefined {
  const ns = parseGoDurationNs(text);
  return ns === undefined ? undefined : ns / 1e6;
}
