import type { Command } from 'commander';

// Placeholder until the `run` command lands; it refuses clearly instead of pretending.
export function registerRun(program: Command): void {
  program.command('run').description('(not implemented yet)').action(() => {
    throw new Error('drover run is not implemented yet');
  });
}
