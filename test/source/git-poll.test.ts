// The git poll runs on the Scheduler: one fetch at start, the next exactly one interval later (fake
// clock, no sleeping), and a stopped source re-arms nothing.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nullLogger } from '../../src/core/logger.js';
import { Metrics } from '../../src/metrics.js';
import { GitSource } from '../../src/source/git.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { createRepo } from '../helpers/git.js';
import { until } from '../helpers/procs.js';

test('one fetch at start, the next one poll interval later, none after stop()', async (t) => {
  const repo = createRepo({ files: { 'a.yaml': '1' } });
  const workDir = mkdtempSync(join(tmpdir(), 'drover-poll-'));
  t.teardown(() => {
    repo.remove();
    rmSync(workDir, { recursive: true, force: true });
  });
  const clock = new FakeClock();
  const metrics = new Metrics();
  const fetches = async () => (await metrics.gitFetch.get()).values.reduce((n, v) => n + v.value, 0);
  const source = new GitSource({ git: { url: repo.url, ref: 'main', path: '.', pollIntervalMs: 30_000 }, metrics, logger: nullLogger, workDir, scheduler: clock });
  await source.start();
  t.is(await fetches(), 1);
  t.deepEqual(clock.pending('git-poll').map((p) => p.dueIn), [30_000]);
  const rev = repo.commit({ 'a.yaml': '2' });
  await clock.advance(29_999);
  t.is(await fetches(), 1, 'no fetch before the interval is up');
  await clock.advance(1);
  await until('the new revision', () => source.state().snapshot?.revision === rev);
  t.is(await fetches(), 2);
  await clock.waitFor('git-poll');
  await source.stop();
  t.deepEqual(clock.pending(), []);
});
