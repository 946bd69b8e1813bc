// Table tests of the pure Consul verification: one row per way Consul can disagree with the job.
import test from 'ava';
import type { ConsulHealthEntry } from '../../src/clients/types.js';
import type { AllocListStub, NomadJob, NomadServiceRegistration } from '../../src/core/nomad-types.js';
import {
  expectedServicesFromJob, inSubnet, observedFromConsul, observedFromNomad, verifyConsul, type VerifyResult,
  allocIdOfInstance, partitionInstances,
} from '../../src/core/verify.js';

const ALLOC = ['0b8c1f6e-1111-2222-3333-444455556666', '1c9d2a7f-1111-2222-3333-444455556666', '2dae3b80-1111-2222-3333-444455556666'];
const TAGS = ['traefik.enable=true', 'traefik.http.routers.web.rule=Host(`web.example.com`)', 'traefik.http.routers.web.entrypoints=web'];

function job(opts: { count?: number; provider?: string; tags?: string[] } = {}): NomadJob {
  return {
    ID: 'web',
    TaskGroups: [{
      Name: 'web', Count: opts.count ?? 2,
      Tasks: [{ Name: 'web', Driver: 'docker', Services: [{ Name: 'web', PortLabel: 'http', Tags: opts.tags ?? TAGS, Provider: opts.provider ?? 'consul' }] }],
    }],
  };
}

function alloc(i: number, status = 'running', group = 'web'): AllocListStub {
  return {
    ID: ALLOC[i]!, EvalID: 'e', Name: `web.${group}[${i}]`, Namespace: 'default', NodeID: 'n', NodeName: 'n', JobID: 'web', JobVersion: 0,
    TaskGroup: group, DesiredStatus: 'run', ClientStatus: status, DeploymentStatus: null, CreateIndex: 1, ModifyIndex: 1,
  };
}

function entry(i: number, o: { tags?: string[]; address?: string; checks?: [string, string][]; name?: string } = {}): ConsulHealthEntry {
  const id = `_nomad-task-${ALLOC[i]}-web-web-http`;
  return {
    Node: { Node: 'node1', Address: '192.168.56.3' },
    Service: { ID: id, Service: o.name ?? 'web', Tags: o.tags ?? TAGS, Address: o.address ?? `10.32.1.${i + 2}`, Port: 8080, Meta: { 'external-source': 'nomad' } },
    Checks: [['serfHealth', 'passing'] as [string, string], ...(o.checks ?? [['service: "web" check', 'passing']] as [string, string][])].map(
      ([name, status], n) => ({ CheckID: `${id}-${n}`, Name: name, Status: status, ServiceID: n === 0 ? '' : id }),
    ),
  };
}

interface Row {
  job: NomadJob;
  allocs: AllocListStub[];
  entries: ConsulHealthEntry[];
  subnet?: string;
  problems: string[];
  drift: boolean;
  instances?: VerifyResult['instances'];
  notes?: string[];
}

const verifies = test.macro((t, row: Row) => {
  const expected = expectedServicesFromJob(row.job, row.allocs, row.subnet);
  const r = verifyConsul(expected, observedFromConsul(row.entries));
  t.deepEqual(r.problems, row.problems);
  t.is(r.drift, row.drift);
  if (row.instances) t.deepEqual(r.instances, row.instances);
  if (row.notes) t.deepEqual(r.notes, row.notes);
});

const id0 = `_nomad-task-${ALLOC[0]}-web-web-http`;
const id1 = `_nomad-task-${ALLOC[1]}-web-web-http`;

test('all good: no problems', verifies, {
  job: job(), allocs: [alloc(0), alloc(1)], entries: [entry(0), entry(1)], subnet: '10.32.1.0/24',
  problems: [], drift: false, instances: [{ service: 'web', state: 'passing', count: 2 }], notes: [],
});

test('tag removed from one instance', verifies, {
  job: job(), allocs: [alloc(0), alloc(1)], entries: [entry(0), entry(1, { tags: TAGS.slice(1) })],
  problems: [`service web: tag traefik.enable=true missing on instance ${id1}`], drift: true,
});

test('instance missing: fewer registrations than running allocations', verifies, {
  job: job({ count: 3 }), allocs: [alloc(0), alloc(1), alloc(2)], entries: [entry(0)],
  problems: ['service web: 1 instance, 3 allocations running'], drift: true,
  instances: [{ service: 'web', state: 'passing', count: 1 }, { service: 'web', state: 'missing', count: 2 }],
});

test('stale registration: more instances than running allocations', verifies, {
  job: job(), allocs: [alloc(0), alloc(1, 'complete')], entries: [entry(0), entry(1)],
  problems: ['service web: 2 instances, 1 allocation running'], drift: true,
});

test('check critical: a health problem, not drift', verifies, {
  job: job(), allocs: [alloc(0), alloc(1)], entries: [entry(0), entry(1, { checks: [['service: "web" check', 'critical']] })],
  problems: [`service web: check service: "web" check critical on instance ${id1}`], drift: false,
  instances: [{ service: 'web', state: 'passing', count: 1 }, { service: 'web', state: 'critical', count: 1 }],
});

test('check warning counts as warning', verifies, {
  job: job({ count: 1 }), allocs: [alloc(0)], entries: [entry(0, { checks: [['svc', 'warning']] })],
  problems: [`service web: check svc warning on instance ${id0}`], drift: false,
  instances: [{ service: 'web', state: 'warning', count: 1 }],
});

test('weave address outside the subnet (the bridge address Nomad advertises in proxy mode)', verifies, {
  job: job(), allocs: [alloc(0), alloc(1)], entries: [entry(0), entry(1, { address: '172.17.0.3' })], subnet: '10.32.1.0/24',
  problems: [`service web: address 172.17.0.3 outside subnet 10.32.1.0/24 on instance ${id1}`], drift: true,
});

test('empty service address falls back to the node address, which is checked too', verifies, {
  job: job({ count: 1 }), allocs: [alloc(0)], entries: [entry(0, { address: '' })], subnet: '10.32.1.0/24',
  problems: [`service web: address 192.168.56.3 outside subnet 10.32.1.0/24 on instance ${id0}`], drift: true,
});

test('extra non-traefik tag is a note, not a problem', verifies, {
  job: job({ count: 1 }), allocs: [alloc(0)], entries: [entry(0, { tags: [...TAGS, 'team=obs'] })],
  problems: [], drift: false, notes: [`service web: extra tag team=obs on instance ${id0}`],
});

test('extra traefik tag is drift: drover owns routing', verifies, {
  job: job({ count: 1 }), allocs: [alloc(0)], entries: [entry(0, { tags: [...TAGS, 'traefik.http.routers.evil.rule=Host(`x`)'] })],
  problems: [`service web: unexpected tag traefik.http.routers.evil.rule=Host(\`x\`) on instance ${id0}`], drift: true,
});

test('service registered under another name: instances missing', verifies, {
  job: job({ count: 1 }), allocs: [alloc(0)], entries: [entry(0, { name: 'other' })],
  problems: ['service web: 0 instances, 1 allocation running'], drift: true,
  instances: [{ service: 'web', state: 'missing', count: 1 }],
});

test('expectedServicesFromJob: default name, provider, interpolated tags skipped, group services, other groups counted apart', (t) => {
  const j: NomadJob = {
    ID: 'otel',
    TaskGroups: [
      { Name: 'collector', Services: [{ Name: '', Provider: 'nomad', Tags: ['a', 'alloc-${NOMAD_ALLOC_INDEX}'] }], Tasks: [{ Name: 't', Driver: 'docker' }] },
      { Name: 'agent', Tasks: [{ Name: 'a', Driver: 'docker', Services: [{ Name: 'agent', Tags: null }] }] },
    ],
  };
  const allocs = [alloc(0, 'running', 'collector'), alloc(1, 'running', 'collector'), alloc(2, 'pending', 'agent')].map((a) => ({ ...a, JobID: 'otel' }));
  const exp = expectedServicesFromJob(j, allocs, '10.32.2.0/24');
  t.deepEqual(exp, [
    { name: 'agent', tags: [], allowedTags: [], count: 0, provider: 'consul', subnet: '10.32.2.0/24' },
    { name: 'otel-collector', tags: ['a'], allowedTags: [], count: 2, provider: 'nomad', subnet: '10.32.2.0/24' },
  ]);
});

test('Nomad native registrations verify the same way', (t) => {
  const regs: NomadServiceRegistration[] = [0, 1].map((i) => ({
    ID: `_nomad-task-${ALLOC[i]}-web-web-http`, ServiceName: 'web', Namespace: 'default', NodeID: 'n', Datacenter: 'dc1', JobID: 'web',
    AllocID: ALLOC[i]!, Tags: i === 0 ? TAGS : TAGS.slice(0, 2), Address: '10.32.1.9', Port: 8080, CreateIndex: 1, ModifyIndex: 1,
  }));
  const r = verifyConsul(expectedServicesFromJob(job({ provider: 'nomad' }), [alloc(0), alloc(1)]), observedFromNomad(regs));
  t.deepEqual(r.problems, [`service web: tag traefik.http.routers.web.entrypoints=web missing on instance ${id1}`]);
  t.true(r.drift);
});

test('inSubnet: v4 inside/outside, v6 against a v4 subnet, garbage', (t) => {
  t.true(inSubnet('10.32.1.200', '10.32.1.0/24'));
  t.false(inSubnet('10.32.2.1', '10.32.1.0/24'));
  t.false(inSubnet('fe80::1', '10.32.1.0/24'));
  t.false(inSubnet('web.service.consul', '10.32.1.0/24'));
  t.false(inSubnet('10.32.1.1', 'not-a-cidr'));
});

test('instances belong to a job by the allocation in their service ID; anything else is another registration', (t) => {
  const a = '0b6f7a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
  const b = 'ffffffff-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
  t.is(allocIdOfInstance(`_nomad-task-${a}-web-web-http`), a);
  t.is(allocIdOfInstance(`_nomad-task-${a}-group-web-web-http`), a);
  t.is(allocIdOfInstance(`drover-${a}-web-web`), a);
  t.is(allocIdOfInstance('web-1'), undefined);
  t.is(allocIdOfInstance(`_nomad-task-${a}`), undefined, 'needs the rest of the ID');
  const inst = (id: string) => ({ service: 'web', id, address: '10.0.0.1', port: 80, tags: [], status: 'passing' as const, failingChecks: [] });
  const { mine, others } = partitionInstances([inst(`_nomad-task-${a}-web-web-http`), inst(`_nomad-task-${b}-web-web-http`), inst('by-hand')], new Set([a]));
  t.deepEqual(mine.map((i) => i.id), [`_nomad-task-${a}-web-web-http`]);
  t.deepEqual(others.map((i) => i.id), [`_nomad-task-${b}-web-web-http`, 'by-hand']);
});
