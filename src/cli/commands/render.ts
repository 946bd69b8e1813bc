// `drover render <file-or-dir> [--app NAME]`: prints the Nomad register body `{"Job": ...}` drover would
// submit, or a JSON array of them for a directory holding several apps. Invalid input exits 1 with one
// `file:line:col path: reason` line per problem on stderr, never a stack trace. Needs no cluster: only
// the cluster defaults (DROVER_* variables) shape the job.
import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { clusterDefaultsFromEnv, type ClusterDefaults } from '../../config.js';
import { isDroverError } from '../../core/errors.js';
import { formatJobs, renderJob } from '../../core/render/index.js';
import { loadAppDir, loadAppFile } from '../../source/spec-files.js';
import { problemToString, type LoadResult } from '../../spec/types.js';

export interface RenderOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

export function registerRender(program: Command): void {
  program
    .command('render')
    .description('print the Nomad job(s) drover renders from App specs, as the register body {"Job": ...}')
    .argument('<file-or-dir>', 'an App YAML file, or a directory of them (searched like the git source)')
    .option('--app <name>', 'only the app with this name (or namespace/name)')
    .action(async (target: string, opts: { app?: string }) => {
      const outcome = await renderCommand(target, opts, clusterDefaultsFromEnv());
      process.stdout.write(outcome.stdout);
      process.stderr.write(outcome.stderr);
      process.exitCode = outcome.code;
    });
}

/** The whole command without process globals, so tests run it in-process. */
export async function renderCommand(target: string, opts: { app?: string }, defaults: ClusterDefaults): Promise<RenderOutcome> {
  let result: LoadResult;
  try {
    // A file is named by its base name, as when its directory is loaded: both give the same job and hash.
    result = (await stat(target)).isDirectory() ? await loadAppDir(target, defaults) : await loadAppFile(target, defaults);
  } catch (e) {
    if (isDroverError(e)) return fail(`drover render: ${e.message}`);
    return fail(`drover render: cannot read ${target}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const report = result.problems.map((p) => `${problemToString(p)}\n`).join('');
  if (result.problems.some((p) => p.severity === 'error')) return { code: 1, stdout: '', stderr: report };

  const apps = opts.app ? result.apps.filter((a) => a.name === opts.app || a.key === opts.app) : result.apps;
  if (apps.length === 0) {
    return { code: 1, stdout: '', stderr: `${report}drover render: ${opts.app ? `no app named ${opts.app}` : 'no App found'} in ${target}\n` };
  }
  if (opts.app && apps.length > 1) {
    return { code: 1, stdout: '', stderr: `${report}drover render: ${opts.app} is in several namespaces (${apps.map((a) => a.key).join(', ')}); use namespace/name\n` };
  }
  try {
    return { code: 0, stdout: formatJobs(apps.map((a) => renderJob(a, defaults))), stderr: report };
  } catch (e) {
    if (isDroverError(e)) return fail(`${report}drover render: ${e.message}`);
    throw e;
  }
}

function fail(message: string): RenderOutcome {
  return { code: 1, stdout: '', stderr: `${message}\n` };
}
