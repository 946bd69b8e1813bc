// applySnapshot with the snapshot cache: an unchanged app is neither re-parsed nor re-rendered and is not
// enqueued; an edited app is, with a job equal to a fresh render; a second controller (records map) or
// new cluster defaults never see another's cache.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type Config } from '../../src/config.js';
import type { Logger } from '../../src/core/logger.js';
import { renderJob } from '../../src/core/render/index.js';
import type { AppRecord } from '../../src/controller/app-record.js';
import { applySnapshot } from '../../src/controller/desired.js';
import { snapshotCacheFor } from '../../src/controller/snapshot-cache.js';
import { Metrics } from '../../src/metrics.js';
import { appYaml } from './harness.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

function snapshot(t: { teardown(fn: () => void): void }, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'drover-snapcache-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return dir;
}

async function apply(config: Config, records: Map<string, AppRecord>, metrics: Metrics, dir: string, revision: string) {
  const r = await applySnapshot({ dir, revision, config, records, metrics, logger: silent });
  if (!r.ok) throw new Error(r.error);
  return r;
}

test('only the edited app is re-rendered and enqueued; its job equals a fresh render', async (t) => {
  const config = parseConfig({});
  const records = new Map<string, AppRecord>();
  const metrics = new Metrics();
  const files = { 'a.yaml': appYaml('a'), 'b.yaml': appYaml('b') };
  const first = await apply(config, records, metrics, snapshot(t, files), 'r1');
  t.deepEqual(first.enqueue.sort(), ['default/a', 'default/b']);
  for (const rec of records.values()) rec.seen = { exists: true, modifyIndex: 1 } as AppRecord['seen'];
  const jobA = records.get('default/a')!.desired;
  const jobB = records.get('default/b')!.desired;

  const second = await apply(config, records, metrics, snapshot(t, { ...files, 'b.yaml': appYaml('b', { count: 3 }) }), 'r2');
  t.deepEqual(second.enqueue, ['default/b']);
  t.is(records.get('default/a')!.desired, jobA, 'unchanged app keeps its rendered job object');
  t.not(records.get('default/b')!.desired, jobB);
  const b = records.get('default/b')!;
  t.deepEqual(b.desired, renderJob(b.app!, config.cluster));
  t.is(b.desired!.TaskGroups![0]!.Count, 3);
  t.is(records.get('default/a')!.status.source?.revision, 'r2');
});

test('the cache is per controller and per cluster defaults', (t) => {
  const config = parseConfig({});
  const one = new Map<string, AppRecord>();
  const two = new Map<string, AppRecord>();
  const c1 = snapshotCacheFor(one, config.cluster);
  t.is(snapshotCacheFor(one, config.cluster), c1);
  t.not(snapshotCacheFor(two, config.cluster), c1);
  const changed = { ...config.cluster, namespace: 'other' };
  const c2 = snapshotCacheFor(one, changed);
  t.not(c2, c1);
  t.is(c2.cluster, changed);
});

test('an injected loader bypasses the cache: every app is rendered from what it returned', async (t) => {
  const config = parseConfig({});
  const records = new Map<string, AppRecord>();
  const metrics = new Metrics();
  const dir = snapshot(t, { 'a.yaml': appYaml('a') });
  const { loadAppDir } = await import('../../src/source/spec-files.js');
  const load = (d: string, c: Config['cluster']) => loadAppDir(d, c);
  await applySnapshot({ dir, revision: 'r1', config, records, metrics, logger: silent, load });
  const job = records.get('default/a')!.desired;
  await applySnapshot({ dir, revision: 'r2', config, records, metrics, logger: silent, load });
  t.not(records.get('default/a')!.desired, job);
  t.deepEqual(records.get('default/a')!.desired, job);
});
