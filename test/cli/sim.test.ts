// `drover sim` as a user runs it: a child process that prints the addresses and env lines, serves
// the three simulators, and exits 0 on SIGTERM/SIGINT. How fast it is up is the benchmark's business:
// on a busy machine a start-up time says nothing about drover (issue #9).
import test from 'ava';
import { spawn } from 'node:child_process';
import { loadSimulator, type SimulatorApi } from '../../src/cli/commands/sim.js';

const CWD = new URL('../..', import.meta.url).pathname;

function runSim(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@drover/source', 'src/cli/main.ts', 'sim', ...args], { cwd: CWD, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

async function waitFor(pred: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pred()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return pred();
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test.serial(`drover sim prints env lines, serves the simulators and exits 0 on ${signal}`, async (t) => {
    const p = runSim(['--nomad-port', '0', '--consul-port', '0', '--vault-port', '0', '--alloc-delay', '50ms']);
    t.teardown(() => {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
    });
    t.true(await waitFor(() => p.out().includes('export VAULT_TOKEN='), 30_000), p.err());
    const env = Object.fromEntries([...p.out().matchAll(/^export (\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
    t.regex(env.NOMAD_ADDR!, /^http:\/\/127\.0\.0\.1:\d+$/);
    t.is(env.VAULT_TOKEN, 'root');
    t.is((await fetch(`${env.NOMAD_ADDR}/v1/jobs`)).status, 200);
    t.truthy(await (await fetch(`${env.CONSUL_HTTP_ADDR}/v1/status/leader`)).json());
    t.is((await fetch(`${env.VAULT_ADDR}/v1/sys/health`)).status, 200);
    p.child.kill(signal);
    t.is(await p.exited, 0, p.err());
    t.regex(p.err(), new RegExp(`${signal}, stopping`));
  });
}

test.serial('drover sim refuses bad flags with one clear line and exit 1', async (t) => {
  const p = runSim(['--nomad-port', 'abc', '--alloc-delay', 'soon']);
  t.teardown(() => {
    if (p.child.exitCode === null) p.child.kill('SIGKILL');
  });
  t.is(await p.exited, 1);
  t.is(p.err().trim(), 'drover: --nomad-port: "abc" is not a port number (0-65535); --alloc-delay: "soon" is not a duration (e.g. 200ms, 1s)');
});

test.serial('drover sim --drivers, --nomad-version, --time-scale: the node lacks the other drivers, the agent reports the version; bad values are refused', async (t) => {
  const p = runSim(['--nomad-port', '0', '--consul-port', '0', '--vault-port', '0', '--drivers', 'exec,raw_exec', '--nomad-version', '1.9.7', '--time-scale', '0']);
  t.teardown(() => {
    if (p.child.exitCode === null) p.child.kill('SIGKILL');
  });
  t.true(await waitFor(() => p.out().includes('export VAULT_TOKEN='), 10_000), p.err());
  const nomad = /^export NOMAD_ADDR=(\S+)$/m.exec(p.out())![1]!;
  const self = (await (await fetch(`${nomad}/v1/agent/self`)).json()) as any;
  t.is(self.config.Version.Version, '1.9.7');
  const job = { ID: 'dock', TaskGroups: [{ Name: 'web', Tasks: [{ Name: 'web', Driver: 'docker', Config: { image: 'nginx' } }] }] };
  const plan = (await (await fetch(`${nomad}/v1/job/dock/plan`, { method: 'PUT', body: JSON.stringify({ Job: job }) })).json()) as any;
  t.deepEqual(plan.FailedTGAllocs.web.ConstraintFiltered, { 'missing drivers': 1 });
  p.child.kill('SIGTERM');
  t.is(await p.exited, 0, p.err());
  const bad = runSim(['--drivers', 'Docker!', '--nomad-version', 'two', '--time-scale', 'fast']);
  t.is(await bad.exited, 1);
  t.is(bad.err().trim(), 'drover: --drivers: "Docker!" is not a driver name; --nomad-version: "two" is not a version like 2.0.5; --time-scale: "fast" is not a factor between 0 and 1');
});

test('the simulator package still has the shape `drover sim` declares for it', async (t) => {
  // The assignment is the check: the typecheck fails when @drover/sim no longer fits SimulatorApi.
  const api: SimulatorApi = await import('@drover/sim');
  t.is(await loadSimulator(), api, 'the command loads the package itself');
});

test('a simulator package that is not installed is told apart from one that fails to load', async (t) => {
  t.is(await loadSimulator('@drover/no-such-package'), undefined);
  await t.throwsAsync(loadSimulator('./no-such-module.js'), { any: true, code: 'ERR_MODULE_NOT_FOUND' });
});
