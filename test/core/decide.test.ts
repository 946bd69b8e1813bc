// decide(): one row per situation an app can be in, the title says the case.
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { decide, desiredApp, type DecideInput } from '../../src/core/decide.js';
import { parseNomadVersion } from '../../src/core/nomad-version.js';
import type { AppliedRecord } from '../../src/core/memory.js';
import type { NomadJob } from '../../src/core/nomad-types.js';
import { renderJob, specHash } from '../../src/core/render/index.js';
import type { LoadedApp } from '../../src/spec/types.js';
import { TEST_DEFAULTS } from './render.helpers.js';

const app = (image = 'nginx:1.27', sync: Record<string, boolean> = {}): LoadedApp => ({
  key: 'default/web', namespace: 'default', name: 'web', source: { file: 'apps/web.yaml', line: 1, col: 1 },
  manifest: { apiVersion: 'drover.io/v1alpha1', kind: 'App', metadata: { name: 'web' }, spec: { image, count: 2, sync } },
}) as LoadedApp;
const job = (a: LoadedApp): NomadJob => renderJob(a, TEST_DEFAULTS);
const live = (j: NomadJob, over: Partial<NomadJob> = {}): NomadJob => ({ ...structuredClone(j), Stop: false, JobModifyIndex: 7, ...over });
const applied = (a: LoadedApp, extra: Partial<AppliedRecord> = {}): AppliedRecord => ({ specHash: specHash(job(a)), ...extra });

const V1 = app('nginx:1.27');
const V2 = app('nginx:1.28');
const input = (a: LoadedApp, l: NomadJob | null, memory: AppliedRecord | undefined, selfHeal = true): DecideInput => ({
  desired: desiredApp(a, job(a), specHash(job(a)), { selfHeal }), live: l, memory, owner: 'drover',
});

const row = test.macro({
  exec(t: ExecutionContext, i: DecideInput, kind: string, cause?: string, drift?: boolean) {
    const d = decide(i);
    t.is(d.action.kind as string, kind, d.reasons.join('; '));
    if (cause !== undefined) t.is('cause' in d.action ? d.action.cause : 'reason' in d.action ? d.action.reason : (d.action as { ownership?: string }).ownership, cause);
    if (drift !== undefined) t.is(d.drift, drift);
  },
  title: (given = '') => `decide: ${given}`,
});

const other = (j: NomadJob) => live(j, { Meta: { 'drover.managed': 'true', 'drover.owner': 'someone-else' } });
const manual = (j: NomadJob) => live(j, { Meta: { team: 'ops' } });

test('a new app with no job is created', row, input(V1, null, undefined), 'create', 'new', false);
test('in sync is a noop', row, input(V1, live(job(V1)), applied(V1)), 'noop', undefined, false);
test('git changed the app: a rollout, even with self-heal off', row, input(V2, live(job(V1)), applied(V1), false), 'update', 'rollout', false);
test('the cluster changed under an unchanged git: a heal', row, input(V1, live(job(V2)), applied(V1)), 'update', 'heal', true);
test('self-heal off: drift is reported only', row, input(V1, live(job(V2)), applied(V1), false), 'report-only', undefined, true);
test('self-heal off: a job stopped by hand is reported only', row, input(V1, live(job(V1), { Stop: true }), applied(V1), false), 'report-only', undefined, true);
test('self-heal off: a job purged by hand is reported only, not re-created', row, input(V1, null, applied(V1), false), 'report-only', undefined, true);
test('self-heal on: a purged job is re-created as a heal', row, input(V1, null, applied(V1)), 'create', 'heal', true);
test('purged and git changed: created as a rollout', row, input(V2, null, applied(V1), false), 'create', 'rollout', false);
test('pruned, then declared again: a rollout (git changed it), not a heal', row, input(V1, live(job(V1), { Stop: true }), applied(V1, { pruned: true }), false), 'update', 'rollout', false);
test('another owner\'s job is a conflict, never written', row, input(V1, other(job(V2)), undefined), 'conflict', 'other-owner');
test('another owner\'s job stays a conflict even with adopt', row, input(app('nginx:1.27', { adopt: true }), other(job(V2)), undefined), 'conflict', 'other-owner');
test('an unmanaged job is a conflict', row, input(V1, manual(job(V2)), undefined), 'conflict', 'unmanaged');
test('an unmanaged stopped job is a conflict too', row, input(V1, { ...manual(job(V1)), Stop: true }, undefined), 'conflict', 'unmanaged');
test('adopt takes over an unmanaged job', row, input(app('nginx:1.27', { adopt: true }), manual(job(V1)), undefined), 'update', 'adopt', false);
test('a job from before the applied store: its legacy drover.spec-hash Meta is what was applied', row,
  input(V1, live(job(V2), { Meta: { ...job(V2).Meta, 'drover.spec-hash': specHash(job(V1)) } }), undefined, false), 'report-only', undefined, true);
test('the flap guard: a spec whose deployment failed is not re-applied', row, input(V1, live(job(V2)), applied(V1, { failedSpecHash: specHash(job(V1)) })), 'blocked', 'deployment-failed');
test('the flap guard lets a new git change through', row, input(V2, live(job(V1)), applied(V1, { failedSpecHash: specHash(job(V1)) })), 'update', 'rollout');
test('an invalid spec leaves the job alone', row, { desired: { kind: 'invalid', problems: ['apps/web.yaml:3:1 spec.count: bad'] }, live: live(job(V1)), memory: applied(V1), owner: 'drover' }, 'blocked', 'invalid-spec');

test('decide: Vault policies on a Nomad without them (≥ 1.10) are refused before any write, with the reason; on 1.9 they are fine', (t) => {
  const a = app();
  const j = job(a);
  j.TaskGroups[0]!.Tasks[0]!.Vault = { Policies: ['otel'] };
  const i = (v: string) => ({ desired: desiredApp(a, j, specHash(j), { selfHeal: true }), live: null, memory: undefined, owner: 'drover', nomadVersion: parseNomadVersion(v) });
  const d = decide(i('2.0.5'));
  t.deepEqual(d.action, { kind: 'blocked', reason: 'unsupported-by-nomad' });
  t.true(d.reasons.some((r) => r.startsWith('spec.vault.policies: Nomad 2.0.5 has no Vault policies')), d.reasons.join(' | '));
  t.is(decide(i('1.9.7')).action.kind, 'create');
  t.is(decide({ ...i('2.0.5'), nomadVersion: undefined }).action.kind, 'create', 'an unknown version refuses nothing');
  const r = structuredClone(j);
  r.TaskGroups[0]!.Tasks[0]!.Vault = { Role: 'otel' };
  t.is(decide({ ...i('1.6.10'), desired: desiredApp(a, r, specHash(r), { selfHeal: true }) }).action.kind, 'blocked');
  t.is(decide({ ...i('2.0.5'), desired: desiredApp(a, r, specHash(r), { selfHeal: true }) }).action.kind, 'create');
});
