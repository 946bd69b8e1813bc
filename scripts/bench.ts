// `npm run bench`: drover's performance numbers against the goals in issue #4. Writes nothing into the
// repository (temp dirs only) and prints one table. Scale with BENCH_APPS (cold-sync sizes, comma
// separated; default 1000,5000), BENCH_RENDER (apps for the parse+render pass; default 10000) and
// BENCH_SAMPLES (latency samples; default 50), BENCH_NOMAD_APPS (apps with provider nomad services, whose own cold sync
// and steady state are measured after; default 500, 0 skips). The largest BENCH_APPS size is used for steady state,
// latencies and peak RSS. The simulator runs in a child process unless BENCH_SIM=inline. Drover's own
// memory is measured in a separate cold sync with drover alone in a child process (BENCH_MEMORY=off
// skips it; BENCH_HEAP_SNAPSHOT=<dir> makes that child write a heap snapshot there; BENCH_DROVER_NODE_FLAGS
// sets its node/V8 flags: default the ones drover ships with, "none" for plain node). `npm run bench` compiles first and runs
// the compiled build, as drover ships (Dockerfile); `node --import tsx --conditions=@drover/source scripts/bench.ts` measures the sources.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterDefaultsFromEnv } from '../src/config.js';
import type { Logger } from '../src/core/logger.js';
import { isHealthFinal } from '../src/core/health.js';
import { renderJob } from '../src/core/render/index.js';
import { runDrover, type RunningDrover } from '../src/main.js';
import { loadAppTexts } from '../src/spec/index.js';
import { createRepo, type TestRepo } from '../test/helpers/git.js';
import { appFiles, appName, appYaml, nomadProviderAppFiles } from './bench/apps.js';
import { droverNodeFlags, measureDroverMemory } from './bench/memory.js';
import { startBenchSim, writesIn, type BenchSim } from './bench/sim.js';

const nomadApps = Number(process.env.BENCH_NOMAD_APPS ?? 500);
const sizes = (process.env.BENCH_APPS ?? '1000,5000').split(',').map((s) => Number(s.trim())).filter((n) => n > 0);
const renderCount = Number(process.env.BENCH_RENDER ?? 10_000);
const samples = Number(process.env.BENCH_SAMPLES ?? 50);
const rows: [string, string, string][] = [];
const row = (what: string, value: string, goal = '') => {
  rows.push([what, value, goal]);
  process.stderr.write(`  ${what}: ${value}\n`);
};
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU time (user + system) this process spent since `from`, in ms: robust when the machine is busy. */
function cpuMs(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
}

function benchRender(): void {
  const defaults = clusterDefaultsFromEnv({});
  const files = appFiles(renderCount);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = loadAppTexts(files, defaults);
  const t1 = performance.now();
  for (const a of result.apps) renderJob(a, defaults);
  const t2 = performance.now();
  if (result.problems.length > 0) throw new Error(`generated apps are invalid: ${result.problems.slice(0, 3).map((p) => `${p.file}: ${p.message}`).join('; ')}`);
  const ms = t2 - t0;
  row(`parse+validate+render ${result.apps.length} apps`, `${ms.toFixed(0)} ms (load ${(t1 - t0).toFixed(0)}, render ${(t2 - t1).toFixed(0)}; CPU ${cpuMs(cpu0).toFixed(0)}) = ${Math.round(result.apps.length / (ms / 1000))} apps/s`, 'all < 1000 ms');
}

interface Rig {
  sim: BenchSim;
  repo: TestRepo;
  drover: RunningDrover;
  workDir: string;
}

async function coldSync(n: number, apps = appFiles(n), label = ''): Promise<Rig> {
  const sim = await startBenchSim(n, 5);
  await sim.setFaults({ latencyMs: 2 });
  const files: Record<string, string> = {};
  for (const f of apps) files[`apps/${f.file}`] = f.text;
  const repo = createRepo({ files });
  const workDir = mkdtempSync(join(tmpdir(), 'drover-bench-'));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const drover = await runDrover(
    {
      NOMAD_ADDR: sim.urls.nomad, CONSUL_HTTP_ADDR: sim.urls.consul, VAULT_ADDR: sim.urls.vault, VAULT_TOKEN: 'root',
      DROVER_GIT_URL: repo.url, DROVER_GIT_PATH: 'apps', DROVER_GIT_POLL_INTERVAL: '1h', DROVER_RESYNC_INTERVAL: '1h',
      DROVER_LISTEN: '127.0.0.1:0', DROVER_LOG_LEVEL: 'error',
    },
    { shutdownHooks: false, workDir, logger: silent },
  );
  await drover.started;
  const names = apps.map((f) => f.file.replace(/\.yaml$/, ''));
  const deadline = Date.now() + 300_000;
  for (;;) {
    const ids = await sim.jobIds();
    if (names.every((id) => ids.has(id))) break;
    if (Date.now() > deadline) throw new Error(`cold sync of ${n} apps did not finish within 300 s`);
    await sleep(100);
  }
  const registered = performance.now() - t0;
  await drover.controller.idle(300_000);
  const ms = performance.now() - t0;
  const cpu = cpuMs(cpu0);
  const counters = await sim.counters();
  const total = Object.values(counters).reduce((a, b) => a + b, 0);
  row(`cold sync ${n}${label} apps (2 ms/request, sim ${sim.mode})`, `${(ms / 1000).toFixed(2)} s (all registered at ${(registered / 1000).toFixed(2)} s) = ${Math.round(n / (ms / 1000))} apps/s, ${total} Nomad requests, CPU: drover process ${(cpu / 1000).toFixed(1)} s${simCpu(sim)}`, n >= 5000 ? '5000 < 60 s' : '');
  if (process.env.BENCH_VERBOSE) process.stderr.write(`    ${JSON.stringify(counters)}\n`);
  return { sim, repo, drover, workDir };
}

async function steadyState(rig: Rig, n: number, label = ''): Promise<void> {
  const { sim, drover } = rig;
  await drover.controller.idle(60_000);
  // Steady state is in sync and settled: wait (bounded) until every app's health is final from the event
  // stream, so the resync measured is not also catching up on allocations still starting.
  const settleDeadline = Date.now() + Number(process.env.BENCH_SETTLE_MS ?? 60_000);
  let unsettled = 0;
  for (;;) {
    unsettled = drover.controller.listApps().filter((a) => !isHealthFinal(a.health)).length;
    if (unsettled === 0 || Date.now() > settleDeadline) break;
    await sleep(100);
  }
  if (unsettled > 0) process.stderr.write(`    ${unsettled} apps still had no final health after 60 s; the resync below re-reads some of them\n`);
  if (unsettled > 0 && process.env.BENCH_VERBOSE) {
    for (const a of drover.controller.listApps().filter((x) => !isHealthFinal(x.health)).slice(0, 3)) {
      const allocs = await (await fetch(`${sim.urls.nomad}/v1/job/${a.name}/allocations`)).text();
      const dep = await (await fetch(`${sim.urls.nomad}/v1/job/${a.name}/deployment`)).text();
      process.stderr.write(`      ${a.name}: ${JSON.stringify(a)}\n      allocations: ${allocs.slice(0, 1500)}\n      deployment: ${dep.slice(0, 800)}\n`);
    }
  }
  if (process.env.BENCH_VERBOSE) {
    const byHealth: Record<string, number> = {};
    const samples: string[] = [];
    for (const a of drover.controller.listApps()) {
      byHealth[a.health] = (byHealth[a.health] ?? 0) + 1;
      if (a.health !== 'Healthy' && samples.length < 5) samples.push(`${a.name}: ${a.health} ${a.healthReasons.join('; ')}`);
    }
    process.stderr.write(`    health before the steady-state resync: ${JSON.stringify(byHealth)}\n      ${samples.join('\n      ')}\n`);
  }
  const first = await oneResync(rig);
  row(`steady-state resync, ${n}${label} apps in sync: Nomad requests`, first.text, '≤ 5');
  row('steady-state resync: Nomad writes', String(writesIn(first.counters)), '0');
  // Provider nomad: apps verified before the last registration hold an older index of the service table, so
  // the first resync reads those again; the one after it is the steady state.
  if (label) row(`next resync, ${n}${label} apps: Nomad requests`, (await oneResync(rig)).text, '≤ 5');
}

/** One resync on a settled rig: the Nomad requests it made (the event stream left out), by route. */
async function oneResync({ sim, drover }: Rig): Promise<{ counters: Record<string, number>; text: string }> {
  await sim.resetCounters();
  await drover.controller.resync();
  await drover.controller.idle(60_000);
  const counters = await sim.counters();
  delete counters['GET /v1/event/stream'];
  const total = Object.values(counters).reduce((a, b) => a + b, 0);
  return { counters, text: `${total} (${Object.entries(counters).map(([k, v]) => `${k}×${v}`).join(', ') || 'none'})` };
}

async function droverMemory(n: number): Promise<void> {
  const m = await measureDroverMemory(n);
  const fmt = (x: { rssMB: number; heapUsedMB: number; externalMB: number }) => `RSS ${x.rssMB.toFixed(0)} MB, heap ${x.heapUsedMB.toFixed(0)} MB, external ${x.externalMB.toFixed(0)} MB`;
  row(`drover alone (own process, node ${droverNodeFlags().join(' ') || 'without flags'}), ${n}-app cold sync: peak RSS`, `${m.peakRssMB.toFixed(0)} MB (sync took ${m.seconds.toFixed(1)} s)`, '< 200 MB');
  row('  drover alone: after the sync / after a full GC', `${fmt(m.synced)} / ${fmt(m.retained)}`);
  row('  drover alone: baseline (modules loaded, no apps, after GC)', `${fmt(m.baseline)}; retained heap per app ≈ ${(((m.retained.heapUsedMB - m.baseline.heapUsedMB) * 1024) / n).toFixed(1)} KB`);
  if (m.heapSnapshot) row('  heap snapshot', m.heapSnapshot);
}

function simCpu(sim: BenchSim): string {
  const s = sim.cpuSeconds();
  return s === undefined ? '' : `, simulator process ${s.toFixed(1)} s`;
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
  return `median ${q(0.5).toFixed(0)} ms, p99 ${q(0.99).toFixed(0)} ms, max ${s[s.length - 1]!.toFixed(0)} ms (${s.length} samples)`;
}

async function commitLatency(rig: Rig): Promise<void> {
  const { sim, repo, drover } = rig;
  const out: number[] = [];
  const counts = new Map<number, number>();
  const parts = { commit: [] as number[], refresh: [] as number[], rest: [] as number[] };
  for (let k = 0; k < samples; k++) {
    const i = (k * 7) % 50; // a handful of apps, each changed several times
    const before = (await sim.job(appName(i)))!.JobModifyIndex;
    const count = (counts.get(i) ?? 1) + 1;
    counts.set(i, count);
    const t0 = performance.now();
    repo.commit({ [`apps/${appName(i)}.yaml`]: appYaml(i, count) }, `sample ${k}`);
    const t1 = performance.now();
    await drover.source.refresh();
    const t2 = performance.now();
    await until(async () => (await sim.job(appName(i)))!.JobModifyIndex !== before, 30_000);
    out.push(performance.now() - t0);
    parts.commit.push(t1 - t0);
    parts.refresh.push(t2 - t1);
    parts.rest.push(performance.now() - t2);
    await drover.controller.idle(30_000);
  }
  row('commit → registered (commit + refresh + load + write)', stats(out), 'p99 < 2000 ms');
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(0);
  row('  of which (medians)', `git commit ${med(parts.commit)} ms, source.refresh() ${med(parts.refresh)} ms, then until the job moved ${med(parts.rest)} ms`);
}

async function healLatency(rig: Rig): Promise<void> {
  const { sim, drover } = rig;
  const out: number[] = [];
  for (let k = 0; k < samples; k++) {
    const id = appName(100 + (k % 50));
    const job = (await sim.job(id))!;
    const want = job.TaskGroups[0]!.Count;
    job.TaskGroups[0]!.Count = want + 5;
    const t0 = performance.now();
    const r = await fetch(`${sim.urls.nomad}/v1/jobs`, { method: 'PUT', body: JSON.stringify({ Job: job }) });
    if (!r.ok) throw new Error(`manual register failed: ${r.status} ${await r.text()}`);
    await until(async () => (await sim.job(id))!.TaskGroups[0]!.Count === want, 30_000);
    out.push(performance.now() - t0);
    await drover.controller.idle(30_000);
  }
  row('drift → healed (manual register → back to git)', stats(out), 'p99 < 2000 ms');
}

async function until(cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await sleep(2);
  }
}

async function close(rig: Rig): Promise<void> {
  await rig.drover.close();
  await rig.sim.close();
  rig.repo.remove();
  rmSync(rig.workDir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  process.stderr.write('drover bench (progress on stderr, table on stdout)\n');
  const load = (await import('node:os')).loadavg()[0]!.toFixed(1);
  row('machine', `${(await import('node:os')).cpus().length} CPUs, load average ${load} at start`);
  // Nest + express take seconds to load under tsx; a one-time process cost, kept out of the sync timings.
  const t0 = performance.now();
  await import('../src/app.module.js');
  row(`load the drover modules (${import.meta.url.endsWith('.js') ? 'compiled' : 'tsx'}, once per process)`, `${(performance.now() - t0).toFixed(0)} ms`);
  const largest = Math.max(...sizes);
  for (const n of sizes) {
    const rig = await coldSync(n);
    if (n === largest) {
      await steadyState(rig, n);
      await rig.sim.setFaults({ latencyMs: 0 });
      if (samples > 0) {
        await commitLatency(rig);
        await healLatency(rig);
      }
    }
    await close(rig);
  }
  // Provider nomad: the services are in Nomad's own catalog, so verifying them is Nomad requests too.
  if (nomadApps > 0) {
    const rig = await coldSync(nomadApps, nomadProviderAppFiles(nomadApps), ' provider-nomad');
    await steadyState(rig, nomadApps, ' provider-nomad');
    await close(rig);
  }
  // maxRSS is the process peak so far: taken before the render pass so that pass does not count
  row(`peak RSS of the bench process through the ${largest}-app run (harness + drover${process.env.BENCH_SIM === 'inline' ? ' + simulator' : ''})`, `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  if (process.env.BENCH_MEMORY !== 'off') await droverMemory(largest);
  benchRender();
  const w = [Math.max(...rows.map((r) => r[0].length)), Math.max(...rows.map((r) => r[1].length))];
  const line = (r: [string, string, string]) => `| ${r[0].padEnd(w[0]!)} | ${r[1].padEnd(w[1]!)} | ${r[2]}`;
  process.stdout.write(`\n${line(['measure', 'result', 'goal'])}\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
