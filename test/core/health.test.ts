import test from 'ava';
import type { ExecutionContext } from 'ava';
import { isWorse, jobHealth, worstHealth } from '../../src/core/health.js';
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
