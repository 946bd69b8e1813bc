// `drover validate <dir|file> [--format text|json]`: for an app repository's CI. Prints every problem as
// `file:line:col field: reason` (warnings prefixed `warning: `), exit 1 when any is an error, else 0 with
// `N apps valid`. An unreadable path is one line and exit 1, never a stack trace.
import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { clusterDefaultsFromEnv, type ClusterDefaults } from '../../config.js';
import { isDroverError } from '../../core/errors.js';
import { problemToString, type LoadResult } from '../../spec/index.js';
import { loadAppDir, loadAppFile } from '../../source/spec-files.js';

export interface ValidateOptions {
  format?: 'text' | 'json';
  env?: Record<string, string | undefined>;
  out?: (line: string) => void;
}

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check App specs (a directory, recursively, or one file); exit 1 when any is invalid')
    .argument('<path>', 'directory of App specs, or one spec file')
    .option('--format <format>', 'text or json', 'text')
    .action(async (path: string, opts: { format: string }) => {
      if (opts.format !== 'text' && opts.format !== 'json') throw new Error(`--format must be text or json, not "${opts.format}"`);
      process.exitCode = await runValidate(path, { format: opts.format });
    });
}

export async function runValidate(path: string, opts: ValidateOptions = {}): Promise<number> {
  const out = opts.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const defaults = clusterDefaultsFromEnv(opts.env ?? process.env);
  let result: LoadResult;
  try {
    result = await load(path, defaults);
  } catch (e) {
    if (!isDroverError(e)) throw e;
    out(opts.format === 'json' ? JSON.stringify({ apps: [], problems: [], error: e.message }) : `drover: ${e.message}`);
    return 1;
  }
  const errors = result.problems.filter((p) => p.severity === 'error').length;
  if (opts.format === 'json') {
    out(JSON.stringify({ apps: result.apps.map((a) => a.key), problems: result.problems }, null, 2));
  } else {
    for (const p of result.problems) out(`${p.severity === 'warning' ? 'warning: ' : ''}${problemToString(p)}`);
    const valid = `${result.apps.length} app${result.apps.length === 1 ? '' : 's'} valid`;
    out(errors > 0 ? `${errors} error${errors === 1 ? '' : 's'}; ${valid}` : valid);
  }
  return errors > 0 ? 1 : 0;
}

async function load(path: string, defaults: ClusterDefaults): Promise<LoadResult> {
  const st = await stat(path).catch(() => undefined);
  return st?.isFile() ? loadAppFile(path, defaults) : loadAppDir(path, defaults);
}
