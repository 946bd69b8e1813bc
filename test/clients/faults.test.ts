// Fault behaviour of the request core through the Nomad client, against a real HTTP server on
// loopback (SimServer with a few routes of our own). Every failure is checked for the token.
import test, { type ExecutionContext } from 'ava';
import net from 'node:net';
import { NomadClient } from '../../src/clients/nomad.js';
import { DroverError, type ErrorCode } from '../../src/core/errors.js';
import type { NomadJob } from '../../src/core/nomad-types.js';
import type { SimReply, SimServer } from '@drover/sim/http';
import { assertNoToken, collectingLogger, collectingObserver, FAST_RETRY, rejection, startServer, TOKEN } from './helpers.js';

const JOB: NomadJob = { ID: 'web', Name: 'web', TaskGroups: [{ Name: 'web', Tasks: [{ Name: 'web', Driver: 'docker' }] }] };
const REGISTER_REPLY = { EvalID: 'e1', EvalCreateIndex: 12, JobModifyIndex: 12, Warnings: '', Index: 12 };

async function fakeNomad(t: ExecutionContext): Promise<SimServer> {
  const s = await startServer(t, 'nomad');
  s.route('GET', '/v1/job/:id', (req) =>
    req.params.id === 'web' ? { json: { ...JOB, JobModifyIndex: 7 }, headers: { 'X-Nomad-Index': '7' } } : { status: 404, text: 'job not found', headers: { 'X-Nomad-Index': '3' } });
  s.route('PUT', '/v1/jobs', () => ({ json: REGISTER_REPLY, headers: { 'X-Nomad-Index': '12' } }));
  s.route('PUT', '/v1/job/:id/plan', (req) =>
    req.params.id === 'nf' ? { status: 404, text: 'job not found' } : { json: { Diff: { Type: 'None' }, JobModifyIndex: 7, Index: 7 } });
  s.route('DELETE', '/v1/job/:id', () => ({ json: { EvalID: 'e2', JobModifyIndex: 13, Index: 13 } }));
  return s;
}

function client(s: SimServer, extra: Partial<ConstructorParameters<typeof NomadClient>[0]> = {}, obs = collectingObserver(), logger = collectingLogger()) {
  return { nomad: new NomadClient({ addr: s.url, token: TOKEN, timeoutMs: 2000, retry: FAST_RETRY, ...extra }, obs, logger), obs, logger };
}

// Warm the transport up once so the first timed test does not pay for module loading.
test.before(async () => {
  const s = new (await import('@drover/sim/http')).SimServer({ name: 'warm' });
  await s.listen(0);
  s.route('GET', '/v1/job/:id', () => ({ json: JOB }));
  await new NomadClient({ addr: s.url, timeoutMs: 5000 }).readJob('web');
  await s.close();
});

const puts = (s: SimServer) => s.count((k) => k === 'PUT /v1/jobs');
const gets = (s: SimServer) => s.count((k) => k === 'GET /v1/job/:id');

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

test.serial('a hanging server is a timeout within the per-call timeout, not a hung test', async (t) => {
  const s = await fakeNomad(t);
  s.setFaults({ hang: true });
  const { nomad, obs } = client(s, { timeoutMs: 200 });
  const started = Date.now();
  const err = await rejection(nomad.readJob('web'));
  const elapsed = Date.now() - started;
  t.true(err instanceof DroverError);
  t.is((err as DroverError).code, 'timeout');
  t.true(elapsed >= 180 && elapsed < 2000, `took ${elapsed}ms`);
  t.regex((err as DroverError).message, /^nomad GET \/v1\/job\/web: no answer within 200ms$/);
  t.deepEqual(obs.seen.map((o) => o.code), ['timeout'], 'a timeout is not retried in place: the budget is spent');
  assertNoToken(t, err);
});

test.serial('register that hangs is a timeout too, after a single attempt', async (t) => {
  const s = await fakeNomad(t);
  s.setFaults({ hang: true });
  const { nomad, obs } = client(s, { timeoutMs: 300 });
  const err = (await rejection(nomad.registerJob(JOB, { enforceIndex: true, jobModifyIndex: 7 }))) as DroverError;
  t.is(err.code, 'timeout');
  t.deepEqual(obs.seen.map((o) => [o.route, o.code]), [['/v1/jobs', 'timeout']]);
  assertNoToken(t, err);
});

test('a burst of two 500s: a GET succeeds on the third attempt, each attempt observed', async (t) => {
  const s = await fakeNomad(t);
  s.setFaults({ failNext: 2, failStatus: 500, failBody: 'rpc error: leader lost' });
  const { nomad, obs, logger } = client(s);
  const r = await nomad.readJob('web');
  t.is(r.value?.ID, 'web');
  t.is(r.index, 7);
  t.is(gets(s), 3);
  t.deepEqual(obs.seen.map((o) => [o.upstream, o.route, o.code]), [
    ['nomad', '/v1/job/:id', '500'], ['nomad', '/v1/job/:id', '500'], ['nomad', '/v1/job/:id', '200'],
  ]);
  t.true(obs.seen.every((o) => o.seconds >= 0 && o.seconds < 5));
  t.is(logger.lines.filter((l) => l.includes('retrying')).length, 2);
  t.false(logger.lines.join('\n').includes(TOKEN));
});

test('a burst of 500s outlasting the attempts surfaces server-error with the server text', async (t) => {
  const s = await fakeNomad(t);
  s.setFaults({ failNext: 10, failStatus: 500, failBody: 'rpc error: leader lost' });
  const { nomad } = client(s);
  const err = (await rejection(nomad.readJob('web'))) as DroverError;
  t.is(err.code, 'server-error');
  t.is(err.status, 500);
  t.is(err.upstream, 'nomad');
  t.is(gets(s), FAST_RETRY.attempts);
  t.is(err.message, 'nomad GET /v1/job/web: 500 rpc error: leader lost');
  assertNoToken(t, err);
});

test('register is never retried: a 500 surfaces server-error after exactly one attempt', async (t) => {
  const s = await fakeNomad(t);
  s.setFaults({ failNext: 2, failStatus: 500, failBody: 'rpc error: leader lost' });
  const { nomad, obs } = client(s);
  const err = (await rejection(nomad.registerJob(JOB, { enforceIndex: true, jobModifyIndex: 7 }))) as DroverError;
  t.is(err.code, 'server-error');
  t.true(err.retryable);
  t.is(puts(s), 1);
  t.deepEqual(obs.seen.map((o) => o.code), ['500']);
  assertNoToken(t, err);
});

test('register is not retried after a dropped connection either (unknown outcome)', async (t) => {
  const s = await fakeNomad(t);
  s.setFaults({ failNext: 1, failStatus: 0 });
  const { nomad } = client(s);
  const err = (await rejection(nomad.registerJob(JOB))) as DroverError;
  t.is(err.code, 'unavailable');
  t.is(puts(s), 1);
  assertNoToken(t, err);
});

test('a dropped connection on a GET is retried and succeeds', async (t) => {
  const s = await fakeNomad(t);
  s.setFaults({ failNext: 2, failStatus: 0 });
  const { nomad, obs } = client(s);
  const r = await nomad.readJob('web');
  t.is(r.value?.ID, 'web');
  t.deepEqual(obs.seen.map((o) => o.code), ['unavailable', 'unavailable', '200']);
});

test('stop and plan are retried (idempotent / read-only)', async (t) => {
  const s = await fakeNomad(t);
  const { nomad } = client(s);
  s.setFaults({ failNext: 2, failStatus: 503 });
  t.is((await nomad.stopJob('web')).Index, 13);
  s.setFaults({ failNext: 2, failStatus: 500, failBody: 'rpc error: no leader' });
  t.is((await nomad.planJob(JOB)).Diff?.Type, 'None');
  t.is(s.count((k) => k === 'DELETE /v1/job/:id'), 3);
  t.is(s.count((k) => k === 'PUT /v1/job/:id/plan'), 3);
});

test('connection refused on a closed port is unavailable after the retries', async (t) => {
  const port = await closedPort();
  const obs = collectingObserver();
  const nomad = new NomadClient({ addr: `http://127.0.0.1:${port}`, token: TOKEN, timeoutMs: 3000, retry: FAST_RETRY }, obs);
  const err = (await rejection(nomad.readJob('web'))) as DroverError;
  t.is(err.code, 'unavailable');
  t.is(err.message, 'nomad GET /v1/job/web: connection refused (ECONNREFUSED)');
  t.deepEqual(obs.seen.map((o) => o.code), ['unavailable', 'unavailable', 'unavailable', 'unavailable']);
  assertNoToken(t, err);
});

test('an unknown host is unavailable', async (t) => {
  const nomad = new NomadClient({ addr: 'http://no-such-host.invalid:4646', token: TOKEN, timeoutMs: 2000, retry: { attempts: 1 } });
  const err = (await rejection(nomad.listJobs())) as DroverError;
  t.is(err.code, 'unavailable');
  t.regex(err.message, /^nomad GET \/v1\/jobs: (host not found|DNS lookup failed)/);
  assertNoToken(t, err);
});

test.serial('a downed upstream that comes back is reached by the retries', async (t) => {
  const s = await fakeNomad(t);
  const { nomad } = client(s, { retry: { attempts: 6, baseMs: 40, maxMs: 80, random: () => 0.99 } });
  await s.down(60);
  const r = await nomad.readJob('web');
  t.is(r.value?.ID, 'web');
});

const statusCase = test.macro(async (t, o: { status: number; body: string; call: 'read' | 'register' | 'plan'; code: ErrorCode; message: string; attempts: number }) => {
  const s = await fakeNomad(t);
  s.setFaults({ failNext: 10, failStatus: o.status, failBody: o.body });
  const { nomad } = client(s);
  const call = o.call === 'read' ? nomad.readJob('web') : o.call === 'register' ? nomad.registerJob(JOB, { enforceIndex: true, jobModifyIndex: 5 }) : nomad.planJob(JOB);
  const err = (await rejection(call)) as DroverError;
  t.true(err instanceof DroverError);
  t.is(err.code, o.code);
  t.is(err.status, o.status);
  t.true(err.message.includes(o.message), err.message);
  t.is(s.count(), o.attempts);
  assertNoToken(t, err);
});

test('403 Permission denied is unauthorized and not retried', statusCase, { status: 403, body: 'Permission denied', call: 'read', code: 'unauthorized', message: '403 Permission denied', attempts: 1 });
test('401 is unauthorized', statusCase, { status: 401, body: 'ACL token not found', call: 'register', code: 'unauthorized', message: 'ACL token not found', attempts: 1 });
test('EnforceIndex conflict text on 500 is conflict', statusCase, {
  status: 500, body: 'Enforcing job modify index 5: job exists with conflicting job modify index: 9', call: 'register', code: 'conflict',
  message: 'conflicting job modify index: 9', attempts: 1,
});
test('EnforceIndex "already exists" is conflict', statusCase, {
  status: 500, body: 'Enforcing job modify index 0: job already exists', call: 'register', code: 'conflict', message: 'job already exists', attempts: 1,
});
test('validation multierror on register is rejected with Nomad\'s message', statusCase, {
  status: 500, call: 'register', code: 'rejected', attempts: 1,
  body: '1 error occurred:\n\t* Task group web validation failed: 1 error occurred:\n\t* Task web validation failed: 1 error occurred:\n\t* Missing task driver\n\n\n\n\n\n',
  message: 'Missing task driver',
});
test('validation multierror on plan is rejected (and not retried)', statusCase, {
  status: 500, call: 'plan', code: 'rejected', attempts: 1, body: '1 error occurred:\n\t* Missing job task groups\n\n', message: 'Missing job task groups',
});
test('400 is rejected with the server text', statusCase, { status: 400, body: 'Job ID does not match', call: 'plan', code: 'rejected', message: 'Job ID does not match', attempts: 1 });
test('503 is unavailable and retried on GET', statusCase, { status: 503, body: 'No cluster leader', call: 'read', code: 'unavailable', message: 'No cluster leader', attempts: FAST_RETRY.attempts });

test('a missing job reads as null with the index of the 404', async (t) => {
  const s = await fakeNomad(t);
  const { nomad } = client(s);
  t.deepEqual(await nomad.readJob('gone'), { value: null, index: 3 });
});

test('404 on plan is a not-found error', async (t) => {
  const s = await fakeNomad(t);
  const { nomad } = client(s);
  const err = (await rejection(nomad.planJob({ ...JOB, ID: 'nf' }))) as DroverError;
  t.is(err.code, 'not-found');
  t.is(err.message, 'nomad PUT /v1/job/nf/plan: 404 job not found');
  assertNoToken(t, err);
});

test('a reply that is not JSON is bad-response', async (t) => {
  const s = await startServer(t, 'nomad');
  s.route('GET', '/v1/job/broken', () => ({ status: 200, text: '<html>proxy</html>' }));
  const { nomad } = client(s);
  const err = (await rejection(nomad.readJob('broken'))) as DroverError;
  t.is(err.code, 'bad-response');
  t.is(err.message, 'nomad GET /v1/job/broken: 200 reply is not valid JSON');
  t.is(s.count((k) => k.startsWith('GET')), 1);
  assertNoToken(t, err);
});

test('a server echoing the token in its error text is scrubbed', async (t) => {
  const s = await fakeNomad(t);
  s.setFaults({ failNext: 1, failStatus: 403, failBody: `token ${TOKEN} has no policy` });
  const { nomad } = client(s);
  const err = (await rejection(nomad.readJob('web'))) as DroverError;
  t.is(err.code, 'unauthorized');
  t.true(err.message.includes('token <redacted> has no policy'));
  assertNoToken(t, err);
});

test('the token travels in X-Nomad-Token only, never in the URL', async (t) => {
  const s = await fakeNomad(t);
  let seenUrl = '';
  let seenHeader = '';
  s.route('GET', '/v1/jobs', (req) => {
    seenUrl = req.raw.url ?? '';
    seenHeader = String(req.headers['x-nomad-token']);
    return { json: [] };
  });
  const { nomad } = client(s, { region: 'eu', namespace: 'team-a' });
  await nomad.listJobs({ prefix: 'we', meta: true, filter: 'Meta["drover.managed"] == "true"' });
  t.is(seenHeader, TOKEN);
  t.false(seenUrl.includes(TOKEN));
  const q = new URL(seenUrl, 'http://x').searchParams;
  t.is(q.get('region'), 'eu');
  t.is(q.get('namespace'), 'team-a');
  t.is(q.get('prefix'), 'we');
  t.is(q.get('meta'), 'true');
  t.is(q.get('filter'), 'Meta["drover.managed"] == "true"');
});

test('no token configured: no token header at all', async (t) => {
  const s = await fakeNomad(t);
  const nomad = new NomadClient({ addr: s.url, timeoutMs: 3000 });
  await nomad.readJob('web');
  t.is(s.requestLog().at(-1)?.token, undefined);
});

test('register sends {Job, EnforceIndex, JobModifyIndex} and the namespace', async (t) => {
  const s = await startServer(t, 'nomad');
  let body: unknown;
  let ns: string | null = null as string | null;
  s.route('PUT', '/v1/jobs', (req) => {
    body = JSON.parse(req.body.toString());
    ns = req.query.get('namespace');
    return { json: REGISTER_REPLY };
  });
  const { nomad } = client(s);
  const r = await nomad.registerJob({ ...JOB, Namespace: 'team-b' }, { enforceIndex: true, jobModifyIndex: 0 });
  t.deepEqual(r, REGISTER_REPLY);
  t.deepEqual(body, { Job: { ...JOB, Namespace: 'team-b' }, EnforceIndex: true, JobModifyIndex: 0 });
  t.is(ns, 'team-b');
});

test('listJobs follows X-Nomad-NextToken pages and keeps the first index', async (t) => {
  const s = await fakeNomad(t);
  const tokens: (string | null)[] = [];
  s.route('GET', '/v1/jobs', (req): SimReply => {
    const next = req.query.get('next_token');
    tokens.push(next);
    if (!next) return { json: [{ ID: 'a' }, { ID: 'b' }], headers: { 'X-Nomad-Index': '40', 'X-Nomad-NextToken': 'c' } };
    if (next === 'c') return { json: [{ ID: 'c' }], headers: { 'X-Nomad-Index': '41', 'X-Nomad-NextToken': 'd' } };
    return { json: [{ ID: 'd' }], headers: { 'X-Nomad-Index': '41' } };
  });
  const { nomad, obs } = client(s);
  const r = await nomad.listJobs({ index: 39, waitMs: 1000 });
  t.deepEqual(r.value.map((j) => j.ID), ['a', 'b', 'c', 'd']);
  t.is(r.index, 40);
  t.deepEqual(tokens, [null, 'c', 'd']);
  t.true(obs.seen.every((o) => o.route === '/v1/jobs'));
  const log = s.requestLog();
  t.is(log.length, 3);
});

test.serial('a blocking query sends index and wait, and its timeout covers the wait', async (t) => {
  const s = await fakeNomad(t);
  let q: URLSearchParams | undefined;
  s.route('GET', '/v1/job/:id/allocations', async (req) => {
    q = req.query;
    await new Promise((r) => setTimeout(r, 700)); // longer than timeoutMs, shorter than wait + timeout
    return { json: [], headers: { 'X-Nomad-Index': '55' } };
  });
  const { nomad } = client(s, { timeoutMs: 300 });
  const r = await nomad.jobAllocations('web', { index: 50, waitMs: 1500 });
  t.deepEqual(r, { value: [], index: 55 });
  t.is(q?.get('index'), '50');
  t.is(q?.get('wait'), '1500ms');
});

test('ping answers for a leader and fails clearly without one', async (t) => {
  const s = await fakeNomad(t);
  let leader = '10.0.0.1:4647';
  s.route('GET', '/v1/status/leader', () => ({ json: leader }));
  const { nomad } = client(s);
  await t.notThrowsAsync(nomad.ping());
  leader = '';
  const err = (await rejection(nomad.ping())) as DroverError;
  t.is(err.code, 'unavailable');
  t.regex(err.message, /no leader/);
});

test.serial('an aborted call rejects with the abort reason, promptly', async (t) => {
  const s = await fakeNomad(t);
  s.setFaults({ hang: true });
  const { nomad, obs } = client(s, { timeoutMs: 5000 });
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error('shutting down')), 50);
  const started = Date.now();
  const err = (await rejection(nomad.readJob('web', { signal: ac.signal }))) as Error;
  t.is(err.message, 'shutting down');
  t.true(Date.now() - started < 2000);
  t.deepEqual(obs.seen.map((o) => o.code), ['aborted']);
});
