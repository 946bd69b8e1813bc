import test from 'ava';
import { createLogger, NestLoggerAdapter, redact } from '../src/logging.js';

function sink() {
  const lines: string[] = [];
  return { lines, stream: { write: (s: string) => lines.push(s) } };
}

test('json lines carry time, level, msg and fields', (t) => {
  const s = sink();
  const log = createLogger({ format: 'json', level: 'info', stream: s.stream, now: () => Date.UTC(2026, 0, 2, 3, 4, 5) });
  log.child({ app: 'web', namespace: 'default' }).info('applied', { revision: 'abc', action: 'update', duration_ms: 12 });
  t.is(s.lines.length, 1);
  t.true(s.lines[0]!.endsWith('\n'));
  t.deepEqual(JSON.parse(s.lines[0]!), {
    time: '2026-01-02T03:04:05.000Z', level: 'info', msg: 'applied', app: 'web', namespace: 'default', revision: 'abc', action: 'update', duration_ms: 12,
  });
});

test('records below the level are dropped', (t) => {
  const s = sink();
  const log = createLogger({ format: 'json', level: 'warn', stream: s.stream });
  log.debug('d');
  log.info('i');
  log.warn('w');
  log.error('e');
  t.deepEqual(s.lines.map((l) => JSON.parse(l).level), ['warn', 'error']);
});

test('values under secret-looking keys are redacted at any depth, in both formats', (t) => {
  for (const format of ['json', 'pretty'] as const) {
    const s = sink();
    const log = createLogger({ format, level: 'debug', stream: s.stream });
    log.child({ NOMAD_TOKEN: 's3cr3t-a' }).info('x', {
      headers: { Authorization: 'Bearer s3cr3t-b' }, nested: [{ password: 's3cr3t-c' }], webhookSecret: 's3cr3t-d', ok: 'visible',
    });
    const out = s.lines.join('');
    t.false(/s3cr3t/.test(out), `${format}: ${out}`);
    t.true(out.includes('<redacted>'));
    t.true(out.includes('visible'));
  }
});

test('redact keeps non-secret data and survives cycles and errors', (t) => {
  const o: Record<string, unknown> = { a: 1, token: 'x' };
  o.self = o;
  t.deepEqual(redact(o), { a: 1, token: '<redacted>', self: '[circular]' });
  t.deepEqual(redact({ err: new Error('boom') }), { err: { name: 'Error', message: 'boom' } });
});

test('pretty is one readable line', (t) => {
  const s = sink();
  createLogger({ format: 'pretty', level: 'info', stream: s.stream }).info('git fetch failed', { revision: 'abc', error: 'no such repo' });
  t.is(s.lines.length, 1);
  t.regex(s.lines[0]!, /^\d\d:\d\d:\d\d\.\d{3} INFO  git fetch failed revision=abc error="no such repo"\n$/);
});

test('the Nest adapter maps levels, keeps context and drops stack traces', (t) => {
  const s = sink();
  const nest = new NestLoggerAdapter(createLogger({ format: 'json', level: 'debug', stream: s.stream }));
  nest.log('Mapped {/healthz, GET}', 'RouterExplorer');
  nest.error('boom', 'Error: boom\n    at foo (x.js:1:1)', 'ExceptionsHandler');
  nest.verbose('v');
  const recs = s.lines.map((l) => JSON.parse(l));
  t.like(recs[0], { level: 'debug', msg: 'Mapped {/healthz, GET}', component: 'RouterExplorer' });
  t.like(recs[1], { level: 'error', msg: 'boom', component: 'ExceptionsHandler' });
  t.false(s.lines[1]!.includes('x.js'));
  t.is(recs[2].level, 'debug');
});
