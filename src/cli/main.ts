#!/usr/bin/env node
// The `drover` command line. Each sub-command lives in ./commands/ and registers itself here.
// Errors end as one readable line and an exit code — never a stack trace.
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.js';
import { isDroverError } from '../core/errors.js';
import { registerValidate } from './commands/validate.js';
import { registerRender } from './commands/render.js';
import { registerSchema } from './commands/schema.js';
import { registerSim } from './commands/sim.js';
import { registerRun } from './commands/run.js';
import { registerDiff } from './commands/diff.js';

export function buildProgram(): Command {
  const program = new Command('drover')
    .description('GitOps operator for HashiCorp Nomad: App specs in git become Nomad jobs, Consul services and Traefik routes.')
    .showHelpAfterError()
    .exitOverride();
  registerValidate(program);
  registerRender(program);
  registerSchema(program);
  registerDiff(program);
  registerRun(program);
  registerSim(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
    if (e instanceof ConfigError) {
      process.stderr.write(`drover: ${e.message}\n`);
      return 1;
    }
    if (isDroverError(e)) {
      process.stderr.write(`drover: ${e.code}: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`drover: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
// Long-running commands (run, sim) keep the event loop alive and never resolve here until shutdown.
process.exitCode = code;
