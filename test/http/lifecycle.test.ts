// Start and stop order of `drover run` (issue #9). Every start-up failure — configuration, listen (a
// busy port, a host that is not this machine's, a URL in DROVER_LISTEN), leader-election set-up — ends
// start-up before anything reached Nomad or git. A SIGTERM while a git fetch hangs ends the process
// at once (git killed with its helpers), not after git's 120 s timeout.
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../src/core/logger.js';
import { runDrover } from '../../src/main.js';
import { startSimCluster } from '@drover/sim';
import { createRepo } from '../helpers/git.js';
import { startHangingServer } from '../helpers/hanging-server.js';
import { processesMentioning, until } from '../helpers/procs.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };
const APP = ['apiVersion: drover.io/v1alpha1', 'kind: App', 'metadata:', '  name: web', 'spec:', '  image: nginx:1.27', '  port: 80', ''].join('\n');

async function busyPort(t: { teardown(fn: () => unknown): void }): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => s.close(() => r())));
  return (s.address() as AddressInfo).port;
}

/** Every request the simulated cluster answered (Nomad and Consul), from its own counters. */
async function simRequests(urls: { nomad: string; consul: string }): Promise<number> {
  let n = 0;
  for (const base of [urls.nomad, urls.consul]) {
    const c = (await (await fetch(`${base}/_sim/counters`)).json()) as { routes: Record<string, { count: number }> };
    for (const [k, v] of Object.entries(c.routes)) if (!k.includes('/_sim/')) n += v.count;
  }
  return n;
}

const cases: Array<[string, (port: number) => Record<string, string>, RegExp]> = [
  ['the port is in use', (port) => ({ DROVER_LISTEN: `127.0.0.1:${port}` }), /DROVER_LISTEN: cannot listen on 127\.0\.0\.1:\d+: the address is in use/],
  ['the host is not an address of this machine', () => ({ DROVER_LISTEN: '203.0.113.7:0' }), /DROVER_LISTEN: cannot listen on 203\.0\.113\.7:0: not allowed \(EADDRNOTAVAIL\)/],
  ['DROVER_LISTEN is a URL', () => ({ DROVER_LISTEN: 'http://127.0.0.1:8080' }), /DROVER_LISTEN: "http:\/\/127\.0\.0\.1:8080" is host:port, without a scheme/],
  ['the leader key is invalid', () => ({ DROVER_LEADER_ELECTION: 'consul', DROVER_LEADER_KEY: '/drover/leader' }), /DROVER_LEADER_KEY/],
];

for (const [title, env, message] of cases) {
  test(`start-up fails before any Nomad, Consul or git request when ${title}`, async (t) => {
    const sim = await startSimCluster({ allocDelayMs: 10 });
    t.teardown(() => sim.close());
    const repo = createRepo({ files: { 'apps/web.yaml': APP } });
    t.teardown(() => repo.remove());
    const workDir = mkdtempSync(join(tmpdir(), 'drover-startorder-'));
    t.teardown(() => rmSync(workDir, { recursive: true, force: true }));
    const port = await busyPort(t);
    const before = await simRequests(sim.urls);
    await t.throwsAsync(
      runDrover({
        NOMAD_ADDR: sim.urls.nomad, CONSUL_HTTP_ADDR: sim.urls.consul, DROVER_GIT_URL: repo.url, DROVER_GIT_PATH: 'apps',
        DROVER_LISTEN: '127.0.0.1:0', DROVER_LOG_LEVEL: 'error', ...env(port),
      }, { shutdownHooks: false, workDir, logger: silent }),
      { message },
    );
    t.is(await simRequests(sim.urls), before, 'nothing reached the simulated Nomad or Consul');
    t.false(existsSync(join(workDir, 'mirror.git')), 'git was never fetched');
    t.deepEqual((await (await fetch(`${sim.urls.nomad}/v1/jobs`)).json()) as unknown[], []);
  });
}

test('SIGTERM while the first git fetch hangs: drover run exits 0 at once and leaves no git process behind', async (t) => {
  const sim = await startSimCluster({ allocDelayMs: 10 });
  t.teardown(() => sim.close());
  const remote = await startHangingServer();
  t.teardown(() => remote.close());
  const workDir = mkdtempSync(join(tmpdir(), 'drover-sigterm-'));
  t.teardown(() => rmSync(workDir, { recursive: true, force: true }));
  const gitUrl = `http://127.0.0.1:${remote.port}/org/apps.git`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run'], {
    env: {
      PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NOMAD_ADDR: sim.urls.nomad, CONSUL_HTTP_ADDR: sim.urls.consul,
      DROVER_GIT_URL: gitUrl, DROVER_LISTEN: '127.0.0.1:0', DROVER_WORK_DIR: workDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  await until('drover listening and git fetching', () => stdout.includes('"drover listening"') && processesMentioning(`127.0.0.1:${remote.port}/org/apps.git`).some((p) => /remote-http/.test(p.cmdline)), 40_000);
  child.kill('SIGTERM');
  // git's own timeout is 120 s; the drover job's kill_timeout 45 s. A generous bound well under both:
  const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running'), 30_000))]);
  t.is(code, 0, `${stdout}\n${stderr}`);
  t.deepEqual(processesMentioning(`127.0.0.1:${remote.port}/org/apps.git`), []);
  t.true(stdout.includes('"shutdown complete"'), stdout);
});
