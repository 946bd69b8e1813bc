// Configuration checked at start (issue #9): values that used to be accepted and then failed later,
// per app, or overflowed Node's timers, are refused at once, every problem listed together.
import test from 'ava';
import { ConfigError, DURATION_BOUNDS, parseConfig } from '../src/config.js';
import { boundedDurationMs, humanMs, MAX_DURATION_MS } from '../src/core/duration.js';
import { MAX_TIMER_MS } from '../src/core/scheduler.js';
import { parseRegistrarConfig } from '../src/registrar/config.js';

function problems(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

test('the issue\'s five values are refused at start, all in one error, each naming its variable and reason', (t) => {
  const p = problems({
    NOMAD_ADDR: 'not-a-url',
    DROVER_NAMESPACE: 'Bad NS!',
    DROVER_ALLOWED_DRIVERS: 'docker,foo',
    DROVER_WEAVE_RANGE: 'garbage',
    DROVER_TRAEFIK_PREFIX: 'traefik`) || Host(`evil',
  });
  t.is(p.length, 5, p.join('\n'));
  t.regex(p.join('\n'), /NOMAD_ADDR: "not-a-url" is not an http\(s\) address/);
  t.regex(p.join('\n'), /DROVER_NAMESPACE: "Bad NS!" is not a valid namespace/);
  t.regex(p.join('\n'), /DROVER_ALLOWED_DRIVERS: "foo" is not a driver drover renders/);
  t.regex(p.join('\n'), /DROVER_WEAVE_RANGE: "garbage" is not an IPv4 CIDR/);
  t.regex(p.join('\n'), /DROVER_TRAEFIK_PREFIX: .* must be letters, digits/);
});

const refused = test.macro((t, env: Record<string, string>, pattern: RegExp) => {
  const p = problems(env);
  t.is(p.length, 1, p.join('\n'));
  t.regex(p[0]!, pattern);
});

test('raw_exec is never an allowed driver', refused, { DROVER_ALLOWED_DRIVERS: 'raw_exec' }, /raw_exec is never allowed/);
test('a weave range with host bits', refused, { DROVER_WEAVE_RANGE: '10.32.1.1/12' }, /host bits set \(the network is 10\.32\.0\.0\/12\)/);
test('a namespace from NOMAD_NAMESPACE is checked too', refused, { NOMAD_NAMESPACE: 'Team A' }, /NOMAD_NAMESPACE: "Team A"/);
test('an entrypoint with a backtick', refused, { DROVER_HTTP_ENTRYPOINTS: 'web,we`b' }, /DROVER_HTTP_ENTRYPOINTS: "we`b"/);
test('a gRPC entrypoint with a space', refused, { DROVER_GRPC_ENTRYPOINT: 'gr pc' }, /DROVER_GRPC_ENTRYPOINT/);
test('VAULT_ADDR without a scheme', refused, { VAULT_ADDR: 'vault:8200' }, /VAULT_ADDR: "vault:8200" is not an http\(s\) address/);
test('CONSUL_HTTP_ADDR that is neither a URL nor host:port', refused, { CONSUL_HTTP_ADDR: 'not a host' }, /CONSUL_HTTP_ADDR/);
test('a URL whose host is not a hostname', refused, { NOMAD_ADDR: 'http://bad_host!:4646' }, /NOMAD_ADDR/);

test('good values still pass: host:port Consul, IPv6 Nomad, custom drivers subset, a /16 weave range', (t) => {
  const c = parseConfig({ CONSUL_HTTP_ADDR: '169.254.1.1:8500', NOMAD_ADDR: 'http://[::1]:4646', DROVER_ALLOWED_DRIVERS: 'docker', DROVER_WEAVE_RANGE: '10.40.0.0/16', DROVER_NAMESPACE: 'team-a', DROVER_TRAEFIK_PREFIX: 'traefik.internal' });
  t.is(c.consul.addr, 'http://169.254.1.1:8500');
  t.is(c.nomad.addr, 'http://[::1]:4646');
  t.deepEqual(c.cluster.allowedDrivers, ['docker']);
});

// Each of these made a timer fire after 1 ms (101 fetches in 6 s, 246 job listings in 6 s) or every call fail at once.
for (const name of ['DROVER_GIT_POLL_INTERVAL', 'DROVER_RESYNC_INTERVAL', 'DROVER_REQUEST_TIMEOUT', 'DROVER_LEADER_TTL', 'DROVER_SHUTDOWN_TIMEOUT'] as const) {
  test(`${name}=600h is refused with its maximum`, refused, { [name]: '600h' }, new RegExp(`^${name}: 600h is longer than the maximum ${humanMs(DURATION_BOUNDS[name].maxMs)}$`));
}

test('DROVER_REGISTRAR_INTERVAL=600h is refused too', (t) => {
  const r = parseRegistrarConfig({ DROVER_REGISTRAR_INTERVAL: '600h' });
  t.false(r.ok);
  t.deepEqual(!r.ok && r.problems, ['DROVER_REGISTRAR_INTERVAL: 600h is longer than the maximum 24h']);
});

test('every duration ceiling stays far below Node\'s timer limit; bounds are checked both ways', (t) => {
  t.true(MAX_DURATION_MS < MAX_TIMER_MS);
  for (const b of Object.values(DURATION_BOUNDS)) t.true(b.maxMs <= MAX_DURATION_MS);
  t.deepEqual(boundedDurationMs('X', '90s', { minMs: 1000, maxMs: 3_600_000 }), { ok: true, ms: 90_000 });
  t.deepEqual(boundedDurationMs('X', '500ms', { minMs: 1000, maxMs: 3_600_000 }), { ok: false, problem: 'X: 500ms is shorter than the minimum 1s' });
  t.deepEqual(boundedDurationMs('X', '1000h', { minMs: 0, maxMs: Number.MAX_SAFE_INTEGER }), { ok: false, problem: 'X: 1000h is longer than the maximum 168h' });
  t.is(humanMs(90_000), '1m30s');
});
