// Small helpers for the simulated Nomad: Go-style durations, deep equality, copies and ids.
import { parseGoDurationMs } from '../duration.js';
import { randomUUID } from 'node:crypto';

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

export const uuid = (): string => randomUUID();

/** Go's time.ParseDuration, in milliseconds; undefined when malformed (the simulator's own parser, ../duration.ts). */
export function parseGoDuration(s: string): number | undefined {
  return parseGoDurationMs(s);
}

/** Nanoseconds as a Consul duration string ("10s", "500ms"). */
export function nsToConsul(ns: number): string {
  const ms = Math.round(ns / 1e6);
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** go-multierror's ListFormatFunc. */
export function multierror(errs: string[]): string {
  const head = errs.length === 1 ? '1 error occurred:' : `${errs.length} errors occurred:`;
  return `${head}\n${errs.map((e) => `\t* ${e}`).join('\n')}\n\n`;
}

/** Case-insensitive key lookup, exact match first (Go encoding/json semantics). */
export function field(o: unknown, name: string): unknown {
  if (!isObj(o)) return undefined;
  if (name in o) return o[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(o)) if (k.toLowerCase() === lower) return o[k];
  return undefined;
}
