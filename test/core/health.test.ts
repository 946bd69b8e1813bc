import test from 'ava';
import type { ExecutionContext } from 'ava';
import { appHealth, isWorse, jobHealth, placementReasons, worstHealth } from '../../src/core/health.js';
import type { AllocListStub, Deployment, NomadJob } from '../../src/core/nomad-types.js';
import type { HealthStatus } from '../../src/core/status.js';

const job = (count = 2, extra: Partial<NomadJob> = {}): NomadJob => ({ ID: 'a', Version: 1, Status: 'running', TaskGroups: [{ Name: 'a', Count: count, Tasks: [] }], ...extra });
const alloc = (ClientStatus: string, extra: Partial<AllocListStub> = {}): AllocListStub => ({
  ID: Math.random().toString(36), EvalID: '', Name: 'a.a[0]', Namespace: 'default', NodeID: 'n', NodeName: 'n', JobID: 'a', JobVersion: 1,
  TaskGroup: 'a', DesiredStatus: 'run', ClientStatus, DeploymentStatus: null, CreateIndex: 1, ModifyIndex: 1, ...extra,
});
const dep = (Status: string, JobVersion = 1): Deployment => ({ ID: 'd', Namespace: 'default', JobID: 'a', JobVersion, JobModifyIndex: 1, JobSpecModifyIndex: 1,
  TaskGroups: {}, Status, StatusDescription: Status === 'failed' ? 'Failed due to unhealthy allocations' : '', CreateIndex: 1, ModifyIndex: 1 });

const row = test.macro({
  exec(t: ExecutionContext, j: NomadJob | null, allocs: AllocListStub[] | null, d: Deployment | null, want: HealthStatus) {
    const r = jobHealth(j, allocs, d);
    t.is(r.status, want);
    t.true(r.reasons.length > 0);
  },
  title: (given = '') => `jobHealth: ${given}`,
});

test('no job is Missing', row, null, [], null, 'Missing');
test('stopped job is Missing', row, job(2, { Stop: true }), [], null, 'Missing');
test('allocs unknown', row, job(), null, null, 'Unknown');
test('all running, deployment successful', row, job(), [alloc('running'), alloc('running')], dep('successful'), 'Healthy');
test('all running, no deployment', row, job(), [alloc('running'), alloc('running')], null, 'Healthy');
test('deployment running', row, job(), [alloc('running'), alloc('pending')], dep('running'), 'Progressing');
test('deployment failed', row, job(), [alloc('running'), alloc('failed')], dep('failed'), 'Degraded');
test('old version failed deployment ignored', row, job(), [alloc('running'), alloc('running')], dep('failed', 0), 'Healthy');
test('failed alloc without deployment', row, job(), [alloc('running'), alloc('failed')], null, 'Degraded');
test('pending job with no allocs', row, job(2, { Status: 'pending' }), [], null, 'Progressing');
test('old-version allocs do not count', row, job(), [alloc('running', { JobVersion: 0 }), alloc('running', { JobVersion: 0 })], null, 'Progressing');
test('count 0 is Healthy', row, job(0), [], null, 'Healthy');

test('ordering: worse than', (t) => {
  t.true(isWorse('Degraded', 'Healthy'));
  t.false(isWorse('Healthy', 'Progressing'));
  t.is(worstHealth(['Healthy', 'Degraded', 'Progressing']), 'Degraded');
  t.is(worstHealth([]), 'Healthy');
});

// appHealth: the numbers an operator needs during a rollout (#14), and placement failures (#11).
const depTG = (tg: Record<string, unknown>, Status = 'running', JobVersion = 1): Deployment => ({
  ...dep(Status, JobVersion), StatusDescription: Status === 'running' ? 'Deployment is running' : '', TaskGroups: { a: { DesiredTotal: 3, PlacedAllocs: 0, HealthyAllocs: 0, UnhealthyAllocs: 0, ...tg } },
});

test('appHealth: during a rolling update old allocations still serve and are counted, with the deployment\'s healthy count', (t) => {
  const r = appHealth({
    job: job(3), deployment: depTG({ PlacedAllocs: 1, HealthyAllocs: 1 }),
    allocs: [alloc('running'), alloc('running', { JobVersion: 0 }), alloc('running', { JobVersion: 0 })],
  });
  t.is(r.status, 'Progressing');
  t.deepEqual(r.reasons, ['deployment running: 1/3 healthy', '3 allocations running (1 of version 1, 2 of older versions) for 3 wanted']);
});

test('appHealth: canaries placed and healthy wait for promotion, and say so', (t) => {
  const r = appHealth({
    job: job(3), allocs: [alloc('running', { DeploymentStatus: { Healthy: true, Canary: true } }), alloc('running', { JobVersion: 0 }), alloc('running', { JobVersion: 0 }), alloc('running', { JobVersion: 0 })],
    deployment: { ...depTG({ DesiredCanaries: 1, PlacedCanaries: ['c1'], HealthyAllocs: 1, PlacedAllocs: 1, Promoted: false }), StatusDescription: 'Deployment is running but requires manual promotion' },
  });
  t.is(r.status, 'Progressing');
  t.true(r.reasons.includes('1 canary healthy, pending promotion'), r.reasons.join(' | '));
  t.true(r.reasons.includes('Deployment is running but requires manual promotion'));
});

test('appHealth: a placement failure is Degraded with Nomad\'s reason, not Progressing forever', (t) => {
  const r = appHealth({ job: job(1, { Status: 'pending' }), allocs: [], deployment: depTG({}), placement: { reasons: placementReasons({ a: { NodesEvaluated: 1, ConstraintFiltered: { 'missing drivers': 1 } } }), queued: 1 } });
  t.is(r.status, 'Degraded');
  t.deepEqual(r.reasons.slice(0, 2), ['placement failed: missing drivers', '1 allocation(s) queued']);
  t.deepEqual(placementReasons({ a: { NodesEvaluated: 2, DimensionExhausted: { memory: 2 } } }), ['memory exhausted']);
});

test('appHealth: once every allocation of the version runs, the placement failure of an older eval no longer counts', (t) => {
  const r = appHealth({ job: job(1), allocs: [alloc('running')], deployment: null, placement: { reasons: ['missing drivers'], queued: 1 } });
  t.is(r.status, 'Healthy');
});
