// Typed errors: a DroverError keeps its cause; anything else thrown is `internal` (a bug, terminal),
// an AbortError is `aborted`; the cause chain is printable for a log line.
import test from 'ava';
import { describeCause, DroverError, isBug, toDroverError } from '../../src/core/errors.js';

test('DroverError keeps its cause', (t) => {
  const root = new Error('socket hang up');
  const e = new DroverError('unavailable', 'nomad GET /v1/jobs: socket hang up', { upstream: 'nomad', cause: root });
  t.is(e.cause, root);
  t.regex(describeCause(e), /^Error: socket hang up\n\s+at /);
});

test('a TypeError becomes internal: not retryable, a bug, its cause kept', (t) => {
  const bug = new TypeError("Cannot read properties of undefined (reading 'ID')");
  const e = toDroverError(bug);
  t.is(e.code, 'internal');
  t.false(e.retryable);
  t.true(isBug(bug));
  t.is(e.cause, bug);
  t.is(e.message, bug.message);
});

test('upstream codes stay as they are; AbortError is aborted; an explicit fallback is honoured', (t) => {
  const up = new DroverError('server-error', 'nomad: 500');
  t.is(toDroverError(up), up);
  t.false(isBug(up));
  t.is(toDroverError(new DOMException('This operation was aborted', 'AbortError')).code, 'aborted');
  t.is(toDroverError(new Error('EACCES'), 'git').code, 'git');
  t.is(toDroverError('a string').code, 'internal');
});
