// The invalid-spec corpus: one fixture (or a small directory for cross-app rules) per distinct failure
// under test/fixtures/invalid/, each with the exact `file:line:col field: reason` lines `drover validate`
// must print. Runs the validate command's code path in-process (runValidate) so the whole corpus stays
// fast; test/cli/validate.test.ts spawns the real CLI for a sample of these.
import test from 'ava';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runValidate } from '../../src/cli/commands/validate.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/invalid/', import.meta.url));

interface Case {
  fixture: string;
  env?: Record<string, string>;
  lines: string[];
}

const CASES: Case[] = [
  { fixture: 'alias-bomb.yaml', lines: [
    "alias-bomb.yaml:1:1: YAML aliases expand beyond the limit (100); refusing a possible \"billion laughs\" document",
  ] },
  { fixture: 'certresolver-invalid.yaml', lines: [
    "certresolver-invalid.yaml:10:19 spec.ingress.certResolver: \"le{x}\" is not a valid certificate resolver name (letters, digits, '_' and '-')",
  ] },
  { fixture: 'count-outside-scaling.yaml', lines: [
    "count-outside-scaling.yaml:8:10 spec.count: 10 is outside spec.scaling [1, 3]",
  ] },
  { fixture: 'cross-duplicate-name', lines: [
    "a.yaml:4:9 metadata.name: app default/web is also defined at team/b.yaml:4:9",
    "team/b.yaml:4:9 metadata.name: app default/web is also defined at a.yaml:4:9",
  ] },
  { fixture: 'cross-grpc-tcp', lines: [
    "apps.yaml:8:5 spec.grpc: entrypoint grpc can carry one TCP gRPC router (HostSNI(*)) but is also used by default/otel (apps.yaml:17:5); set grpc.host or another entrypoint",
    "apps.yaml:17:5 spec.grpc: entrypoint grpc can carry one TCP gRPC router (HostSNI(*)) but is also used by default/temporal (apps.yaml:8:5); set grpc.host or another entrypoint",
  ] },
  { fixture: 'cross-ingress-clash', lines: [
    "a.yaml:9:11 spec.ingress.host: host shop.example.com path / on entrypoint web is also routed by default/shop (b.yaml:9:11)",
    "b.yaml:9:11 spec.ingress.host: host shop.example.com path / on entrypoint web is also routed by default/web (a.yaml:9:11)",
  ] },
  { fixture: 'cross-weave-overlap', lines: [
    "a.yaml:9:13 spec.weave.subnet: 10.32.0.0/16 partially overlaps 10.32.1.0/24 of default/tenant-b (b.yaml:9:13); subnets must be identical or disjoint",
    "b.yaml:9:13 spec.weave.subnet: 10.32.1.0/24 partially overlaps 10.32.0.0/16 of default/web (a.yaml:9:13); subnets must be identical or disjoint",
  ] },
  { fixture: 'cross-same-host-entrypoint', lines: [
    "apps.yaml:11:11 spec.ingress.host: host api.example.com path / on entrypoint grpc is also routed by default/api-rpc (apps.yaml:22:11)",
    "apps.yaml:22:11 spec.grpc.host: host api.example.com path / on entrypoint grpc is also routed by default/api (apps.yaml:11:11)",
    "apps.yaml:32:11 spec.grpc.host: host rpc.example.com path / on entrypoint grpc2 is also routed by default/search-next (apps.yaml:43:11)",
    "apps.yaml:43:11 spec.grpc.host: host rpc.example.com path / on entrypoint grpc2 is also routed by default/search (apps.yaml:32:11)",
  ] },
  { fixture: 'cross-service-grpc-suffix', lines: [
    "apps.yaml:5:9 metadata.name: Consul service svc-grpc (port grpc) is also registered by default/svc-grpc (apps.yaml:15:9); Consul has one service catalog for every Nomad namespace and matches names case-insensitively: give one of them another spec.service.name",
    "apps.yaml:15:9 metadata.name: Consul service svc-grpc (port http) is also registered by default/svc (apps.yaml:5:9); Consul has one service catalog for every Nomad namespace and matches names case-insensitively: give one of them another spec.service.name",
  ] },
  { fixture: 'cross-service-name-join', lines: [
    "apps.yaml:5:9 metadata.name: Consul service web (port http) is also registered by default/intruder (apps.yaml:18:11); Consul has one service catalog for every Nomad namespace and matches names case-insensitively: give one of them another spec.service.name",
    "apps.yaml:18:11 spec.service.name: Consul service Web (port http) is also registered by default/web (apps.yaml:5:9); Consul has one service catalog for every Nomad namespace and matches names case-insensitively: give one of them another spec.service.name",
  ] },
  { fixture: 'cross-service-namespaces', lines: [
    "apps.yaml:5:9 metadata.name: Consul service ingest-grpc (port grpc) is also registered by tenant-b/ingest (apps.yaml:15:9); Consul has one service catalog for every Nomad namespace and matches names case-insensitively: give one of them another spec.service.name",
    "apps.yaml:15:9 metadata.name: Consul service ingest-grpc (port grpc) is also registered by tenant-a/ingest (apps.yaml:5:9); Consul has one service catalog for every Nomad namespace and matches names case-insensitively: give one of them another spec.service.name",
  ] },
  { fixture: 'cross-tcp-catchall-grpc-host', lines: [
    "apps.yaml:10:5 spec.grpc: the TCP router HostSNI(*) on entrypoint grpc takes every plain connection there (Traefik tries TCP routers first), but grpc also carries HTTP routers of default/greeter (apps.yaml:20:11); give the gRPC port an entrypoint of its own or set grpc.host",
    "apps.yaml:20:11 spec.grpc.host: host grpc.greeter.example.com on entrypoint grpc would never be reached: the TCP router HostSNI(*) of default/ingest (apps.yaml:10:5) takes every plain connection there",
  ] },
  { fixture: 'cross-tcp-catchall-web', lines: [
    "apps.yaml:9:5 spec.grpc: the TCP router HostSNI(*) on entrypoint web takes every plain connection there (Traefik tries TCP routers first), but web also carries HTTP routers of default/shop (apps.yaml:20:11); give the gRPC port an entrypoint of its own or set grpc.host",
    "apps.yaml:20:11 spec.ingress.host: host shop.example.com on entrypoint web would never be reached: the TCP router HostSNI(*) of default/ingest (apps.yaml:9:5) takes every plain connection there",
  ] },
  { fixture: 'datacenters-empty.yaml', lines: [
    "datacenters-empty.yaml:8:17 spec.datacenters[0]: must not be empty",
  ] },
  { fixture: 'docker-no-image.yaml', lines: [
    "docker-no-image.yaml:6:3 spec.image: is required for the docker driver",
  ] },
  { fixture: 'driver-not-allowed.yaml', env: { DROVER_ALLOWED_DRIVERS: 'docker,pot' }, lines: [
    "driver-not-allowed.yaml:6:11 spec.driver: driver \"exec\" is not allowed on this cluster (allowed: docker, pot)",
  ] },
  { fixture: 'driver-raw-exec.yaml', lines: [
    "driver-raw-exec.yaml:6:11 spec.driver: \"raw_exec\" is not one of: docker, pot, exec",
  ] },
  { fixture: 'driver-unknown.yaml', lines: [
    "driver-unknown.yaml:6:11 spec.driver: \"podman\" is not one of: docker, pot, exec",
  ] },
  { fixture: 'empty-value.yaml', lines: [
    "empty-value.yaml:8:11 spec.ingress: must be a mapping, not empty",
  ] },
  { fixture: 'entrypoint-invalid.yaml', lines: [
    "entrypoint-invalid.yaml:10:19 spec.ingress.entrypoints[0]: \"web secure\" is not a valid entrypoint name (letters, digits, '_' and '-')",
  ] },
  { fixture: 'env-name-invalid.yaml', lines: [
    "env-name-invalid.yaml:9:5 spec.env.MY-VAR: \"MY-VAR\" is not a valid environment variable name (letters, digits and '_', not starting with a digit)",
  ] },
  { fixture: 'env-number.yaml', lines: [
    "env-number.yaml:9:11 spec.env.PORT: must be a string, not the number 8080; quote it to keep it as text: \"8080\"",
    "env-number.yaml:10:12 spec.env.DEBUG: must be a string, not the boolean true; quote it to keep it as text: \"true\"",
  ] },
  { fixture: 'exec-no-command.yaml', lines: [
    "exec-no-command.yaml:6:3 spec.command: is required for the exec driver",
  ] },
  { fixture: 'grpc-host-quote.yaml', lines: [
    "grpc-host-quote.yaml:10:11 spec.grpc.host: \"grpc\\\".example.com\" is not a valid hostname (RFC 1123: lower-case letters, digits and '-' in dot-separated labels of at most 63 characters)",
  ] },
  { fixture: 'grpc-same-port.yaml', lines: [
    "grpc-same-port.yaml:9:11 spec.grpc.port: must differ from spec.port (both are 8080)",
  ] },
  { fixture: 'grpc-tls-no-host.yaml', lines: [
    "grpc-tls-no-host.yaml:9:19 spec.grpc.certResolver: needs spec.grpc.host: a TLS router is chosen by the host name the client asks for, and a gRPC port without a host gets a plain TCP router HostSNI(*)",
  ] },
  { fixture: 'health-duration-syntax.yaml', lines: [
    "health-duration-syntax.yaml:9:15 spec.health.interval: \"10 seconds\" is not a duration (e.g. 10s, 1m30s)",
  ] },
  { fixture: 'health-grpc-no-grpc.yaml', lines: [
    "health-grpc-no-grpc.yaml:9:11 spec.health.type: a grpc check needs spec.grpc",
  ] },
  { fixture: 'health-http-no-path.yaml', lines: [
    "health-http-no-path.yaml:9:5 spec.health.path: is required for an http check",
  ] },
  { fixture: 'health-interval-short.yaml', lines: [
    "health-interval-short.yaml:9:15 spec.health.interval: 500ms is shorter than the minimum 1s",
    "health-interval-short.yaml:10:14 spec.health.timeout: 200ms is shorter than the minimum 1s",
  ] },
  { fixture: 'health-timeout-not-shorter.yaml', lines: [
    "health-timeout-not-shorter.yaml:10:14 spec.health.timeout: 5s must be shorter than the interval 5s",
  ] },
  { fixture: 'host-backtick.yaml', lines: [
    "host-backtick.yaml:9:11 spec.ingress.host: \"web.example.com`) || Host(`evil.com\" is not a valid hostname (RFC 1123: lower-case letters, digits and '-' in dot-separated labels of at most 63 characters)",
  ] },
  { fixture: 'host-template.yaml', lines: [
    "host-template.yaml:9:11 spec.ingress.host: \"${HOST}.example.com\" is not a valid hostname (RFC 1123: lower-case letters, digits and '-' in dot-separated labels of at most 63 characters)",
  ] },
  { fixture: 'host-uppercase.yaml', lines: [
    "host-uppercase.yaml:9:11 spec.ingress.host: \"Web.Example.com\" is not a valid hostname (RFC 1123: lower-case letters, digits and '-' in dot-separated labels of at most 63 characters)",
  ] },
  { fixture: 'https-redirect-no-tls.yaml', lines: [
    "https-redirect-no-tls.yaml:10:20 spec.ingress.httpsRedirect: needs spec.ingress.tls or spec.ingress.certResolver: it redirects plain HTTP to the HTTPS router",
  ] },
  { fixture: 'ingress-no-port.yaml', lines: [
    "ingress-no-port.yaml:8:5 spec.ingress: needs spec.port: the router sends traffic to the http port",
  ] },
  { fixture: 'ingress-path-backtick.yaml', lines: [
    "ingress-path-backtick.yaml:10:11 spec.ingress.path: \"/api`)\" is not a valid path: it must start with '/' and contain no spaces, quotes, backticks or braces",
  ] },
  { fixture: 'ingress-path-comma.yaml', lines: [
    "ingress-path-comma.yaml:10:11 spec.ingress.path: \"/a,b\" may not contain commas or control characters",
  ] },
  { fixture: 'ingress-path-relative.yaml', lines: [
    "ingress-path-relative.yaml:10:11 spec.ingress.path: \"api\" is not a valid path: it must start with '/' and contain no spaces, quotes, backticks or braces",
  ] },
  { fixture: 'label-key-invalid.yaml', lines: [
    "label-key-invalid.yaml:6:5 metadata.labels[\"team name\"]: \"team name\" is not a valid label key (optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)",
  ] },
  { fixture: 'label-value-invalid.yaml', lines: [
    "label-value-invalid.yaml:6:11 metadata.labels.team: \"-bad-\" is not a valid label value (letters, digits, '-', '_' and '.', starting and ending with a letter or digit)",
  ] },
  { fixture: 'missing-name.yaml', lines: [
    "missing-name.yaml:4:3 metadata.name: is required",
  ] },
  { fixture: 'missing-spec.yaml', lines: [
    "missing-spec.yaml:1:1 spec: is required",
  ] },
  { fixture: 'mixed-valid-invalid.yaml', lines: [
    "mixed-valid-invalid.yaml:8:9 spec.port: must be at least 1, not 0",
  ] },
  { fixture: 'name-invalid.yaml', lines: [
    "name-invalid.yaml:4:9 metadata.name: \"Web_App\" is not a valid name (lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)",
  ] },
  { fixture: 'name-too-long.yaml', lines: [
    "name-too-long.yaml:4:9 metadata.name: is 64 characters long; at most 63 are allowed",
  ] },
  { fixture: 'namespace-invalid.yaml', lines: [
    "namespace-invalid.yaml:5:14 metadata.namespace: \"Team.A\" is not a valid namespace (lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)",
  ] },
  { fixture: 'port-out-of-range.yaml', lines: [
    "port-out-of-range.yaml:7:9 spec.port: must be at most 65535, not 70000",
  ] },
  { fixture: 'pot-args-no-command.yaml', lines: [
    "pot-args-no-command.yaml:11:9 spec.args: needs spec.command with the pot driver",
  ] },
  { fixture: 'dns-invalid.yaml', lines: [
    "dns-invalid.yaml:8:22 spec.dns[1]: \"consul.service\" is not an IPv4 or IPv6 address",
  ] },
  { fixture: 'dns-with-pot.yaml', lines: [
    "dns-with-pot.yaml:11:8 spec.dns: is a docker option, not available with the pot driver",
  ] },
  { fixture: 'dns-with-weave.yaml', lines: [
    "dns-with-weave.yaml:9:8 spec.dns: cannot be combined with spec.weave: give weave apps their DNS servers in spec.weave.dns",
  ] },
  { fixture: 'pot-missing-block.yaml', lines: [
    "pot-missing-block.yaml:6:3 spec.pot: is required for the pot driver",
  ] },
  { fixture: 'resources-too-small.yaml', lines: [
    "resources-too-small.yaml:9:10 spec.resources.cpu: must be at least 1, not 0",
    "resources-too-small.yaml:10:13 spec.resources.memory: must be at least 10, not 5",
  ] },
  { fixture: 'rollout-auto-promote-no-canaries.yaml', lines: [
    "rollout-auto-promote-no-canaries.yaml:10:18 spec.rollout.autoPromote: needs spec.rollout.canaries above 0: auto-promote promotes canaries, and Nomad refuses it without any",
  ] },
  { fixture: 'rollout-duration-syntax.yaml', lines: [
    "rollout-duration-syntax.yaml:10:23 spec.rollout.progressDeadline: \"10 minutes\" is not a duration (e.g. 10m, or 0 for none)",
  ] },
  { fixture: 'rollout-enum-and-minimum.yaml', lines: [
    "rollout-enum-and-minimum.yaml:10:18 spec.rollout.healthCheck: \"http\" is not one of: checks, task_states, manual",
    "rollout-enum-and-minimum.yaml:11:15 spec.rollout.canaries: must be at least 0, not -1",
  ] },
  { fixture: 'rollout-healthy-deadline-cluster-progress.yaml', env: { DROVER_ROLLOUT_PROGRESS_DEADLINE: '3m', DROVER_ROLLOUT_HEALTHY_DEADLINE: '2m' }, lines: [
    "rollout-healthy-deadline-cluster-progress.yaml:10:22 spec.rollout.healthyDeadline: 4m must be shorter than progressDeadline 3m (DROVER_ROLLOUT_PROGRESS_DEADLINE); raise progressDeadline or set it to 0",
  ] },
  { fixture: 'rollout-healthy-deadline-past-progress.yaml', lines: [
    "rollout-healthy-deadline-past-progress.yaml:10:22 spec.rollout.healthyDeadline: 15m must be shorter than progressDeadline 10m (Nomad's default); raise progressDeadline or set it to 0",
  ] },
  { fixture: 'rollout-healthy-deadline-zero.yaml', lines: [
    "rollout-healthy-deadline-zero.yaml:10:22 spec.rollout.healthyDeadline: 0s must be greater than 0: an allocation needs time to become healthy",
  ] },
  { fixture: 'rollout-max-parallel-zero.yaml', lines: [
    "rollout-max-parallel-zero.yaml:11:15 spec.rollout.canaries: need maxParallel of at least 1: maxParallel 0 turns Nomad's deployments off, so no canary would wait for promotion",
    "rollout-max-parallel-zero.yaml:12:17 spec.rollout.autoRevert: needs maxParallel of at least 1: maxParallel 0 turns Nomad's deployments off, so a failed rollout would never be reverted",
  ] },
  { fixture: 'rollout-min-healthy-not-shorter.yaml', lines: [
    "rollout-min-healthy-not-shorter.yaml:10:21 spec.rollout.minHealthyTime: 5m must be shorter than healthyDeadline 5m",
  ] },
  { fixture: 'rollout-progress-below-default-healthy.yaml', lines: [
    "rollout-progress-below-default-healthy.yaml:10:23 spec.rollout.progressDeadline: 2m must be longer than healthyDeadline 5m (Nomad's default), or 0 (the first unhealthy allocation fails the deployment)",
  ] },
  { fixture: 'rollout-progress-below-kill-timeout.yaml', lines: [
    "rollout-progress-below-kill-timeout.yaml:12:23 spec.rollout.progressDeadline: 3s is shorter than the task's kill timeout (5s, Nomad's default), which Nomad refuses; use at least 5s, or 0",
  ] },
  { fixture: 'routing-self-clash.yaml', lines: [
    "routing-self-clash.yaml:14:20 spec.ingress.httpsRedirect: host portal.example.com path / on entrypoint web is also routed by this app's spec.ingress.host",
    "routing-self-clash.yaml:16:5 spec.grpc: the TCP router HostSNI(*) on entrypoint web takes every plain connection there (Traefik tries TCP routers first), so this app's spec.ingress.host router on web would never be reached; give the gRPC port an entrypoint of its own or set grpc.host",
  ] },
  { fixture: 'scaling-min-above-max.yaml', lines: [
    "scaling-min-above-max.yaml:10:10 spec.scaling.max: 2 is less than spec.scaling.min (5)",
  ] },
  { fixture: 'service-name-invalid.yaml', lines: [
    "service-name-invalid.yaml:9:11 spec.service.name: \"web_api\" is not a valid service name (RFC 1123: letters, digits and '-', at most 63 characters)",
  ] },
  { fixture: 'service-tag-newline.yaml', lines: [
    "service-tag-newline.yaml:9:18 spec.service.tags[1]: \"traefik.enable=true\\ntraefik.http.routers.x.rule=Host(`evil`)\" contains a line break; a tag must be one line",
  ] },
  { fixture: 'service-tag-traefik.yaml', lines: [
    "service-tag-traefik.yaml:12:9 spec.service.tags[1]: \"traefik.http.routers.steal.rule=Host(`a1.example.com`)\" starts with the Traefik tag prefix \"traefik\" (DROVER_TRAEFIK_PREFIX): drover writes every Traefik tag itself; route through spec.ingress or spec.grpc",
    "service-tag-traefik.yaml:13:9 spec.service.tags[2]: \"Traefik.http.routers.steal.priority=10000\" starts with the Traefik tag prefix \"traefik\" (DROVER_TRAEFIK_PREFIX): drover writes every Traefik tag itself; route through spec.ingress or spec.grpc",
  ] },
  { fixture: 'too-deep.yaml', lines: [
    "too-deep.yaml:1:1: nesting is deeper than 32 levels",
  ] },
  { fixture: 'too-many-documents.yaml', lines: [
    "too-many-documents.yaml:1:1: more than 100 YAML documents in one file",
  ] },
  { fixture: 'unknown-field-nested.yaml', lines: [
    "unknown-field-nested.yaml:10:5 spec.ingress.hosts: unknown field \"hosts\" (known fields: host, path, entrypoints, tls, certResolver, httpsRedirect)",
  ] },
  { fixture: 'unknown-field.yaml', lines: [
    "unknown-field.yaml:8:3 spec.hostname: unknown field \"hostname\" (known fields: image, driver, pot, command, args, count, port, ingress, grpc, vault, weave, dns, env, resources, health, service, datacenters, scaling, rollout, sync)",
  ] },
  { fixture: 'vault-env-name.yaml', lines: [
    "vault-env-name.yaml:13:11 spec.vault.secrets[0].env[\"1DB_PASS\"]: \"1DB_PASS\" is not a valid environment variable name (letters, digits and '_', not starting with a digit)",
  ] },
  { fixture: 'vault-key-quote.yaml', lines: [
    "vault-key-quote.yaml:13:20 spec.vault.secrets[0].env.DB_PASS: \"pass\\\"word\" is not a plain secret key: template syntax, braces, quotes, backticks, backslashes and whitespace are not allowed",
  ] },
  { fixture: 'vault-path-template.yaml', lines: [
    "vault-path-template.yaml:11:15 spec.vault.secrets[0].path: \"secret/data/{{ env \\\"X\\\" }}\" is not a plain Vault path: template syntax, braces, quotes, backticks, backslashes and whitespace are not allowed",
  ] },
  { fixture: 'vault-role-and-policies.yaml', lines: [
    "vault-role-and-policies.yaml:10:15 spec.vault.policies: cannot be combined with spec.vault.role: use role (workload identity) or policies (legacy), not both",
  ] },
  { fixture: 'vault-secrets-without-access.yaml', lines: [
    "vault-secrets-without-access.yaml:10:7 spec.vault.secrets: need spec.vault.role or spec.vault.policies to be read",
  ] },
  { fixture: 'weave-dns-invalid.yaml', lines: [
    "weave-dns-invalid.yaml:9:24 spec.weave.dns[1]: \"dns.example.com\" is not an IPv4 or IPv6 address",
  ] },
  { fixture: 'weave-subnet-provider-nomad.yaml', lines: [
    "weave-subnet-provider-nomad.yaml:11:15 spec.service.provider: nomad cannot be used with spec.weave.subnet: Nomad would advertise the docker bridge address, not the weave address, and only a Consul registration (drover's node registrar) can carry the right one; use consul",
  ] },
  { fixture: 'weave-subnet-host-bits.yaml', lines: [
    "weave-subnet-host-bits.yaml:9:13 spec.weave.subnet: \"10.32.1.5/24\" has host bits set; the network address is 10.32.1.0/24",
  ] },
  { fixture: 'weave-subnet-octet.yaml', lines: [
    "weave-subnet-octet.yaml:9:13 spec.weave.subnet: \"10.32.300.0/24\" is not an IPv4 CIDR (e.g. 10.32.1.0/24)",
  ] },
  { fixture: 'weave-subnet-outside.yaml', lines: [
    "weave-subnet-outside.yaml:9:13 spec.weave.subnet: \"192.168.1.0/24\" is outside the weave range 10.32.0.0/12",
  ] },
  { fixture: 'weave-subnet-prefix.yaml', lines: [
    "weave-subnet-prefix.yaml:9:13 spec.weave.subnet: \"10.32.1.0/31\" is too small: the prefix must be /30 or shorter",
  ] },
  { fixture: 'wrong-api-version.yaml', lines: [
    "wrong-api-version.yaml:1:13 apiVersion: \"drover.io/v1\" is not supported; use drover.io/v1alpha1",
  ] },
  { fixture: 'wrong-kind.yaml', lines: [
    "wrong-kind.yaml:2:7 kind: \"Application\" is not a drover kind; use App",
  ] },
  { fixture: 'wrong-type-count.yaml', lines: [
    "wrong-type-count.yaml:8:10 spec.count: must be an integer, not the string \"three\"",
  ] },
  { fixture: 'yaml-duplicate-key.yaml', lines: [
    "yaml-duplicate-key.yaml:8:3: invalid YAML: Map keys must be unique",
  ] },
  { fixture: 'yaml-syntax.yaml', lines: [
    "yaml-syntax.yaml:8:1: invalid YAML: All mapping items must start at the same column",
  ] },
];

const corpus = test.macro({
  async exec(t, c: Case) {
    const out: string[] = [];
    const code = await runValidate(FIXTURES + c.fixture, { env: { ...c.env }, out: (l) => out.push(...l.split('\n')) });
    t.is(code, 1, 'exit code');
    const summary = out.pop()!;
    t.deepEqual(out, c.lines);
    t.regex(summary, /^\d+ errors?; \d+ apps? valid$/);
    t.false(out.some((l) => l.includes('    at ')), 'no stack trace');
  },
  title: (_provided, c: Case) => `invalid: ${c.fixture}`,
});

for (const c of CASES) test(corpus, c);

test('the corpus has at least 35 cases and every fixture has an expectation', (t) => {
  t.true(CASES.length >= 35);
  const onDisk = readdirSync(FIXTURES).sort();
  t.deepEqual(CASES.map((c) => c.fixture).sort(), onDisk);
});
