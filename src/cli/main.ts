#!/usr/bin/env node
// The `drover` command line. Each sub-command lives in ./commands/ and registers itself here.
// Only the invoked command's module is loaded (`run` pulls in NestJS, `diff` the HTTP clients), so a
// light command such as `validate` or `sim` starts fast; `--help` loads them all.
// Errors end as one readable line and an exit code — never a stack trace.
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.js';
import { isDroverError } from '../core/errors.js';

type Register = (program: Command) => void;

const COMMANDS: Record<string, () => Promise<Register>> = {
  validate: async () => (await import('./commands/validate.js')).registerValidate,
  render: async () => (await import('./commands/render.js')).registerRender,
  routes: async () => (await import('./commands/routes.js')).registerRoutes,
  schema: async () => (await import('./commands/schema.js')).registerSchema,
  diff: async () => (await import('./commands/diff.js')).registerDiff,
  promote: async () => (await import('./commands/promote.js')).registerPromote,
  run: async () => (await import('./commands/run.js')).registerRun,
  sim: async () => (await import('./commands/sim.js')).registerSim,
  status: async () => (await import('./commands/status.js')).registerStatus,
};

export async function buildProgram(argv: string[] = []): Promise<Command> {
  const program = new Command('drover')
    .description('GitOps operator for HashiCorp Nomad: App specs in git become Nomad jobs, Consul services and Traefik routes.')
    .showHelpAfterError()
    .exitOverride();
  const first = argv.find((a) => !a.startsWith('-'));
  const names = first && first in COMMANDS ? [first] : Object.keys(COMMANDS);
  for (const name of names) (await COMMANDS[name]!())(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await (await buildProgram(argv)).parseAsync(argv, { from: 'user' });
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
