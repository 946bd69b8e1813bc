// `drover status [<namespace>/<app>] [--output table|json] [--url URL]`: what a running drover says, in a
// terminal. Reads its HTTP API (`GET /apps`, `GET /apps/:ns/:name`) at DROVER_URL (default: the local
// listener, DROVER_LISTEN with 0.0.0.0 read as 127.0.0.1). The list is a table in the style of
// `nomad job status`; one app is `key = value` lines then sections. Colour only when stdout is a TTY
// (and NO_COLOR is unset). Exit 0, or 1 with one readable line when drover cannot be reached or does
// not know the app.
import type { Command } from 'commander';
import type { AppStatus } from '../../core/status.js';

export interface StatusOptions {
  output?: 'table' | 'json';
  url?: string;
  env?: Record<string, string | undefined>;
  out?: (text: string) => void;
  err?: (text: string) => void;
  /** colour the states; default: stdout is a TTY and NO_COLOR is unset */
  color?: boolean;
  /** for "N min ago"; default Date.now() */
  now?: number;
}

interface AppList {
  revision: string | null;
  leader?: { enabled: boolean; isLeader: boolean; id?: string };
  apps: AppStatus[];
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('show the apps a running drover reconciles (or one app), from its HTTP API at DROVER_URL')
    .argument('[app]', 'one app as <namespace>/<name> (or <name> in the default namespace)')
    .option('--output <format>', 'table or json', 'table')
    .option('--url <url>', 'drover\'s address (default DROVER_URL, else the local listener)')
    .action(async (app: string | undefined, opts: { output: string; url?: string }) => {
      if (opts.output !== 'table' && opts.output !== 'json') throw new Error(`--output must be table or json, not "${opts.output}"`);
      process.exitCode = await runStatus(app, { output: opts.output, ...(opts.url ? { url: opts.url } : {}) });
    });
}

/** DROVER_URL, or the address `drover run` listens on by default on this machine. */
export function droverUrl(env: Record<string, string | undefined>): string {
  if (env.DROVER_URL) return env.DROVER_URL.replace(/\/+$/, '');
  const listen = env.DROVER_LISTEN || '0.0.0.0:8080';
  const m = /^(.*):(\d+)$/.exec(listen);
  let host = m?.[1]?.replace(/^\[|\]$/g, '') || '127.0.0.1';
  if (host === '0.0.0.0' || host === '::') host = '127.0.0.1';
  return `http://${host.includes(':') ? `[${host}]` : host}:${m?.[2] ?? '8080'}`;
}

export async function runStatus(app: string | undefined, opts: StatusOptions = {}): Promise<number> {
  const env = opts.env ?? process.env;
  const out = opts.out ?? ((s: string) => process.stdout.write(s));
  const err = opts.err ?? ((s: string) => process.stderr.write(s));
  const base = (opts.url ?? droverUrl(env)).replace(/\/+$/, '');
  const color = opts.color ?? (Boolean(process.stdout.isTTY) && !env.NO_COLOR);
  const now = opts.now ?? Date.now();
  const namespace = env.DROVER_NAMESPACE || env.NOMAD_NAMESPACE || 'default';
  const path = app === undefined ? '/apps' : `/apps/${app.includes('/') ? app.split('/').map(encodeURIComponent).join('/') : `${encodeURIComponent(namespace)}/${encodeURIComponent(app)}`}`;
  let res: Response;
  try {
    res = await fetch(base + path, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
  } catch (e) {
    const c = (e as { cause?: { code?: string; message?: string } }).cause;
    const cause = c?.code ?? c?.message ?? (e as Error).message;
    err(`drover: cannot reach drover at ${base} (${cause}); set DROVER_URL to its address\n`);
    return 1;
  }
  if (res.status === 404 && app !== undefined) {
    err(`drover: drover at ${base} does not know app ${app.includes('/') ? app : `${namespace}/${app}`}\n`);
    return 1;
  }
  if (!res.ok) {
    err(`drover: ${base}${path} answered ${res.status}\n`);
    return 1;
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    err(`drover: ${base}${path} did not answer JSON (is DROVER_URL drover's address?)\n`);
    return 1;
  }
  if (opts.output === 'json') out(`${JSON.stringify(body, null, 2)}\n`);
  else if (app === undefined) out(formatList(body as AppList, { color, now }));
  else out(formatApp(body as AppStatus, { color, now }));
  return 0;
}

// ---------- formatting (pure) ----------

const COLORS: Record<string, string> = {
  Synced: '32', Healthy: '32',
  OutOfSync: '33', Progressing: '33', Missing: '33',
  Invalid: '31', Conflict: '31', Degraded: '31',
};

function paint(value: string, color: boolean): string {
  const c = COLORS[value];
  return color && c ? `\x1b[${c}m${value}\x1b[0m` : value;
}

export function ago(iso: string | undefined, now: number): string {
  if (!iso) return '-';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (!Number.isFinite(s)) return '-';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ''} ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

function consul(a: AppStatus): string {
  const c = a.consul;
  if (!c) return '-';
  if (c.state !== 'verified') return c.state;
  return c.drift ? 'drift' : c.problems.length ? 'problems' : 'ok';
}

/** Columns padded to the widest cell, two spaces apart, as `nomad job status` prints them. Colour codes do not count. */
export function table(rows: string[][], color: boolean, colored: Set<number>): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r, ri) => r.map((cell, i) => {
      const pad = i === r.length - 1 ? '' : ' '.repeat(widths[i]! - cell.length);
      return (ri > 0 && colored.has(i) ? paint(cell, color) : cell) + pad;
    }).join('  ').trimEnd())
    .join('\n');
}

export function formatList(list: AppList, opts: { color: boolean; now: number }): string {
  const head = ['Namespace', 'Name', 'Sync', 'Health', 'Last Action', 'Last Sync', 'Revision', 'Drift', 'Consul'];
  const rows = list.apps.map((a) => [
    a.namespace, a.name, String(a.sync), String(a.health),
    a.lastAction && a.lastAction !== 'none' ? a.lastAction : '-', ago(a.lastSync, opts.now),
    a.source?.revision.slice(0, 8) ?? '-', String(a.drift?.length ?? 0), consul(a),
  ]);
  const lines = [`Revision = ${list.revision ?? '(none loaded)'}`];
  if (list.leader?.enabled) lines.push(`Leader   = ${list.leader.isLeader ? 'this instance' : list.leader.id ?? 'unknown'}`);
  lines.push(`Apps     = ${list.apps.length}`, '');
  lines.push(list.apps.length ? table([head, ...rows], opts.color, new Set([2, 3])) : 'No apps');
  return `${lines.join('\n')}\n`;
}

export function formatApp(a: AppStatus, opts: { color: boolean; now: number }): string {
  const extra = a as AppStatus & { conflict?: { owner?: string; managed?: boolean; message?: string }; prune?: unknown };
  const kv: [string, string][] = [
    ['Name', a.name],
    ['Namespace', a.namespace],
    ['Sync', paint(String(a.sync), opts.color)],
    ['Health', paint(String(a.health), opts.color)],
    ['Source', a.source ? `${a.source.file}:${a.source.line} @ ${a.source.revision.slice(0, 12)}` : '(no app declares it)'],
    ['Last Action', a.lastAction ?? '-'],
    ['Last Sync', a.lastSync ? `${a.lastSync} (${ago(a.lastSync, opts.now)})` : '-'],
    ['Job', a.job ? `version ${a.job.version ?? '?'}, modify index ${a.job.jobModifyIndex ?? '?'}, ${a.job.status ?? 'unknown'}${a.job.stop ? ', stopped' : ''}` : '(not in Nomad)'],
    ['Self Heal', String(a.selfHeal)],
    ['Prune', typeof extra.prune === 'object' && extra.prune ? JSON.stringify(extra.prune) : String(extra.prune)],
  ];
  if (a.driftFirstSeen) kv.push(['Drift Since', a.driftFirstSeen]);
  const w = Math.max(...kv.map(([k]) => k.length));
  const out = kv.map(([k, v]) => `${k.padEnd(w)} = ${v}`);
  const section = (title: string, lines: string[]) => {
    if (lines.length) out.push('', title, ...lines);
  };
  section('Health Reasons', a.healthReasons ?? []);
  if (a.lastError) section('Last Error', [`${a.lastError.code}: ${a.lastError.message} (${a.lastError.at})`]);
  section('Problems', a.problems ?? []);
  if (extra.conflict) section('Conflict', [`${extra.conflict.message ?? ''}${extra.conflict.owner ? ` (owner ${extra.conflict.owner})` : ''}`]);
  section('Drift', (a.drift ?? []).map((op) => `${op.op.padEnd(7)} ${op.path}${'value' in op ? ` = ${JSON.stringify((op as { value: unknown }).value)}` : ''}`));
  if (a.consul) {
    const c = a.consul;
    const lines = [`${consul(a)}${c.checkedAt ? ` (checked ${c.checkedAt})` : ''}${c.error ? `: ${c.error}` : ''}`];
    if (c.instances.length) lines.push(table([['Service', 'State', 'Instances'], ...c.instances.map((i) => [i.service, i.state, String(i.count)])], false, new Set()));
    lines.push(...c.problems, ...c.notes.map((n) => `note: ${n}`));
    section('Consul', lines);
  }
  return `${out.join('\n')}\n`;
}
