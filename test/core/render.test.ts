// Properties of the renderer that hold for every input, checked over the fixtures and a few hundred
// generated apps: determinism, spec-hash behaviour, no git revision, nanosecond durations, no empty
// maps/lists, Traefik rules that user input cannot break out of, no mutation of the input, speed.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OWNERSHIP_META, renderJob, specHash, withLegacyMeta } from '../../src/core/render/index.js';
import { isDroverError } from '../../src/core/errors.js';
import type { NomadJob } from '../../src/core/nomad-types.js';
import type { ClusterDefaults } from '../../src/config.js';
import type { AppSpec, LoadedApp } from '../../src/spec/types.js';
import { fixtureDefaults, loadApps, TEST_DEFAULTS } from './render.helpers.js';

function app(spec: AppSpec, meta: { name?: string; namespace?: string; labels?: Record<string, string> } = {}, file = 'apps/x.yaml'): LoadedApp {
  const name = meta.name ?? 'demo';
  const namespace = meta.namespace ?? 'default';
  return {
    key: `${namespace}/${name}`,
    name,
    namespace,
    source: { file, line: 1, col: 1 },
    manifest: { apiVersion: 'drover.io/v1alpha1', kind: 'App', metadata: { name, namespace: meta.namespace, labels: meta.labels }, spec },
  };
}

const RICH: AppSpec = {
  image: 'ghcr.io/example/rich:1.0.0',
  port: 8080,
  count: 2,
  ingress: { host: 'rich.example.com', path: '/v1', entrypoints: ['websecure'], certResolver: 'le' },
  grpc: { port: 9090 },
  vault: { role: 'rich', secrets: [{ path: 'secret/data/rich', env: { B_KEY: 'b-key', A_KEY: 'a' } }] },
  weave: { subnet: '10.32.3.0/24' },
  env: { Z: '1', A: '2' },
  resources: { cpu: 300, memory: 256 },
  health: { type: 'http', path: '/ready', interval: '5s', timeout: '1s' },
  service: { tags: ['x'] },
  datacenters: ['dc2'],
};

/** A small deterministic generator (mulberry32) so failures reproduce. */
function generator(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generatedApps(n: number): LoadedApp[] {
  const rnd = generator(42);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const maybe = <T>(v: T): T | undefined => (rnd() < 0.5 ? v : undefined);
  const apps: LoadedApp[] = [];
  for (let i = 0; i < n; i++) {
    const driver = pick(['docker', 'docker', 'pot', 'exec'] as const);
    const port = maybe(1024 + Math.floor(rnd() * 60000));
    const grpc = maybe({ port: 50051, host: maybe(`g${i}.example.com`), entrypoint: maybe('grpc2') });
    const spec: AppSpec = {
      driver,
      image: driver === 'exec' ? undefined : `img/app-${i}:1`,
      pot: driver === 'pot' ? { name: `pot-${i}`, tag: '1.0' } : undefined,
      command: driver === 'exec' ? '/bin/app' : maybe('/bin/run'),
      args: maybe(['--flag', `${i}`]),
      count: maybe(Math.floor(rnd() * 5)),
      port,
      ingress: port !== undefined ? maybe({ host: `a${i}.example.com`, path: maybe(pick(['/', '/api', '/a/b'])), tls: maybe(true), certResolver: maybe('le') }) : undefined,
      grpc,
      vault: maybe({ role: maybe('r'), policies: maybe(['p']), secrets: maybe([{ path: 'secret/data/x', env: { X: 'x-y' } }]) }),
      weave: driver === 'docker' ? maybe({ subnet: maybe('10.32.9.0/24'), dns: maybe(['10.0.0.2']) }) : undefined,
      env: maybe({ K: `v${i}` }),
      health: maybe({ type: pick(['http', 'tcp', 'grpc', 'none'] as const), interval: maybe(pick(['1s', '30s', '2m'])), timeout: maybe(pick(['1s', '1500ms'])) }),
      service: maybe({ provider: maybe(pick(['consul', 'nomad'] as const)), name: maybe(`svc-${i}`), tags: maybe(['t']) }),
      scaling: maybe({ min: 1, max: 3 }),
    };
    apps.push(app(spec, { name: `app-${i}`, namespace: maybe('team-a'), labels: maybe({ team: 'a' }) }));
  }
  return apps;
}

const root = fileURLToPath(new URL('../../', import.meta.url));
async function fixtureJobs(): Promise<NomadJob[]> {
  const dir = join(root, 'test/fixtures/apps');
  const jobs: NomadJob[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml'))) {
    const text = readFileSync(join(dir, f), 'utf8');
    const d = fixtureDefaults(text);
    for (const a of await loadApps(f, text, d)) jobs.push(renderJob(a, d));
  }
  return jobs;
}

const GENERATED = generatedApps(300);
const allJobs = async () => [...(await fixtureJobs()), ...GENERATED.map((a) => renderJob(a, TEST_DEFAULTS)), renderJob(app(RICH), TEST_DEFAULTS)];

function walk(v: unknown, visit: (key: string, value: unknown, path: string) => void, path = ''): void {
  if (Array.isArray(v)) v.forEach((x, i) => walk(x, visit, `${path}/${i}`));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      visit(k, x, `${path}/${k}`);
      walk(x, visit, `${path}/${k}`);
    }
  }
}

test('rendering is deterministic: same input, byte-identical JSON, also from a fresh copy of the input', (t) => {
  for (const a of [...GENERATED, app(RICH)]) {
    const first = JSON.stringify(renderJob(a, TEST_DEFAULTS));
    t.is(JSON.stringify(renderJob(a, TEST_DEFAULTS)), first);
    t.is(JSON.stringify(renderJob(structuredClone(a), structuredClone(TEST_DEFAULTS))), first);
  }
});

test('map keys (Meta, Env, Config, port_map) are emitted sorted whatever the input order', (t) => {
  const job = renderJob(app(RICH, { labels: { zeta: '1', alpha: '2' } }), TEST_DEFAULTS);
  const task = job.TaskGroups[0]!.Tasks[0]!;
  for (const m of [job.Meta!, task.Env!, task.Config!]) t.deepEqual(Object.keys(m), Object.keys(m).sort());
  t.deepEqual(Object.keys(task.Env!), ['A', 'WEAVE_CIDR', 'Z']);
});

test('the input app and defaults are never mutated and never aliased by the job', (t) => {
  const a = app(RICH);
  const before = JSON.stringify(a);
  const job = renderJob(a, TEST_DEFAULTS);
  t.is(JSON.stringify(a), before);
  (job.Datacenters as string[]).push('mutated');
  (job.TaskGroups[0]!.Tasks[0]!.Config!.args as string[] | undefined)?.push('x');
  t.is(JSON.stringify(a), before);
  t.deepEqual(TEST_DEFAULTS.datacenters, ['dc1']);
});

test('spec hash: 16 hex chars, stable for a rendered job, and not in the job', (t) => {
  for (const a of GENERATED.slice(0, 50)) {
    const job = renderJob(a, TEST_DEFAULTS);
    t.regex(specHash(job), /^[0-9a-f]{16}$/);
    t.is(specHash(renderJob(a, TEST_DEFAULTS)), specHash(job));
    t.false(JSON.stringify(job).includes(specHash(job)), 'the hash lives in drover\'s applied state, never in the job');
  }
});

test('no drover bookkeeping in job Meta beyond ownership: Meta changes restart tasks (scheduler/util.go tasksUpdated)', (t) => {
  const job = renderJob(app(RICH, { labels: { team: 't' } }), TEST_DEFAULTS);
  t.deepEqual(Object.keys(job.Meta!).sort(), ['drover.managed', 'drover.owner', 'team']);
  t.is(renderJob(app(RICH), TEST_DEFAULTS).Meta![OWNERSHIP_META.managed], 'true');
});

test('withLegacyMeta carries a live job\'s old drover.spec-hash / drover.source over, and nothing else', (t) => {
  const job = renderJob(app(RICH), TEST_DEFAULTS);
  const live = { ...job, Meta: { ...job.Meta, 'drover.spec-hash': 'abcdabcdabcdabcd', 'drover.source': 'apps/old.yaml', stray: 'x' } };
  const body = withLegacyMeta(job, live);
  t.is(body.Meta!['drover.spec-hash'], 'abcdabcdabcdabcd');
  t.is(body.Meta!['drover.source'], 'apps/old.yaml');
  t.false('stray' in body.Meta!);
  t.is(withLegacyMeta(job, null), job);
  t.is(withLegacyMeta(job, job), job);
});

const MUTATIONS: [string, (s: AppSpec) => AppSpec][] = [
  ['image', (s) => ({ ...s, image: 'ghcr.io/example/rich:1.0.1' })],
  ['count', (s) => ({ ...s, count: 3 })],
  ['port', (s) => ({ ...s, port: 8081 })],
  ['ingress host', (s) => ({ ...s, ingress: { ...s.ingress!, host: 'other.example.com' } })],
  ['ingress path', (s) => ({ ...s, ingress: { ...s.ingress!, path: '/v2' } })],
  ['cert resolver', (s) => ({ ...s, ingress: { ...s.ingress!, certResolver: 'other' } })],
  ['grpc host', (s) => ({ ...s, grpc: { ...s.grpc!, host: 'g.example.com' } })],
  ['env value', (s) => ({ ...s, env: { ...s.env, A: '3' } })],
  ['cpu', (s) => ({ ...s, resources: { ...s.resources, cpu: 301 } })],
  ['vault key', (s) => ({ ...s, vault: { ...s.vault, secrets: [{ path: 'secret/data/rich', env: { A_KEY: 'other' } }] } })],
  ['vault role', (s) => ({ ...s, vault: { ...s.vault, role: 'other' } })],
  ['weave subnet', (s) => ({ ...s, weave: { subnet: '10.32.4.0/24' } })],
  ['health interval', (s) => ({ ...s, health: { ...s.health, interval: '6s' } })],
  ['health type', (s) => ({ ...s, health: { type: 'tcp' } })],
  ['service tags', (s) => ({ ...s, service: { tags: ['y'] } })],
  ['provider', (s) => ({ ...s, service: { ...s.service, provider: 'nomad' } })],
  ['datacenters', (s) => ({ ...s, datacenters: ['dc3'] })],
  ['args', (s) => ({ ...s, args: ['--x'] })],
  ['scaling', (s) => ({ ...s, scaling: { min: 1, max: 4 } })],
];

test('spec hash changes with every rendered field, and each change gives a distinct hash', (t) => {
  const base = specHash(renderJob(app(RICH), TEST_DEFAULTS));
  const seen = new Map<string, string>([[base, 'base']]);
  for (const [name, mutate] of MUTATIONS) {
    const h = specHash(renderJob(app(mutate(RICH)), TEST_DEFAULTS));
    t.false(seen.has(h), `${name} gives the same hash as ${seen.get(h)}`);
    seen.set(h, name);
  }
  const hashOf = (a: LoadedApp, d: ClusterDefaults = TEST_DEFAULTS) => specHash(renderJob(a, d));
  t.not(hashOf(app(RICH, { labels: { team: 'x' } })), base, 'labels');
  t.not(hashOf(app(RICH, { namespace: 'other' })), base, 'namespace');
  t.is(hashOf(app(RICH, {}, 'apps/moved.yaml')), base, 'moving the spec file changes nothing in the job (no restart)');
  t.not(hashOf(app(RICH), { ...TEST_DEFAULTS, owner: 'someone-else' }), base, 'owner');
  t.not(hashOf(app(RICH), { ...TEST_DEFAULTS, extraEnv: { K: 'v' } }), base, 'cluster extraEnv');
});

test('no git revision, commit or timestamp is rendered', async (t) => {
  for (const job of await allJobs()) {
    const text = JSON.stringify(job);
    t.false(/\b[0-9a-f]{40}\b/.test(text), 'no 40-hex commit id');
    const keys: string[] = [];
    walk(job, (k) => {
      if (/revision|commit|timestamp|SubmitTime/i.test(k)) keys.push(k);
    });
    t.deepEqual(keys, []);
  }
});

test('every duration is an integer number of nanoseconds, at least 1s (0 where Nomad gives 0 a meaning)', async (t) => {
  let seen = 0;
  for (const job of await allJobs()) {
    walk(job, (k, v, path) => {
      if (!/^(Interval|Timeout|Delay|MinHealthyTime|HealthyDeadline|ProgressDeadline|KillTimeout|Splay|Stagger)$/.test(k)) return;
      seen++;
      // update block: no minimum healthy time, and no progress deadline (the first unhealthy allocation fails it)
      const zeroOk = k === 'MinHealthyTime' || k === 'ProgressDeadline';
      t.true(typeof v === 'number' && Number.isInteger(v) && (v >= 1e9 || (zeroOk && v === 0)), `${path} = ${String(v)}`);
    });
  }
  t.true(seen > 100, 'durations were found and checked');
});

test('no empty map or list is rendered (Nomad turns them into null and the diff would flap)', async (t) => {
  for (const job of await allJobs()) {
    walk(job, (k, v, path) => {
      if (k === 'Vault') return; // `vault {}` (default role) is meaningful on its own
      if (Array.isArray(v)) t.true(v.length > 0, `${path} is an empty list`);
      else if (v && typeof v === 'object') t.true(Object.keys(v).length > 0, `${path} is an empty map`);
    });
  }
});

test('Traefik tags hold backticks only around the host, the paths and HostSNI(`*`)', async (t) => {
  for (const job of await allJobs()) {
    for (const svc of job.TaskGroups[0]!.Tasks[0]!.Services ?? []) {
      for (const tag of svc.Tags ?? []) {
        const stripped = tag
          .replace(/Host\(`[a-z0-9.-]+`\)/g, '')
          .replace(/Path(Prefix)?\(`\/[^`\s,]*`\)/g, '')
          .replace(/HostSNI\(`\*`\)/g, '');
        t.false(stripped.includes('`'), tag);
      }
    }
  }
});

test('a host or path that would break out of the rule is refused, not rendered', (t) => {
  for (const spec of [
    { ...RICH, ingress: { host: 'a.com`) || Host(`evil.com' } },
    { ...RICH, ingress: { host: 'a.com', path: '/x`) || PathPrefix(`/' } },
    { ...RICH, grpc: { port: 1, host: 'g`.com' } },
  ]) {
    const err = t.throws(() => renderJob(app(spec), TEST_DEFAULTS));
    t.true(isDroverError(err) && err.code === 'invalid-spec', String(err));
  }
});

test('ownership Meta is always drover\'s own, even when a label tries to set it', (t) => {
  const job = renderJob(app(RICH, { labels: { 'drover.owner': 'intruder', 'drover.managed': 'false', team: 't' } }), { ...TEST_DEFAULTS, owner: 'ops' });
  t.is(job.Meta![OWNERSHIP_META.owner], 'ops');
  t.is(job.Meta![OWNERSHIP_META.managed], 'true');
  t.false('drover.source' in job.Meta!, 'the source file is in drover\'s applied state, not in Meta');
  t.is(job.Meta!.team, 't');
});

test('router and service names are unique across namespaces', (t) => {
  const tagsOf = (ns: string) => renderJob(app({ image: 'i', port: 80, ingress: { host: 'h.example.com' } }, { name: 'web', namespace: ns }), TEST_DEFAULTS)
    .TaskGroups[0]!.Tasks[0]!.Services![0]!.Tags!.join('\n');
  t.regex(tagsOf('a'), /routers\.a_web_http_[0-9a-f]{8}\./);
  t.regex(tagsOf('b'), /routers\.b_web_http_[0-9a-f]{8}\./);
  t.false(tagsOf('a').includes('routers.b_web_'));
});

test('check durations from spec.health below 1s are refused', (t) => {
  const err = t.throws(() => renderJob(app({ ...RICH, health: { type: 'tcp', interval: '500ms' } }), TEST_DEFAULTS));
  t.true(isDroverError(err) && err.code === 'invalid-spec');
});

// Measured in CPU time of this process (process.cpuUsage), so other processes competing for a busy
// machine do not fail it; serial so no other test of this file runs meanwhile; best of five runs.
test.serial('10,000 apps render in well under half a second', (t) => {
  const apps = generatedApps(10_000);
  for (const a of apps.slice(0, 500)) renderJob(a, TEST_DEFAULTS); // warm-up (JIT)
  let best = Infinity;
  let wall = Infinity;
  for (let run = 0; run < 5; run++) {
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    for (const a of apps) renderJob(a, TEST_DEFAULTS);
    wall = Math.min(wall, Number(process.hrtime.bigint() - start) / 1e6);
    const used = process.cpuUsage(cpu);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  t.log(`10,000 renders, best of 5: ${best.toFixed(1)} ms CPU, ${wall.toFixed(1)} ms wall`);
  t.true(best < 500, `took ${best.toFixed(1)} ms of CPU`);
});
