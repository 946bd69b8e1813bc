// Nomad HTTP contract (reference: shared/reference/hashicorp-api.md §2, nomad-canonical.md,
// nomad-wire-shapes.md). Every case runs against the simulator and, when DROVER_CONTRACT_NOMAD_ADDR
// is set, against that real agent too (a plain `nomad agent -dev`). Plain fetch only.
import type { ExecutionContext } from 'ava';
import { NomadHttp, readStream, uniq, waitFor, workedExample, runContractCases, type ContractCase } from './helpers-nomad.js';


/** GET /v1/job/app of the worked example (nomad-canonical.md §5), minus SubmitTime, indexes and Status. */
const WORKED_EXAMPLE_GET: Record<string, unknown> = {"Stop": false, "Region": "global", "Namespace": "default", "ID": "app", "ParentID": "", "Name": "app", "Type": "service", "Priority": 50, "AllAtOnce": false, "Datacenters": ["dc1"], "NodePool": "default", "Constraints": null, "Affinities": null, "Spreads": null, "TaskGroups": [{"Name": "app", "Count": 1, "Update": {"Stagger": 30000000000, "MaxParallel": 1, "HealthCheck": "checks", "MinHealthyTime": 10000000000, "HealthyDeadline": 300000000000, "ProgressDeadline": 600000000000, "AutoRevert": false, "AutoPromote": false, "Canary": 0}, "Migrate": {"MaxParallel": 1, "HealthCheck": "checks", "MinHealthyTime": 10000000000, "HealthyDeadline": 300000000000}, "Constraints": null, "Scaling": null, "RestartPolicy": {"Attempts": 2, "Interval": 1800000000000, "Delay": 15000000000, "Mode": "fail", "RenderTemplates": false}, "Disconnect": null, "Tasks": [{"Name": "app", "Driver": "docker", "User": "", "Config": {"image": "nginx:1.27", "ports": ["http"]}, "Env": null, "Services": [{"Name": "app", "TaskName": "app", "PortLabel": "http", "AddressMode": "auto", "Address": "", "EnableTagOverride": false, "Tags": ["web", "v1"], "CanaryTags": null, "Checks": [{"Name": "service: \"app\" check", "Type": "tcp", "Command": "", "Args": null, "Path": "", "Protocol": "", "PortLabel": "", "Expose": false, "AddressMode": "", "Interval": 10000000000, "Timeout": 2000000000, "InitialStatus": "", "Notes": "", "TLSServerName": "", "TLSSkipVerify": false, "Method": "", "Header": null, "CheckRestart": null, "GRPCService": "", "GRPCUseTLS": false, "TaskName": "app", "SuccessBeforePassing": 0, "FailuresBeforeCritical": 0, "FailuresBeforeWarning": 0, "Body": "", "OnUpdate": "require_healthy"}], "Connect": null, "Meta": null, "CanaryMeta": null, "Weights": null, "TaggedAddresses": null, "Namespace": "default", "OnUpdate": "require_healthy", "Provider": "consul", "Cluster": "default", "Identity": null, "Kind": ""}], "Vault": null, "Secrets": null, "Consul": null, "Templates": null, "Constraints": [{"LTarget": "${attr.consul.version}", "RTarget": ">= 1.8.0", "Operand": "semver"}], "Affinities": null, "Resources": {"CPU": 100, "Cores": 0, "MemoryMB": 300, "MemoryMaxMB": 0, "DiskMB": 0, "IOPS": 0, "Networks": null, "Devices": null, "NUMA": null, "SecretsMB": 0}, "RestartPolicy": {"Attempts": 2, "Interval": 1800000000000, "Delay": 15000000000, "Mode": "fail", "RenderTemplates": false}, "DispatchPayload": null, "Lifecycle": null, "Meta": null, "KillTimeout": 5000000000, "LogConfig": {"MaxFiles": 10, "MaxFileSizeMB": 10, "Disabled": false}, "Artifacts": null, "Leader": false, "ShutdownDelay": 0, "VolumeMounts": null, "ScalingPolicies": null, "KillSignal": "", "Kind": "", "CSIPluginConfig": null, "Identity": {"Name": "default", "Audience": ["nomadproject.io"], "ChangeMode": "", "ChangeSignal": "", "Env": false, "File": false, "Filepath": "", "ServiceName": "", "TTL": 0, "ExtraClaims": null}, "Identities": null, "Actions": null, "Schedule": null}], "EphemeralDisk": {"Sticky": false, "SizeMB": 300, "Migrate": false}, "Meta": null, "ReschedulePolicy": {"Attempts": 0, "Interval": 0, "Delay": 30000000000, "DelayFunction": "exponential", "MaxDelay": 3600000000000, "Unlimited": true}, "Affinities": null, "Spreads": null, "Networks": [{"DynamicPorts": [{"Label": "http", "To": 8080, "HostNetwork": "default"}]}], "Consul": null, "Services": null, "Volumes": null, "ShutdownDelay": null, "MaxRunDuration": null, "StopAfterClientDisconnect": null, "MaxClientDisconnect": null, "PreventRescheduleOnLost": false}], "Update": {"Stagger": 30000000000, "MaxParallel": 1, "HealthCheck": "", "MinHealthyTime": 0, "HealthyDeadline": 0, "ProgressDeadline": 0, "AutoRevert": false, "AutoPromote": false, "Canary": 0}, "Multiregion": null, "Periodic": null, "ParameterizedJob": null, "Dispatched": false, "DispatchIdempotencyToken": "", "Payload": null, "Meta": {"a": "b"}, "ConsulNamespace": "", "VaultNamespace": "", "NomadTokenID": "", "StatusDescription": "", "Version": 0, "UI": null, "VersionTag": null};

const put = (h: NomadHttp, job: unknown, extra: object = {}) => h.put('/v1/jobs', { Job: job, ...extra });

async function registered(t: ExecutionContext, h: NomadHttp, job: unknown): Promise<any> {
  const r = await put(h, job);
  t.is(r.status, 200, r.text);
  return r.json;
}

/** The job once its ModifyIndex has stopped moving (allocations placed, deployment done). */
async function settled(http: NomadHttp, id: string): Promise<any> {
  let last = (await http.get(`/v1/job/${id}`)).json;
  for (let i = 0; i < 30; i++) {
    await new Promise((r) => setTimeout(r, 150));
    const cur = (await http.get(`/v1/job/${id}`)).json;
    if (cur.ModifyIndex === last.ModifyIndex) return cur;
    last = cur;
  }
  return last;
}

const cases: Record<string, ContractCase> = {
  'register fills in every default of the worked example, in struct order': async (t, { http }) => {
    const id = uniq('app');
    await registered(t, http, workedExample(id));
    const r = await http.get(`/v1/job/${id}`);
    t.is(r.status, 200);
    const got = r.json;
    // Status and Stable move once the allocations run and the deployment succeeds
    for (const k of ['SubmitTime', 'CreateIndex', 'ModifyIndex', 'JobModifyIndex', 'Status', 'Stable']) delete got[k];
    const want = structuredClone(WORKED_EXAMPLE_GET) as any;
    want.ID = id;
    want.Name = id;
    t.deepEqual(got, want);
    t.deepEqual(Object.keys(got), Object.keys(want));
    t.deepEqual(Object.keys(got.TaskGroups[0].Tasks[0]), Object.keys(want.TaskGroups[0].Tasks[0]));
  },
  'GET carries X-Nomad-Index = ModifyIndex, KnownLeader and LastContact; the write only X-Nomad-Index': async (t, { http }) => {
    const id = uniq('hdr');
    const w = await put(http, workedExample(id));
    t.is(w.headers.get('x-nomad-index'), String(w.json.Index));
    t.is(w.headers.get('x-nomad-knownleader'), null);
    // 2.0.5 warns about a task with services and no shutdown_delay (nomad/structs/structs.go)
    t.is(w.json.Warnings, '1 warning:\n\n* task "app" in group "app" defines services, but has no shutdown_delay set');
    t.is(w.json.KnownLeader, false);
    const r = await http.get(`/v1/job/${id}`);
    t.is(r.headers.get('x-nomad-index'), String(r.json.ModifyIndex));
    t.is(r.headers.get('x-nomad-knownleader'), 'true');
    t.is(r.headers.get('x-nomad-lastcontact'), '0');
    t.regex(r.headers.get('content-type') ?? '', /application\/json/);
  },
  'register twice with the same spec: same Version and JobModifyIndex, a new eval': async (t, { http }) => {
    const id = uniq('same');
    const a = await registered(t, http, workedExample(id));
    const j1 = await settled(http, id);
    const b = await registered(t, http, workedExample(id));
    const j2 = (await http.get(`/v1/job/${id}`)).json;
    t.is(j2.Version, j1.Version);
    t.is(j2.JobModifyIndex, a.JobModifyIndex);
    t.is(j2.SubmitTime, j1.SubmitTime);
    t.not(b.EvalID, a.EvalID);
    t.true(b.Index > a.Index);
    t.is(b.JobModifyIndex, j1.ModifyIndex, 'unchanged spec answers with the job ModifyIndex');
    t.is(j2.ModifyIndex, j1.ModifyIndex);
  },
  'register a changed spec: Version + 1 and JobModifyIndex = the new raft index': async (t, { http }) => {
    const id = uniq('chg');
    await registered(t, http, workedExample(id));
    const v0 = (await http.get(`/v1/job/${id}`)).json;
    const r = await registered(t, http, workedExample(id, { image: 'nginx:1.28' }));
    const v1 = (await http.get(`/v1/job/${id}`)).json;
    t.is(v1.Version, v0.Version + 1);
    t.is(v1.JobModifyIndex, r.JobModifyIndex);
    t.is(r.JobModifyIndex, r.Index);
    t.true(v1.JobModifyIndex > v0.JobModifyIndex);
    t.is(v1.CreateIndex, v0.CreateIndex);
  },
  'EnforceIndex: the three conflict texts, as 500 plain text': async (t, { http }) => {
    const id = uniq('enf');
    const missing = await put(http, workedExample(id), { EnforceIndex: true, JobModifyIndex: 7 });
    t.is(missing.status, 500);
    t.is(missing.text, 'Enforcing job modify index 7: job does not exist');
    t.regex(missing.headers.get('content-type') ?? '', /^text\/plain/);
    const created = await put(http, workedExample(id), { EnforceIndex: true, JobModifyIndex: 0 });
    t.is(created.status, 200, created.text);
    const again = await put(http, workedExample(id), { EnforceIndex: true, JobModifyIndex: 0 });
    t.is(again.status, 500);
    t.is(again.text, 'Enforcing job modify index 0: job already exists');
    const cur = (await http.get(`/v1/job/${id}`)).json.JobModifyIndex;
    const wrong = await put(http, workedExample(id, { count: 2 }), { EnforceIndex: true, JobModifyIndex: cur + 1000 });
    t.is(wrong.status, 500);
    t.is(wrong.text, `Enforcing job modify index ${cur + 1000}: job exists with conflicting job modify index: ${cur}`);
    const right = await put(http, workedExample(id, { count: 2 }), { EnforceIndex: true, JobModifyIndex: cur });
    t.is(right.status, 200, right.text);
  },
  'missing job: 404 "job not found" with index headers; its lists are empty': async (t, { http }) => {
    const id = uniq('nope');
    const r = await http.get(`/v1/job/${id}`);
    t.is(r.status, 404);
    t.is(r.text, 'job not found');
    t.truthy(r.headers.get('x-nomad-index'));
    t.is((await http.get(`/v1/job/${id}/summary`)).text, 'job not found');
    const allocs = await http.get(`/v1/job/${id}/allocations`);
    t.is(allocs.status, 200);
    t.deepEqual(allocs.json, []);
    t.is((await http.get(`/v1/job/${id}/deployment`)).text, 'null');
    t.deepEqual((await http.get(`/v1/job/${id}/deployments`)).json, []);
  },
  'request errors: 400 texts of the HTTP layer': async (t, { http }) => {
    const id = uniq('bad');
    const empty = await http.put('/v1/jobs', '');
    t.is(empty.status, 400);
    t.is(empty.text, 'Request body is empty');
    const noWrap = await http.put('/v1/jobs', workedExample(id));
    t.is(noWrap.status, 400);
    t.is(noWrap.text, 'Job must be specified');
    const noId = workedExample(id);
    delete noId.ID;
    const r = await put(http, noId);
    t.is(r.status, 400);
    t.is(r.text, "Job ID hasn't been provided");
    const mismatch = await http.put(`/v1/job/${id}-other`, { Job: workedExample(id) });
    t.is(mismatch.status, 400);
    t.is(mismatch.text, 'Job ID does not match name');
    const malformed = await http.put('/v1/jobs', 'x{');
    t.is(malformed.status, 400);
    t.regex(malformed.text, /invalid character 'x'/);
    const planMismatch = await http.put(`/v1/job/${id}-other/plan`, { Job: workedExample(id), Diff: true });
    t.is(planMismatch.status, 400);
    t.is(planMismatch.text, 'Job ID does not match');
  },
  'a duration sent as a string is a 400 decode error': async (t, { http }) => {
    const job = workedExample(uniq('dur'));
    job.TaskGroups[0].Tasks[0].Services[0].Checks[0].Interval = '10s';
    const r = await put(http, job);
    t.is(r.status, 400);
    t.regex(r.text, /^json: cannot unmarshal string into Go struct field .*Interval of type time\.Duration$/);
  },
  'validation errors: 500 with go-multierror text': async (t, { http }) => {
    const noDriver = workedExample(uniq('val'));
    noDriver.TaskGroups[0].Name = 'web';
    noDriver.TaskGroups[0].Tasks[0].Name = 'server';
    delete noDriver.TaskGroups[0].Tasks[0].Driver;
    const a = await put(http, noDriver);
    t.is(a.status, 500);
    t.is(a.text, '1 error occurred:\n\t* Task group web validation failed: 1 error occurred:\n\t* Task server validation failed: 1 error occurred:\n\t* Missing task driver\n\n\n\n\n\n');
    const negative = workedExample(uniq('val'), { count: -1 });
    negative.TaskGroups[0].Name = 'web';
    const b = await put(http, negative);
    t.is(b.status, 500);
    t.is(b.text, "1 error occurred:\n\t* Task group web validation failed: 1 error occurred:\n\t* Task group count can't be negative\n\n\n\n");
    const c = await put(http, { ID: uniq('val'), TaskGroups: [] });
    t.is(c.status, 500);
    t.is(c.text, '1 error occurred:\n\t* Missing job task groups\n\n');
    const d = await put(http, { ...workedExample(uniq('val')), Datacenters: [''] });
    t.is(d.status, 500);
    t.true(d.text.includes('Job datacenter must be non-empty string'));
    const noPath = workedExample(uniq('val'));
    noPath.TaskGroups[0].Tasks[0].Services[0].Checks[0].Type = 'http';
    const f = await put(http, noPath);
    t.is(f.status, 500);
    // a task's service errors sit in validateServices' multierror, inside the task's (2.0.5)
    t.is(f.text, '1 error occurred:\n\t* Task group app validation failed: 1 error occurred:\n\t* Task app validation failed: 1 error occurred:\n\t* 1 error occurred:\n\t* service[0] "app" validation failed: 1 error occurred:\n\t* Check service: "app" check invalid: http type must have http path\n\n\n\n\n\n\n\n\n\n');
    const e = await put(http, workedExample(''));
    t.is(e.status, 500);
    t.true(e.text.includes('Missing job ID'));
  },
  'a job in a nonexistent namespace is rejected': async (t, { http }) => {
    const id = uniq('ns');
    const r = await http.put('/v1/jobs?namespace=nowhere', { Job: workedExample(id) });
    t.is(r.status, 500);
    t.is(r.text, `1 error occurred:\n\t* job "${id}" is in nonexistent namespace "nowhere"\n\n`);
  },
  'omitted Datacenters become ["*"]; numbers in Config stay numbers; a nomad-provider service adds the group constraints': async (t, { http }) => {
    const id = uniq('nsd');
    const job = workedExample(id);
    delete job.Datacenters;
    const task = job.TaskGroups[0].Tasks[0];
    task.Config.shm_size = 1024;
    task.Services[0].Provider = 'nomad';
    await registered(t, http, job);
    const got = (await http.get(`/v1/job/${id}`)).json;
    t.deepEqual(got.Datacenters, ['*']);
    t.is(typeof got.TaskGroups[0].Tasks[0].Config.shm_size, 'number');
    t.deepEqual(got.TaskGroups[0].Constraints, [
      { LTarget: '${attr.nomad.service_discovery}', RTarget: 'true', Operand: '=' },
      { LTarget: '${attr.nomad.version}', RTarget: '>= 1.4.0', Operand: 'semver' },
    ]);
    t.is(got.TaskGroups[0].Tasks[0].Constraints, null);
    t.is(got.TaskGroups[0].Tasks[0].Services[0].Namespace, 'default');
  },
  'plan: an unchanged job diffs as None with every group and task listed': async (t, { http }) => {
    const id = uniq('plan');
    await registered(t, http, workedExample(id));
    const r = await http.put(`/v1/job/${id}/plan`, { Job: workedExample(id), Diff: true });
    t.is(r.status, 200, r.text);
    t.is(r.json.Diff.Type, 'None');
    t.is(r.json.Diff.Fields, null);
    t.is(r.json.Diff.TaskGroups[0].Type, 'None');
    t.is(r.json.Diff.TaskGroups[0].Tasks[0].Type, 'None');
    t.is(r.json.Diff.TaskGroups[0].Tasks[0].Annotations, null);
    const cur = (await http.get(`/v1/job/${id}`)).json;
    t.is(r.json.JobModifyIndex, cur.JobModifyIndex);
    t.is(r.headers.get('x-nomad-index'), String(cur.JobModifyIndex));
    t.deepEqual(Object.keys(r.json.Annotations.DesiredTGUpdates.app), ['Ignore', 'Place', 'Migrate', 'Stop', 'InPlaceUpdate', 'DestructiveUpdate', 'Canary', 'Preemptions', 'Disconnect', 'Reconnect', 'RescheduleNow', 'RescheduleLater']);
  },
  'plan: a count change is Edited with the Count field and its annotation': async (t, { http }) => {
    const id = uniq('plan');
    await registered(t, http, workedExample(id, { count: 1 }));
    // once the register's evaluation is done, the plan places what is not there yet: 2 more where docker runs,
    // 3 on a plain dev agent without docker (its allocation was never placed)
    await waitFor('evaluated', async () => {
      const evals = (await http.get(`/v1/job/${id}/evaluations`)).json as any[];
      return evals.length > 0 && evals.every((e) => e.Status === 'complete' || e.Status === 'blocked') ? true : undefined;
    });
    const placed = ((await http.get(`/v1/job/${id}/allocations`)).json as any[]).filter((a) => a.DesiredStatus === 'run').length;
    const up = await http.put(`/v1/job/${id}/plan`, { Job: workedExample(id, { count: 3 }), Diff: true });
    t.is(up.json.Diff.Type, 'Edited');
    t.is(up.json.Diff.Fields, null);
    t.deepEqual(up.json.Diff.TaskGroups[0].Fields, [{ Type: 'Edited', Name: 'Count', Old: '1', New: '3', Annotations: ['forces create'] }]);
    t.is(up.json.Diff.TaskGroups[0].Tasks[0].Type, 'None');
    t.is(up.json.Annotations.DesiredTGUpdates.app.Place, 3 - placed);
    t.is(up.json.Diff.TaskGroups[0].Updates.create, 3 - placed);
    t.is(up.json.Annotations.DesiredTGUpdates.app.InPlaceUpdate, placed, 'the running allocation is updated in place');
    const down = await http.put(`/v1/job/${id}/plan`, { Job: workedExample(id, { count: 0 }), Diff: true });
    t.deepEqual(down.json.Diff.TaskGroups[0].Fields[0].Annotations, ['forces destroy']);
  },
  'plan: an image change is a Config object diff that forces a destructive update': async (t, { http }) => {
    const id = uniq('plan');
    await registered(t, http, workedExample(id));
    const r = await http.put(`/v1/job/${id}/plan`, { Job: workedExample(id, { image: 'nginx:1.28' }), Diff: true });
    const task = r.json.Diff.TaskGroups[0].Tasks[0];
    t.is(task.Type, 'Edited');
    t.deepEqual(task.Annotations, ['forces create/destroy update']);
    t.deepEqual(task.Objects, [{
      Type: 'Edited', Name: 'Config', Objects: null, Fields: [
        { Type: 'Edited', Name: 'image', Old: 'nginx:1.27', New: 'nginx:1.28', Annotations: null },
        { Type: 'None', Name: 'ports[0]', Old: 'http', New: 'http', Annotations: null },
      ],
    }]);
  },
  'plan: a new job is Added with JobModifyIndex 0; a stopped job shows Stop Edited': async (t, { http }) => {
    const id = uniq('plan');
    const r = await http.put(`/v1/job/${id}/plan`, { Job: workedExample(id), Diff: true });
    t.is(r.json.Diff.Type, 'Added');
    t.is(r.json.JobModifyIndex, 0);
    t.is(r.json.Diff.TaskGroups[0].Type, 'Added');
    t.is(r.json.Annotations.DesiredTGUpdates.app.Place, 1);
    t.true(r.json.Diff.Fields.some((f: any) => f.Name === 'Priority' && f.Type === 'Added' && f.New === '50'));
    await registered(t, http, workedExample(id));
    t.is((await http.del(`/v1/job/${id}`)).status, 200);
    const p = await http.put(`/v1/job/${id}/plan`, { Job: workedExample(id), Diff: true });
    t.is(p.json.Diff.Type, 'Edited');
    t.deepEqual(p.json.Diff.Fields, [{ Type: 'Edited', Name: 'Stop', Old: 'true', New: 'false', Annotations: null }]);
  },
  'DELETE without purge: Stop true, Version + 1, indexes bumped, job still readable': async (t, { http }) => {
    const id = uniq('del');
    await registered(t, http, workedExample(id));
    const before = (await http.get(`/v1/job/${id}`)).json;
    const d = await http.del(`/v1/job/${id}`);
    t.is(d.status, 200);
    t.truthy(d.json.EvalID);
    t.is(d.headers.get('x-nomad-index'), String(d.json.Index));
    const after = (await http.get(`/v1/job/${id}`)).json;
    t.true(after.Stop);
    t.is(after.Version, before.Version + 1);
    t.is(after.JobModifyIndex, d.json.JobModifyIndex);
    t.true(after.JobModifyIndex > before.JobModifyIndex);
  },
  'DELETE of a missing job is 200 with zeros; purge removes the job': async (t, { http }) => {
    const id = uniq('del');
    const none = await http.del(`/v1/job/${id}`);
    t.is(none.status, 200);
    t.is(none.json.EvalID, '');
    t.is(none.json.JobModifyIndex, 0);
    t.is(none.headers.get('x-nomad-index'), '0');
    await registered(t, http, workedExample(id));
    t.is((await http.del(`/v1/job/${id}?purge=true`)).status, 200);
    t.is((await http.get(`/v1/job/${id}`)).status, 404);
    const bad = await http.del(`/v1/job/${id}?purge=maybe`);
    t.is(bad.status, 500);
    t.true(bad.text.startsWith('Failed to parse value of "purge" (maybe) as a bool'));
  },
  'list: prefix, meta=true, filter on Meta, per_page with X-Nomad-NextToken': async (t, { http }) => {
    const p = uniq('lst');
    for (const n of ['a', 'b', 'c']) {
      const job = workedExample(`${p}-${n}`);
      job.Meta = n === 'b' ? { 'drover.managed': 'false' } : { 'drover.managed': 'true' };
      await registered(t, http, job);
    }
    const plain = await http.get(`/v1/jobs?prefix=${p}`);
    t.deepEqual(plain.json.map((j: any) => j.ID), [`${p}-a`, `${p}-b`, `${p}-c`]);
    // JobListStub.Meta is omitempty, but release builds (codecgen) encode it as null
    t.is(plain.json[0].Meta, null);
    t.deepEqual(Object.keys(plain.json[0]).slice(-2), ['SubmitTime', 'Meta']);
    t.truthy(plain.json[0].JobSummary.Summary.app);
    const meta = await http.get(`/v1/jobs?prefix=${p}&meta=true`);
    t.deepEqual(meta.json[0].Meta, { 'drover.managed': 'true' });
    const f = encodeURIComponent('Meta["drover.managed"] == "true"');
    const filtered = await http.get(`/v1/jobs?prefix=${p}&meta=true&filter=${f}`);
    t.deepEqual(filtered.json.map((j: any) => j.ID), [`${p}-a`, `${p}-c`]);
    const page1 = await http.get(`/v1/jobs?prefix=${p}&per_page=2`);
    t.is(page1.json.length, 2);
    const next = page1.headers.get('x-nomad-nexttoken');
    t.truthy(next);
    const page2 = await http.get(`/v1/jobs?prefix=${p}&per_page=2&next_token=${encodeURIComponent(next!)}`);
    t.deepEqual(page2.json.map((j: any) => j.ID), [`${p}-c`]);
    t.is(page2.headers.get('x-nomad-nexttoken'), null);
    t.deepEqual((await http.get(`/v1/jobs?prefix=${uniq('none')}`)).json, []);
  },
  'blocking query: returns when the job changes, and with the same index on timeout': async (t, { http }) => {
    const id = uniq('blk');
    await registered(t, http, workedExample(id));
    await new Promise((r) => setTimeout(r, 300));
    const idx = Number((await http.get(`/v1/job/${id}`)).headers.get('x-nomad-index'));
    const t0 = Date.now();
    const timedOut = await http.get(`/v1/job/${id}?index=${idx}&wait=300ms`);
    t.true(Date.now() - t0 >= 250);
    t.is(timedOut.status, 200);
    t.is(Number(timedOut.headers.get('x-nomad-index')), idx);
    const waiting = http.get(`/v1/job/${id}?index=${idx}&wait=5s`);
    await new Promise((r) => setTimeout(r, 50));
    const w = await registered(t, http, workedExample(id, { count: 2 }));
    const woke = await waiting;
    t.true(Number(woke.headers.get('x-nomad-index')) >= w.JobModifyIndex);
    t.is(woke.json.TaskGroups[0].Count, 2);
    t.is((await http.get(`/v1/job/${id}?index=x`)).text, 'Invalid index');
    t.is((await http.get(`/v1/job/${id}?index=1&wait=forever`)).text, 'Invalid wait time');
  },
  'event stream: {} at once, JobRegistered frame for the job topic, replay from index': async (t, { http }) => {
    const id = uniq('evt');
    const url = `${http.base}/v1/event/stream?topic=Job:${id}`;
    const live = readStream(url, (ls) => ls.some((l) => l.Events?.some((e: any) => e.Type === 'JobRegistered')));
    await new Promise((r) => setTimeout(r, 100));
    const w = await registered(t, http, workedExample(id));
    const lines = await live;
    t.deepEqual(lines[0], {});
    const frame = lines.find((l) => l.Events?.some((e: any) => e.Type === 'JobRegistered'));
    const ev = frame.Events[0];
    t.deepEqual(Object.keys(ev), ['Topic', 'Type', 'Key', 'Namespace', 'FilterKeys', 'Index', 'Payload']);
    t.is(ev.Topic, 'Job');
    t.is(ev.Key, id);
    t.is(ev.Index, frame.Index);
    t.is(frame.Index, w.JobModifyIndex);
    t.is(ev.Payload.Job.ID, id);
    t.true(lines.every((l) => !l.Events || l.Events.every((e: any) => e.Topic === 'Job' && e.Key === id)));
    const replay = await readStream(`${url}&index=${w.JobModifyIndex}`, (ls) => ls.some((l) => l.Index === w.JobModifyIndex));
    t.true(replay.some((l) => l.Index === w.JobModifyIndex && l.Events[0].Type === 'JobRegistered'));
  },
  'health probes answer without a token': async (t, { http }) => {
    t.is((await http.get('/v1/agent/health')).status, 200);
    const leader = await http.get('/v1/status/leader');
    t.is(leader.status, 200);
    t.is(typeof leader.json, 'string');
  },
};

runContractCases('nomad contract', cases);
