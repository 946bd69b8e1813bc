// Cross-app routing and service-name rules (issue #10), one row per case: what must pass, what must fail
// and with which lines. The invalid corpus holds the issue's own cases; these are the edges around them.
import test from 'ava';
import { parseConfig } from '../../src/config.js';
import { loadAppTexts, problemToString } from '../../src/spec/index.js';

const defaults = parseConfig({}).cluster;
const app = (name: string, spec: string, namespace?: string) =>
  `apiVersion: drover.io/v1alpha1\nkind: App\nmetadata:\n  name: ${name}\n${namespace ? `  namespace: ${namespace}\n` : ''}spec:\n  image: x\n${spec}`;

interface Row {
  title: string;
  files: Record<string, string>;
  lines: string[];
  env?: Record<string, string>;
}

const cross = test.macro({
  exec(t, row: Row) {
    const d = row.env ? parseConfig(row.env).cluster : defaults;
    const r = loadAppTexts(Object.entries(row.files).map(([file, text]) => ({ file, text })), d);
    t.deepEqual(r.problems.map(problemToString), row.lines);
  },
  title: (_p, row: Row) => row.title,
});

const ROWS: Row[] = [
  {
    title: 'a catch-all TCP router on an entrypoint of its own next to HTTP and h2c routers elsewhere is fine',
    files: {
      'a.yaml': app('a', '  grpc: {port: 90}\n'),
      'b.yaml': app('b', '  port: 80\n  ingress: {host: b.example.com}\n  grpc: {port: 90, host: b.example.com, entrypoint: grpc-h2c}\n'),
    },
    lines: [],
  },
  {
    title: 'the same host on two entrypoints is fine; the same host with another path is fine',
    files: {
      'a.yaml': app('a', '  port: 80\n  ingress: {host: h.example.com}\n'),
      'b.yaml': app('b', '  port: 80\n  ingress: {host: h.example.com, entrypoints: [internal]}\n'),
      'c.yaml': app('c', '  port: 80\n  ingress: {host: h.example.com, path: /api}\n'),
    },
    lines: [],
  },
  {
    title: '/api and /api/ take the same requests below /api/, so they clash',
    files: {
      'a.yaml': app('a', '  port: 80\n  ingress: {host: h.example.com, path: /api}\n'),
      'b.yaml': app('b', '  port: 80\n  ingress: {host: h.example.com, path: /api/}\n'),
    },
    lines: [
      'a.yaml:8:19 spec.ingress.host: host h.example.com path /api on entrypoint web is also routed by default/b (b.yaml:8:19)',
      'b.yaml:8:19 spec.ingress.host: host h.example.com path /api/ on entrypoint web is also routed by default/a (a.yaml:8:19)',
    ],
  },
  {
    title: 'an HTTPS redirect router on web clashes with another app routing the host on web',
    files: {
      'a.yaml': app('a', '  port: 80\n  ingress: {host: h.example.com, tls: true, httpsRedirect: true}\n'),
      'b.yaml': app('b', '  port: 80\n  ingress: {host: h.example.com}\n'),
    },
    lines: [
      'a.yaml:8:60 spec.ingress.httpsRedirect: host h.example.com path / on entrypoint web is also routed by default/b (b.yaml:8:19)',
      'b.yaml:8:19 spec.ingress.host: host h.example.com path / on entrypoint web is also routed by default/a (a.yaml:8:60)',
    ],
  },
  {
    title: 'TLS routers default to websecure, so a TLS app and a plain app may share a host',
    files: {
      'a.yaml': app('a', '  port: 80\n  ingress: {host: h.example.com, tls: true}\n'),
      'b.yaml': app('b', '  port: 80\n  ingress: {host: h.example.com}\n'),
    },
    lines: [],
  },
  {
    title: 'routers on several shared entrypoints are named in one line',
    files: {
      'a.yaml': app('a', '  port: 80\n  ingress: {host: h.example.com, entrypoints: [web, internal]}\n'),
      'b.yaml': app('b', '  port: 80\n  ingress: {host: h.example.com, entrypoints: [internal, web]}\n'),
    },
    lines: [
      'a.yaml:8:19 spec.ingress.host: host h.example.com path / on entrypoints web, internal is also routed by default/b (b.yaml:8:19)',
      'b.yaml:8:19 spec.ingress.host: host h.example.com path / on entrypoints internal, web is also routed by default/a (a.yaml:8:19)',
    ],
  },
  {
    title: 'a catch-all on the HTTPS entrypoint shadows a TLS gRPC router there too',
    files: {
      'a.yaml': app('a', '  grpc: {port: 90, entrypoint: websecure}\n'),
      'b.yaml': app('b', '  grpc: {port: 90, host: g.example.com, tls: true}\n'),
    },
    lines: [
      'a.yaml:7:9 spec.grpc: the TCP router HostSNI(*) on entrypoint websecure takes every plain connection there (Traefik tries TCP routers first), but websecure also carries HTTP routers of default/b (b.yaml:7:26); give the gRPC port an entrypoint of its own or set grpc.host',
      'b.yaml:7:26 spec.grpc.host: host g.example.com on entrypoint websecure would never be reached: the TCP router HostSNI(*) of default/a (a.yaml:7:9) takes every plain connection there',
    ],
  },
  {
    title: 'provider nomad: one service name in two namespaces is fine (Nomad\'s catalog is per namespace), in one namespace it is not',
    env: { DROVER_SERVICE_PROVIDER: 'nomad' },
    files: {
      'a.yaml': app('web', '  port: 80\n', 'team-a'),
      'b.yaml': app('web', '  port: 80\n', 'team-b'),
      'c.yaml': app('other', '  port: 80\n  service: {name: web}\n', 'team-b'),
    },
    lines: [
      'b.yaml:4:9 metadata.name: Nomad service web (port http) is also registered by team-b/other (c.yaml:9:19); Nomad\'s service catalog holds one service of a name per namespace: give one of them another spec.service.name',
      'c.yaml:9:19 spec.service.name: Nomad service web (port http) is also registered by team-b/web (b.yaml:4:9); Nomad\'s service catalog holds one service of a name per namespace: give one of them another spec.service.name',
    ],
  },
  {
    title: 'apps without ports register no service and cannot collide',
    files: { 'a.yaml': app('worker', ''), 'b.yaml': app('worker', '', 'other') },
    lines: [],
  },
  {
    title: 'a tag prefix from the cluster config is the one refused',
    env: { DROVER_TRAEFIK_PREFIX: 'edge' },
    files: { 'a.yaml': app('a', '  port: 80\n  service: {tags: [traefik.enable=true, edge.http.routers.x.rule=x]}\n') },
    lines: [
      'a.yaml:8:41 spec.service.tags[1]: "edge.http.routers.x.rule=x" starts with the Traefik tag prefix "edge" (DROVER_TRAEFIK_PREFIX): drover writes every Traefik tag itself; route through spec.ingress or spec.grpc',
    ],
  },
  {
    title: 'one app: an ingress and a grpc.host with one host on one entrypoint',
    files: { 'a.yaml': app('a', '  port: 80\n  ingress: {host: h.example.com, entrypoints: [grpc]}\n  grpc: {port: 90, host: h.example.com}\n') },
    lines: ['a.yaml:9:26 spec.grpc.host: host h.example.com path / on entrypoint grpc is also routed by this app\'s spec.ingress.host'],
  },
];

for (const row of ROWS) test(cross, row);
