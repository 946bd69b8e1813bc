// Table tests for diffJob: a job read back as Nomad stores it diffs in sync; real changes show as patches.
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { diffJob, type DriftKind } from '../../src/core/diff.js';
import type { NomadJob } from '../../src/core/nomad-types.js';

// The input of nomad-canonical.md §5, as drover would render it.
const desired = (): NomadJob => ({
  ID: 'app', Datacenters: ['dc1'], Meta: { a: 'b' },
  TaskGroups: [{ Name: 'app', Count: 1,
    Networks: [{ DynamicPorts: [{ Label: 'http', To: 8080 }] }],
    Tasks: [{ Name: 'app', Driver: 'docker', Config: { image: 'nginx:1.27', ports: ['http'] }, Env: {},
      Services: [{ Name: 'app', PortLabel: 'http', Tags: ['web', 'v1'], Checks: [{ Type: 'tcp', Interval: 10000000000, Timeout: 2000000000 }] }] }] }],
});

// The GET of §5 (trimmed only of fields drover never renders; everything drover renders is as Nomad returns it).
const live = (): NomadJob => ({
  Stop: false, Region: 'global', Namespace: 'default', ID: 'app', ParentID: '', Name: 'app', Type: 'service', Priority: 50,
  Datacenters: ['dc1'], NodePool: 'default', Constraints: null,
  TaskGroups: [{ Name: 'app', Count: 1, Constraints: null, Scaling: null,
    Tasks: [{ Name: 'app', Driver: 'docker', User: '', Config: { image: 'nginx:1.27', ports: ['http'] }, Env: null,
      Services: [{ Name: 'app', TaskName: 'app', PortLabel: 'http', AddressMode: 'auto', Address: '', Tags: ['web', 'v1'], CanaryTags: null,
        Checks: [{ Name: 'service: "app" check', Type: 'tcp', Command: '', Args: null, Path: '', Protocol: '', PortLabel: '', Interval: 10000000000,
          Timeout: 2000000000, TaskName: 'app', OnUpdate: 'require_healthy' }],
        Meta: null, Namespace: 'default', OnUpdate: 'require_healthy', Provider: 'consul', Cluster: 'default' }],
      Constraints: [{ LTarget: '${attr.consul.version}', RTarget: '>= 1.8.0', Operand: 'semver' }],
      Resources: { CPU: 100, Cores: 0, MemoryMB: 300 }, Meta: null, KillTimeout: 5000000000 }],
    EphemeralDisk: { Sticky: false, SizeMB: 300, Migrate: false }, Meta: null,
    Networks: [{ DynamicPorts: [{ Label: 'http', To: 8080, HostNetwork: 'default' }] }] }],
  Meta: { a: 'b' }, Status: 'pending', Version: 0, SubmitTime: 1, CreateIndex: 7, ModifyIndex: 7, JobModifyIndex: 7,
});

type Mut = (d: NomadJob, l: NomadJob) => void;
const tg = (j: NomadJob) => j.TaskGroups[0]!;
const task = (j: NomadJob) => tg(j).Tasks[0]!;

const row = test.macro({
  exec(t: ExecutionContext, mut: Mut, kind: DriftKind, paths: string[], opts: { ignoreCount?: boolean } = {}) {
    const d = desired();
    const l = live();
    mut(d, l);
    const r = diffJob(d, l, opts);
    t.is(r.kind, kind);
    t.deepEqual(r.patch.map((p) => p.path).sort(), [...paths].sort());
    t.is(r.fields, r.patch.length);
  },
  title: (given = '') => `diffJob: ${given}`,
});

test('§5 worked example read back is in sync', row, () => {}, 'in-sync', []);
test('services in another order are matched by name', row, (d, l) => {
  task(d).Services!.push({ Name: 'other', Tags: [] });
  task(l).Services!.unshift({ Name: 'other', Tags: null, Provider: 'consul' });
}, 'in-sync', []);
test('Config numbers come back as strings or floats', row, (d, l) => {
  task(d).Config!.port = 8080;
  task(l).Config!.port = 8080.0;
}, 'in-sync', []);
test('empty Datacenters are stored as *', row, (d, l) => { d.Datacenters = []; l.Datacenters = ['*']; }, 'in-sync', []);
test('omitempty port fields count as zero', row, (d, l) => {
  tg(d).Networks![0]!.Mode = '';
  tg(d).Networks![0]!.DynamicPorts![0]!.Value = 0;
}, 'in-sync', []);
test('changed count is drift', row, (_d, l) => { tg(l).Count = 3; }, 'drift', ['/TaskGroups/0/Count']);
test('changed count ignored under scaling', row, (_d, l) => { tg(l).Count = 3; }, 'in-sync', [], { ignoreCount: true });
test('changed image is drift', row, (_d, l) => { task(l).Config!.image = 'nginx:1.25'; }, 'drift', ['/TaskGroups/0/Tasks/0/Config/image']);
test('removed tag is drift', row, (_d, l) => { task(l).Services![0]!.Tags = ['web']; }, 'drift', ['/TaskGroups/0/Tasks/0/Services/0/Tags/1']);
test('a Meta key changed behind drover', row, (_d, l) => { l.Meta = { a: 'c' }; }, 'drift', ['/Meta/a']);
test('extra live service shows as removal', row, (_d, l) => { task(l).Services!.push({ Name: 'extra' }); }, 'drift', ['/TaskGroups/0/Tasks/0/Services/1']);
test('stopped job', row, (_d, l) => { l.Stop = true; }, 'stopped', ['/Stop']);
test('unrendered live fields are ignored', row, (_d, l) => { task(l).KillTimeout = 1; l.Priority = 70; }, 'in-sync', []);

test('diffJob: missing job', (t) => {
  const r = diffJob(desired(), null);
  t.is(r.kind, 'missing');
  t.true(r.patch.some((p) => p.path === '/TaskGroups'));
});
