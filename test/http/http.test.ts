import test from 'ava';
import type { AppStatus } from '../../src/core/status.js';
import { signBody } from '../../src/http/signature.js';
import { startHttp } from '../helpers/http-app.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = (r: Response): Promise<any> => r.json();

const ADMIN = 'admin-token-0123456789';
const SECRET = 'webhook-secret-abc';

test('GET /healthz is 200 ok', async (t) => {
  const { base } = await startHttp(t);
  const r = await fetch(`${base}/healthz`);
  t.is(r.status, 200);
  t.is(await r.text(), 'ok');
});

test('GET /readyz: 200 when every check passes, 503 with the failed check otherwise; ?verbose lists all', async (t) => {
  const { base, controller, metrics } = await startHttp(t);
  let r = await fetch(`${base}/readyz`);
  t.is(r.status, 200);
  t.is(await r.text(), 'ok');
  t.is((await metrics.ready.get()).values[0]!.value, 1);
  r = await fetch(`${base}/readyz?verbose`);
  t.is(await r.text(), '[+]snapshot ok\n[+]nomad ok\nreadyz check passed\n');

  controller.checks = [{ name: 'snapshot', ok: true }, { name: 'nomad', ok: false, reason: 'connection refused' }];
  r = await fetch(`${base}/readyz`);
  t.is(r.status, 503);
  t.is(await r.text(), '[-]nomad failed: connection refused\nreadyz check failed\n');
  t.is((await metrics.ready.get()).values[0]!.value, 0);
  r = await fetch(`${base}/readyz?verbose=1`);
  t.is(r.status, 503);
  t.is(await r.text(), '[+]snapshot ok\n[-]nomad failed: connection refused\nreadyz check failed\n');
});

test('GET /metrics: Prometheus text with its content type and every drover metric family', async (t) => {
  const { base, metrics } = await startHttp(t);
  const r = await fetch(`${base}/metrics`);
  t.is(r.status, 200);
  t.is(r.headers.get('content-type'), metrics.registry.contentType);
  const text = await r.text();
  const families = (await metrics.registry.getMetricsAsJSON()).map((m) => m.name);
  t.true(families.length >= 20);
  for (const name of families) t.true(text.includes(`# TYPE ${name} `), name);
  t.true(text.includes('drover_git_fetch_total{result="error"} 0'));
});

test('GET /apps lists revision, leader and apps; GET /apps/:ns/:name finds one or 404s as JSON', async (t) => {
  const { base } = await startHttp(t);
  let r = await fetch(`${base}/apps`);
  t.is(r.status, 200);
  const body = await json(r);
  t.is(body.revision, 'abc123');
  t.deepEqual(body.leader, { enabled: false, isLeader: true });
  t.deepEqual(body.apps.map((a: AppStatus) => `${a.namespace}/${a.name}`), ['default/web', 'team-a/api']);
  r = await fetch(`${base}/apps/team-a/api`);
  t.is(r.status, 200);
  t.like(await json(r), { namespace: 'team-a', name: 'api', sync: 'Synced' });
  r = await fetch(`${base}/apps/team-a/nope`);
  t.is(r.status, 404);
  t.true(r.headers.get('content-type')!.startsWith('application/json'));
  t.deepEqual(await json(r), { error: 'not-found', message: 'app team-a/nope is not known' });
});

test('unknown routes and malformed bodies answer JSON without stack traces', async (t) => {
  const { base } = await startHttp(t, { DROVER_WEBHOOK_SECRET: SECRET });
  let r = await fetch(`${base}/nope`);
  t.is(r.status, 404);
  t.is((await json(r)).error, 'not-found');
  r = await fetch(`${base}/webhook/git`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${signBody('{"broken', SECRET)}` }, body: '{"broken' });
  t.is(r.status, 400);
  const text = await r.text();
  t.is(JSON.parse(text).error, 'bad-request');
  t.false(/\n\s+at /.test(text));
});

test('POST /apps/:ns/:name/sync: 403 when no admin token is configured', async (t) => {
  const { base, controller } = await startHttp(t);
  const r = await fetch(`${base}/apps/default/web/sync`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
  t.is(r.status, 403);
  t.regex((await json(r)).message, /sync is disabled: DROVER_ADMIN_TOKEN is not configured/);
  t.deepEqual(controller.syncRequests, []);
});

test('POST /apps/:ns/:name/sync: 401 missing/wrong token, 202 right token, 404 unknown app', async (t) => {
  const { base, controller } = await startHttp(t, { DROVER_ADMIN_TOKEN: ADMIN });
  const post = (path: string, auth?: string) => fetch(`${base}${path}`, { method: 'POST', headers: auth ? { authorization: auth } : {} });
  let r = await post('/apps/default/web/sync');
  t.is(r.status, 401);
  t.is((await json(r)).error, 'unauthorized');
  r = await post('/apps/default/web/sync', `Bearer ${ADMIN}x`);
  t.is(r.status, 401);
  r = await post('/apps/default/web/sync', `Basic ${ADMIN}`);
  t.is(r.status, 401);
  t.deepEqual(controller.syncRequests, []);
  r = await post('/apps/default/web/sync', `Bearer ${ADMIN}`);
  t.is(r.status, 202);
  t.deepEqual(await json(r), { queued: true, app: 'default/web' });
  t.deepEqual(controller.syncRequests, ['default/web']);
  r = await post('/apps/default/ghost/sync', `Bearer ${ADMIN}`);
  t.is(r.status, 404);
});

test('POST /apps/:ns/:name/approve-prune: needs the admin token (401 without), 404 for a job whose stop is not held, 202 approves', async (t) => {
  const { base, controller } = await startHttp(t, { DROVER_ADMIN_TOKEN: ADMIN });
  const post = (path: string, auth?: string) => fetch(`${base}${path}`, { method: 'POST', headers: auth ? { authorization: auth } : {} });
  let r = await post('/apps/default/old/approve-prune');
  t.is(r.status, 401);
  t.deepEqual(controller.approvals, []);
  r = await post('/apps/default/web/approve-prune', `Bearer ${ADMIN}`);
  t.is(r.status, 404);
  r = await post('/apps/default/old/approve-prune', `Bearer ${ADMIN}`);
  t.is(r.status, 202);
  t.deepEqual(await json(r), { approved: true, job: 'default/old' });
  t.deepEqual(controller.approvals, ['default/old']);
  const held = await json(await fetch(`${base}/prunes`));
  t.deepEqual(held.prunes.map((p: { name: string; pruning: { reason: string } }) => [p.name, p.pruning.reason]), [['old', 'share-limit']]);
  const apps = await json(await fetch(`${base}/apps`));
  t.deepEqual(apps.brokenFiles, [{ file: 'apps/bad.yaml', line: 3, reason: 'file is larger than 1 MiB' }]);
});

test('POST /apps/:ns/:name/promote: 401 without the admin token, 202 promotes, then 404 (nothing waits), 404 unknown app', async (t) => {
  const { base, controller } = await startHttp(t, { DROVER_ADMIN_TOKEN: ADMIN });
  const post = (path: string, auth?: string) => fetch(`${base}${path}`, { method: 'POST', headers: auth ? { authorization: auth } : {} });
  let r = await post('/apps/default/web/promote');
  t.is(r.status, 401);
  r = await post('/apps/default/web/promote', `Bearer ${ADMIN}-wrong`);
  t.is(r.status, 401);
  t.true(controller.awaitingPromotion.has('default/web'), 'nothing promoted without the right token');
  r = await post('/apps/default/web/promote', `Bearer ${ADMIN}`);
  t.is(r.status, 202);
  t.deepEqual(await json(r), { promoted: true, app: 'default/web', deployment: 'd5f1c0de-0000-4000-8000-000000000001', jobVersion: 3, groups: ['web'] });
  t.false(controller.awaitingPromotion.has('default/web'));
  r = await post('/apps/default/web/promote', `Bearer ${ADMIN}`);
  t.is(r.status, 404);
  t.deepEqual(await json(r), { error: 'not-found', message: 'app default/web has no deployment' });
  r = await post('/apps/default/ghost/promote', `Bearer ${ADMIN}`);
  t.is(r.status, 404);
  t.deepEqual(await json(r), { error: 'not-found', message: 'app default/ghost is not known' });
});

test('POST /apps/:ns/:name/promote: 409 not the leader or refused by Nomad, 503 Nomad unreachable, 403 without a configured token', async (t) => {
  const { base, controller } = await startHttp(t, { DROVER_ADMIN_TOKEN: ADMIN });
  const post = () => fetch(`${base}/apps/default/web/promote`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
  controller.promoteAnswer = 'not-leader';
  let r = await post();
  t.is(r.status, 409);
  t.deepEqual(await json(r), { error: 'conflict', message: 'this instance is not the leader' });
  controller.promoteAnswer = 'refused';
  r = await post();
  t.is(r.status, 409);
  t.regex((await json(r)).message, /has 0\/1 healthy allocations/);
  controller.promoteAnswer = 'unavailable';
  r = await post();
  t.is(r.status, 503);
  t.is((await json(r)).error, 'unavailable');
  t.true(controller.awaitingPromotion.has('default/web'), 'still waiting after every refusal');
  const off = await startHttp(t);
  r = await fetch(`${off.base}/apps/default/web/promote`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
  t.is(r.status, 403);
  t.true(off.controller.awaitingPromotion.has('default/web'));
});

test('POST /apps/:ns/:name/approve-prune: 403 when no admin token is configured', async (t) => {
  const { base, controller } = await startHttp(t);
  const r = await fetch(`${base}/apps/default/old/approve-prune`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
  t.is(r.status, 403);
  t.deepEqual(controller.approvals, []);
});

function push(base: string, body: string, headers: Record<string, string>) {
  return fetch(`${base}/webhook/git`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

const PUSH = JSON.stringify({ ref: 'refs/heads/main', after: 'deadbeef', repository: { full_name: 'o/r' } });

test('webhook: 403 when no secret is configured', async (t) => {
  const { base, source } = await startHttp(t);
  const r = await push(base, PUSH, { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${signBody(PUSH, SECRET)}` });
  t.is(r.status, 403);
  t.regex((await json(r)).message, /DROVER_WEBHOOK_SECRET/);
  t.is(source.refreshes, 0);
});

test('webhook: a good GitHub signature over the raw body triggers a fetch (202)', async (t) => {
  const { base, source } = await startHttp(t, { DROVER_WEBHOOK_SECRET: SECRET });
  // odd whitespace: the HMAC must be over the bytes sent, not a re-serialisation
  const body = `{ "ref" :  "refs/heads/main",\n "after": "x" }`;
  const r = await push(base, body, { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${signBody(body, SECRET)}` });
  t.is(r.status, 202);
  t.deepEqual(await json(r), { accepted: true, event: 'push' });
  t.is(source.refreshes, 1);
});

test('webhook: a good Gitea signature triggers a fetch (202)', async (t) => {
  const { base, source } = await startHttp(t, { DROVER_WEBHOOK_SECRET: SECRET });
  const r = await push(base, PUSH, { 'x-gitea-event': 'push', 'x-gitea-signature': signBody(PUSH, SECRET) });
  t.is(r.status, 202);
  t.is(source.refreshes, 1);
});

test('webhook: bad or missing signatures are 401 and fetch nothing', async (t) => {
  const { base, source } = await startHttp(t, { DROVER_WEBHOOK_SECRET: SECRET });
  const cases: Array<[string, Record<string, string>]> = [
    ['missing', { 'x-github-event': 'push' }],
    ['wrong secret', { 'x-hub-signature-256': `sha256=${signBody(PUSH, 'other')}` }],
    ['signature of another body', { 'x-gitea-signature': signBody(PUSH + ' ', SECRET) }],
    ['no sha256= prefix', { 'x-hub-signature-256': signBody(PUSH, SECRET) }],
    ['not hex', { 'x-gitea-signature': 'zz' }],
  ];
  for (const [title, headers] of cases) {
    const r = await push(base, PUSH, headers);
    t.is(r.status, 401, title);
    t.is((await json(r)).error, 'unauthorized', title);
  }
  t.is(source.refreshes, 0);
});

test('webhook: ping is 200; a push to another branch is acknowledged but ignored', async (t) => {
  const { base, source } = await startHttp(t, { DROVER_WEBHOOK_SECRET: SECRET });
  const ping = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
  let r = await push(base, ping, { 'x-github-event': 'ping', 'x-hub-signature-256': `sha256=${signBody(ping, SECRET)}` });
  t.is(r.status, 200);
  t.like(await json(r), { ok: true, event: 'ping' });
  const other = JSON.stringify({ ref: 'refs/heads/feature' });
  r = await push(base, other, { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${signBody(other, SECRET)}` });
  t.is(r.status, 200);
  t.regex((await json(r)).ignored, /refs\/heads\/feature is not the tracked ref main/);
  t.is(source.refreshes, 0);
});

test('webhook: GitHub form-encoded payloads are verified over the raw bytes too', async (t) => {
  const { base, source } = await startHttp(t, { DROVER_WEBHOOK_SECRET: SECRET });
  const body = `payload=${encodeURIComponent(PUSH)}`;
  const r = await fetch(`${base}/webhook/git`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${signBody(body, SECRET)}` },
    body,
  });
  t.is(r.status, 202);
  t.is(source.refreshes, 1);
});

test('webhook: push payloads of several MB are accepted (GitHub sends up to 25 MB): hashed as they stream, fetched without parsing', async (t) => {
  const { base, source } = await startHttp(t, { DROVER_WEBHOOK_SECRET: SECRET });
  const body = JSON.stringify({ ref: 'refs/heads/main', commits: [{ message: 'x'.repeat(3 * 1024 * 1024) }] });
  const r = await push(base, body, { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${signBody(body, SECRET)}` });
  t.is(r.status, 202);
  t.is(source.refreshes, 1);
});
