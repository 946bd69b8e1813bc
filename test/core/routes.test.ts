// The routing table and the request matcher (src/core/routes.ts): rows from the renderer's routers,
// Traefik's priority (rule length), TCP-before-HTTP, TLS split, whole-segment paths, ties. Some apps here
// are built directly, past validation, to show what the cross-app rules protect against.
import test from 'ava';
import { matchRequest, routeTable, type RouteOutcome } from '../../src/core/routes.js';
import { loadAppDir } from '../../src/source/spec-files.js';
import type { AppSpec, LoadedApp } from '../../src/spec/types.js';
import { TEST_DEFAULTS } from './render.helpers.js';

function app(name: string, spec: AppSpec, namespace = 'default'): LoadedApp {
  return { key: `${namespace}/${name}`, name, namespace, source: { file: `${name}.yaml`, line: 1, col: 1 }, manifest: { apiVersion: 'drover.io/v1alpha1', kind: 'App', metadata: { name }, spec: { image: 'x', ...spec } } };
}
const ask = (apps: LoadedApp[], host: string, path = '/', more: { entrypoint?: string; tls?: boolean } = {}) =>
  matchRequest(routeTable(apps, TEST_DEFAULTS), { host, path, entrypoint: more.entrypoint ?? 'web', tls: more.tls ?? false })[0]!;
const who = (o: RouteOutcome) => (o.result === 'none' ? 'none' : o.result === 'tie' ? `tie:${o.rows.map((r) => r.app).join(',')}` : `${o.result}:${o.row.app}`);

test('the examples give one row per router and entrypoint, TCP first, then by priority', async (t) => {
  const loaded = await loadAppDir('examples/apps', TEST_DEFAULTS);
  t.deepEqual(
    routeTable(loaded.apps, TEST_DEFAULTS).map((r) => [r.entrypoint, r.kind, r.priority, r.rule, r.app, r.router]),
    [
      ['grpc', 'tcp', 12, 'HostSNI(`*`)', 'default/otel-collector', 'default_otel-collector_grpc_62a82a48'],
      ['web', 'http', 37, 'Host(`otel-collector-http.localhost`)', 'default/otel-collector', 'default_otel-collector_http_dbab84f4'],
      ['web', 'http', 25, 'Host(`hello-web.minipot`)', 'default/nginx-minipot', 'default_nginx-minipot_http_35a5e2df'],
    ],
  );
});

test('the router names in the table are the ones in the rendered tags', async (t) => {
  const { renderJob } = await import('../../src/core/render/index.js');
  const a = app('shop', { port: 80, ingress: { host: 'shop.example.com', tls: true, httpsRedirect: true }, grpc: { port: 90, host: 'g.example.com' } });
  const tags = renderJob(a, TEST_DEFAULTS).TaskGroups[0]!.Tasks[0]!.Services!.flatMap((s) => s.Tags ?? []);
  for (const r of routeTable([a], TEST_DEFAULTS)) {
    t.true(tags.includes(`traefik.${r.kind}.routers.${r.router}.rule=${r.rule}`), r.router);
    t.true(tags.some((x) => x.startsWith(`traefik.${r.kind}.routers.${r.router}.entrypoints=`) && x.split('=')[1]!.split(',').includes(r.entrypoint)));
  }
});

test('#10.7: /api matches /api and /api/..., not /apix; a root app next to it takes /apix', (t) => {
  const api = app('api', { port: 80, ingress: { host: 'h.example.com', path: '/api' } });
  const root = app('site', { port: 80, ingress: { host: 'h.example.com' } });
  t.is(who(ask([api], 'h.example.com', '/api')), 'app:default/api');
  t.is(who(ask([api], 'h.example.com', '/api/v1/x')), 'app:default/api');
  t.is(who(ask([api], 'h.example.com', '/apix')), 'none');
  t.is(who(ask([api, root], 'h.example.com', '/apix')), 'app:default/site');
  t.is(who(ask([api, root], 'h.example.com', '/api/v1')), 'app:default/api', 'the longer rule has the higher priority');
  t.is(who(ask([api, root], 'h.example.com', '/%61pi/v1')), 'app:default/api', 'unreserved characters are decoded');
  t.is(who(ask([api, root], 'h.example.com', '/api%2Fv1')), 'app:default/site', 'an encoded / stays encoded');
  t.is(who(ask([api, root], 'H.Example.COM:8080', '/api?x=1')), 'app:default/api', 'host without port, any case; no query');
});

test('#10.1: a catch-all TCP router takes every plain connection on its entrypoint, HTTP routers there never see one', (t) => {
  const tcp = app('ingest', { grpc: { port: 90, entrypoint: 'web' } });
  const shop = app('shop', { port: 80, ingress: { host: 'shop.example.com' } });
  t.is(who(ask([shop], 'shop.example.com')), 'app:default/shop');
  t.is(who(ask([tcp, shop], 'shop.example.com')), 'tcp:default/ingest');
  t.is(who(ask([tcp, shop], 'anything.example.com')), 'tcp:default/ingest');
});

test('#10.5: two routers with one host on one entrypoint tie, and Traefik picks one', (t) => {
  const a = app('api', { port: 80, ingress: { host: 'api.example.com', entrypoints: ['grpc'] } });
  const b = app('api-rpc', { grpc: { port: 90, host: 'api.example.com' } });
  t.is(who(ask([a, b], 'api.example.com', '/', { entrypoint: 'grpc' })), 'tie:default/api-rpc,default/api');
});

test('#10.7: TLS routers answer HTTPS on websecure only; the redirect router answers plain HTTP on web', (t) => {
  const a = app('portal', { port: 80, ingress: { host: 'p.example.com', certResolver: 'le', httpsRedirect: true } });
  t.is(who(ask([a], 'p.example.com', '/', { entrypoint: 'websecure', tls: true })), 'app:default/portal');
  t.is(who(ask([a], 'p.example.com', '/', { entrypoint: 'websecure', tls: false })), 'none');
  t.is(who(ask([a], 'p.example.com', '/', { entrypoint: 'web' })), 'redirect:default/portal');
  t.is(who(ask([a], 'p.example.com', '/', { entrypoint: 'web', tls: true })), 'none');
});

test('without an entrypoint every entrypoint of the table is asked', (t) => {
  const a = app('portal', { port: 80, ingress: { host: 'p.example.com', tls: true, httpsRedirect: true } });
  const out = matchRequest(routeTable([a], TEST_DEFAULTS), { host: 'p.example.com', path: '/', tls: false });
  t.deepEqual(out.map((o) => [o.entrypoint, o.result]), [['web', 'redirect'], ['websecure', 'none']]);
});
