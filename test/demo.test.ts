// Smoke test of `npm run demo`: the script starts on ephemeral ports, every example app (one per seed)
// reaches Synced in the simulated cluster, and Ctrl-C (SIGINT) shuts it down with exit code 0.
import test from 'ava';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = process.cwd();

test('npm run demo syncs every example app and exits 0 on SIGINT', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@drover/source', 'scripts/demo.ts'], {
    cwd: root,
    env: { ...process.env, DEMO_NOMAD_PORT: '0', DEMO_CONSUL_PORT: '0', DEMO_VAULT_PORT: '0', DROVER_LISTEN: '127.0.0.1:0', DROVER_LOG_LEVEL: 'error', DROVER_LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  const deadline = Date.now() + 30_000;
  let appsUrl: string | undefined;
  while (!appsUrl) {
    appsUrl = /app status\s+(http:\/\/\S+\/apps)\s/.exec(out)?.[1];
    if (child.exitCode !== null) t.fail(`demo exited early (${child.exitCode}): ${err}`);
    if (Date.now() > deadline) t.fail(`no /apps URL printed; stdout: ${out}; stderr: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  t.notRegex(appsUrl, /:8080\//, 'the real bound port is printed, not the default');

  const files = readdirSync(join(root, 'examples', 'apps')).filter((f) => f.endsWith('.yaml'));
  t.true(files.length >= 4, 'examples from all four seeds');
  let apps: Array<{ name: string; sync: string; source?: { file: string } }> = [];
  for (;;) {
    try {
      apps = ((await (await fetch(appsUrl)).json()) as { apps: typeof apps }).apps;
    } catch {
      apps = [];
    }
    const seen = new Set(apps.map((a) => a.source?.file));
    if (apps.length > 0 && files.every((f) => seen.has(f)) && apps.every((a) => a.sync === 'Synced')) break;
    if (Date.now() > deadline) {
      t.fail(`not all example apps Synced: ${JSON.stringify(apps)}`);
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  t.true(apps.length >= files.length, `one app or more per example file: ${apps.map((a) => a.name).join(', ')}`);

  child.kill('SIGINT');
  const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5000))]);
  t.is(code, 0, `demo exit after SIGINT; stderr: ${err}`);
});
