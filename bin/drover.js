#!/usr/bin/env -S node --optimize-for-size
// --optimize-for-size: V8 grows the heap less eagerly. drover is I/O-bound; measured on the 5,000-app
// cold sync (npm run bench:memory) peak RSS was 147–151 MB instead of 168 or 275–281 MB, the sync
// 16.6–18.5 s instead of 13.2–16.8 s.
// Runs the compiled CLI when `npm run build` has been run, else the TypeScript source through tsx.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'src', 'cli', 'main.js');
if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  // From sources, the simulator package (`drover sim`) is loaded from its sources too: the export condition
  // that `npm run sim`, the tests and the demo pass with --conditions, added here to every resolution.
  const { register: registerHooks } = await import('node:module');
  const hook = `export async function resolve(specifier, context, next) {
    const conditions = context.conditions.includes('@drover/source') ? context.conditions : [...context.conditions, '@drover/source'];
    return next(specifier, { ...context, conditions });
  }`;
  registerHooks(`data:text/javascript,${encodeURIComponent(hook)}`);
  await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
}
