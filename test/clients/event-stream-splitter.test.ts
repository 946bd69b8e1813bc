// LineSplitter at scale: the same lines as a naive join-and-split for any chunking (multi-byte
// characters cut anywhere), a multi-megabyte frame in tiny chunks in linear time, and the line cap.
import test from 'ava';
import { StringDecoder } from 'node:string_decoder';
import { LineSplitter } from '../../src/clients/event-stream.js';
import { DroverError } from '../../src/core/errors.js';

/** The obvious (quadratic) definition the splitter must agree with. */
function naive(chunks: Buffer[]): string[] {
  const d = new StringDecoder('utf8');
  let pending = '';
  const out: string[] = [];
  for (const c of chunks) {
    pending += d.write(c);
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    out.push(...parts.map((l) => l.trim()).filter((l) => l.length > 0));
  }
  return out;
}

function chunked(bytes: Buffer, sizes: () => number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; ) {
    const n = Math.max(1, sizes());
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}

function run(chunks: Buffer[]): string[] {
  const sp = new LineSplitter();
  return chunks.flatMap((c) => sp.push(c));
}

test('agrees with a join-and-split for random chunkings of mixed-width text', (t) => {
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const pieces = ['{"a":"ü"}', '{}', '', '  ', '{"k":"日本語🙂"}', '\r', 'x'.repeat(300), '€€'];
  const text = Array.from({ length: 400 }, () => pieces[rnd(pieces.length)]).join('\n') + '\n{"tail":"é"';
  const bytes = Buffer.from(text);
  for (const max of [1, 2, 3, 5, 17, 64, 4096]) {
    const chunks = chunked(bytes, () => 1 + rnd(max));
    t.deepEqual(run(chunks), naive(chunks), `chunks up to ${max} bytes`);
  }
  const sp = new LineSplitter();
  for (const c of chunked(bytes, () => 3)) sp.push(c);
  t.deepEqual(sp.push('\n'), ['{"tail":"é"'], 'the partial last line is kept until its newline');
});

test('a 5 MB frame split into 1-byte chunks is joined in linear time', (t) => {
  const job = { ID: 'big', Name: 'ünï', Env: Object.fromEntries(Array.from({ length: 120_000 }, (_, i) => [`K${i}`, `välue-${i}-${'z'.repeat(20)}`])) };
  const line = JSON.stringify({ Index: 9, Events: [{ Topic: 'Job', Payload: { Job: job } }] });
  const bytes = Buffer.from(`{}\n${line}\n{}\n`);
  t.true(bytes.length > 5_000_000);
  const started = process.hrtime.bigint();
  const sp = new LineSplitter();
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i++) out.push(...sp.push(bytes.subarray(i, i + 1)));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  t.deepEqual(out, ['{}', line, '{}']);
  // join-and-split needs minutes here (5 M chunks × a multi-megabyte pending string)
  t.true(ms < 15_000, `took ${ms.toFixed(0)} ms`);
});

test('a partial line past 64 MiB is refused', (t) => {
  const sp = new LineSplitter();
  const mib = 'x'.repeat(1024 * 1024);
  for (let i = 0; i < 64; i++) t.deepEqual(sp.push(mib), []);
  const e = t.throws(() => sp.push('y'));
  t.true(e instanceof DroverError && e.code === 'bad-response');
  t.is(e?.message, 'nomad event stream: a line exceeds 64 MiB');
});
