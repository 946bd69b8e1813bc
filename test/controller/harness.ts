// Test harness for the controller: the real Nomad simulator over HTTP, the real Nomad client, and an
// in-memory SnapshotSource that serves a fresh temp dir per "commit".
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { NomadClient } from '../../src/clients/nomad.js';
import type { NomadApi } from '../../src/clients/types.js';
import { parseConfig, type Config } from '../../src/config.js';
import { systemClock } from '../../src/scheduler.js';
import { nullLogger, type Logger } from '../../src/core/logger.js';
import type { Scheduler } from '../../src/core/scheduler.js';
import { Controller } from '../../src/controller/index.js';
import { Metrics } from '../../src/metrics.js';
import { createNomadSim, type NomadSim, type NomadSimOptions } from '@drover/sim/nomad';
import type { Snapshot, SnapshotSource, SourceState } from '../../src/source/types.js';

export class FakeSource implements SnapshotSource {
  private readonly files = new Map<string, string>();
  private readonly listeners: ((s: Snapshot) => void)[] = [];
  private current: Snapshot | undefined;
  private n = 0;
  readonly dirs: string[] = [];

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async refresh(): Promise<void> {}
  state(): SourceState {
    return { snapshot: this.current, lastSuccessAt: this.current?.fetchedAt };
  }
  onSnapshot(listener: (s: Snapshot) => void): void {
    this.listeners.push(listener);
  }

  /** Writes/deletes (null) files and publishes a new snapshot of the whole tree. */
  async commit(changes: Record<string, string | null>): Promise<Snapshot> {
    for (const [f, text] of Object.entries(changes)) {
      if (text === null) this.files.delete(f);
      else this.files.set(f, text);
    }
    const dir = await mkdtemp(join(tmpdir(), 'drover-snap-'));
    this.dirs.push(dir);
    for (const [f, text] of this.files) {
      await mkdir(dirname(join(dir, f)), { recursive: true });
      await writeFile(join(dir, f), text);
    }
    this.n += 1;
    this.current = { revision: this.n.toString(16).padStart(40, '0'), dir, fetchedAt: Date.now() };
    for (const l of this.listeners) l(this.current);
    return this.current;
  }

  /** Publishes a snapshot whose directory cannot be read: the load fails. */
  publishUnreadable(): Snapshot {
    this.n += 1;
    this.current = { revision: this.n.toString(16).padStart(40, '0'), dir: join(tmpdir(), `drover-missing-${process.pid}-${this.n}`), fetchedAt: Date.now() };
    for (const l of this.listeners) l(this.current);
    return this.current;
  }

  async cleanup(): Promise<void> {
    for (const d of this.dirs) await rm(d, { recursive: true, force: true });
  }
}

export function appYaml(name: string, opts: { count?: number; image?: string; env?: Record<string, string>; selfHeal?: boolean; namespace?: string } = {}): string {
  const lines = [
    'apiVersion: drover.io/v1alpha1',
    'kind: App',
    'metadata:',
    `  name: ${name}`,
    ...(opts.namespace ? [`  namespace: ${opts.namespace}`] : []),
    'spec:',
    `  image: ${opts.image ?? 'nginx:1.27'}`,
    '  port: 80',
    `  count: ${opts.count ?? 1}`,
  ];
  if (opts.env) lines.push('  env:', ...Object.entries(opts.env).map(([k, v]) => `    ${k}: "${v}"`));
  if (opts.selfHeal !== undefined) lines.push('  sync:', `    selfHeal: ${opts.selfHeal}`);
  return `${lines.join('\n')}\n`;
}

export interface Harness {
  sim: NomadSim;
  url: string;
  config: Config;
  nomad: NomadApi;
  source: FakeSource;
  metrics: Metrics;
  controller: Controller;
  /** raw HTTP to the simulator, as a human with the nomad CLI would */
  call(method: string, path: string, body?: unknown): Promise<any>;
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs?: number): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  config?: Partial<Config>;
  wrapNomad?: (n: NomadApi) => NomadApi;
  canWrite?: () => boolean;
  /** every controller timer (resync, gauges, backoff, reconnect) on this scheduler, e.g. a FakeClock */
  scheduler?: Scheduler;
  logger?: Logger;
  /** options of the simulated Nomad (e.g. nomadVersion, drivers) */
  sim?: Partial<NomadSimOptions>;
}

export async function startHarness(t: ExecutionContext, opts: HarnessOptions = {}): Promise<Harness> {
  const sim = createNomadSim({ allocDelayMs: 5, deploymentDelayMs: 10, namespaces: ['default', 'prod'], ...opts.sim });
  const url = await sim.listen(0);
  const base = parseConfig({ NOMAD_ADDR: url, DROVER_CONCURRENCY: '8', DROVER_REQUEST_TIMEOUT: '2s', ...opts.env });
  const config: Config = { ...base, resyncIntervalMs: 60_000, ...opts.config };
  const metrics = new Metrics();
  const client = new NomadClient({ addr: url, timeoutMs: 2000, retry: { attempts: 2, baseMs: 5, maxMs: 20 }, streamIdleMs: 5000 }, metrics, nullLogger);
  const nomad = opts.wrapNomad ? opts.wrapNomad(client) : client;
  const source = new FakeSource();
  const controller = new Controller({ config, nomad, source, metrics, logger: opts.logger ?? nullLogger, backoff: { baseMs: 5, maxMs: 100 }, canWrite: opts.canWrite, ...(opts.scheduler ? { scheduler: opts.scheduler, clock: systemClock } : {}) });
  t.teardown(async () => {
    await controller.stop();
    await sim.close();
    await source.cleanup();
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(url + path, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const metric = async (name: string, labels: Record<string, string> = {}) => {
    const m = await metrics.registry.getSingleMetric(name)?.get();
    if (!m) throw new Error(`no metric ${name}`);
    const v = m.values.find((x) => Object.entries(labels).every(([k, val]) => String(x.labels[k]) === val));
    return v?.value ?? 0;
  };
  const until = async (what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await cond())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { sim, url, config, nomad, source, metrics, controller, call, metric, until };
}

/** Nomad writes (register/stop) counted from the simulator's request counters. */
export function nomadWrites(h: Harness): number {
  return h.sim.server.count((k) => /^(PUT|POST|DELETE) /.test(k) && !k.includes('/plan') && !k.includes('/_sim') && !k.includes('/v1/var'));
}
