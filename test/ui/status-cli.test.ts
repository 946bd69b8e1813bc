// `drover status` against a running drover on the simulated cluster (real git repo, every example
// app): the table lists every app with its states, --output json is /apps, one app prints its fields,
// colour only when asked for (a TTY), and an unknown app or an unreachable drover is one line and exit 1.
import test from 'ava';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatList, runStatus } from '../../src/cli/commands/status.js';
import type { AppStatus } from '../../src/core/status.js';
import { startUiStack, type UiStack } from './stack.js';

let stack: UiStack;
let apps: AppStatus[];

test.before(async () => {
  stack = await startUiStack();
  apps = await stack.settled();
});
test.after.always(() => stack?.close());

function drover(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: { ...process.env, DROVER_URL: stack.base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

/** The command's own function in this process (the spawned tests above cover the binary and its wiring). */
async function inProcess(app: string | undefined, output: 'table' | 'json' = 'table'): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runStatus(app, { url: stack.base, output, env: {}, color: false, out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

test('the table lists every app with namespace, sync, health and revision, columns aligned, no colour off a TTY', async (t) => {
  const r = await drover(['status']);
  t.is(r.code, 0, r.err);
  const lines = r.out.trimEnd().split('\n');
  const header = lines.find((l) => l.startsWith('Namespace'))!;
  t.regex(header, /^Namespace\s+Name\s+Sync\s+Health\s+Last Action\s+Last Sync\s+Revision\s+Drift\s+Consul$/);
  const rows = lines.slice(lines.indexOf(header) + 1);
  t.is(rows.length, apps.length);
  const syncCol = header.indexOf('Sync');
  for (const a of apps) {
    const row = rows.find((l) => l.split(/\s+/)[0] === a.namespace && l.split(/\s+/)[1] === a.name);
    t.truthy(row, `${a.namespace}/${a.name}`);
    t.is(row!.slice(syncCol).split(/\s+/)[0], a.sync, 'the sync column lines up under its header');
    t.true(row!.includes(a.health));
    t.true(row!.includes(a.source!.revision.slice(0, 8)));
  }
  t.true(r.out.startsWith(`Revision = ${apps[0]!.source!.revision}`));
  t.false(r.out.includes('\x1b['), 'no escape codes when stdout is not a terminal');
});

test('--output json is what /apps serves', async (t) => {
  const r = await inProcess(undefined, 'json');
  t.is(r.code, 0, r.err);
  const parsed = JSON.parse(r.out) as { apps: AppStatus[] };
  t.deepEqual(parsed.apps.map((a) => `${a.namespace}/${a.name}`), apps.map((a) => `${a.namespace}/${a.name}`));
});

test('one app: key = value lines and its sections; a bare name means the default namespace', async (t) => {
  const r = await inProcess('tenant-b/httpbackend');
  t.is(r.code, 0, r.err);
  t.regex(r.out, /^Name\s+= httpbackend$/m);
  t.regex(r.out, /^Namespace\s+= tenant-b$/m);
  t.regex(r.out, /^Sync\s+= Synced$/m);
  t.regex(r.out, /^Source\s+= 003-weave-httpbackend\.yaml:\d+ @ [0-9a-f]{12}$/m);
  t.regex(r.out, /^Health Reasons\n\d+\/\d+ allocations running/m);
  const bare = await inProcess('webservice');
  t.regex(bare.out, /^Namespace\s+= default$/m);
});

test('an unknown app and an unreachable drover: one readable line, exit 1', async (t) => {
  const r = await inProcess('default/nope');
  t.is(r.code, 1);
  t.is(r.err, `drover: drover at ${stack.base} does not know app default/nope\n`);
  const closed = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
  const down = await drover(['status'], { DROVER_URL: `http://127.0.0.1:${closed}` });
  t.is(down.code, 1);
  t.is(down.err, `drover: cannot reach drover at http://127.0.0.1:${closed} (ECONNREFUSED); set DROVER_URL to its address\n`);
  t.false(down.err.includes('    at '), 'no stack trace');
});

test('colour on a TTY: states coloured, the columns still aligned', (t) => {
  const list = { revision: 'abc', apps: [
    { namespace: 'default', name: 'a', sync: 'Synced', health: 'Healthy', healthReasons: [], drift: [], selfHeal: true, prune: true },
    { namespace: 'default', name: 'bb', sync: 'OutOfSync', health: 'Degraded', healthReasons: [], drift: [], selfHeal: true, prune: true },
  ] as AppStatus[] };
  const colored = formatList(list, { color: true, now: 0 });
  t.true(colored.includes('\x1b[32mSynced\x1b[0m'));
  t.true(colored.includes('\x1b[31mDegraded\x1b[0m'));
  const plain = formatList(list, { color: false, now: 0 });
  t.is(colored.replace(/\x1b\[\d+m/g, ''), plain);
});
