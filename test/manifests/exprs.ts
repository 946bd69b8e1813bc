// Every PromQL expression of the Grafana dashboard and the alert rules, read from the files themselves,
// so a panel or a rule added later is tested without touching the tests.
import { readFileSync } from 'node:fs';
import { load as parse } from 'js-yaml';

export const DASHBOARD = 'manifests/grafana/drover-dashboard.json';
export const RULES = 'manifests/prometheus/drover-alerts.yml';
export const RULE_TESTS = 'manifests/prometheus/drover-alerts.test.yml';

export interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos?: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string; datasource?: unknown }[];
  panels?: Panel[];
}

export function dashboard(): { panels: Panel[]; templating: { list: { name: string; definition?: string }[] } } {
  return JSON.parse(readFileSync(DASHBOARD, 'utf8'));
}

/** Every panel, rows' nested panels included. */
export function allPanels(): Panel[] {
  const out: Panel[] = [];
  const walk = (ps: Panel[]) => {
    for (const p of ps) {
      out.push(p);
      if (p.panels) walk(p.panels);
    }
  };
  walk(dashboard().panels);
  return out;
}

export function dashboardExprs(): { panel: string; expr: string }[] {
  return allPanels().flatMap((p) => (p.targets ?? []).map((t) => ({ panel: `${p.title} / ${t.refId}`, expr: t.expr })));
}

export interface Rule {
  alert: string;
  expr: string;
}

export function rules(): Rule[] {
  const doc = parse(readFileSync(RULES, 'utf8')) as { groups: { rules: Rule[] }[] };
  return doc.groups.flatMap((g) => g.rules);
}

/** Grafana's variables as the dashboard uses them, for a Prometheus scraping every second. */
export function substitute(expr: string): string {
  return expr.replaceAll('$__rate_interval', '15s').replaceAll('$__range', '1m').replaceAll('$instance', '.*');
}
