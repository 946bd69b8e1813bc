// Golden files: every test/fixtures/apps/<case>.yaml renders byte-for-byte to test/golden/<case>.job.json,
// and every examples/apps/<file>.yaml to test/golden/example-<file>.job.json (what `drover render` prints).
// Any change to a rendered job fails here, so a reviewer sees it in the golden diff. Regenerate on purpose:
//   UPDATE_GOLDEN=1 npx ava test/core/render.golden.test.ts
import test from 'ava';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatJobs, renderJob } from '../../src/core/render/index.js';
import type { ClusterDefaults } from '../../src/config.js';
import type { NomadJob } from '../../src/core/nomad-types.js';
import { fixtureDefaults, loadApps, TEST_DEFAULTS } from './render.helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixturesDir = join(root, 'test/fixtures/apps');
const examplesDir = join(root, 'examples/apps');
const goldenDir = join(root, 'test/golden');
const update = process.env.UPDATE_GOLDEN === '1';

/** Cluster defaults each seed's cluster would set (the example files stay plain App specs). */
const EXAMPLE_DEFAULTS: Record<string, Partial<ClusterDefaults>> = {
  '002-docker-consul-webservice.yaml': { extraEnv: { CONSUL_HTTP_ADDR: '169.254.1.1:8500' } },
};

const yamlFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

function checkGolden(t: import('ava').ExecutionContext, goldenName: string, actual: string): void {
  const path = join(goldenDir, goldenName);
  if (update) writeFileSync(path, actual);
  t.true(existsSync(path), `${goldenName} is missing: run UPDATE_GOLDEN=1 npx ava test/core/render.golden.test.ts`);
  t.is(actual, readFileSync(path, 'utf8'), `${goldenName} differs from the rendered job`);
}

const renderedFixtures: Record<string, NomadJob> = {};

for (const file of yamlFiles(fixturesDir)) {
  const name = basename(file, '.yaml');
  test.serial(`fixture ${name} renders to its golden file`, async (t) => {
    const text = readFileSync(join(fixturesDir, file), 'utf8');
    const defaults = fixtureDefaults(text);
    const apps = await loadApps(file, text, defaults);
    t.is(apps.length, 1, 'a fixture holds exactly one app');
    const job = renderJob(apps[0]!, defaults);
    renderedFixtures[name] = job;
    checkGolden(t, `${name}.job.json`, formatJobs([job]));
  });
}

for (const file of yamlFiles(examplesDir)) {
  test.serial(`example ${file} renders to its golden file`, async (t) => {
    const text = readFileSync(join(examplesDir, file), 'utf8');
    const defaults = { ...TEST_DEFAULTS, ...EXAMPLE_DEFAULTS[file] };
    const apps = await loadApps(file, text, defaults); // named like `drover render <file>` names it
    t.true(apps.length >= 1);
    checkGolden(t, `example-${basename(file, '.yaml')}.job.json`, formatJobs(apps.map((a) => renderJob(a, defaults))));
  });
}

test.serial('no golden file is left without its fixture or example', (t) => {
  const expected = new Set([
    ...yamlFiles(fixturesDir).map((f) => `${basename(f, '.yaml')}.job.json`),
    ...yamlFiles(examplesDir).map((f) => `example-${basename(f, '.yaml')}.job.json`),
  ]);
  const stale = readdirSync(goldenDir).filter((f) => !expected.has(f));
  t.deepEqual(stale, []);
});

// Runs after the fixture tests (serial order): the fixtures must exercise every branch of the renderer.
test.serial('the fixtures cover every renderer branch', (t) => {
  const all = JSON.stringify(Object.values(renderedFixtures));
  const branches: Record<string, string | RegExp> = {
    'docker driver': '"Driver":"docker"',
    'pot driver': '"Driver":"pot"',
    'exec driver': '"Driver":"exec"',
    'pot port_map': '"port_map":{"http":"80"}',
    'ingress without path': '.rule=Host(`web.example.com`)"',
    'ingress with path (whole segments)': '&& (Path(`/api`) || PathPrefix(`/api/`))"',
    'ingress with a path ending in /': '&& PathPrefix(`/static/`)"',
    tls: '.tls=true',
    certResolver: '.tls.certresolver=letsencrypt',
    'tls without entrypoints → HTTPS entrypoints': /routers\.default_portal_http_[0-9a-f]{8}\.entrypoints=websecure"/,
    'https redirect router': '_redirect.middlewares=default_portal_http_',
    'https redirect middleware': '_redirect.redirectscheme.scheme=https',
    'grpc without host (tcp router)': '.tcp.routers.default_ingest_grpc_',
    'tcp router names its own service': '.tcp.services.default_ingest_grpc_',
    'grpc with host (h2c)': '.loadbalancer.server.scheme=h2c',
    'grpc with host and TLS': /routers\.default_payments_grpc_[0-9a-f]{8}\.tls\.certresolver=letsencrypt"/,
    'vault role': '"Vault":{"Role":"billing"}',
    'vault policies': '"Vault":{"Policies":["legacy-read","shared-read"]}',
    'weave plugin mode': '"network_mode":"weave"',
    'weave subnet': '"WEAVE_CIDR":"net:10.32.7.0/24"',
    'spec.dns': '"dns_servers":["169.254.1.1","fd00::53"]',
    'cluster docker DNS default': '"dns_servers":["10.0.0.53"]',
    'http check': '"Type":"http","Path":"/healthz"',
    'tcp check': '"Type":"tcp"',
    'grpc check': '"Type":"grpc","PortLabel":"grpc"',
    'provider nomad': '"Provider":"nomad"',
    scaling: '"Scaling":{"Enabled":true,"Max":10,"Min":2}',
    labels: '"team":"payments"',
    'extraEnv overridden by spec.env': '"LOG_LEVEL":"debug"',
    'no ports': '"Name":"worker","Count":1,"Tasks"',
    'service without route': 'traefik.enable=false',
  };
  t.true(Object.keys(renderedFixtures).length > 0, 'fixture tests ran first');
  for (const [branch, needle] of Object.entries(branches)) {
    t.true(typeof needle === 'string' ? all.includes(needle) : needle.test(all), `no fixture covers: ${branch}`);
  }
  const checkless = Object.values(renderedFixtures).filter((j) => j.TaskGroups[0]!.Tasks[0]!.Services?.every((s) => !s.Checks));
  t.true(checkless.length > 0, 'no fixture covers: health none');
});
