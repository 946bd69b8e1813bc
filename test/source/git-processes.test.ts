// git child processes against a remote that accepts and never answers (a local TCP server over
// http://): on timeout and on stop the whole process group goes (git-remote-http used to outlive git
// under PID 1); credentials in DROVER_GIT_URL never reach a command line; git gets only the
// environment it needs. Timeouts run on the fake clock: nothing here waits for one to pass.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { nullLogger } from '../../src/core/logger.js';
import { Metrics } from '../../src/metrics.js';
import { gitEnvironment, splitUrlCredentials } from '../../src/source/git-exec.js';
import { GitSource } from '../../src/source/git.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { bareForDumbHttp, createRepo, testGitEnv } from '../helpers/git.js';
import { startHangingServer } from '../helpers/hanging-server.js';
import { processesMentioning, until } from '../helpers/procs.js';

function hangingSource(t: { teardown(fn: () => unknown): void }, port: number, clock: FakeClock) {
  const workDir = mkdtempSync(join(tmpdir(), 'drover-hang-'));
  const metrics = new Metrics();
  const source = new GitSource({
    git: { url: `http://127.0.0.1:${port}/org/apps.git`, ref: 'main', path: '.', pollIntervalMs: 30_000 },
    metrics, logger: nullLogger, workDir, scheduler: clock, timeoutMs: 120_000,
  });
  t.teardown(async () => {
    await source.stop();
    rmSync(workDir, { recursive: true, force: true });
  });
  return source;
}

const needle = (port: number) => `127.0.0.1:${port}/org/apps.git`;

test('a fetch that hangs past its timeout kills git and git-remote-http together', async (t) => {
  const remote = await startHangingServer();
  t.teardown(() => remote.close());
  const clock = new FakeClock();
  const source = hangingSource(t, remote.port, clock);
  const started = source.start();
  // git fetch → git remote-http <url> <url>: both name the URL on their command line
  const procs = await until('git and its remote helper running', () => {
    const p = processesMentioning(needle(remote.port));
    return p.some((x) => /remote-https?/.test(x.cmdline)) && p.length >= 2 ? p : undefined;
  });
  t.true(procs.some((p) => /^git(\s|$)/.test(p.cmdline) || /\/git\s/.test(p.cmdline)), procs.map((p) => p.cmdline).join('\n'));
  await until('the remote got a connection', () => remote.accepted() > 0);
  await clock.waitFor('git-timeout');
  await clock.advance(120_000);
  await started;
  t.regex(source.state().lastError?.message ?? '', /git fetch failed: timed out after 120000ms/);
  await until('no git process of this fetch left', () => processesMentioning(needle(remote.port)).length === 0);
  t.pass();
});

test('stop() while a fetch hangs returns at once (no timeout passes) and leaves no git process behind', async (t) => {
  const remote = await startHangingServer();
  t.teardown(() => remote.close());
  const clock = new FakeClock();
  const source = hangingSource(t, remote.port, clock);
  const started = source.start();
  await until('git and its remote helper running', () => processesMentioning(needle(remote.port)).some((x) => /remote-https?/.test(x.cmdline)));
  await source.stop();
  await started;
  t.deepEqual(processesMentioning(needle(remote.port)), []);
  t.deepEqual(clock.pending(), [], 'no poll re-armed, no timeout left');
});

test('git children get only what git needs: no Nomad, Consul, Vault or drover tokens', async (t) => {
  const planted = { NOMAD_TOKEN: 'nomad-secret-1', VAULT_TOKEN: 'vault-secret-2', CONSUL_HTTP_TOKEN: 'consul-secret-3', DROVER_ADMIN_TOKEN: 'admin-secret-4', DROVER_WEBHOOK_SECRET: 'hook-secret-5' };
  Object.assign(process.env, planted);
  t.teardown(() => {
    for (const k of Object.keys(planted)) delete process.env[k];
  });
  const remote = await startHangingServer();
  t.teardown(() => remote.close());
  const source = hangingSource(t, remote.port, new FakeClock());
  void source.start();
  const procs = await until('git running', () => {
    const p = processesMentioning(needle(remote.port)).filter((x) => x.environ);
    return p.length >= 2 ? p : undefined;
  });
  for (const p of procs) {
    for (const k of Object.keys(planted)) t.false(k in p.environ!, `${k} reached ${p.cmdline}`);
    t.is(p.environ!.GIT_TERMINAL_PROMPT, '0');
    t.truthy(p.environ!.PATH);
  }
  const env = gitEnvironment({ PATH: '/bin', HOME: '/h', https_proxy: 'http://proxy:3128', ...planted, AWS_SECRET_ACCESS_KEY: 'x' });
  t.deepEqual(Object.keys(env).sort(), ['GCM_INTERACTIVE', 'GIT_TERMINAL_PROMPT', 'HOME', 'LC_ALL', 'PATH', 'https_proxy']);
});

test('credentials in DROVER_GIT_URL are answered through askpass, never on a command line', async (t) => {
  const user = 'alice';
  const secret = 'hunter2-PassWord-77';
  const repo = createRepo({ files: { 'web.yaml': 'kind: App\n' } });
  const tmp = mkdtempSync(join(tmpdir(), 'drover-urlcred-'));
  t.teardown(() => {
    repo.remove();
    rmSync(tmp, { recursive: true, force: true });
  });
  const bare = bareForDumbHttp(repo.dir, tmp);
  const expected = `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
  // The first request is held until the test has looked at every command line on the machine.
  let releaseFirst!: () => void;
  const firstSeen = new Promise<void>((r) => (releaseFirst = r));
  let held: Promise<void> | undefined;
  let requests = 0;
  const server = createServer(async (req, res) => {
    if (++requests === 1) {
      held = firstSeen;
      await held;
    }
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end('denied');
      return;
    }
    const path = normalize(decodeURIComponent(new URL(req.url!, 'http://x').pathname)).replace(/^\/repo\.git/, '');
    try {
      res.writeHead(200).end(readFileSync(join(bare, path)));
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const url = `http://${user}:${encodeURIComponent(secret)}@127.0.0.1:${port}/repo.git`;
  const source = new GitSource({ git: { url, ref: 'main', path: '.', pollIntervalMs: 60_000 }, metrics: new Metrics(), logger: nullLogger, workDir: join(tmp, 'work'), scheduler: new FakeClock() });
  t.teardown(() => source.stop());
  const started = source.start();
  const procs = await until('git fetching', () => (held && processesMentioning(`127.0.0.1:${port}`).length >= 2 ? processesMentioning(`127.0.0.1:${port}`) : undefined));
  for (const p of procs) t.false(p.cmdline.includes(secret) || p.cmdline.includes(`${user}@`), p.cmdline);
  releaseFirst();
  await started;
  t.is(source.state().lastError, undefined, source.state().lastError?.message);
  t.is(source.state().snapshot?.revision, repo.head());
  t.deepEqual(splitUrlCredentials('https://u:p%40ss@git.example/r.git'), { url: 'https://git.example/r.git', username: 'u', password: 'p@ss' });
  t.deepEqual(splitUrlCredentials('git@github.com:org/r.git'), { url: 'git@github.com:org/r.git' });
});
