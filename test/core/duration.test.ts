import test from 'ava';
import { formatDurationMs, parseDurationNs } from '../../src/core/duration.js';

const parses = test.macro((t, input: string, expected: number | undefined) => {
  t.is(parseDurationNs(input), expected);
});

test('10s', parses, '10s', 10_000_000_000);
test('1h2m3s', parses, '1h2m3s', 3_723_000_000_000);
test('1.5s', parses, '1.5s', 1_500_000_000);
test('300ms', parses, '300ms', 300_000_000);
test('0', parses, '0', 0);
test('bare number refused', parses, '10', undefined);
test('negative refused', parses, '-1s', undefined);
test('unknown unit refused', parses, '3d', undefined);
test('garbage refused', parses, '10s; rm -rf', undefined);
test('empty refused', parses, '', undefined);

test('consul duration strings', (t) => {
  t.is(formatDurationMs(15_000), '15s');
  t.is(formatDurationMs(1500), '1500ms');
});
