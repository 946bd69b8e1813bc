// `drover diff <dir>`: what `drover run` would do with this directory against the cluster at NOMAD_ADDR —
// the same configuration (every DROVER_* variable run reads), the same record of what drover last applied
// (Nomad Variables), the same decide() per app and the same prune plan (budgets, holds) — read-only.
// Exit 0: run would change nothing; 2: it would create, update or stop something; 1: error or invalid specs.
// Conflicts and held prunes are printed (run does nothing with them) and do not change the exit code.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { NomadClient } from '../../clients/nomad.js';
import type { NomadApi } from '../../clients/types.js';
import { parseConfig, type Config } from '../../config.js';
import { decide, desiredApp, type AppDecision } from '../../core/decide.js';
import { toDroverError } from '../../core/errors.js';
import { nullLogger } from '../../core/logger.js';
import { parseNomadVersion } from '../../core/nomad-version.js';
import type { NomadJob } from '../../core/nomad-types.js';
import { isChange, planConfirmsUpdate, planEntries, type PlanEntry } from '../../core/plan.js';
import { redactPatch } from '../../core/redact.js';
import { withLegacyMeta } from '../../core/render/index.js';
import { AppliedStore } from '../../controller/applied-store.js';
import type { DesiredState } from '../../controller/desired.js';
import { planPrunePass } from '../../controller/prune-pass.js';
import { renderApp } from '../../controller/snapshot-cache.js';
import { problemToString } from '../../spec/index.js';
import { loadAppDir } from '../../source/spec-files.js';
import { systemClock } from '../../scheduler.js';

const run = promisify(execFile);

export interface DiffRunOptions {
  env?: Record<string, string | undefined>;
  /** injected in tests; otherwise built from the environment */
  nomad?: NomadApi;
  json?: boolean;
  /** the git revision the directory stands for; default: `git rev-parse HEAD` in it (none outside a checkout) */
  revision?: string;
  out?: (line: string) => void;
  err?: (line: string) => void;
}

export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description('show what `drover run` would change in Nomad (NOMAD_ADDR) for <dir>; exit 2 when changes are pending')
    .argument('<dir>', 'directory of App specs')
    .option('--json', 'print the plan as JSON')
    .action(async (dir: string, opts: { json?: boolean }) => {
      process.exitCode = await runDiff(dir, { json: opts.json });
    });
}

export async function runDiff(dir: string, opts: DiffRunOptions = {}): Promise<number> {
  const out = opts.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const err = opts.err ?? ((l: string) => process.stderr.write(`${l}\n`));
  const config = parseConfig(opts.env ?? process.env);
  const nomad = opts.nomad ?? defaultNomad(config);
  const loaded = await loadAppDir(dir, config.cluster);
  const errors = loaded.problems.filter((p) => p.severity === 'error');
  for (const p of loaded.problems) err(`${p.severity}: ${problemToString(p)}`);
  try {
    const entries = await planDir(dir, loaded, config, nomad, opts.revision);
    print(entries, opts.json === true, out);
    if (errors.length > 0) return 1;
    return entries.some(isChange) ? 2 : 0;
  } catch (e) {
    const d = toDroverError(e);
    err(`drover diff: ${d.code}: ${d.message}`);
    return 1;
  }
}

/** The plan `run` would carry out for this load result, read-only. */
export async function planDir(dir: string, loaded: Awaited<ReturnType<typeof loadAppDir>>, config: Config, nomad: NomadApi, revisionOpt?: string): Promise<PlanEntry[]> {
  const owner = config.cluster.owner;
  const store = new AppliedStore({ nomad, owner, ledgerNamespace: config.cluster.namespace, logger: nullLogger, canWrite: () => false });
  await store.load();
  const stubs = (await nomad.listJobs({ namespace: '*', meta: true })).value;
  const nomadVersion = parseNomadVersion(await nomad.agentVersion().catch(() => undefined));
  const listed = new Set(stubs.map((s) => `${s.Namespace || 'default'}/${s.ID}`));

  const apps: { key: string; decision: AppDecision; patch?: ReturnType<typeof redactPatch>; falseDrift?: boolean }[] = [];
  for (const app of loaded.apps) {
    const { job, hash } = renderApp(app, config.cluster);
    // As run does: a job the listing does not show is not read.
    const live: NomadJob | null = listed.has(app.key) ? (await nomad.readJob(job.ID, { namespace: app.namespace })).value : null;
    const decision = decide({ desired: desiredApp(app, job, hash, config), live, memory: store.get(app.namespace, app.name), owner, nomadVersion });
    let falseDrift = false;
    if (decision.action.kind === 'update') falseDrift = !planConfirmsUpdate(await nomad.planJob(withLegacyMeta(job, live), { namespace: app.namespace, diff: true }));
    apps.push({ key: app.key, decision, ...(decision.diff ? { patch: redactPatch(decision.diff.patch, job) } : {}), falseDrift });
  }
  for (const [key, problems] of loaded.invalidApps) {
    apps.push({ key, decision: decide({ desired: { kind: 'invalid', problems: problems.map(problemToString) }, live: null, memory: undefined, owner }) });
  }

  const revision = revisionOpt ?? (await gitHead(dir)) ?? store.ledger()?.lastRevision ?? 'working-tree';
  const desired: DesiredState = {
    revision, keys: new Set(loaded.apps.map((a) => a.key)), brokenFiles: new Set(loaded.brokenFiles), invalidKeys: new Set(loaded.invalidApps.keys()), brokenFileProblems: [],
  };
  const prune = await planPrunePass(
    stubs.map((s) => ({ namespace: s.Namespace || 'default', id: s.ID, stop: s.Stop, meta: s.Meta })),
    desired,
    { config, store, clock: systemClock, descends: (ancestor, rev) => gitIsAncestor(dir, ancestor, rev) },
  );
  return planEntries(apps, prune);
}

async function gitHead(dir: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('git', ['-C', dir, 'rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { env: gitEnv() });
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Outside a git checkout nothing can be told: the directory is assumed to descend from what was applied. */
async function gitIsAncestor(dir: string, ancestor: string, revision: string): Promise<boolean> {
  if ((await gitHead(dir)) === undefined) return true;
  try {
    await run('git', ['-C', dir, 'merge-base', '--is-ancestor', ancestor, revision], { env: gitEnv() });
    return true;
  } catch {
    return false;
  }
}

function gitEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/', GIT_TERMINAL_PROMPT: '0' };
}

function print(entries: PlanEntry[], json: boolean, out: (l: string) => void): void {
  if (json) {
    out(JSON.stringify(entries, null, 2));
    return;
  }
  for (const e of entries) {
    if (e.action === 'noop') continue;
    const why = e.cause ? ` (${e.cause})` : '';
    if (e.action === 'create' || e.action === 'update' || e.action === 'stop') out(`${e.action.padEnd(7)} ${e.key}${why}`);
    else out(`! ${e.action.padEnd(11)} ${e.key}${why}: ${e.reasons[0] ?? ''}`);
    if (e.action === 'update' || e.action === 'report-only') for (const op of e.patch ?? []) out(`    ${JSON.stringify(op)}`);
  }
  const n = (a: PlanEntry['action']) => entries.filter((e) => e.action === a).length;
  out(`${n('create')} to create, ${n('update')} to update, ${n('stop')} to stop, ${n('noop')} unchanged; ${n('held')} stop(s) held, ${n('conflict')} conflict(s), ${n('report-only')} drift reported only`);
}

function defaultNomad(config: Config): NomadApi {
  const n = config.nomad;
  return new NomadClient({
    addr: n.addr, token: n.token, caCert: n.caCert, clientCert: n.clientCert, clientKey: n.clientKey,
    region: n.region, namespace: n.namespace, timeoutMs: config.requestTimeoutMs,
  }, undefined, nullLogger);
}
