import type { Command } from 'commander';

// Placeholder until the `diff` command lands; it refuses clearly instead of pretending.
export function registerDiff(program: Command): void {
  program.command('diff').description('(not implemented yet)').action(() => {
    throw new Error('drover diff is not implemented yet');
  });
}
