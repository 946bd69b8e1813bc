// Shared pieces of the leader-election tests: electors on one Consul, a client that can be cut off or
// killed, and a sampler that records who may write, every few milliseconds, to prove there is never
// more than one writer.
import net from 'node:net';
import type { ConsulApi } from '../../src/clients/types.js';
import { DroverError } from '../../src/core/errors.js';
import { nullLogger, type LogFields, type Logger } from '../../src/core/logger.js';
import { ConsulLeaderElector } from '../../src/leader/consul-lock.js';
import { Metrics } from '../../src/metrics.js';
import { ConsulClient } from '../../src/clients/consul.js';

/** The real client drover runs with, fast retries so a cut-off shows within the test's time bounds. */
export function consulClient(url: string): ConsulApi {
  return new ConsulClient({ addr: url, timeoutMs: 2000, retry: { attempts: 2, baseMs: 50, maxMs: 200 } });
}

export interface Timing {
  ttlMs: number;
  lockDelayMs: number;
}

export interface Member {
  id: string;
  elector: ConsulLeaderElector;
  metrics: Metrics;
  link: Link;
}

/** A ConsulApi whose target can be swapped (cut-off: a closed port) or killed (every call fails, nothing reaches Consul). */
export interface Link {
  api: ConsulApi;
  retarget(api: ConsulApi): void;
  kill(): void;
}

export function link(initial: ConsulApi): Link {
  let target = initial;
  let dead = false;
  const api = new Proxy({} as ConsulApi, {
    get: (_o, prop: string) => (...args: unknown[]) => {
      if (dead) return Promise.reject(new DroverError('unavailable', 'instance killed', { upstream: 'consul' }));
      return (target as unknown as Record<string, (...a: unknown[]) => unknown>)[prop]!(...args);
    },
  });
  return { api, retarget: (a) => (target = a), kill: () => (dead = true) };
}

/** Every member's log lines with a timestamp, kept so a failing test can show what each elector did. */
export const trace: string[] = [];
function traceLogger(id: string): Logger {
  const at = (level: string) => (msg: string, fields?: LogFields) => trace.push(`${new Date().toISOString().slice(17, 23)} ${id} ${level} ${msg} ${fields ? JSON.stringify(fields) : ''}`);
  const l: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => l };
  return l;
}

export function members(url: string, key: string, n: number, timing: Timing): Member[] {
  return Array.from({ length: n }, (_, i) => {
    const metrics = new Metrics();
    const l = link(consulClient(url));
    const id = `${key}#${i}:${process.pid}`; // unique across scenarios sharing one Consul
    const elector = new ConsulLeaderElector({ consul: l.api, key, id, ...timing, logger: process.env.LEADER_TRACE ? traceLogger(`${key}#${i}`) : nullLogger, metrics, retryMs: 100 });
    return { id, elector, metrics, link: l };
  });
}

export async function closedPortUrl(): Promise<string> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}`;
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const writers = (ms: Member[]): Member[] => ms.filter((m) => m.elector.canWrite());

export interface Sample {
  at: number;
  writers: string[];
}

/** Samples canWrite() of every member every `everyMs` until stopped. */
export function sampler(ms: Member[], everyMs = 5): { stop(): Sample[] } {
  const samples: Sample[] = [];
  const take = () => samples.push({ at: Date.now(), writers: writers(ms).map((m) => m.id) });
  take();
  const timer = setInterval(take, everyMs);
  timer.unref(); // a failed test never calls stop(); it must not keep the worker alive
  return {
    stop() {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

/** Last sample at which `id` could write, and first at which another could. */
export function handover(samples: Sample[], oldId: string): { oldLastWrite: number; newFirstWrite: number | undefined; overlaps: Sample[] } {
  const oldLastWrite = Math.max(...samples.filter((s) => s.writers.includes(oldId)).map((s) => s.at));
  const newFirstWrite = samples.find((s) => s.writers.some((w) => w !== oldId))?.at;
  return { oldLastWrite, newFirstWrite, overlaps: samples.filter((s) => s.writers.length > 1) };
}

export async function gauge(m: Metrics): Promise<number> {
  return (await m.leader.get()).values[0]?.value ?? NaN;
}
