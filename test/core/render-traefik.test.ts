// Traefik tags of issue #10, rendered: names no two (namespace, app, port) share, a per-app TCP service for
// every TCP router, names that move with the routing config so a rolling update never defines one key
// twice, TLS on the HTTPS entrypoints, whole-segment paths. The exact tags are spelled out, hash included:
// the hash is a pure function of the routing, so a change here is a change of what Traefik sees.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/config.js';
import { parseRegistrarServices, renderJob } from '../../src/core/render/index.js';
import type { NomadJob } from '../../src/core/nomad-types.js';
import { loadAppTexts } from '../../src/spec/index.js';
import type { AppSpec, LoadedApp } from '../../src/spec/types.js';
import { fixtureDefaults, loadApps, TEST_DEFAULTS } from './render.helpers.js';

function app(spec: AppSpec, name = 'demo', namespace = 'default'): LoadedApp {
  return { key: `${namespace}/${name}`, name, namespace, source: { file: `${name}.yaml`, line: 1, col: 1 }, manifest: { apiVersion: 'drover.io/v1alpha1', kind: 'App', metadata: { name, namespace }, spec } };
}

/** Every service's tags of a job: Nomad services, or the weave registrar's task Meta. */
function servicesOf(job: NomadJob): { name: string; tags: string[] }[] {
  const task = job.TaskGroups[0]!.Tasks[0]!;
  const fromMeta = parseRegistrarServices(task.Meta) ?? [];
  return [...(task.Services ?? []).map((s) => ({ name: s.Name, tags: s.Tags ?? [] })), ...fromMeta.map((s) => ({ name: s.name, tags: s.tags }))];
}
const tagsOf = (a: LoadedApp) => servicesOf(renderJob(a, TEST_DEFAULTS)).map((s) => s.tags);

test('the cluster default for TLS routers is the websecure entrypoint', (t) => {
  t.deepEqual(parseConfig({}).cluster.httpsEntrypoints, ['websecure']);
  t.deepEqual(parseConfig({ DROVER_HTTPS_ENTRYPOINTS: 'https, tls2' }).cluster.httpsEntrypoints, ['https', 'tls2']);
  t.throws(() => parseConfig({ DROVER_HTTPS_ENTRYPOINTS: 'web secure' }), { message: /DROVER_HTTPS_ENTRYPOINTS: "web secure" is not an entrypoint name/ });
});

test('#10.2: a TCP router names its own per-app TCP service, so namespaces never share one', (t) => {
  const spec: AppSpec = { image: 'i', grpc: { port: 9090 } };
  t.deepEqual(tagsOf(app(spec, 'ingest', 'tenant-a')), [[
    'traefik.enable=true',
    'traefik.tcp.routers.tenant-a_ingest_grpc_62a82a48.rule=HostSNI(`*`)',
    'traefik.tcp.routers.tenant-a_ingest_grpc_62a82a48.entrypoints=grpc',
    'traefik.tcp.routers.tenant-a_ingest_grpc_62a82a48.service=tenant-a_ingest_grpc_62a82a48',
    'traefik.tcp.services.tenant-a_ingest_grpc_62a82a48.loadbalancer.server.tls=false',
  ]]);
  t.deepEqual(tagsOf(app(spec, 'ingest', 'tenant-b')), [[
    'traefik.enable=true',
    'traefik.tcp.routers.tenant-b_ingest_grpc_62a82a48.rule=HostSNI(`*`)',
    'traefik.tcp.routers.tenant-b_ingest_grpc_62a82a48.entrypoints=grpc',
    'traefik.tcp.routers.tenant-b_ingest_grpc_62a82a48.service=tenant-b_ingest_grpc_62a82a48',
    'traefik.tcp.services.tenant-b_ingest_grpc_62a82a48.loadbalancer.server.tls=false',
  ]]);
});

test('#10.3: team-x/api and team/x-api, and app svc (gRPC) next to app svc-grpc, get different names', (t) => {
  const ingress: AppSpec = { image: 'i', port: 80, ingress: { host: 'api.example.com' } };
  const a = tagsOf(app(ingress, 'api', 'team-x'))[0]!;
  const b = tagsOf(app(ingress, 'x-api', 'team'))[0]!;
  t.is(a[1], 'traefik.http.routers.team-x_api_http_1b04496b.rule=Host(`api.example.com`)');
  t.is(b[1], 'traefik.http.routers.team_x-api_http_1b04496b.rule=Host(`api.example.com`)');
  const svc = tagsOf(app({ image: 'i', grpc: { port: 50051, host: 'svc.example.com' } }, 'svc'))[0]!;
  const svcGrpc = tagsOf(app({ image: 'i', port: 80, ingress: { host: 'svc-grpc.example.com' } }, 'svc-grpc'))[0]!;
  t.deepEqual(svc, [
    'traefik.enable=true',
    'traefik.http.routers.default_svc_grpc_d2940ba8.rule=Host(`svc.example.com`)',
    'traefik.http.routers.default_svc_grpc_d2940ba8.entrypoints=grpc',
    'traefik.http.routers.default_svc_grpc_d2940ba8.service=default_svc_grpc_d2940ba8',
    'traefik.http.services.default_svc_grpc_d2940ba8.loadbalancer.server.scheme=h2c',
  ]);
  t.deepEqual(svcGrpc, [
    'traefik.enable=true',
    'traefik.http.routers.default_svc-grpc_http_237327ef.rule=Host(`svc-grpc.example.com`)',
    'traefik.http.routers.default_svc-grpc_http_237327ef.entrypoints=web',
    'traefik.http.routers.default_svc-grpc_http_237327ef.service=default_svc-grpc_http_237327ef',
    'traefik.http.services.default_svc-grpc_http_237327ef.loadbalancer.server.scheme=http',
  ]);
});

test('#10.7: tls without entrypoints goes on websecure, with an optional redirect router on web', (t) => {
  t.deepEqual(tagsOf(app({ image: 'i', port: 80, ingress: { host: 'a.example.com', certResolver: 'le', httpsRedirect: true } }, 'a'))[0], [
    'traefik.enable=true',
    'traefik.http.routers.default_a_http_59d7bad7.rule=Host(`a.example.com`)',
    'traefik.http.routers.default_a_http_59d7bad7.entrypoints=websecure',
    'traefik.http.routers.default_a_http_59d7bad7.tls=true',
    'traefik.http.routers.default_a_http_59d7bad7.tls.certresolver=le',
    'traefik.http.routers.default_a_http_59d7bad7.service=default_a_http_59d7bad7',
    'traefik.http.routers.default_a_http_59d7bad7_redirect.rule=Host(`a.example.com`)',
    'traefik.http.routers.default_a_http_59d7bad7_redirect.entrypoints=web',
    'traefik.http.routers.default_a_http_59d7bad7_redirect.middlewares=default_a_http_59d7bad7_redirect',
    'traefik.http.routers.default_a_http_59d7bad7_redirect.service=default_a_http_59d7bad7',
    'traefik.http.middlewares.default_a_http_59d7bad7_redirect.redirectscheme.scheme=https',
    'traefik.http.middlewares.default_a_http_59d7bad7_redirect.redirectscheme.permanent=true',
    'traefik.http.services.default_a_http_59d7bad7.loadbalancer.server.scheme=http',
  ]);
  // explicit entrypoints still win, TLS or not
  t.true(tagsOf(app({ image: 'i', port: 80, ingress: { host: 'a.example.com', tls: true, entrypoints: ['internal'] } }, 'a'))[0]!.some((x) => x.endsWith('.entrypoints=internal')));
});

test('#10.7: a gRPC router with a host can have TLS, on the HTTPS entrypoints unless it names one', (t) => {
  t.deepEqual(tagsOf(app({ image: 'i', grpc: { port: 50051, host: 'g.example.com', tls: true } }, 'g'))[0], [
    'traefik.enable=true',
    'traefik.http.routers.default_g_grpc_7e43ff83.rule=Host(`g.example.com`)',
    'traefik.http.routers.default_g_grpc_7e43ff83.entrypoints=websecure',
    'traefik.http.routers.default_g_grpc_7e43ff83.tls=true',
    'traefik.http.routers.default_g_grpc_7e43ff83.service=default_g_grpc_7e43ff83',
    'traefik.http.services.default_g_grpc_7e43ff83.loadbalancer.server.scheme=h2c',
  ]);
  const own = tagsOf(app({ image: 'i', grpc: { port: 50051, host: 'g.example.com', certResolver: 'le', entrypoint: 'grpc' } }, 'g'))[0]!;
  t.true(own.some((x) => /\.entrypoints=grpc$/.test(x)) && own.some((x) => x.endsWith('.tls.certresolver=le')), own.join('\n'));
});

test('#10.7: path matches whole segments: /api is Path(/api) or PathPrefix(/api/), /static/ a prefix as written', (t) => {
  const rule = (path: string) => tagsOf(app({ image: 'i', port: 80, ingress: { host: 'h.example.com', path } }))[0]!.find((x) => x.includes('.rule='))!.split('.rule=')[1];
  t.is(rule('/api'), 'Host(`h.example.com`) && (Path(`/api`) || PathPrefix(`/api/`))');
  t.is(rule('/static/'), 'Host(`h.example.com`) && PathPrefix(`/static/`)');
  t.is(rule('/'), 'Host(`h.example.com`)');
});

test('a port without a route is never published, and has no router names', (t) => {
  t.deepEqual(tagsOf(app({ image: 'i', port: 80, service: { tags: ['www'] } })), [['www', 'traefik.enable=false']]);
});

// ---- #10.4: route changes without an outage -------------------------------------------------------

type Mutation = [string, (s: AppSpec) => AppSpec | undefined];
const ROUTING_CHANGES: Mutation[] = [
  ['ingress host', (s) => (s.ingress ? { ...s, ingress: { ...s.ingress, host: `new-${s.ingress.host}` } } : undefined)],
  ['ingress path', (s) => (s.ingress ? { ...s, ingress: { ...s.ingress, path: '/v2' } } : undefined)],
  ['ingress entrypoints', (s) => (s.ingress ? { ...s, ingress: { ...s.ingress, entrypoints: ['internal'] } } : undefined)],
  ['ingress tls on/off', (s) => (s.ingress ? { ...s, ingress: { ...s.ingress, tls: !(s.ingress.tls || s.ingress.certResolver), certResolver: undefined, httpsRedirect: undefined } } : undefined)],
  ['ingress cert resolver', (s) => (s.ingress ? { ...s, ingress: { ...s.ingress, certResolver: 'other' } } : undefined)],
  ['ingress https redirect', (s) => (s.ingress ? { ...s, ingress: { ...s.ingress, tls: true, httpsRedirect: !s.ingress.httpsRedirect, entrypoints: undefined } } : undefined)],
  ['grpc host added/removed', (s) => (s.grpc ? { ...s, grpc: s.grpc.host ? { port: s.grpc.port, entrypoint: s.grpc.entrypoint } : { ...s.grpc, host: 'g.example.com' } } : undefined)],
  ['grpc entrypoint', (s) => (s.grpc ? { ...s, grpc: { ...s.grpc, entrypoint: 'grpc-next' } } : undefined)],
  ['grpc tls', (s) => (s.grpc ? { ...s, grpc: { ...s.grpc, host: s.grpc.host ?? 'g.example.com', tls: !s.grpc.tls, certResolver: undefined } } : undefined)],
];

const root = fileURLToPath(new URL('../../', import.meta.url));
async function everyFixtureApp(): Promise<LoadedApp[]> {
  const apps: LoadedApp[] = [];
  for (const dir of ['test/fixtures/apps', 'examples/apps']) {
    for (const f of readdirSync(join(root, dir)).filter((x) => x.endsWith('.yaml')).sort()) {
      const text = readFileSync(join(root, dir, f), 'utf8');
      apps.push(...(await loadApps(f, text, fixtureDefaults(text))));
    }
  }
  return apps;
}

/** key → the values given to it, over every `<prefix>.<kind>.<routers|services|middlewares>.…` tag. */
function definitions(tagLists: string[][]): Map<string, Set<string>> {
  const defs = new Map<string, Set<string>>();
  for (const tag of tagLists.flat()) {
    if (!/^traefik\.(http|tcp)\.(routers|services|middlewares)\./.test(tag)) continue;
    const eq = tag.indexOf('=');
    const key = tag.slice(0, eq);
    defs.set(key, (defs.get(key) ?? new Set()).add(tag.slice(eq + 1)));
  }
  return defs;
}

/** The mutated spec is something drover accepts (the loader is the judge, not this test). */
function valid(a: LoadedApp, spec: AppSpec): LoadedApp | undefined {
  const doc = { ...a.manifest, spec };
  const r = loadAppTexts([{ file: a.source.file, text: JSON.stringify(doc) }], TEST_DEFAULTS);
  return r.problems.some((p) => p.severity === 'error') ? undefined : r.apps[0];
}

test('#10.4: every fixture rendered twice with changed routing never defines a router or service key twice with different values', async (t) => {
  const apps = await everyFixtureApp();
  let pairs = 0;
  const everything: string[][] = [];
  for (const a of apps) {
    const before = tagsOf(a);
    everything.push(...before);
    for (const [what, mutate] of ROUTING_CHANGES) {
      const spec = mutate(structuredClone(a.manifest.spec));
      const next = spec && valid(a, spec);
      if (!next) continue;
      const after = tagsOf(next);
      if (JSON.stringify(after) === JSON.stringify(before)) continue;
      pairs++;
      everything.push(...after);
      // old and new allocations side by side: each key one value
      for (const [key, values] of definitions([...before, ...after])) {
        t.is(values.size, 1, `${a.key}, ${what}: ${key} = ${[...values].join(' | ')}`);
      }
    }
  }
  t.log(`${apps.length} fixture apps, ${pairs} routing changes rendered`);
  t.true(pairs >= 40, `routing changes rendered: ${pairs}`);
  // and over all of them at once: no two apps, and no two versions of one app, share a key with two values
  const clashes = [...definitions(everything)].filter(([, v]) => v.size > 1).map(([k]) => k);
  t.deepEqual(clashes, []);
});

test('#10.4: the check above catches a name that does not move with the routing (it can fail)', (t) => {
  const a = tagsOf(app({ image: 'i', port: 80, ingress: { host: 'a.example.com' } }))[0]!;
  const b = tagsOf(app({ image: 'i', port: 80, ingress: { host: 'b.example.com' } }))[0]!;
  const name = (tags: string[]) => /routers\.([^.]+)\./.exec(tags[1]!)![1]!;
  t.not(name(a), name(b));
  const pinned = b.map((x) => x.split(name(b)).join(name(a)));
  t.true([...definitions([a, pinned]).values()].some((v) => v.size > 1));
});

test('#10.4: changes that are not routing keep every router and service name (no churn on image, count, env)', (t) => {
  const base: AppSpec = { image: 'i:1', port: 80, count: 1, ingress: { host: 'a.example.com', tls: true }, grpc: { port: 90, host: 'g.example.com' } };
  const names = (s: AppSpec) => tagsOf(app(s)).flat().filter((x) => x.includes('.routers.')).join('\n');
  for (const s of [{ ...base, image: 'i:2' }, { ...base, count: 3 }, { ...base, env: { A: 'b' } }, { ...base, port: 81 }, { ...base, service: { tags: ['x'] } }]) {
    t.is(names(s), names(base));
  }
});
