// `drover diff <dir>`: what a sync of this directory would do to the cluster at NOMAD_ADDR, per app
// create | update (with the redacted JSON Patch) | noop, and delete for managed jobs of this owner no
// app declares. Exit 0: nothing would change; 2: something would; 1: error or invalid specs.
import type { Command } from 'commander';
import { NomadClient } from '../../clients/nomad.js';
import type { NomadApi } from '../../clients/types.js';
import { parseConfig, type Config } from '../../config.js';
import { diffJob } from '../../core/diff.js';
import { toDroverError } from '../../core/errors.js';
import { nullLogger } from '../../core/logger.js';
import { planAction, type AppPlan, type DesiredAppState } from '../../core/plan.js';
import { redactPatch } from '../../core/redact.js';
import { renderJob } from '../../core/render/index.js';
import type { Operation } from 'fast-json-patch';
import { loadAppDir, problemToString } from '../../spec/index.js';

export interface DiffRunOptions {
  env?: Record<string, string | undefined>;
  /** injected in tests; otherwise built from the environment */
  nomad?: NomadApi;
  json?: boolean;
  out?: (line: string) => void;
  err?: (line: string) => void;
}

export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description('show what a sync of <dir> would change in Nomad (NOMAD_ADDR); exit 2 when changes are pending')
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
  const nomad = opts.nomad ?? (await defaultNomad(config));
  const loaded = await loadAppDir(dir, config.cluster);
  const errors = loaded.problems.filter((p) => p.severity === 'error');
  for (const p of loaded.problems) err(`${p.severity}: ${problemToString(p)}`);

  const patches = new Map<string, Operation[]>();
  const states: DesiredAppState[] = [];
  try {
    for (const app of loaded.apps) {
      const job = renderJob(app, config.cluster);
      const live = (await nomad.readJob(job.ID, { namespace: app.namespace })).value;
      const diff = diffJob(job, live, { ignoreCount: app.manifest.spec.scaling !== undefined });
      patches.set(app.key, redactPatch(diff.patch, job));
      states.push({ key: app.key, diff, selfHeal: true });
    }
    const stubs = (await nomad.listJobs({ namespace: '*', meta: true })).value;
    const plans = planAction(
      states,
      stubs.map((s) => ({ namespace: s.Namespace || 'default', id: s.ID, stop: s.Stop, meta: s.Meta })),
      {
        owner: config.cluster.owner, prune: true, pruneMaxShare: 1, snapshotOk: errors.length === 0,
        desiredKeys: new Set(loaded.apps.map((a) => a.key)), brokenFiles: new Set(loaded.brokenFiles), invalidKeys: new Set(loaded.invalidApps.keys()),
      },
    );
    print(plans, patches, opts.json === true, out);
    if (errors.length > 0) return 1;
    return plans.some((p) => p.action === 'create' || p.action === 'update' || p.action === 'delete') ? 2 : 0;
  } catch (e) {
    const d = toDroverError(e);
    err(`drover diff: ${d.code}: ${d.message}`);
    return 1;
  }
}

function print(plans: AppPlan[], patches: Map<string, Operation[]>, json: boolean, out: (l: string) => void): void {
  if (json) {
    out(JSON.stringify(plans.map((p) => ({ ...p, patch: patches.get(p.key) ?? [] })), null, 2));
    return;
  }
  for (const p of plans) {
    if (p.blocked) {
      out(`delete  ${p.key}  (held back: ${p.blocked})`);
      continue;
    }
    if (p.action === 'none') continue;
    out(`${p.action.padEnd(7)} ${p.key}`);
    if (p.action === 'update') for (const op of patches.get(p.key) ?? []) out(`    ${JSON.stringify(op)}`);
  }
  const n = (a: AppPlan['action']) => plans.filter((p) => p.action === a).length;
  out(`${n('create')} to create, ${n('update')} to update, ${n('delete')} to delete, ${n('noop')} unchanged`);
}

async function defaultNomad(config: Config): Promise<NomadApi> {
  const n = config.nomad;
  return new NomadClient({
    addr: n.addr, token: n.token, caCert: n.caCert, clientCert: n.clientCert, clientKey: n.clientKey,
    region: n.region, namespace: n.namespace, timeoutMs: config.requestTimeoutMs,
  }, undefined, nullLogger);
}
