// Drover-only memory: a fresh simulator and repo, drover run in a child process of its own
// (drover-child.ts, --expose-gc), its MemoryReport read back. The bench process's own peak RSS also
// holds the harness (generated texts, git, fetch), so it over-states drover's footprint.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createRepo } from '../../test/helpers/git.js';
import { appFiles } from './apps.js';
import type { MemoryReport } from './drover-child.js';
import { startBenchSim } from './sim.js';

/** The flags drover's own entry points start node with (test/docs.test.ts keeps them in step). */
export const SHIPPED_NODE_FLAGS = ['--optimize-for-size'];

export function droverNodeFlags(): string[] {
  const v = process.env.BENCH_DROVER_NODE_FLAGS;
  if (v === undefined) return SHIPPED_NODE_FLAGS;
  return v === 'none' ? [] : v.split(' ').filter(Boolean);
}

export async function measureDroverMemory(n: number): Promise<MemoryReport> {
  const sim = await startBenchSim(n, 5);
  const files: Record<string, string> = {};
  for (const f of appFiles(n)) files[`apps/${f.file}`] = f.text;
  const repo = createRepo({ files });
  const workDir = mkdtempSync(join(tmpdir(), 'drover-bench-mem-'));
  const env = {
    NOMAD_ADDR: sim.urls.nomad, CONSUL_HTTP_ADDR: sim.urls.consul, VAULT_ADDR: sim.urls.vault, VAULT_TOKEN: 'root',
    DROVER_GIT_URL: repo.url, DROVER_GIT_PATH: 'apps', DROVER_GIT_POLL_INTERVAL: '1h', DROVER_RESYNC_INTERVAL: '1h',
    DROVER_LISTEN: '127.0.0.1:0', DROVER_LOG_LEVEL: 'error',
  };
  // BENCH_DROVER_NODE_FLAGS: the node/V8 flags of the drover process; default those drover ships with
  // (bin/drover.js and the Dockerfile entry), "none" for plain node.
  const flags = droverNodeFlags();
  // Compiled (npm run build, node dist/scripts/bench.js) → the compiled child, without tsx's own footprint.
  const compiled = import.meta.url.endsWith('.js');
  const script = fileURLToPath(new URL(compiled ? './drover-child.js' : './drover-child.ts', import.meta.url));
  const child = spawn(process.execPath, [...flags, '--expose-gc', ...(compiled ? [] : ['--import', 'tsx']), script], {
    env: { ...process.env, BENCH_DROVER_ENV: JSON.stringify(env), BENCH_APP_COUNT: String(n), BENCH_WORK_DIR: workDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    return await new Promise<MemoryReport>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', (l) => resolve(JSON.parse(l) as MemoryReport));
      child.once('exit', (code) => reject(new Error(`drover child exited with ${code} before reporting`)));
    });
  } finally {
    if (child.exitCode === null) {
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await done;
    }
    await sim.close();
    repo.remove();
    rmSync(workDir, { recursive: true, force: true });
  }
}
