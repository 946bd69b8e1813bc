// HTTP before auth (issue #9): the signature or token is checked before a byte of a body is read, no
// route but the webhook reads one, the webhook hashes its body as it streams whatever the
// Content-Type, and readers of /apps and /metrics share one rendering while nothing changed.
import test from 'ava';
import { Agent, get } from 'node:http';
import { connect } from 'node:net';
import { AppsController } from '../../src/http/apps.controller.js';
import { HealthController, METRICS_MAX_AGE_MS } from '../../src/http/health.controller.js';
import { signBody } from '../../src/http/signature.js';
import { WEBHOOK_MAX_BYTES, WEBHOOK_PARSE_BYTES } from '../../src/http/webhook.controller.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { startHttp } from '../helpers/http-app.js';

const ADMIN = 'admin-token-0123456789';
const SECRET = 'webhook-secret-abc';
const PUSH = JSON.stringify({ ref: 'refs/heads/main', after: 'deadbeef' });

/**
 * Sends a request whose headers promise `declared` body bytes but only `sent` of them, and resolves with
 * the status line of the answer — which can come only if the server answered without reading the body.
 */
function answerBeforeBody(base: string, path: string, headers: Record<string, string>, declared: number, sent = 1024): Promise<number> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), hostname, () => {
      const head = [`POST ${path} HTTP/1.1`, `Host: ${hostname}`, `Content-Length: ${declared}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
      s.write(head);
      s.write(Buffer.alloc(sent, 'x'));
    });
    let got = '';
    s.on('data', (d) => {
      got += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
      if (m) {
        s.destroy();
        resolve(Number(m[1]));
      }
    });
    s.on('error', reject);
    s.on('close', () => reject(new Error(`closed without an answer: ${JSON.stringify(got)}`)));
  });
}

test('an unsigned 20 MB webhook POST is refused (401) before its body is read', async (t) => {
  const { base, source } = await startHttp(t, { DROVER_WEBHOOK_SECRET: SECRET });
  t.is(await answerBeforeBody(base, '/webhook/git', { 'Content-Type': 'application/json', 'X-GitHub-Event': 'push' }, 20 * 1024 * 1024), 401);
  t.is(source.refreshes, 0);
});

test('a webhook POST with no secret configured is refused (403) before its body is read', async (t) => {
  const { base } = await startHttp(t);
  t.is(await answerBeforeBody(base, '/webhook/git', { 'Content-Type': 'application/json' }, 20 * 1024 * 1024), 403);
});

test('a signed webhook declaring more than the limit is refused (413) before its body is read', async (t) => {
  const { base } = await startHttp(t, { DROVER_WEBHOOK_SECRET: SECRET });
  t.is(await answerBeforeBody(base, '/webhook/git', { 'X-Hub-Signature-256': `sha256=${signBody('x', SECRET)}` }, WEBHOOK_MAX_BYTES + 1), 413);
});

test('the admin token is checked before any body: a wrong token with a 20 MB body is 401 at once', async (t) => {
  const { base, controller } = await startHttp(t, { DROVER_ADMIN_TOKEN: ADMIN });
  t.is(await answerBeforeBody(base, '/apps/default/web/sync', { Authorization: 'Bearer wrong', 'Content-Type': 'application/json' }, 20 * 1024 * 1024), 401);
  t.deepEqual(controller.syncRequests, []);
});

test('the sync endpoint parses no body: a right token with a malformed JSON body is still 202', async (t) => {
  const { base, controller } = await startHttp(t, { DROVER_ADMIN_TOKEN: ADMIN });
  const r = await fetch(`${base}/apps/default/web/sync`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: '{"broken' });
  t.is(r.status, 202);
  t.deepEqual(controller.syncRequests, ['default/web']);
});

for (const contentType of ['text/plain', undefined, 'application/octet-stream']) {
  test(`a signed webhook with ${contentType ? `Content-Type ${contentType}` : 'no Content-Type'} verifies and is parsed`, async (t) => {
    const { base, source } = await startHttp(t, { DROVER_WEBHOOK_SECRET: SECRET });
    const headers: Record<string, string> = { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${signBody(PUSH, SECRET)}` };
    if (contentType) headers['content-type'] = contentType;
    // fetch adds text/plain to a string body: a Uint8Array body goes out without any Content-Type
    const r = await fetch(`${base}/webhook/git`, { method: 'POST', headers, body: contentType ? PUSH : new TextEncoder().encode(PUSH) });
    t.is(r.status, 202, await r.clone().text());
    t.is(source.refreshes, 1);
    const other = JSON.stringify({ ref: 'refs/heads/feature' });
    const r2 = await fetch(`${base}/webhook/git`, { method: 'POST', headers: { ...headers, 'x-hub-signature-256': `sha256=${signBody(other, SECRET)}` }, body: contentType ? other : new TextEncoder().encode(other) });
    t.is(r2.status, 200, 'the body was parsed: another ref is ignored');
    t.is(source.refreshes, 1);
  });
}

test('a signed push larger than the parse limit is hashed, not parsed, and still triggers a fetch', async (t) => {
  const { base, source } = await startHttp(t, { DROVER_WEBHOOK_SECRET: SECRET });
  const body = JSON.stringify({ ref: 'refs/heads/feature', commits: [{ message: 'x'.repeat(WEBHOOK_PARSE_BYTES) }] });
  const r = await fetch(`${base}/webhook/git`, { method: 'POST', headers: { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${signBody(body, SECRET)}` }, body });
  t.is(r.status, 202);
  t.is(source.refreshes, 1);
  const forged = await fetch(`${base}/webhook/git`, { method: 'POST', headers: { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${signBody(`${body} `, SECRET)}` }, body });
  t.is(forged.status, 401);
  t.is(source.refreshes, 1);
});

test('1,000 concurrent GET /apps and /metrics share one rendering each while nothing changes; a status change renders again', async (t) => {
  const clock = new FakeClock();
  const { base, controller, app } = await startHttp(t, {}, clock);
  const apps = app.get(AppsController);
  const health = app.get(HealthController);
  let listed = 0;
  const list = controller.listApps.bind(controller);
  controller.listApps = () => {
    listed++;
    return list();
  };
  // 1,000 requests in flight at once, over a pool of 64 keep-alive sockets (a thousand fresh connections
  // at once overflow the listen backlog of a busy machine, which would test the kernel, not drover)
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  t.teardown(() => agent.destroy());
  const fetchText = (path: string) => new Promise<{ status: number; text: string }>((resolve, reject) => {
    get(`${base}${path}`, { agent }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    }).on('error', reject);
  });
  const replies = await Promise.all(Array.from({ length: 1000 }, (_, i) => fetchText(i % 2 ? '/apps' : '/metrics')));
  t.true(replies.every((r) => r.status === 200));
  t.is(JSON.parse(replies[1]!.text).apps.length, 2);
  t.true(replies[0]!.text.includes('drover_reconcile_total'));
  t.is(listed, 1, 'the app list was built once for 500 readers');
  t.is(apps.listing.builds, 1);
  t.is(health.exposition.builds, 1, 'the exposition was rendered once for 500 scrapes');
  await clock.advance(METRICS_MAX_AGE_MS);
  t.true((await (await fetch(`${base}/metrics`)).text()).includes('drover_reconcile_total'));
  t.is(health.exposition.builds, 2, 'counters move without a status change: a rendering is at most a second old');
  controller.apps[0] = { ...controller.apps[0]!, sync: 'OutOfSync' };
  controller.version++;
  const after = (await (await fetch(`${base}/apps`)).json()) as { apps: Array<{ sync: string }> };
  t.is(after.apps[0].sync, 'OutOfSync');
  t.is(listed, 2);
});
