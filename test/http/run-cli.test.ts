// `drover run` as a user starts it: a child process of the real CLI.
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimCluster } from '@drover/sim';
import { createRepo } from '../helpers/git.js';

function runCli(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('a bad environment lists every problem at once and exits 1 without a stack trace', async (t) => {
  const r = await runCli({ DROVER_LOG_LEVEL: 'loud', NOMAD_ADDR: 'ftp://x', DROVER_WEBHOOK_SECRET: 'hush-hush-secret' });
  t.is(r.code, 1);
  t.regex(r.stderr, /invalid configuration/);
  t.regex(r.stderr, /DROVER_LOG_LEVEL/);
  t.regex(r.stderr, /NOMAD_ADDR/);
  t.regex(r.stderr, /DROVER_GIT_URL: required/);
  t.false(/\n\s+at /.test(r.stderr), r.stderr);
  t.false((r.stdout + r.stderr).includes('hush-hush-secret'));
});

test('drover run listens, logs JSON with its address, and exits 0 on SIGTERM after a graceful shutdown', async (t) => {
  const sim = await startSimCluster();
  t.teardown(() => sim.close());
  const repo = createRepo({ files: { 'apps/README.md': 'no apps yet' } });
  t.teardown(() => repo.remove());
  const workDir = mkdtempSync(join(tmpdir(), 'drover-cli-'));
  t.teardown(() => rmSync(workDir, { recursive: true, force: true }));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run'], {
    env: {
      PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NOMAD_ADDR: sim.urls.nomad, CONSUL_HTTP_ADDR: sim.urls.consul,
      DROVER_GIT_URL: repo.url, DROVER_GIT_PATH: 'apps', DROVER_LISTEN: '127.0.0.1:0', DROVER_WORK_DIR: workDir, DROVER_ADMIN_TOKEN: 'tok-do-not-log',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "drover listening" line: ${stdout}${stderr}`)), 40_000);
    child.stdout.on('data', (d) => {
      stdout += d;
      const line = stdout.split('\n').find((l) => l.includes('"drover listening"'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line).address);
      }
    });
  });
  t.is(await (await fetch(`${address}/healthz`)).text(), 'ok');
  child.kill('SIGTERM');
  t.is(await exited, 0, stderr);
  const records = stdout.trim().split('\n').map((l) => JSON.parse(l) as { level: string; msg: string });
  t.true(records.some((r) => r.msg === 'shutdown complete'), stdout);
  t.false(stdout.includes('tok-do-not-log'));
  t.is(stderr, '');
});
