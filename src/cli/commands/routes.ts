// `drover routes <dir> [--host H [--path P] [--tls]] [--entrypoint E] [--json]`: the routing table the whole
// snapshot gives Traefik (entrypoint, kind, priority, rule, app, router), or, with --host, which app a
// request reaches on each entrypoint (src/core/routes.ts, from Traefik's own matching and priority rules).
// Needs no cluster: only the cluster defaults (DROVER_* variables) shape the routers.
// Exit codes: 0 the table, or the request reaches something; 2 the request matches no router (Traefik
// answers 404); 1 invalid specs or bad flags — one line per problem on stderr, never a stack trace.
import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { clusterDefaultsFromEnv, type ClusterDefaults } from '../../config.js';
import { isDroverError } from '../../core/errors.js';
import { matchRequest, routeTable, type RouteOutcome, type RouteRow } from '../../core/routes.js';
import { loadAppDir, loadAppFile } from '../../source/spec-files.js';
import { problemToString, type LoadResult } from '../../spec/types.js';

export interface RoutesOptions {
  host?: string;
  path?: string;
  entrypoint?: string;
  tls?: boolean;
  json?: boolean;
}

export interface RoutesOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

export function registerRoutes(program: Command): void {
  program
    .command('routes')
    .description('print the Traefik routing table of App specs, or which app a request reaches (--host)')
    .argument('<dir>', 'a directory of App specs (or one file)')
    .option('--host <host>', 'the request host: show which app it reaches')
    .option('--path <path>', 'the request path (with --host)', undefined)
    .option('--entrypoint <name>', 'only this entrypoint')
    .option('--tls', 'the request is HTTPS (with --host)', false)
    .option('--json', 'print JSON', false)
    .action(async (target: string, opts: RoutesOptions) => {
      const outcome = await routesCommand(target, opts, clusterDefaultsFromEnv());
      process.stdout.write(outcome.stdout);
      process.stderr.write(outcome.stderr);
      process.exitCode = outcome.code;
    });
}

/** The whole command without process globals, so tests run it in-process. */
export async function routesCommand(target: string, opts: RoutesOptions, defaults: ClusterDefaults): Promise<RoutesOutcome> {
  const bad = flagProblem(opts);
  if (bad) return fail(`drover routes: ${bad}`);
  let result: LoadResult;
  try {
    result = (await stat(target)).isDirectory() ? await loadAppDir(target, defaults) : await loadAppFile(target, defaults);
  } catch (e) {
    if (isDroverError(e)) return fail(`drover routes: ${e.message}`);
    return fail(`drover routes: cannot read ${target}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const report = result.problems.map((p) => `${problemToString(p)}\n`).join('');
  if (result.problems.some((p) => p.severity === 'error')) {
    // A partial table would be a lie: invalid apps keep their running jobs, and so their routes.
    return { code: 1, stdout: '', stderr: `${report}drover routes: the specs are invalid; fix them first\n` };
  }
  let table = routeTable(result.apps, defaults);
  if (opts.host === undefined) {
    if (opts.entrypoint !== undefined) table = table.filter((r) => r.entrypoint === opts.entrypoint);
    return { code: 0, stdout: opts.json ? `${JSON.stringify({ routes: table }, null, 2)}\n` : formatTable(table), stderr: report };
  }
  const request = { host: opts.host, path: opts.path ?? '/', entrypoint: opts.entrypoint, tls: !!opts.tls };
  const outcomes = matchRequest(table, request);
  const reached = outcomes.some((o) => o.result !== 'none');
  const stdout = opts.json ? `${JSON.stringify({ request, outcomes }, null, 2)}\n` : outcomes.map((o) => `${formatOutcome(o)}\n`).join('') || 'no entrypoint has a router\n';
  return { code: reached ? 0 : 2, stdout, stderr: report };
}

function flagProblem(o: RoutesOptions): string | undefined {
  if (o.host === undefined && (o.path !== undefined || o.tls)) return `${o.path !== undefined ? '--path' : '--tls'} needs --host`;
  if (o.host !== undefined && !/^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(o.host)) return `--host ${JSON.stringify(o.host)} is not a host name (letters, digits, '.' and '-', optionally :port)`;
  if (o.path !== undefined && !o.path.startsWith('/')) return `--path ${JSON.stringify(o.path)} must start with '/'`;
  if (o.entrypoint !== undefined && !/^[A-Za-z0-9_-]+$/.test(o.entrypoint)) return `--entrypoint ${JSON.stringify(o.entrypoint)} is not an entrypoint name (letters, digits, '_' and '-')`;
  return undefined;
}

const KIND = (r: RouteRow) => (r.kind === 'tcp' ? 'tcp' : r.redirect ? 'redirect' : r.tls ? 'https' : 'http');

function formatTable(rows: readonly RouteRow[]): string {
  if (rows.length === 0) return 'no routes\n';
  const cells = [['ENTRYPOINT', 'KIND', 'PRIORITY', 'RULE', 'APP', 'ROUTER'], ...rows.map((r) => [r.entrypoint, KIND(r), String(r.priority), r.rule, r.app, r.router])];
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((row) => row[c]!.length)));
  return cells.map((row) => `${row.map((v, c) => (c === row.length - 1 ? v : v.padEnd(widths[c]!))).join('  ')}\n`).join('');
}

function formatOutcome(o: RouteOutcome): string {
  switch (o.result) {
    case 'none':
      return `${o.entrypoint}: no router matches (Traefik answers 404)`;
    case 'tcp':
      return `${o.entrypoint}: ${o.row.app} — the TCP router ${o.row.router} (${o.row.rule}) takes every plain connection`;
    case 'redirect':
      return `${o.entrypoint}: redirected to https by ${o.row.router} (${o.row.app}, rule ${o.row.rule}, priority ${o.row.priority})`;
    case 'app':
      return `${o.entrypoint}: ${o.row.app} via ${o.row.router} (rule ${o.row.rule}, priority ${o.row.priority})`;
    case 'tie':
      return `${o.entrypoint}: ambiguous — ${o.rows.map((r) => `${r.app} (${r.router})`).join(', ')} have priority ${o.rows[0]!.priority}; Traefik picks one`;
  }
}

function fail(message: string): RoutesOutcome {
  return { code: 1, stdout: '', stderr: `${message}\n` };
}
