// The benchmark's handle on the simulated cluster, spoken to over HTTP only (the Nomad API and /_sim/),
// so it works the same whether the simulator runs in a child process (default: its CPU and memory are
// not drover's) or in-process (BENCH_SIM=inline).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startSimCluster } from '@drover/sim';
import { vaultSecrets } from './apps.js';

export interface BenchJob {
  ID: string;
  Version: number;
  JobModifyIndex: number;
  TaskGroups: Array<{ Count: number; [k: string]: unknown }>;
  [k: string]: unknown;
}

export interface BenchSim {
  urls: { nomad: string; consul: string; vault: string };
  mode: 'process' | 'inline';
  setFaults(f: Record<string, unknown>): Promise<void>;
  /** "METHOD route" → count */
  counters(): Promise<Record<string, number>>;
  resetCounters(): Promise<void>;
  job(id: string): Promise<BenchJob | undefined>;
  jobIds(): Promise<Set<string>>;
  /** CPU seconds the simulator process used so far (Linux /proc; undefined inline or elsewhere) */
  cpuSeconds(): number | undefined;
  close(): Promise<void>;
}

/** `apps`: how many generated apps will run (their Vault secrets are seeded). */
export async function startBenchSim(apps: number, allocDelayMs = 5): Promise<BenchSim> {
  if (process.env.BENCH_SIM === 'inline') {
    const sim = await startSimCluster({ allocDelayMs, secrets: vaultSecrets(apps) });
    return handle(sim.urls, 'inline', () => sim.close(), () => undefined);
  }
  const compiled = import.meta.url.endsWith('.js');
  const script = fileURLToPath(new URL(compiled ? './sim-child.js' : './sim-child.ts', import.meta.url));
  const child = spawn(process.execPath, [...(compiled ? [] : ['--import', 'tsx', '--conditions=@drover/source']), script], {
    env: { ...process.env, BENCH_ALLOC_DELAY_MS: String(allocDelayMs), BENCH_APP_COUNT: String(apps) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const urls = await firstLine(child);
  return handle(urls, 'process', async () => {
    if (child.exitCode !== null) return;
    const done = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await done;
  }, () => procCpuSeconds(child.pid));
}

function firstLine(child: ChildProcess): Promise<BenchSim['urls']> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (l) => resolve(JSON.parse(l) as BenchSim['urls']));
    child.once('exit', (code) => reject(new Error(`simulator process exited with ${code}`)));
  });
}

/** utime + stime of a process from /proc/<pid>/stat (fields 14 and 15, in clock ticks of 1/100 s). */
function procCpuSeconds(pid: number | undefined): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

function handle(urls: BenchSim['urls'], mode: BenchSim['mode'], close: () => Promise<void>, cpuSeconds: () => number | undefined): BenchSim {
  const nomad = urls.nomad;
  const json = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const r = await fetch(`${nomad}${path}`, init);
    if (!r.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  };
  return {
    urls, mode, close, cpuSeconds,
    async setFaults(f) {
      await json('/_sim/faults', { method: 'POST', body: JSON.stringify(f) });
    },
    async counters() {
      const c = await json<{ routes: Record<string, { count: number }> }>('/_sim/counters');
      return Object.fromEntries(Object.entries(c.routes).map(([k, v]) => [k, v.count]));
    },
    async resetCounters() {
      await json('/_sim/counters/reset', { method: 'POST' });
    },
    async job(id) {
      const r = await fetch(`${nomad}/v1/job/${encodeURIComponent(id)}`);
      if (r.status === 404) return undefined;
      if (!r.ok) throw new Error(`GET job ${id}: ${r.status}`);
      return (await r.json()) as BenchJob;
    },
    async jobIds() {
      return new Set((await json<Array<{ ID: string }>>('/v1/jobs')).map((j) => j.ID));
    },
  };
}

/** Requests that change state (PUT/POST/DELETE other than plan) in a counters map. */
export function writesIn(c: Record<string, number>): number {
  let n = 0;
  for (const [k, v] of Object.entries(c)) if (/^(PUT|POST|DELETE) /.test(k) && !k.endsWith('/plan')) n += v;
  return n;
}
