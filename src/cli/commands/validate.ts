import type { Command } from 'commander';

// Placeholder until the `validate` command lands; it refuses clearly instead of pretending.
export function registerValidate(program: Command): void {
  program.command('validate').description('(not implemented yet)').action(() => {
    throw new Error('drover validate is not implemented yet');
  });
}
