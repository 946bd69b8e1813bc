import type { Command } from 'commander';

// Placeholder until the `render` command lands; it refuses clearly instead of pretending.
export function registerRender(program: Command): void {
  program.command('render').description('(not implemented yet)').action(() => {
    throw new Error('drover render is not implemented yet');
  });
}
