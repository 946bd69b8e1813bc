// Shared helpers for the client tests: a distinctive token that must never show up in an error or a
// log line, collecting observer/logger fakes, and a SimServer started on an ephemeral port.
import type { ExecutionContext } from 'ava';
import type { UpstreamObserver } from '../../src/clients/types.js';
import type { LogFields, Logger } from '../../src/core/logger.js';
import { SimServer } from '@drover/sim/http';

export const TOKEN = 'drv-TOKEN-5f3c9a71-never-print-me';

/** Fast retries so a burst of failures costs milliseconds. */
export const FAST_RETRY = { attempts: 4, baseMs: 2, maxMs: 10 };

export interface Observation {
  upstream: string;
  route: string;
  code: string;
  seconds: number;
}

export function collectingObserver(): UpstreamObserver & { seen: Observation[] } {
  const seen: Observation[] = [];
  return { seen, observe: (upstream, route, code, seconds) => void seen.push({ upstream, route, code, seconds }) };
}

export function collectingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const make = (base: LogFields): Logger => {
    const log = (level: string) => (msg: string, fields?: LogFields) => void lines.push(JSON.stringify({ level, msg, ...base, ...fields }));
    return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: (f) => make({ ...base, ...f }) };
  };
  return Object.assign(make({}), { lines });
}

export async function startServer(t: ExecutionContext, name = 'fake'): Promise<SimServer> {
  const server = new SimServer({ name });
  await server.listen(0);
  t.teardown(() => server.close());
  return server;
}

/** Awaits a promise that must reject, and returns what it rejected with. */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection, got a value');
}

/** The token appears nowhere a caller could print the error. */
export function assertNoToken(t: ExecutionContext, err: unknown, token = TOKEN): void {
  const e = err as Error;
  t.false(String(e).includes(token), 'String(err) carries the token');
  t.false((e?.message ?? '').includes(token), 'err.message carries the token');
  t.false(JSON.stringify(e).includes(token), 'JSON.stringify(err) carries the token');
  t.false((e?.stack ?? '').includes(token), 'err.stack carries the token');
}
