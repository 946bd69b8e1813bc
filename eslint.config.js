// The lint `npm test` runs (`npm run lint`): it holds drover's boundaries, nothing else, so it stays fast and
// never argues about style. typescript-eslint parses the TypeScript (no type information: no program to build);
// eslint-plugin-import-x resolves every import the way TypeScript does (eslint-import-resolver-typescript, with
// the simulator package resolved to its sources) and checks where it points. Scope: src/ and sim/src/; tests and
// scripts may import anything.
//
//   src/core    pure: no I/O, no clock, no timers, no Nest, no got, nothing of drover outside core
//   src/spec    reads no files and opens no connection; imports core only (the file walk is src/source's)
//   src/        never imports the simulator (`drover sim` loads it at run time by a name the compiler
//               does not resolve, src/cli/commands/sim.ts, so the image builds without it)
//   sim/src     imports nothing of drover: its knowledge of the servers comes from shared/reference/
//   everywhere  no import cycles
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** Node modules that do I/O, run processes or threads, or keep time. */
const NODE_IO = [
  'fs', 'fs/promises', 'http', 'https', 'http2', 'net', 'tls', 'dgram', 'dns', 'dns/promises', 'child_process',
  'cluster', 'worker_threads', 'readline', 'readline/promises', 'repl', 'inspector', 'inspector/promises',
  'os', 'process', 'stream', 'stream/promises', 'zlib', 'timers', 'timers/promises', 'perf_hooks', 'async_hooks', 'vm',
];
const nodeIo = (message, names = NODE_IO) => names.flatMap((name) => [{ name, message }, { name: `node:${name}`, message }]);

const SIMULATOR = { group: ['@drover/sim', '@drover/sim/*'], message: 'only `drover sim` loads the simulator, at run time (src/cli/commands/sim.ts)' };

const CORE_IMPORTS = {
  paths: nodeIo('src/core is pure: I/O, processes and timers belong to the shell (clients, source, controller, scheduler.ts)'),
  patterns: [
    { group: ['@nestjs/*'], message: 'src/core knows nothing of Nest' },
    { group: ['got', 'got/*', 'express', 'prom-client', 'commander'], message: 'src/core is pure: no HTTP client, server, metrics registry or CLI' },
    SIMULATOR,
  ],
};

/** The clock, read directly: core takes a Clock or Scheduler (src/core/clock.ts, scheduler.ts) instead. */
const CLOCK = {
  properties: [
    { object: 'Date', property: 'now', message: 'src/core reads no clock: take a Clock (src/core/clock.ts)' },
    { object: 'performance', property: 'now', message: 'src/core reads no clock: take a Clock (src/core/clock.ts)' },
    { object: 'process', property: 'hrtime', message: 'src/core reads no clock: take a Clock (src/core/clock.ts)' },
  ],
  globals: ['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate', 'fetch', 'process']
    .map((name) => ({ name, message: 'src/core has no timers, I/O or process state: take a Scheduler, a client interface or a value' })),
  syntax: [{ selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'src/core reads no clock: `new Date()` is now; take a Clock' }],
};

const OUTSIDE_CORE = ['./src/*.ts', './src/!(core)/**'];

export default defineConfig(
  { ignores: ['**/node_modules/**', '**/dist/**'] },
  {
    files: ['src/**/*.ts', 'sim/src/**/*.ts'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: 'module' },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { 'import-x': importX },
    settings: {
      // how import-x reads the modules an import points to (for no-cycle): TypeScript, like the linted file
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [
        createTypeScriptImportResolver({
          project: './tsconfig.json',
          // as tsconfig.json's customConditions: @drover/sim resolves to sim/src, where the zones below look
          conditionNames: ['@drover/source', 'types', 'import', 'node', 'default'],
        }),
      ],
    },
    rules: {
      // An import the resolver cannot follow would slip past every zone below.
      'import-x/no-unresolved': 'error',
      'import-x/no-cycle': 'error',
      'import-x/no-restricted-paths': ['error', {
        zones: [
          { target: './src/core', from: OUTSIDE_CORE, message: 'src/core imports nothing of drover outside core; define the type in core (the outer modules re-export it)' },
          { target: './src/spec', from: ['./src/*.ts', './src/!(core|spec)/**'], message: 'src/spec takes {file, text} and imports core only' },
          { target: './src', from: './sim', message: SIMULATOR.message },
          { target: './sim/src', from: ['./src', './test', './scripts'], message: 'the simulator imports nothing of drover: it is built from shared/reference/, not from drover' },
        ],
      }],
      'no-restricted-imports': ['error', { patterns: [SIMULATOR] }],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', CORE_IMPORTS],
      'no-restricted-properties': ['error', ...CLOCK.properties],
      'no-restricted-globals': ['error', ...CLOCK.globals],
      'no-restricted-syntax': ['error', ...CLOCK.syntax],
    },
  },
  {
    files: ['src/spec/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: nodeIo('src/spec reads no files and opens no connection: reading belongs to src/source (spec-files.ts, walk.ts)'),
        patterns: [SIMULATOR],
      }],
    },
  },
  {
    // The one file of spec that reads: drover's own CRD (crds/app.yaml), shipped beside the code and read once to
    // build the schema. Never a spec file of the user's; those reach spec as {file, text}.
    files: ['src/spec/schema.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: nodeIo('src/spec/schema.ts may read crds/app.yaml (existsSync, readFileSync), nothing else', NODE_IO.filter((n) => n !== 'fs')),
        patterns: [SIMULATOR],
      }],
    },
  },
);
