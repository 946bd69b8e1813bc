import type { Command } from 'commander';

// Placeholder until the `schema` command lands; it refuses clearly instead of pretending.
export function registerSchema(program: Command): void {
  program.command('schema').description('(not implemented yet)').action(() => {
    throw new Error('drover schema is not implemented yet');
  });
}
