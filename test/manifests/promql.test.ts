// Every PromQL expression of the dashboard, evaluated by a real Prometheus (Debian's package) that
// scrapes a running drover on the simulated cluster, returns series; every alert rule is loaded and
// evaluated without error by that Prometheus, and every metric a rule names exists in the scrape.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { until } from '../e2e/stack.js';
import { startUiStack, type UiStack } from '../ui/stack.js';
import { dashboard, dashboardExprs, RULES, rules, substitute } from './exprs.js';

const PROMETHEUS = process.env.DROVER_TEST_PROMETHEUS ?? '/usr/bin/prometheus';

let stack: UiStack;
let prom: ChildProcess | undefined;
let promUrl = '';
let dir = '';
let promLog = '';

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

interface QueryResult {
  status: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

async function query(expr: string): Promise<QueryResult> {
  const r = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return (await r.json()) as QueryResult;
}

test.before(async () => {
  if (!existsSync(PROMETHEUS)) throw new Error(`${PROMETHEUS} is needed (Debian package prometheus; .ci/run installs it)`);
  stack = await startUiStack();
  await stack.settled();
  dir = mkdtempSync(join(tmpdir(), 'drover-prom-'));
  const target = new URL(stack.base).host;
  writeFileSync(join(dir, 'prometheus.yml'), [
    'global: { scrape_interval: 1s, evaluation_interval: 1s }',
    `rule_files: [${JSON.stringify(resolve(RULES))}]`,
    'scrape_configs:',
    '  - job_name: drover',
    `    static_configs: [{ targets: [${JSON.stringify(target)}] }]`,
    '',
  ].join('\n'));
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  prom = spawn(PROMETHEUS, [
    `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn', '--storage.tsdb.retention.time=1h',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  prom.stdout!.on('data', (b: Buffer) => (promLog += b.toString()));
  prom.stderr!.on('data', (b: Buffer) => (promLog += b.toString()));
  await until('prometheus ready', async () => ((await fetch(`${promUrl}/-/ready`)).ok ? true : undefined), 30_000);
  // enough scrapes for every rate() window of the dashboard (15s) to hold several samples
  await until('10 scrapes of drover', async () => {
    const r = await query('count_over_time(up{job="drover"}[1m])');
    return Number(r.data?.result[0]?.value[1] ?? 0) >= 10 ? true : undefined;
  }, 60_000);
});

test.after.always(async () => {
  if (prom && prom.exitCode === null) {
    const exited = new Promise((r) => prom!.once('exit', r));
    prom.kill('SIGTERM');
    await exited;
  }
  await stack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('Prometheus scrapes drover', async (t) => {
  const r = await query('up{job="drover"}');
  t.is(r.data?.result[0]?.value[1], '1', promLog);
});

test('every dashboard expression returns series from a real Prometheus scraping drover', async (t) => {
  const exprs = dashboardExprs();
  t.true(exprs.length >= 30, String(exprs.length));
  for (const { panel, expr } of exprs) {
    const r = await query(substitute(expr));
    t.is(r.status, 'success', `${panel}: ${r.error ?? ''}`);
    t.true((r.data?.result.length ?? 0) > 0, `${panel} returns no series: ${substitute(expr)}`);
  }
});

test('the dashboard\'s instance variable finds this drover', async (t) => {
  const v = dashboard().templating.list.find((x) => x.name === 'instance')!;
  const metric = /label_values\((\w+), instance\)/.exec(v.definition!)![1]!;
  const r = await query(metric);
  t.true(r.data!.result.some((s) => s.metric.instance === new URL(stack.base).host));
});

test('every alert rule is loaded and evaluated without error; every metric it names is scraped', async (t) => {
  const names = rules().map((r) => r.alert);
  const loaded = await until('every rule evaluated', async () => {
    const j = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; health: string; lastError?: string; lastEvaluation: string }[] }[] } };
    const all = j.data.groups.flatMap((g) => g.rules);
    return all.length === names.length && all.every((r) => !r.lastEvaluation.startsWith('0001')) ? all : undefined;
  }, 30_000);
  for (const r of loaded) t.is(r.health, 'ok', `${r.name}: ${r.lastError ?? ''}`);
  t.deepEqual(loaded.map((r) => r.name).sort(), [...names].sort());
  for (const rule of rules()) {
    const r = await query(rule.expr);
    t.is(r.status, 'success', `${rule.alert}: ${r.error ?? ''}`);
    for (const m of new Set(rule.expr.match(/\b(?:drover_[a-z_]+|up)\b/g) ?? [])) {
      const c = await query(`count({__name__="${m}"})`);
      t.true((c.data?.result.length ?? 0) > 0, `${rule.alert} names ${m}, which drover does not export`);
    }
  }
});
