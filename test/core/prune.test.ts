// Each prune "never" rule with a case where a naive pruner (stop every managed job not in git) would delete.
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { planPrune, type LiveJobRef, type PruneContext, type PruneBlockReason } from '../../src/core/prune.js';
import { planAction, planApp } from '../../src/core/plan.js';

const managed = (id: string, source = `apps/${id}.yaml`, owner = 'drover'): LiveJobRef => ({
  namespace: 'default', id, stop: false, meta: { 'drover.managed': 'true', 'drover.owner': owner, 'drover.source': source },
});
const ctx = (over: Partial<PruneContext> = {}): PruneContext => ({
  owner: 'drover', prune: true, pruneMaxShare: 1, snapshotOk: true, desiredKeys: new Set(['default/keep']),
  brokenFiles: new Set(), invalidKeys: new Set(), ...over,
});

const row = test.macro({
  exec(t: ExecutionContext, live: LiveJobRef[], c: PruneContext, pruned: string[], blocked: [string, PruneBlockReason][]) {
    const r = planPrune(live, c);
    t.deepEqual(r.prune.map((j) => j.id), pruned);
    t.deepEqual(r.blocked.map((b) => [b.job.id, b.reason]), blocked);
  },
  title: (given = '') => `planPrune: ${given}`,
});

const base = [managed('keep'), managed('gone')];
test('orphan managed job is pruned', row, base, ctx(), ['gone'], []);
test('never when prune is off', row, base, ctx({ prune: false }), [], [['gone', 'prune-disabled']]);
test('never when the snapshot failed', row, base, ctx({ snapshotOk: false }), [], [['gone', 'snapshot-failed']]);
test('never when its file is broken', row, base, ctx({ brokenFiles: new Set(['apps/gone.yaml']) }), [], [['gone', 'file-broken']]);
test('never when its app is invalid', row, base, ctx({ invalidKeys: new Set(['default/gone']) }), [], [['gone', 'file-broken']]);
test('never when the desired set is empty', row, base, ctx({ desiredKeys: new Set() }), [], [['gone', 'empty-desired-set'], ['keep', 'empty-desired-set']]);
test('never beyond the share limit', row,
  [managed('keep'), managed('a'), managed('b'), managed('c'), managed('d'), managed('e'), managed('f'), managed('g'), managed('h'), managed('i')],
  ctx({ pruneMaxShare: 0.2 }), ['a', 'b'], [['c', 'share-limit'], ['d', 'share-limit'], ['e', 'share-limit'], ['f', 'share-limit'], ['g', 'share-limit'], ['h', 'share-limit'], ['i', 'share-limit']]);
test('unmanaged jobs are never touched', row, [managed('keep'), { namespace: 'default', id: 'manual', stop: false, meta: { team: 'x' } }, { namespace: 'default', id: 'nometa', stop: false, meta: null }], ctx(), [], []);
test('another owner\'s jobs are never touched', row, [managed('keep'), managed('theirs', 'apps/theirs.yaml', 'other')], ctx(), [], []);
test('already stopped jobs are not pruned again', row, [managed('keep'), { ...managed('gone'), stop: true }], ctx(), [], []);
test('jobs in other namespaces are keyed by namespace', row, [managed('keep'), { ...managed('keep'), namespace: 'prod' }], ctx(), ['keep'], []);

test('planApp: self-heal off reports only; invalid leaves alone', (t) => {
  t.is(planApp({ key: 'a', selfHeal: false, diff: { kind: 'drift', patch: [], fields: 2 } }).action, 'none');
  t.is(planApp({ key: 'a', selfHeal: true, diff: { kind: 'drift', patch: [], fields: 2 } }).action, 'update');
  t.is(planApp({ key: 'a', selfHeal: false, diff: { kind: 'missing', patch: [], fields: 2 } }).action, 'create');
  t.is(planApp({ key: 'a', selfHeal: true, diff: { kind: 'stopped', patch: [], fields: 1 } }).action, 'update');
  t.is(planApp({ key: 'a', selfHeal: true, diff: { kind: 'in-sync', patch: [], fields: 0 } }).action, 'noop');
  const inv = planApp({ key: 'a', selfHeal: true, problems: ['x.yaml:1:1 spec.count: bad'] });
  t.is(inv.action, 'none');
  t.true(inv.reasons.includes('x.yaml:1:1 spec.count: bad'));
});

test('planAction: pairs apps with live jobs, sorted', (t) => {
  const plans = planAction(
    [{ key: 'default/keep', selfHeal: true, diff: { kind: 'in-sync', patch: [], fields: 0 } }, { key: 'default/new', selfHeal: true, diff: { kind: 'missing', patch: [], fields: 3 } }],
    base, ctx({ desiredKeys: new Set(['default/keep', 'default/new']) }),
  );
  t.deepEqual(plans.map((p) => [p.key, p.action]), [['default/gone', 'delete'], ['default/keep', 'noop'], ['default/new', 'create']]);
});
