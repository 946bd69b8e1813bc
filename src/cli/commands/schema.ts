// `drover schema`: prints the App JSON Schema (draft-07, derived from crds/app.yaml) for editors, e.g.
// `# yaml-language-server: $schema=./app.schema.json` after `drover schema > app.schema.json`.
import type { Command } from 'commander';
import { appJsonSchema } from '../../spec/index.js';

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of App files (for editors and CI linters)')
    .action(() => {
      process.stdout.write(`${JSON.stringify(appJsonSchema(), null, 2)}\n`);
    });
}
