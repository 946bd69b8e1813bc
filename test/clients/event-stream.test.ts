// The Nomad event stream client against a scripted NDJSON server on loopback: chunk-split lines,
// heartbeats, reconnect from lastIndex + 1 without duplicates, terminal errors, abort and break.
import test, { type ExecutionContext } from 'ava';
import type { ServerResponse } from 'node:http';
import { LineSplitter, parseFrame } from '../../src/clients/event-stream.js';
import { NomadClient } from '../../src/clients/nomad.js';
import { DroverError } from '../../src/core/errors.js';
import type { EventFrame } from '../../src/core/nomad-types.js';
import type { SimServer } from '@drover/sim/http';
import { assertNoToken, collectingLogger, collectingObserver, startServer, TOKEN } from './helpers.js';

const frame = (i: number): EventFrame => ({
  Index: i,
  Events: [{ Topic: 'Job', Type: 'JobRegistered', Key: `job-${i}`, Namespace: 'default', FilterKeys: null, Index: i, Payload: { Job: { ID: `job-${i}`, Name: 'ünïcode' } } }],
});

interface Connection {
  index: string | null;
  topics: string[];
  res: ServerResponse;
  closed: Promise<void>;
}

/** `script(connectionNumber, from, res)` decides what each connection sends. */
async function streamServer(t: ExecutionContext, script: (n: number, from: number, res: ServerResponse) => void): Promise<{ s: SimServer; conns: Connection[] }> {
  const s = await startServer(t, 'nomad');
  const conns: Connection[] = [];
  s.route('GET', '/v1/event/stream', (req) => {
    const res = req.res;
    const closed = new Promise<void>((r) => res.on('close', () => r()));
    conns.push({ index: req.query.get('index'), topics: req.query.getAll('topic'), res, closed });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write('{}\n');
    script(conns.length, Number(req.query.get('index') ?? '0'), res);
    return { handled: true };
  });
  return { s, conns };
}

/** Writes frames as NDJSON, deliberately cutting every line (and a multi-byte character) across two chunks. */
function writeSplit(res: ServerResponse, frames: EventFrame[]): void {
  const bytes = Buffer.from(frames.map((f) => `${JSON.stringify(f)}\n`).join(''));
  const cut = bytes.indexOf(Buffer.from('ü')) + 1; // inside the two-byte ü
  res.write(bytes.subarray(0, cut));
  setTimeout(() => res.write(bytes.subarray(cut)), 5);
}

function client(s: SimServer, extra: object = {}) {
  const logger = collectingLogger();
  const obs = collectingObserver();
  const nomad = new NomadClient({ addr: s.url, token: TOKEN, timeoutMs: 2000, retry: { attempts: 3, baseMs: 5, maxMs: 20 }, ...extra }, obs, logger);
  return { nomad, logger, obs };
}

async function collect(it: AsyncIterable<EventFrame>, want: number, ac: AbortController): Promise<EventFrame[]> {
  const got: EventFrame[] = [];
  for await (const f of it) {
    got.push(f);
    if (got.length === want) ac.abort();
  }
  return got;
}

test('reconnects after a dropped connection from lastIndex + 1, with no duplicate frames', async (t) => {
  const { s, conns } = await streamServer(t, (n, from, res) => {
    if (n === 1) {
      writeSplit(res, [frame(5), frame(6)]);
      setTimeout(() => res.socket?.destroy(), 40); // the server drops us mid-stream
    } else {
      writeSplit(res, [5, 6, 7, 8].filter((i) => i >= from).map(frame));
    }
  });
  const { nomad, logger, obs } = client(s);
  const ac = new AbortController();
  const frames = await collect(nomad.eventStream({ topics: ['Job', 'Deployment'], signal: ac.signal }), 4, ac);
  t.deepEqual(frames.map((f) => f.Index), [5, 6, 7, 8]);
  t.is(frames[0]!.Events[0]!.Payload.Job && (frames[0]!.Events[0]!.Payload.Job as { Name: string }).Name, 'ünïcode');
  t.deepEqual(conns.map((c) => c.index), [null, '7']);
  t.deepEqual(conns[0]!.topics, ['Job', 'Deployment']);
  t.true(obs.seen.every((o) => o.route === '/v1/event/stream'));
  t.true(logger.lines.some((l) => l.includes('reconnecting')));
  t.false(logger.lines.join('\n').includes(TOKEN));
  await conns[1]!.closed; // the abort closed the live connection
});

test('a clean end of stream reconnects, and the re-sent newest batch is not yielded twice', async (t) => {
  const { s, conns } = await streamServer(t, (n, from, res) => {
    if (n === 1) {
      res.write(`${JSON.stringify(frame(5))}\n${JSON.stringify(frame(6))}\n`);
      res.end();
    } else if (n === 2) {
      // Nomad answers an index past its newest batch with the newest batch again.
      t.is(from, 7);
      res.write(`${JSON.stringify(frame(6))}\n`);
      setTimeout(() => res.write(`${JSON.stringify(frame(9))}\n`), 20);
    }
  });
  const { nomad } = client(s);
  const ac = new AbortController();
  const frames = await collect(nomad.eventStream({ topics: ['Job'], signal: ac.signal }), 3, ac);
  t.deepEqual(frames.map((f) => f.Index), [5, 6, 9]);
  t.is(conns.length, 2);
});

test('two lines with the same index on one connection are both yielded (job + eval of one register)', async (t) => {
  const { s } = await streamServer(t, (_n, _from, res) => {
    res.write(`${JSON.stringify(frame(42))}\n${JSON.stringify({ ...frame(42), Events: [{ ...frame(42).Events[0]!, Topic: 'Evaluation' }] })}\n`);
  });
  const { nomad } = client(s);
  const ac = new AbortController();
  const frames = await collect(nomad.eventStream({ topics: ['Job', 'Evaluation'], signal: ac.signal }), 2, ac);
  t.deepEqual(frames.map((f) => [f.Index, f.Events[0]!.Topic]), [[42, 'Job'], [42, 'Evaluation']]);
});

test('a start index is sent and frames below it are not yielded', async (t) => {
  const { s, conns } = await streamServer(t, (_n, _from, res) => {
    res.write([frame(10), frame(11)].map((f) => `${JSON.stringify(f)}\n`).join(''));
  });
  const { nomad } = client(s, { region: 'eu', namespace: 'team-a' });
  const ac = new AbortController();
  const frames = await collect(nomad.eventStream({ topics: ['Job'], index: 11, signal: ac.signal }), 1, ac);
  t.deepEqual(frames.map((f) => f.Index), [11]);
  t.is(conns[0]!.index, '11');
  t.is(new URL(conns[0]!.res.req.url ?? '', 'http://x').searchParams.get('namespace'), 'team-a');
  t.is(new URL(conns[0]!.res.req.url ?? '', 'http://x').searchParams.get('region'), 'eu');
});

test('abort ends the iteration promptly and closes the socket', async (t) => {
  const ac = new AbortController();
  let abortedAt = 0;
  const { s, conns } = await streamServer(t, () => {
    // heartbeats only; abort once the connection is established
    setTimeout(() => {
      abortedAt = Date.now();
      ac.abort();
    }, 50);
  });
  const { nomad } = client(s);
  const frames = await collect(nomad.eventStream({ topics: ['Job'], signal: ac.signal }), 99, ac);
  t.deepEqual(frames, []);
  t.true(abortedAt > 0 && Date.now() - abortedAt < 2000);
  await conns[0]!.closed;
  t.is(conns.length, 1);
});

test('abort while waiting to reconnect ends the iteration', async (t) => {
  const s = await startServer(t, 'nomad');
  s.setFaults({ failNext: 1000, failStatus: 500 });
  const { nomad } = client(s, { retry: { attempts: 3, baseMs: 5000, maxMs: 5000, random: () => 0.9 } });
  const ac = new AbortController();
  let abortedAt = 0;
  const poll = setInterval(() => {
    if (s.count() < 1) return; // the first attempt failed: the client now sleeps 4.5 s before the next
    clearInterval(poll);
    abortedAt = Date.now();
    ac.abort();
  }, 10);
  t.teardown(() => clearInterval(poll));
  const frames = await collect(nomad.eventStream({ topics: ['Job'], signal: ac.signal }), 99, ac);
  t.deepEqual(frames, []);
  t.true(abortedAt > 0 && Date.now() - abortedAt < 2000);
  t.is(s.count(), 1);
});

test('breaking out of the loop closes the socket', async (t) => {
  const { s, conns } = await streamServer(t, (_n, _f, res) => res.write(`${JSON.stringify(frame(3))}\n`));
  const { nomad } = client(s);
  const ac = new AbortController();
  for await (const f of nomad.eventStream({ topics: ['Job'], signal: ac.signal })) {
    t.is(f.Index, 3);
    break;
  }
  await conns[0]!.closed;
  t.pass();
});

test('a 5xx on connect is retried with backoff and the stream carries on', async (t) => {
  const { s, conns } = await streamServer(t, (_n, _f, res) => res.write(`${JSON.stringify(frame(1))}\n`));
  s.setFaults({ failNext: 2, failStatus: 500, failBody: 'rpc error' });
  const { nomad, obs } = client(s);
  const ac = new AbortController();
  const frames = await collect(nomad.eventStream({ topics: ['Job'], signal: ac.signal }), 1, ac);
  t.deepEqual(frames.map((f) => f.Index), [1]);
  t.is(conns.length, 1);
  t.deepEqual(obs.seen.map((o) => o.code), ['500', '500', '200']);
});

test('403 on connect ends the stream with unauthorized, token-free', async (t) => {
  const s = await startServer(t, 'nomad');
  s.setFaults({ failNext: 1, failStatus: 403, failBody: 'Permission denied' });
  const { nomad } = client(s);
  const ac = new AbortController();
  t.teardown(() => ac.abort());
  const err = await t.throwsAsync(collect(nomad.eventStream({ topics: ['Job'], signal: ac.signal }), 1, ac));
  t.true(err instanceof DroverError);
  t.is((err as DroverError).code, 'unauthorized');
  assertNoToken(t, err);
});

test('a silent connection (no heartbeat) is dropped after the idle timeout and resumed', async (t) => {
  const s = await startServer(t, 'nomad');
  let n = 0;
  s.route('GET', '/v1/event/stream', (req) => {
    n++;
    req.res.writeHead(200, { 'Content-Type': 'application/json' });
    req.res.flushHeaders();
    if (n === 2) req.res.write(`${JSON.stringify(frame(7))}\n`);
    return { handled: true };
  });
  const { nomad } = client(s, { streamIdleMs: 150 });
  const ac = new AbortController();
  const frames = await collect(nomad.eventStream({ topics: ['Job'], signal: ac.signal }), 1, ac);
  t.deepEqual(frames.map((f) => f.Index), [7]);
  t.is(n, 2);
});

test('a garbage line makes the client reconnect instead of yielding it', async (t) => {
  const { s, conns } = await streamServer(t, (n, _f, res) => res.write(n === 1 ? 'not json\n' : `${JSON.stringify(frame(2))}\n`));
  const { nomad } = client(s);
  const ac = new AbortController();
  const frames = await collect(nomad.eventStream({ topics: ['Job'], signal: ac.signal }), 1, ac);
  t.deepEqual(frames.map((f) => f.Index), [2]);
  t.is(conns.length, 2);
});

test('LineSplitter joins lines and multi-byte characters across chunks', (t) => {
  const sp = new LineSplitter();
  const bytes = Buffer.from('{"a":"ü"}\n{}\n{"b"');
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i++) out.push(...sp.push(bytes.subarray(i, i + 1)));
  out.push(...sp.push(Buffer.from(':1}\r\n')));
  t.deepEqual(out, ['{"a":"ü"}', '{}', '{"b":1}']);
});

test('parseFrame drops heartbeats and refuses non-frames', (t) => {
  t.is(parseFrame('{}'), null);
  t.is(parseFrame('{"Index":0,"Events":[]}'), null);
  t.deepEqual(parseFrame('{"Index":4,"Events":[]}'), { Index: 4, Events: [] });
  t.is(t.throws(() => parseFrame('[1]'))?.message, 'nomad event stream: a line is not a JSON object');
  t.is((t.throws(() => parseFrame('{')) as DroverError).code, 'bad-response');
});
