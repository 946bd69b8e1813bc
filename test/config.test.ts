import test from 'ava';
import { ConfigError, parseConfig, redactConfig } from '../src/config.js';

test('defaults match the seeds and are frozen', (t) => {
  const c = parseConfig({});
  t.deepEqual(c.cluster.datacenters, ['dc1']);
  t.is(c.cluster.namespace, 'default');
  t.is(c.cluster.traefikPrefix, 'traefik');
  t.deepEqual(c.cluster.httpEntrypoints, ['web']);
  t.is(c.cluster.grpcEntrypoint, 'grpc');
  t.deepEqual(c.cluster.dnsServers, ['169.254.1.1']);
  t.deepEqual(c.cluster.allowedDrivers, ['docker', 'pot', 'exec']);
  t.is(c.nomad.addr, 'http://127.0.0.1:4646');
  t.is(c.consul.addr, 'http://127.0.0.1:8500');
  t.is(c.vault, undefined);
  t.deepEqual(c.listen, { host: '0.0.0.0', port: 8080 });
  t.is(c.git.pollIntervalMs, 30_000);
  t.true(c.selfHeal);
  t.true(c.prune);
  t.true(Object.isFrozen(c.cluster));
});

test('HashiCorp variables and DROVER_* are read', (t) => {
  const c = parseConfig({
    NOMAD_ADDR: 'https://nomad.example:4646/',
    CONSUL_HTTP_ADDR: '169.254.1.1:8500',
    VAULT_ADDR: 'http://vault:8200',
    VAULT_TOKEN: 'v-tok',
    DROVER_EXTRA_ENV: 'CONSUL_HTTP_ADDR=169.254.1.1:8500,A=b=c',
    DROVER_HTTP_ENTRYPOINTS: 'web, websecure',
    DROVER_GIT_POLL_INTERVAL: '1m30s',
    DROVER_LISTEN: '[::1]:9090',
    DROVER_SELF_HEAL: 'false',
  });
  t.is(c.nomad.addr, 'https://nomad.example:4646');
  t.is(c.consul.addr, 'http://169.254.1.1:8500');
  t.is(c.vault?.addr, 'http://vault:8200');
  t.deepEqual(c.cluster.extraEnv, { CONSUL_HTTP_ADDR: '169.254.1.1:8500', A: 'b=c' });
  t.deepEqual(c.cluster.httpEntrypoints, ['web', 'websecure']);
  t.is(c.git.pollIntervalMs, 90_000);
  t.deepEqual(c.listen, { host: '::1', port: 9090 });
  t.false(c.selfHeal);
});

test('every problem is reported at once', (t) => {
  const e = t.throws(() =>
    parseConfig({
      DROVER_GIT_POLL_INTERVAL: 'often',
      DROVER_CONCURRENCY: '0',
      DROVER_SELF_HEAL: 'maybe',
      DROVER_SERVICE_PROVIDER: 'etcd',
      DROVER_LISTEN: 'nowhere',
      NOMAD_ADDR: 'ftp://x',
      DROVER_PRUNE_MAX_SHARE: '2',
    }),
  ) as ConfigError;
  t.true(e instanceof ConfigError);
  t.is(e.problems.length, 7);
  t.regex(e.message, /DROVER_GIT_POLL_INTERVAL: "often" is not a duration/);
  t.regex(e.message, /DROVER_CONCURRENCY: "0" must be an integer from 1 to 256/);
  t.regex(e.message, /NOMAD_ADDR: "ftp:\/\/x" is not an http\(s\) address/);
});

test('tokens never appear in the redacted view', (t) => {
  const c = parseConfig({ NOMAD_TOKEN: 'nomad-secret-123', CONSUL_HTTP_TOKEN: 'consul-secret-456', DROVER_ADMIN_TOKEN: 'adm-789', VAULT_ADDR: 'http://v:8200', VAULT_TOKEN: 'vault-000' });
  const text = JSON.stringify(redactConfig(c));
  for (const s of ['nomad-secret-123', 'consul-secret-456', 'adm-789', 'vault-000']) t.false(text.includes(s), s);
  t.true(text.includes('<redacted>'));
});

test('a token is never echoed in a config error', (t) => {
  const e = t.throws(() => parseConfig({ NOMAD_TOKEN: 'tok-abc', DROVER_LOG_LEVEL: 'loud' })) as ConfigError;
  t.false(e.message.includes('tok-abc'));
});

test('DROVER_ROLLOUT_*: unset means no rollout defaults; set ones are read as given', (t) => {
  t.deepEqual(parseConfig({}).cluster.rollout, {});
  const c = parseConfig({
    DROVER_ROLLOUT_MAX_PARALLEL: '2', DROVER_ROLLOUT_MIN_HEALTHY_TIME: '15s', DROVER_ROLLOUT_HEALTHY_DEADLINE: '4m',
    DROVER_ROLLOUT_PROGRESS_DEADLINE: '0', DROVER_ROLLOUT_AUTO_REVERT: 'true', DROVER_ROLLOUT_HEALTH_CHECK: 'task_states',
  });
  t.deepEqual(c.cluster.rollout, { maxParallel: 2, minHealthyTime: '15s', healthyDeadline: '4m', progressDeadline: '0', autoRevert: true, healthCheck: 'task_states' });
  t.true(Object.isFrozen(c.cluster.rollout));
});

test('DROVER_ROLLOUT_*: every bad value and every combination Nomad refuses is listed at start', (t) => {
  const e = t.throws(() => parseConfig({
    DROVER_ROLLOUT_MAX_PARALLEL: '-1', DROVER_ROLLOUT_MIN_HEALTHY_TIME: 'soon', DROVER_ROLLOUT_AUTO_REVERT: 'maybe', DROVER_ROLLOUT_HEALTH_CHECK: 'http',
    DROVER_ROLLOUT_HEALTHY_DEADLINE: '15m',
  }), { instanceOf: ConfigError }) as ConfigError;
  t.deepEqual(e.problems, [
    'DROVER_ROLLOUT_MAX_PARALLEL: "-1" must be an integer from 0 to 10000',
    'DROVER_ROLLOUT_MIN_HEALTHY_TIME: "soon" is not a duration (e.g. 30s, 5m)',
    'DROVER_ROLLOUT_AUTO_REVERT: "maybe" is not a boolean (true/false)',
    'DROVER_ROLLOUT_HEALTH_CHECK: "http" must be one of checks, task_states, manual',
    "DROVER_ROLLOUT_HEALTHY_DEADLINE: 15m must be shorter than progressDeadline 10m (Nomad's default); raise progressDeadline or set it to 0",
  ]);
  const both = t.throws(() => parseConfig({ DROVER_ROLLOUT_MAX_PARALLEL: '0', DROVER_ROLLOUT_AUTO_REVERT: 'on', DROVER_ROLLOUT_PROGRESS_DEADLINE: '2s', DROVER_ROLLOUT_HEALTHY_DEADLINE: '1s', DROVER_ROLLOUT_MIN_HEALTHY_TIME: '0s' }), { instanceOf: ConfigError }) as ConfigError;
  t.deepEqual(both.problems, [
    "DROVER_ROLLOUT_PROGRESS_DEADLINE: 2s is shorter than the task's kill timeout (5s, Nomad's default), which Nomad refuses; use at least 5s, or 0",
    "DROVER_ROLLOUT_AUTO_REVERT: needs maxParallel of at least 1: maxParallel 0 (DROVER_ROLLOUT_MAX_PARALLEL) turns Nomad's deployments off, so a failed rollout would never be reverted",
  ]);
});
