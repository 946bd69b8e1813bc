import type { Command } from 'commander';

// Placeholder until the `sim` command lands; it refuses clearly instead of pretending.
export function registerSim(program: Command): void {
  program.command('sim').description('(not implemented yet)').action(() => {
    throw new Error('drover sim is not implemented yet');
  });
}
