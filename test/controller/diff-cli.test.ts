// `drover diff <dir>` against the Nomad simulator: exit 2 with create/update/delete lines when changes are
// pending, 0 once the cluster matches, 1 with problems for invalid specs.
import test from 'ava';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDiff } from '../../src/cli/commands/diff.js';
import { parseConfig } from '../../src/config.js';
import { renderJob } from '../../src/core/render/index.js';
import { loadAppDir } from '../../src/source/spec-files.js';
import { createNomadSim } from '@drover/sim/nomad';
import { appYaml } from './harness.js';

async function setup(t: import('ava').ExecutionContext) {
  const sim = createNomadSim({ allocDelayMs: 5 });
  const url = await sim.listen(0);
  const dir = await mkdtemp(join(tmpdir(), 'drover-diff-'));
  await mkdir(join(dir, 'apps'));
  t.teardown(async () => { await sim.close(); await rm(dir, { recursive: true, force: true }); });
  const env = { NOMAD_ADDR: url };
  const run = async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runDiff(dir, { env, out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  const register = async (job: unknown) => {
    const res = await fetch(`${url}/v1/jobs`, { method: 'PUT', body: JSON.stringify({ Job: job }) });
    if (!res.ok) throw new Error(await res.text());
  };
  return { sim, url, dir, run, register, env };
}

test('drover diff: create, then noop, update with patch, stop for undeclared managed jobs', async (t) => {
  const { dir, run, register, env } = await setup(t);
  await writeFile(join(dir, 'apps/web.yaml'), appYaml('web', { count: 2, env: { TOKEN: 'sekret-value' } }));
  await writeFile(join(dir, 'apps/api.yaml'), appYaml('api'));
  let r = await run();
  t.is(r.code, 2);
  t.regex(r.out, /^create\s+default\/web \(new\)$/m);
  t.regex(r.out, /^create\s+default\/api \(new\)$/m);

  const defaults = parseConfig(env).cluster;
  for (const app of (await loadAppDir(dir, defaults)).apps) await register(renderJob(app, defaults));
  r = await run();
  t.is(r.code, 0, r.out);
  t.regex(r.out, /0 to create, 0 to update, 0 to stop, 2 unchanged/);

  await writeFile(join(dir, 'apps/web.yaml'), appYaml('web', { count: 4, env: { TOKEN: 'new-sekret-value' } }));
  await rm(join(dir, 'apps/api.yaml'));
  await writeFile(join(dir, 'apps/other.yaml'), appYaml('other'));
  r = await run();
  t.is(r.code, 2);
  t.regex(r.out, /^update\s+default\/web \(rollout\)$/m);
  t.regex(r.out, /"path":"\/TaskGroups\/0\/Count","value":4/);
  t.false(r.out.includes('sekret'), 'env values are redacted');
  t.regex(r.out, /^stop\s+default\/api \(pruned\)$/m);
  t.regex(r.out, /^create\s+default\/other \(new\)$/m);
});

test('drover diff: invalid spec prints the problem and exits 1; unmanaged jobs are not listed', async (t) => {
  const { dir, run, register } = await setup(t);
  await register({ ID: 'manual', TaskGroups: [{ Name: 'm', Tasks: [{ Name: 'm', Driver: 'docker', Config: { image: 'redis' } }] }] });
  await writeFile(join(dir, 'apps/bad.yaml'), appYaml('bad').replace('count: 1', 'count: -1'));
  const r = await run();
  t.is(r.code, 1);
  t.regex(r.err, /apps\/bad\.yaml:\d+:\d+ spec\.count/);
  t.false(r.out.includes('manual'));
});

test('drover diff: Nomad unreachable → exit 1 with a clear line', async (t) => {
  const { dir, sim, url } = await setup(t);
  await writeFile(join(dir, 'apps/web.yaml'), appYaml('web'));
  await sim.server.down();
  const err: string[] = [];
  const code = await runDiff(dir, { env: { NOMAD_ADDR: url, DROVER_REQUEST_TIMEOUT: '1s' }, out: () => {}, err: (l) => err.push(l) });
  t.is(code, 1);
  t.regex(err.join('\n'), /drover diff: unavailable/);
});
