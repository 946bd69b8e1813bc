// Nomad Variables HTTP contract (/v1/vars, /v1/var/:path). Every case runs against the simulator and,
// when DROVER_CONTRACT_NOMAD_ADDR is set, against that real agent (a plain `nomad agent -dev`, ACLs
// off); the ACL case needs a bootstrapped agent and runs against the simulator only. Each title says
// what the real agent does.
import test from 'ava';
import { readStream, startSim, uniq, type NomadHttp, runContractCases, type ContractCase } from './helpers-nomad.js';

const real = !!process.env.DROVER_CONTRACT_NOMAD_ADDR;
const simTest = real ? test.skip : test;

// release builds (codecgen) encode the omitempty Lock as null
const META_KEYS = ['Namespace', 'Path', 'Lock', 'CreateIndex', 'CreateTime', 'ModifyIndex', 'ModifyTime'];
const put = (h: NomadHttp, path: string, body: unknown, query = '') => h.put(`/v1/var/${path}${query}`, body as object);

const cases: Record<string, ContractCase> = {
  'PUT stores the variable and answers it in struct order: metadata, then Items; indexes = X-Nomad-Index': async (t, { http }) => {
    const path = uniq('drover/apps/web');
    const r = await put(http, path, { Items: { hash: 'abc' } });
    t.is(r.status, 200, r.text);
    t.deepEqual(Object.keys(r.json), [...META_KEYS, 'Items']);
    t.like(r.json, { Namespace: 'default', Path: path, Items: { hash: 'abc' } });
    t.is(r.json.CreateIndex, r.json.ModifyIndex);
    t.is(r.headers.get('x-nomad-index'), String(r.json.ModifyIndex));
    t.true(r.json.CreateTime > 1e18 && r.json.ModifyTime === r.json.CreateTime, 'unix nanoseconds');
    const got = await http.get(`/v1/var/${path}`);
    t.is(got.status, 200);
    t.deepEqual(got.json, r.json);
    t.is(got.headers.get('x-nomad-index'), String(r.json.ModifyIndex));
    t.is(got.headers.get('x-nomad-knownleader'), 'true');
  },
  'a second PUT keeps CreateIndex/CreateTime and moves ModifyIndex; a body Namespace wins over none': async (t, { http }) => {
    const path = uniq('drover/apps/upd');
    const a = (await put(http, path, { Namespace: 'default', Items: { v: '1' } })).json;
    const b = await put(http, path, { Items: { v: '2', w: 'x' } });
    t.is(b.status, 200, b.text);
    t.is(b.json.CreateIndex, a.CreateIndex);
    t.is(b.json.CreateTime, a.CreateTime);
    t.true(b.json.ModifyIndex > a.ModifyIndex);
    t.deepEqual((await http.get(`/v1/var/${path}`)).json.Items, { v: '2', w: 'x' });
  },
  'GET of a missing variable: 404 "variable not found" with an index header': async (t, { http }) => {
    const r = await http.get(`/v1/var/${uniq('drover/none')}`);
    t.is(r.status, 404);
    t.is(r.text, 'variable not found');
    t.truthy(r.headers.get('x-nomad-index'));
  },
  'GET /v1/vars: metadata stubs without Items, by prefix, sorted by path; namespace=* lists every namespace; none is []': async (t, { http }) => {
    const base = uniq('drover/list');
    await put(http, `${base}/b`, { Items: { k: 'v' } });
    await put(http, `${base}/a`, { Items: { k: 'v' } });
    const r = await http.get(`/v1/vars?prefix=${base}/`);
    t.is(r.status, 200);
    t.deepEqual(r.json.map((v: any) => v.Path), [`${base}/a`, `${base}/b`]);
    t.deepEqual(Object.keys(r.json[0]), META_KEYS);
    const all = await http.get(`/v1/vars?namespace=*&prefix=${base}/`);
    t.deepEqual(all.json.map((v: any) => `${v.Namespace}/${v.Path}`), [`default/${base}/a`, `default/${base}/b`]);
    const none = await http.get(`/v1/vars?prefix=${uniq('drover/nothing')}`);
    t.is(none.status, 200);
    t.is(none.text, '[]');
  },
  'CAS write: cas=0 on an existing variable and a stale cas are 409 with the current variable as JSON (without a JSON content type); the right cas writes': async (t, { http }) => {
    const path = uniq('drover/cas');
    const first = (await put(http, path, { Items: { v: '1' } }, '?cas=0')).json;
    t.is(first.Items.v, '1');
    const again = await put(http, path, { Items: { v: '2' } }, '?cas=0');
    t.is(again.status, 409);
    // the handler writes the status before the body, so no JSON content type is set (text/plain for a plain
    // client, none at all through Nomad's gzip handler)
    t.notRegex(again.headers.get('content-type') ?? '', /json/);
    t.deepEqual(again.json, first);
    t.is(again.headers.get('x-nomad-index'), String(first.ModifyIndex));
    const stale = await put(http, path, { Items: { v: '2' } }, `?cas=${first.ModifyIndex + 1000}`);
    t.is(stale.status, 409);
    t.deepEqual(stale.json, first);
    const ok = await put(http, path, { Items: { v: '2' } }, `?cas=${first.ModifyIndex}`);
    t.is(ok.status, 200, ok.text);
    t.true(ok.json.ModifyIndex > first.ModifyIndex);
    t.is((await http.get(`/v1/var/${path}`)).json.Items.v, '2');
  },
  'CAS write with cas>0 on a missing variable: 409 with a zero-value variable (namespace and path only, Items null, X-Nomad-Index 0)': async (t, { http }) => {
    const path = uniq('drover/cas-missing');
    const r = await put(http, path, { Items: { v: '1' } }, '?cas=5');
    t.is(r.status, 409);
    t.deepEqual(r.json, { Namespace: 'default', Path: path, Lock: null, CreateIndex: 0, CreateTime: 0, ModifyIndex: 0, ModifyTime: 0, Items: null });
    t.is(r.headers.get('x-nomad-index'), '0');
    t.is((await http.get(`/v1/var/${path}`)).status, 404);
  },
  'DELETE: a stale cas is 409 with the variable; the right cas is 204 with an empty body; a missing variable is 204 too': async (t, { http }) => {
    const path = uniq('drover/del');
    const v = (await put(http, path, { Items: { v: '1' } })).json;
    const stale = await http.del(`/v1/var/${path}?cas=${v.ModifyIndex + 1000}`);
    t.is(stale.status, 409);
    t.deepEqual(stale.json, v);
    const ok = await http.del(`/v1/var/${path}?cas=${v.ModifyIndex}`);
    t.is(ok.status, 204);
    t.is(ok.text, '');
    t.truthy(ok.headers.get('x-nomad-index'));
    t.is((await http.get(`/v1/var/${path}`)).status, 404);
    t.is((await http.del(`/v1/var/${path}`)).status, 204);
  },
  'request errors: missing Items, non-string item, bad cas, bad path, reserved nomad/ path, wildcard namespace, over 64 KiB — 400 with Nomad\'s texts': async (t, { http }) => {
    const path = uniq('drover/bad');
    const noItems = await put(http, path, { Namespace: 'default' });
    t.is(noItems.status, 400);
    t.is(noItems.text, 'variable missing required Items object');
    const emptyItems = await put(http, path, { Items: {} });
    t.is(emptyItems.text, 'variable missing required Items object');
    const num = await put(http, path, { Items: { a: 1 } });
    t.is(num.status, 400);
    t.regex(num.text, /^json: cannot unmarshal number into Go struct field VariableDecrypted\.Items of type string$/);
    const cas = await put(http, path, { Items: { a: 'b' } }, '?cas=x');
    t.is(cas.status, 400);
    t.is(cas.text, 'can not parse cas: strconv.ParseUint: parsing "x": invalid syntax');
    const space = await put(http, 'drover/a%20b', { Items: { a: 'b' } });
    t.is(space.status, 400);
    t.is(space.text, 'RPC Error:: 400,invalid path "drover/a b"');
    const reserved = await put(http, 'nomad/other', { Items: { a: 'b' } });
    t.is(reserved.status, 400);
    t.is(reserved.text, 'RPC Error:: 400,only paths at "nomad/jobs" or "nomad/job-templates" and below are valid paths under the top-level "nomad" directory');
    const wildcard = await put(http, path, { Items: { a: 'b' } }, '?namespace=*');
    t.is(wildcard.text, 'RPC Error:: 400,can not target wildcard ("*")namespace');
    const nsType = await put(http, path, { Namespace: 5, Items: { a: 'b' } });
    t.is(nsType.text, 'json: cannot unmarshal number into Go struct field VariableDecrypted.VariableMetadata.Namespace of type string');
    // 65536 bytes of keys + values is the limit; one more byte is refused
    const atLimit = await put(http, path, { Items: { k: 'x'.repeat(65535) } });
    t.is(atLimit.status, 200, atLimit.text);
    const over = await put(http, path, { Items: { k: 'x'.repeat(65536) } });
    t.is(over.status, 400);
    t.is(over.text, 'RPC Error:: 400,variables are limited to 64KiB in total size');
    const missingPath = await http.get('/v1/var/');
    t.is(missingPath.status, 400);
    t.is(missingPath.text, 'missing variable path');
  },
  'event stream: Variable topic, Type VariableUpdated, Key = path, Payload {Metadata, Deleted}; a delete says Deleted: true': async (t, { http }) => {
    const path = uniq('drover/ev');
    const v = (await put(http, path, { Items: { v: '1' } })).json;
    await http.del(`/v1/var/${path}`);
    const lines = await readStream(`${http.base}/v1/event/stream?topic=Variable:${path}&index=${v.ModifyIndex}`,
      (ls) => ls.filter((l) => l.Events).length >= 2);
    const events = lines.flatMap((l) => l.Events ?? []);
    t.is(events.length, 2);
    t.deepEqual(Object.keys(events[0]), ['Topic', 'Type', 'Key', 'Namespace', 'FilterKeys', 'Index', 'Payload']);
    t.like(events[0], { Topic: 'Variable', Type: 'VariableUpdated', Key: path, Namespace: 'default', FilterKeys: null, Index: v.ModifyIndex });
    const meta = { Namespace: 'default', Path: path, Lock: null, CreateIndex: v.CreateIndex, CreateTime: v.CreateTime, ModifyIndex: v.ModifyIndex, ModifyTime: v.ModifyTime };
    t.deepEqual(events[0].Payload, { Metadata: meta, Deleted: false });
    t.like(events[1], { Topic: 'Variable', Type: 'VariableUpdated', Key: path });
    t.deepEqual(events[1].Payload, { Metadata: meta, Deleted: true }, 'the deleted variable\'s last metadata');
    t.true(events[1].Index > v.ModifyIndex);
  },
  'blocking read: GET ?index=<ModifyIndex> returns when the variable changes': async (t, { http }) => {
    const path = uniq('drover/block');
    const v = (await put(http, path, { Items: { v: '1' } })).json;
    const waiting = http.get(`/v1/var/${path}?index=${v.ModifyIndex}&wait=20s`);
    await new Promise((r) => setTimeout(r, 100));
    const w = (await put(http, path, { Items: { v: '2' } })).json;
    const got = await waiting;
    t.is(got.json.Items.v, '2');
    t.is(got.headers.get('x-nomad-index'), String(w.ModifyIndex));
  },
};

runContractCases('nomad variables contract', cases);

// A plain -dev agent has ACLs off; this needs `acl { enabled = true }` and a bootstrap token.
simTest('variables ACL: path rules per namespace; no variables block means no access; read implies list; a 409 without read shows only metadata', async (t) => {
  const s = await startSim({
    namespaces: ['default', 'team'],
    aclTokens: {
      mgmt: { namespaces: '*', write: true, management: true },
      drover: { namespaces: ['default'], write: true, variables: { 'drover/*': ['read', 'write', 'destroy'] } },
      writer: { namespaces: ['default'], write: true, variables: { 'drover/*': ['write'], 'drover/secret': ['deny'] } },
      jobsOnly: { namespaces: '*', write: true },
    },
  });
  t.teardown(() => s.close());
  const h = s.http;
  t.is((await h.put('/v1/var/drover/a', { Items: { v: '1' } })).status, 403, 'no token');
  t.is((await h.withToken('jobsOnly').put('/v1/var/drover/a', { Items: { v: '1' } })).status, 403);
  const w = await h.withToken('drover').put('/v1/var/drover/a', { Items: { v: '1' } });
  t.is(w.status, 200, w.text);
  t.is((await h.withToken('drover').put('/v1/var/other/a', { Items: { v: '1' } })).status, 403, 'outside the glob');
  t.is((await h.withToken('drover').put('/v1/var/drover/a?namespace=team', { Items: { v: '1' } })).status, 403, 'other namespace');
  t.is((await h.withToken('drover').get('/v1/var/drover/a')).json.Items.v, '1');
  t.is((await h.withToken('writer').get('/v1/var/drover/a')).status, 403);
  t.is((await h.withToken('writer').put('/v1/var/drover/secret', { Items: { v: '1' } })).status, 403, 'deny wins');
  const redacted = await h.withToken('writer').put('/v1/var/drover/a?cas=0', { Items: { v: '2' } });
  t.is(redacted.status, 409);
  t.is(redacted.json.Items, null, 'no read capability: metadata only');
  t.is(redacted.json.ModifyIndex, w.json.ModifyIndex);
  await h.withToken('mgmt').put('/v1/var/zzz/b', { Items: { v: '1' } });
  t.deepEqual((await h.withToken('drover').get('/v1/vars')).json.map((v: any) => v.Path), ['drover/a']);
  t.deepEqual((await h.withToken('writer').get('/v1/vars')).json, [], 'write alone does not list');
  t.is((await h.withToken('writer').del('/v1/var/drover/a')).status, 403, 'no destroy');
  t.is((await h.withToken('drover').del('/v1/var/drover/a')).status, 204);
});
