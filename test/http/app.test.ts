// The whole `drover run` in one process: a real git repo, the simulated cluster over HTTP, the Nest
// app on an ephemeral port. A webhook push moves it to a new commit; close() shuts down gracefully.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogFields, Logger } from '../../src/core/logger.js';
import { signBody } from '../../src/http/signature.js';
import { runDrover } from '../../src/main.js';
import { startSimCluster } from '@drover/sim';
import { createRepo } from '../helpers/git.js';

const SECRET = 'e2e-webhook-secret';
const ADMIN = 'e2e-admin-token';

function app(name: string, count: number): string {
  return ['apiVersion: drover.io/v1alpha1', 'kind: App', 'metadata:', `  name: ${name}`, 'spec:', '  image: nginx:1.27', '  port: 80', `  count: ${count}`, ''].join('\n');
}

function collectingLogger(records: Array<{ level: string; msg: string; fields: LogFields }>, bound: LogFields = {}): Logger {
  const at = (level: string) => (msg: string, f?: LogFields) => void records.push({ level, msg, fields: { ...bound, ...f } });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (f) => collectingLogger(records, { ...bound, ...f }) };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('drover run: first sync, webhook-triggered update, status, metrics, graceful close', async (t) => {
  const sim = await startSimCluster({ allocDelayMs: 10 });
  t.teardown(() => sim.close());
  const repo = createRepo({ files: { 'apps/web.yaml': app('web', 1), 'README.md': 'not an app' } });
  t.teardown(() => repo.remove());
  const workDir = mkdtempSync(join(tmpdir(), 'drover-e2e-'));
  t.teardown(() => rmSync(workDir, { recursive: true, force: true }));
  const records: Array<{ level: string; msg: string; fields: LogFields }> = [];

  const drover = await runDrover({
    NOMAD_ADDR: sim.urls.nomad, CONSUL_HTTP_ADDR: sim.urls.consul, DROVER_GIT_URL: repo.url, DROVER_GIT_PATH: 'apps',
    DROVER_GIT_POLL_INTERVAL: '1h', DROVER_LISTEN: '127.0.0.1:0', DROVER_WEBHOOK_SECRET: SECRET, DROVER_ADMIN_TOKEN: ADMIN,
  }, { logger: collectingLogger(records), workDir, shutdownHooks: false });
  t.teardown(() => drover.close());
  const base = drover.url;

  t.is((await fetch(`${base}/healthz`)).status, 200);
  await drover.started;
  await until('ready', async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined));
  const first = await (await fetch(`${base}/apps`)).json() as { revision: string; apps: Array<{ namespace: string; name: string }> };
  t.is(first.revision, repo.head());
  t.deepEqual(first.apps.map((a) => `${a.namespace}/${a.name}`), ['default/web']);
  const job = await until('job web in Nomad', async () => {
    const r = await fetch(`${sim.urls.nomad}/v1/job/web`);
    return r.status === 200 ? (await r.json()) as { TaskGroups: Array<{ Count: number }> } : undefined;
  });
  t.is(job.TaskGroups[0]!.Count, 1);

  // a push + webhook moves drover to the new commit without waiting for the (1 h) poll
  const rev2 = repo.commit({ 'apps/web.yaml': app('web', 3) }, 'scale web');
  const body = JSON.stringify({ ref: 'refs/heads/main', after: rev2 });
  const hook = await fetch(`${base}/webhook/git`, {
    method: 'POST', body, headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${signBody(body, SECRET)}` },
  });
  t.is(hook.status, 202);
  await until('revision 2', async () => ((await (await fetch(`${base}/apps`)).json() as { revision: string }).revision === rev2 ? true : undefined));
  await until('count 3 in Nomad', async () => {
    const j = await (await fetch(`${sim.urls.nomad}/v1/job/web`)).json() as { TaskGroups: Array<{ Count: number }> };
    return j.TaskGroups[0]!.Count === 3 ? true : undefined;
  });

  const sync = await fetch(`${base}/apps/default/web/sync`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
  t.is(sync.status, 202);

  const metrics = await (await fetch(`${base}/metrics`)).text();
  t.true(metrics.includes(`drover_git_revision_info{revision="${rev2}"} 1`));
  t.false(metrics.includes(`drover_git_revision_info{revision="${first.revision}"}`));
  t.regex(metrics, /drover_git_fetch_total\{result="success"\} [2-9]/);
  t.true(metrics.includes('process_cpu_seconds_total'), 'default process metrics are on');
  t.true(records.some((r) => r.msg === 'drover listening' && r.fields.address === base));

  await drover.close();
  await t.throwsAsync(fetch(`${base}/healthz`), undefined, 'no longer accepting after close');
  t.true(records.some((r) => r.msg === 'shutdown complete'));
  const logged = JSON.stringify(records);
  t.false(logged.includes(SECRET));
  t.false(logged.includes(ADMIN));
});
