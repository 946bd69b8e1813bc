// Each prune "never" rule with a case where a naive pruner (stop every managed job not in git) would
// delete, and the per-revision blast-radius budget. The budget's property over generated histories is in
// test/core/safety.property.test.ts.
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { approvePrune, decodeLedger, emptyLedger, encodeLedger, metaSource, planPrune, type LiveJobRef, type PruneBlockReason, type PruneInput, type PruneLedger } from '../../src/core/prune.js';

const managed = (id: string, source = `apps/${id}.yaml`, owner = 'drover'): LiveJobRef => ({
  namespace: 'default', id, stop: false, meta: { 'drover.managed': 'true', 'drover.owner': owner, 'drover.source': source },
});
const input = (live: LiveJobRef[], over: Partial<PruneInput> = {}): PruneInput => ({
  live, owner: 'drover', prune: true, pruneMaxShare: 1, snapshotOk: true, desiredKeys: new Set(['default/keep']),
  brokenFiles: new Set(), invalidKeys: new Set(), revision: 'r1', descendsFromLast: undefined, pruneOnRewrite: false,
  sourceOf: (_k, j) => metaSource(j), ledger: emptyLedger(), now: '2026-12-01T00:00:00.000Z', ...over,
});

const row = test.macro({
  exec(t: ExecutionContext, live: LiveJobRef[], over: Partial<PruneInput>, pruned: string[], held: [string, PruneBlockReason][]) {
    const r = planPrune(input(live, over));
    t.deepEqual(r.stop.map((s) => s.job.id), pruned);
    t.deepEqual(r.held.map((h) => [h.job.id, h.reason]), held);
  },
  title: (given = '') => `planPrune: ${given}`,
});

const base = [managed('keep'), managed('gone')];
const ten = [managed('keep'), ...'abcdefghi'.split('').map((c) => managed(c))];
test('orphan managed job is pruned', row, base, {}, ['gone'], []);
test('never when prune is off', row, base, { prune: false }, [], [['gone', 'prune-disabled']]);
test('never when the snapshot failed', row, base, { snapshotOk: false }, [], [['gone', 'snapshot-failed']]);
test('never when its file is broken', row, base, { brokenFiles: new Set(['apps/gone.yaml']) }, [], [['gone', 'file-broken']]);
test('never when its app is invalid', row, base, { invalidKeys: new Set(['default/gone']) }, [], [['gone', 'file-broken']]);
test('never when the desired set is empty', row, base, { desiredKeys: new Set<string>() }, [], [['gone', 'empty-desired-set'], ['keep', 'empty-desired-set']]);
test('never beyond the revision\'s share', row, ten, { pruneMaxShare: 0.2 }, ['a', 'b'], 'cdefghi'.split('').map((c) => [c, 'share-limit'] as [string, PruneBlockReason]));
test('never by a revision that does not descend from the last one', row, base, { descendsFromLast: false }, [], [['gone', 'not-descendant']]);
test('a rewrite may prune when DROVER_PRUNE_ON_REWRITE is set', row, base, { descendsFromLast: false, pruneOnRewrite: true }, ['gone'], []);
test('unmanaged jobs are never touched', row, [managed('keep'), { namespace: 'default', id: 'manual', stop: false, meta: { team: 'x' } }, { namespace: 'default', id: 'nometa', stop: false, meta: null }], {}, [], []);
test('another owner\'s jobs are never touched', row, [managed('keep'), managed('theirs', 'apps/theirs.yaml', 'other')], {}, [], []);
test('already stopped jobs are not pruned again', row, [managed('keep'), { ...managed('gone'), stop: true }], {}, [], []);
test('jobs in other namespaces are keyed by namespace', row, [managed('keep'), { ...managed('keep'), namespace: 'prod' }], {}, ['keep'], []);
test('the file rule uses the applied record\'s source over Meta', row, base, { sourceOf: () => 'apps/renamed.yaml', brokenFiles: new Set(['apps/renamed.yaml']) }, [], [['gone', 'file-broken']]);

/** Replays passes the way the controller does: each plan's ledger is stored, its stops happen, the next pass sees them stopped. */
function pass(live: LiveJobRef[], ledger: PruneLedger, over: Partial<PruneInput>): { live: LiveJobRef[]; ledger: PruneLedger; stopped: string[]; held: string[] } {
  const r = planPrune(input(live, { ...over, ledger }));
  const stopped = new Set(r.stop.map((s) => s.key));
  return { live: live.map((j) => (stopped.has(`default/${j.id}`) ? { ...j, stop: true } : j)), ledger: r.ledger, stopped: [...stopped], held: r.held.map((h) => h.key) };
}

test('the share is a budget per revision: passes after the first (events, resyncs) stop nothing more', (t) => {
  const live20 = Array.from({ length: 20 }, (_, i) => managed(`app${String(i).padStart(2, '0')}`));
  const keep = new Set(live20.slice(0, 5).map((j) => `default/${j.id}`)); // 15 of 20 removed
  let s = { live: live20, ledger: emptyLedger(), stopped: [] as string[], held: [] as string[] };
  let total = 0;
  for (let i = 0; i < 10; i++) {
    s = pass(s.live, s.ledger, { revision: 'r2', desiredKeys: keep, pruneMaxShare: 0.3 });
    total += s.stopped.length;
  }
  t.is(total, 6, 'ceil(0.3 × 20)');
  t.is(s.held.length, 9);
  t.is(s.ledger.revisions.r2!.managedWhenSeen, 20);
});

test('a later revision\'s budget counts only what it removes; held jobs stay charged to the revision that removed them', (t) => {
  const live = Array.from({ length: 10 }, (_, i) => managed(`j${i}`));
  const all = new Set(live.map((j) => `default/${j.id}`));
  const without = (...ids: string[]) => new Set([...all].filter((k) => !ids.some((id) => k === `default/${id}`)));
  let s = pass(live, emptyLedger(), { revision: 'r1', desiredKeys: without('j0', 'j1', 'j2', 'j3', 'j4'), pruneMaxShare: 0.2 });
  t.deepEqual(s.stopped.sort(), ['default/j0', 'default/j1']);
  // r2 removes one more app: it has its own budget (ceil(0.2 × 8) = 2) and spends it on its own removal only.
  s = pass(s.live, s.ledger, { revision: 'r2', descendsFromLast: true, desiredKeys: without('j0', 'j1', 'j2', 'j3', 'j4', 'j9'), pruneMaxShare: 0.2 });
  t.deepEqual(s.stopped, ['default/j9']);
  t.deepEqual(s.held.sort(), ['default/j2', 'default/j3', 'default/j4']);
  t.is(s.ledger.orphans['default/j2']!.revision, 'r1');
});

test('a revision that declares a held app again cancels the hold; an approval releases one', (t) => {
  const live = [managed('keep'), managed('a'), managed('b'), managed('c')];
  let s = pass(live, emptyLedger(), { revision: 'r1', desiredKeys: new Set(['default/keep']), pruneMaxShare: 0.25 });
  t.is(s.stopped.length, 1);
  t.deepEqual(s.held, ['default/b', 'default/c']);
  const approved = approvePrune(s.ledger, 'default/c');
  t.true(approved.known);
  t.false(approvePrune(s.ledger, 'default/nope').known);
  s = pass(s.live, approved.ledger, { revision: 'r2', descendsFromLast: true, desiredKeys: new Set(['default/keep', 'default/b']), pruneMaxShare: 0.25 });
  t.deepEqual(s.stopped, ['default/c']);
  t.deepEqual(s.held, []);
  t.false('default/b' in s.ledger.orphans, 'declared again: no longer charged anywhere');
  s = pass(s.live, s.ledger, { revision: 'r2', desiredKeys: new Set(['default/keep', 'default/b']), pruneMaxShare: 0.25 });
  t.deepEqual(s.ledger.approved, [], 'an approval is spent once the job is stopped');
});

test('the ledger round-trips; a corrupt one is not mistaken for an empty one', (t) => {
  const r = planPrune(input(base));
  t.deepEqual(decodeLedger(encodeLedger(r.ledger)), r.ledger);
  t.deepEqual(decodeLedger(undefined), emptyLedger());
  t.is(decodeLedger('{not json'), undefined);
});
