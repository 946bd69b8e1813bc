// The alert rules pass `promtool check rules` and their unit tests (`promtool test rules`), from
// Debian's prometheus package; every alert has a firing and a non-firing case; the dashboard JSON is
// well formed (unique ids, every target on the templated Prometheus data source, a 24-column grid).
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { load as parse } from 'js-yaml';
import { allPanels, dashboard, RULES, RULE_TESTS, rules } from './exprs.js';

const run = promisify(execFile);
const PROMTOOL = process.env.DROVER_TEST_PROMTOOL ?? '/usr/bin/promtool';

test('promtool check rules: the rules file is valid', async (t) => {
  t.true(existsSync(PROMTOOL), `${PROMTOOL} is needed (Debian package prometheus; .ci/run installs it)`);
  const { stdout } = await run(PROMTOOL, ['check', 'rules', RULES]);
  t.regex(stdout, new RegExp(`SUCCESS: ${rules().length} rules found`));
});

test('promtool test rules: every unit test passes', async (t) => {
  const r = await run(PROMTOOL, ['test', 'rules', RULE_TESTS]).catch((e: { stdout?: string; stderr?: string }) => ({ stdout: `${e.stdout}${e.stderr}` }));
  t.regex(r.stdout, /SUCCESS/, r.stdout);
});

test('every alert has a case where it fires and one where it does not', (t) => {
  const doc = parse(readFileSync(RULE_TESTS, 'utf8')) as { tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[] };
  const cases = doc.tests.flatMap((x) => x.alert_rule_test ?? []);
  for (const { alert } of rules()) {
    t.true(cases.some((c) => c.alertname === alert && (c.exp_alerts ?? []).length > 0), `${alert} fires somewhere`);
    t.true(cases.some((c) => c.alertname === alert && (c.exp_alerts ?? []).length === 0), `${alert} stays quiet somewhere`);
  }
  t.true(rules().length >= 10);
});

test('the dashboard: unique panel ids, every query on the templated data source, panels inside 24 columns', (t) => {
  const panels = allPanels();
  t.is(new Set(panels.map((p) => p.id)).size, panels.length);
  for (const p of panels) {
    t.truthy(p.gridPos && p.gridPos.x + p.gridPos.w <= 24, p.title);
    for (const target of p.targets ?? []) {
      t.deepEqual(target.datasource, { type: 'prometheus', uid: '${datasource}' }, p.title);
      t.true(target.expr.length > 0, p.title);
    }
  }
  const vars = dashboard().templating.list.map((v) => v.name);
  t.deepEqual(vars, ['datasource', 'instance']);
  // what the issue asks the dashboard to show, each by the metric that carries it
  const exprs = panels.flatMap((p) => (p.targets ?? []).map((x) => x.expr)).join('\n');
  for (const m of ['drover_app_info', 'drover_app_drift', 'drover_reconcile_total', 'drover_reconcile_duration_seconds_bucket', 'drover_upstream_requests_total', 'drover_git_last_success_timestamp_seconds', 'drover_workqueue_depth', 'drover_leader']) {
    t.true(exprs.includes(m), m);
  }
});
