// The per-app event log: its bounds, the transitions it derives from published statuses, and what a
// real controller (against the simulated Nomad) records into it for a create, a rollout and a heal.
import test from 'ava';
import { NomadClient } from '../../src/clients/nomad.js';
import { parseConfig } from '../../src/config.js';
import { nullLogger } from '../../src/core/logger.js';
import type { AppStatus } from '../../src/core/status.js';
import { History, type HistoryChange } from '../../src/controller/history.js';
import { Controller } from '../../src/controller/index.js';
import { Metrics } from '../../src/metrics.js';
import { createNomadSim } from '@drover/sim/nomad';
import { appYaml, FakeSource } from '../controller/harness.js';

const clock = { t: Date.parse('2025-01-01T00:00:00Z'), now() { return this.t; } };

function status(over: Partial<AppStatus> & Record<string, unknown> = {}): AppStatus {
  return { namespace: 'default', name: 'web', sync: 'Synced', health: 'Healthy', healthReasons: [], drift: [], selfHeal: true, prune: true, ...over } as AppStatus;
}

test('bounded: at most perApp events per app and total overall, oldest first out', (t) => {
  const h = new History({ clock, perApp: 3, total: 5 });
  for (let i = 0; i < 10; i++) h.record({ namespace: 'default', name: 'a', kind: 'created', message: `a${i}` });
  t.deepEqual(h.list('default', 'a').map((e) => e.message), ['a7', 'a8', 'a9']);
  for (let i = 0; i < 4; i++) h.record({ namespace: 'default', name: 'b', kind: 'created', message: `b${i}` });
  t.true(h.size() <= 5);
  t.deepEqual(h.list('default', 'b').map((e) => e.message), ['b1', 'b2', 'b3']);
  t.deepEqual(h.recent(10).map((e) => e.message), ['b3', 'b2', 'b1', 'a9', 'a8'].slice(0, h.size()));
  const seqs = h.recent(10).map((e) => e.seq);
  t.deepEqual(seqs, [...seqs].sort((x, y) => y - x), 'newest first');
});

test('the default bounds are the documented ones', (t) => {
  const h = new History({ clock });
  for (let i = 0; i < 200; i++) h.record({ namespace: 'default', name: 'a', kind: 'created', message: String(i) });
  t.is(h.list('default', 'a').length, 50);
  for (let i = 0; i < 12_000; i++) h.record({ namespace: 'default', name: `app-${i % 400}`, kind: 'created', message: String(i) });
  t.is(h.size(), 10_000);
});

test('observe derives each transition once: failure, recovery, degraded, invalid, conflict, held and stopped prunes', (t) => {
  const h = new History({ clock });
  const kinds = () => h.list('default', 'web').map((e) => e.kind);
  h.observe(status());
  t.deepEqual(kinds(), [], 'a healthy, synced first sight is nothing to tell');
  const err = { code: 'unavailable', message: 'nomad down', at: 'x' };
  h.observe(status({ lastError: err }));
  h.observe(status({ lastError: err, healthReasons: ['still down'] })); // same error again: not repeated
  t.deepEqual(kinds(), ['sync-failed']);
  h.observe(status());
  t.deepEqual(kinds(), ['sync-failed', 'recovered']);
  h.observe(status({ health: 'Degraded', healthReasons: ['1/2 allocations running'] }));
  h.observe(status({ health: 'Degraded', healthReasons: ['0/2 allocations running'] }));
  t.is(h.list('default', 'web').filter((e) => e.kind === 'degraded').length, 1);
  t.is(h.list('default', 'web').at(-1)!.message, '1/2 allocations running');
  h.observe(status({ sync: 'Invalid', problems: ['web.yaml:7:9 spec.port: must be an integer'] }));
  t.is(h.list('default', 'web').at(-1)!.kind, 'invalid');
  t.is(h.list('default', 'web').at(-1)!.message, 'web.yaml:7:9 spec.port: must be an integer');
  h.observe(status({ sync: 'Conflict' as AppStatus['sync'], conflict: { managed: false, message: 'job web is not managed by drover' } }));
  t.is(h.list('default', 'web').at(-1)!.kind, 'conflict');
  t.is(h.list('default', 'web').at(-1)!.message, 'job web is not managed by drover');

  const orphan = (over: Record<string, unknown>) => status({ name: 'gone', sync: 'OutOfSync', health: 'Unknown', ...over });
  h.observe(orphan({ healthReasons: ['prune held: share-limit'], pruning: { state: 'held', reason: 'share-limit', revision: 'abc' } }));
  h.observe(orphan({ healthReasons: ['prune held: share-limit'], pruning: { state: 'held', reason: 'share-limit', revision: 'abc' }, drift: [] }));
  h.observe(orphan({ pruning: { state: 'stopped', revision: 'abc' }, lastAction: 'delete' }));
  t.deepEqual(h.list('default', 'gone').map((e) => [e.kind, e.severity]), [['prune-held', 'warning'], ['pruned', 'info']]);
  t.is(h.list('default', 'gone')[0]!.message, 'prune held: share-limit');
});

test('rollout-done follows a created or rollout-started event once health is Healthy', (t) => {
  const h = new History({ clock });
  h.observe(status({ health: 'Progressing' }));
  h.record({ namespace: 'default', name: 'web', kind: 'rollout-started', message: 'new spec' });
  h.observe(status({ health: 'Progressing', job: { version: 1 } }));
  t.false(h.list('default', 'web').some((e) => e.kind === 'rollout-done'));
  h.observe(status({ health: 'Healthy', job: { version: 1 } }));
  h.observe(status({ health: 'Healthy', job: { version: 1 }, lastSync: 'later' }));
  t.deepEqual(h.list('default', 'web').map((e) => e.kind), ['rollout-started', 'rollout-done']);
  t.is(h.list('default', 'web')[1]!.message, 'healthy at job version 1');
});

test('subscribers get events and status changes; a throwing subscriber harms nobody', (t) => {
  const h = new History({ clock });
  const got: HistoryChange[] = [];
  h.subscribe(() => {
    throw new Error('closed socket');
  });
  const off = h.subscribe((c) => got.push(c));
  h.observe(status({ lastError: { code: 'timeout', message: 'slow', at: 'x' } }));
  t.deepEqual(got.map((c) => c.type), ['event', 'status']);
  h.observe(status({ lastError: { code: 'timeout', message: 'slow', at: 'x' } }));
  t.is(got.length, 2, 'an unchanged status is no change');
  off();
  h.observe(status());
  t.is(got.length, 2);
});

test('a real controller records create, rollout, rollout-done, drift detected and healed', async (t) => {
  const sim = createNomadSim({ allocDelayMs: 5, deploymentDelayMs: 10 });
  const url = await sim.listen(0);
  const config = { ...parseConfig({ NOMAD_ADDR: url, DROVER_REQUEST_TIMEOUT: '2s' }), resyncIntervalMs: 60_000 };
  const metrics = new Metrics();
  const nomad = new NomadClient({ addr: url, timeoutMs: 2000, retry: { attempts: 2, baseMs: 5, maxMs: 20 }, streamIdleMs: 5000 }, metrics, nullLogger);
  const source = new FakeSource();
  const history = new History();
  const controller = new Controller({ config, nomad, source, metrics, logger: nullLogger, backoff: { baseMs: 5, maxMs: 100 }, history });
  t.teardown(async () => {
    await controller.stop();
    await sim.close();
    await source.cleanup();
  });
  const until = async (what: string, cond: () => boolean) => {
    const deadline = Date.now() + 10_000;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(history.list('default', 'web').map((e) => e.kind))}`);
      await controller.resync();
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const kinds = () => history.list('default', 'web').map((e) => e.kind);
  await controller.start();
  await source.commit({ 'apps/web.yaml': appYaml('web') });
  await until('created then rollout-done', () => kinds().includes('rollout-done'));
  t.deepEqual(kinds().slice(0, 2), ['created', 'rollout-done']);
  await source.commit({ 'apps/web.yaml': appYaml('web', { count: 2 }) });
  await until('a rollout', () => kinds().filter((k) => k === 'rollout-done').length === 2);
  t.true(kinds().includes('rollout-started'));
  const job = sim.getJob('default', 'web')!;
  job.TaskGroups[0]!.Count = 5;
  await fetch(`${url}/v1/jobs`, { method: 'PUT', body: JSON.stringify({ Job: job }), headers: { 'content-type': 'application/json' } });
  await until('healed', () => kinds().includes('drift-healed'));
  const i = kinds().indexOf('drift-detected');
  t.true(i >= 0 && i < kinds().indexOf('drift-healed'), kinds().join(','));
  t.regex(history.list('default', 'web').find((e) => e.kind === 'drift-healed')!.message, /drift healed \(1 fields\)/);
  t.is(history.list('default', 'web')[0]!.revision, source.state().snapshot!.revision.replace(/2$/, '1'));
});
