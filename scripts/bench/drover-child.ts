// Drover alone in a process of its own, for an honest memory figure: no generated app texts, no git
// harness, no simulator share this heap. Reads the `drover run` environment as JSON from
// BENCH_DROVER_ENV, runs the cold sync of BENCH_APP_COUNT apps, then prints one JSON line (MemoryReport)
// and waits for SIGTERM. Started with --expose-gc so "after GC" is what drover really retains.
// BENCH_HEAP_SNAPSHOT=<dir> also writes a heap snapshot there after the GC (for a look in DevTools);
// BENCH_ALLOC_PROFILE=<file> writes a sampling allocation profile of the sync (.heapprofile, garbage
// included: what makes the peak, not what stays).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { writeHeapSnapshot } from 'node:v8';
import type { Logger } from '../../src/core/logger.js';

export interface MemorySample {
  rssMB: number;
  heapUsedMB: number;
  externalMB: number;
  arrayBuffersMB: number;
}

export interface MemoryReport {
  /** modules loaded, nothing running: the fixed cost of node + tsx + Nest */
  baseline: MemorySample;
  /** right after the cold sync went idle */
  synced: MemorySample;
  /** after a full GC: what drover keeps */
  retained: MemorySample;
  /** process peak RSS so far (kernel maxrss) */
  peakRssMB: number;
  apps: number;
  synced_apps: number;
  seconds: number;
  heapSnapshot?: string;
}

const mb = (b: number) => Math.round((b / 1024 / 1024) * 10) / 10;
const gc = (globalThis as { gc?: () => void }).gc;
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sample(): MemorySample {
  const m = process.memoryUsage();
  return { rssMB: mb(m.rss), heapUsedMB: mb(m.heapUsed), externalMB: mb(m.external), arrayBuffersMB: mb(m.arrayBuffers) };
}

function fullGc(): void {
  if (!gc) throw new Error('drover-child needs node --expose-gc');
  for (let i = 0; i < 3; i++) gc();
}

/** Starts V8's sampling heap profiler keeping samples of collected objects; returns "stop and write". */
async function startAllocProfile(): Promise<(file: string) => Promise<void>> {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', { samplingInterval: 64 * 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
  return async (file) => {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

async function main(): Promise<void> {
  const n = Number(process.env.BENCH_APP_COUNT ?? 0);
  const env = JSON.parse(process.env.BENCH_DROVER_ENV ?? '{}') as Record<string, string>;
  const { runDrover } = await import('../../src/main.js');
  await import('../../src/app.module.js');
  fullGc();
  const baseline = sample();
  const profile = process.env.BENCH_ALLOC_PROFILE ? await startAllocProfile() : undefined;
  const t0 = performance.now();
  const drover = await runDrover(env, { shutdownHooks: false, workDir: process.env.BENCH_WORK_DIR, logger: silent });
  await drover.started;
  const deadline = Date.now() + 300_000;
  let synced = 0;
  for (;;) {
    synced = drover.controller.listApps().filter((a) => a.sync === 'Synced').length;
    if (synced >= n) break;
    if (Date.now() > deadline) throw new Error(`cold sync of ${n} apps did not finish within 300 s (${synced} synced)`);
    await sleep(1000); // a status poll, not a load: /apps at 5,000 apps is ≈ 5,000 object copies
  }
  await drover.controller.idle(300_000);
  const seconds = (performance.now() - t0) / 1000;
  if (profile) await profile(process.env.BENCH_ALLOC_PROFILE!);
  const afterSync = sample();
  fullGc();
  const retained = sample();
  const report: MemoryReport = { baseline, synced: afterSync, retained, peakRssMB: mb(process.resourceUsage().maxRSS * 1024), apps: n, synced_apps: synced, seconds };
  if (process.env.BENCH_HEAP_SNAPSHOT) report.heapSnapshot = writeHeapSnapshot(`${process.env.BENCH_HEAP_SNAPSHOT}/drover-${n}.heapsnapshot`);
  process.stdout.write(`${JSON.stringify(report)}\n`);
  const stop = () => void drover.close().then(() => process.exit(0), () => process.exit(1));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`drover-child: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
