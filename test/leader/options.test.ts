// The elector refuses timings under which its safety argument (src/leader/README.md) would not hold.
import test from 'ava';
import { validateElectorOptions } from '../../src/leader/options.js';

const ok = { key: 'drover/leader', id: 'host:1', ttlMs: 10_000 };

test('defaults are accepted', (t) => {
  t.notThrows(() => validateElectorOptions(ok));
});

const refuses = test.macro((t, o: Parameters<typeof validateElectorOptions>[0], message: RegExp) => {
  t.throws(() => validateElectorOptions(o), { message });
});
test('lock-delay 0 (no protection against a destroyed session)', refuses, { ...ok, lockDelayMs: 0 }, /lockDelayMs: must be > 0/);
test('margin eating half the window', refuses, { ...ok, marginMs: 5_000 }, /marginMs: 5000 leaves no time to retry a renewal \(window 10000 ms/);
test('margin measured against the shorter lock-delay', refuses, { ...ok, lockDelayMs: 2_000, marginMs: 1_000 }, /window 2000 ms/);
test('empty key and id listed together', refuses, { ...ok, key: '', id: '' }, /key: .*; id: /);
test('key with a leading slash', refuses, { ...ok, key: '/drover/leader' }, /leading "\/"/);
