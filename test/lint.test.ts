// The boundary lint (eslint.config.js, `npm run lint` in `npm test`) must actually refuse what it is there to
// refuse: each row lints a small text as if it were a file at that path and names the rule that must fire,
// or none. A rule that silently stopped matching (a resolver that no longer follows an import, a glob that
// no longer covers a folder) fails here instead of letting the boundary go.
import test from 'ava';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: new URL('..', import.meta.url).pathname });

const lint = test.macro({
  async exec(t, filePath: string, code: string, rules: string[]) {
    const [result] = await eslint.lintText(code, { filePath });
    t.deepEqual([...new Set(result!.messages.map((m) => m.ruleId ?? m.message))].sort(), [...rules].sort(), result!.messages.map((m) => m.message).join('\n'));
  },
  title: (_title, filePath: string, code: string, rules: string[]) => `${filePath}: ${code.split('\n')[0]} → ${rules.join(', ') || 'allowed'}`,
});

// src/core: no I/O, clock, Nest, got; nothing of drover outside core (type imports included: they made cycles)
test(lint, 'src/core/x.ts', "import { readFileSync } from 'node:fs';\nexport const a = readFileSync;", ['no-restricted-imports']);
test(lint, 'src/core/x.ts', "import { request } from 'http';\nexport const a = request;", ['no-restricted-imports']);
test(lint, 'src/core/x.ts', "import { setTimeout as sleep } from 'node:timers/promises';\nexport const a = sleep;", ['no-restricted-imports']);
test(lint, 'src/core/x.ts', 'export const t = () => Date.now();', ['no-restricted-properties']);
test(lint, 'src/core/x.ts', 'export const t = () => new Date();', ['no-restricted-syntax']);
test(lint, 'src/core/x.ts', 'export const t = (f: () => void) => setTimeout(f, 1);', ['no-restricted-globals']);
test(lint, 'src/core/x.ts', "import { Injectable } from '@nestjs/common';\nexport const i = Injectable;", ['no-restricted-imports']);
test(lint, 'src/core/x.ts', "import got from 'got';\nexport const g = got;", ['no-restricted-imports']);
test(lint, 'src/core/x.ts', "import type { Config } from '../config.js';\nexport type A = Config;", ['import-x/no-restricted-paths']);
test(lint, 'src/core/render/x.ts', "import type { ClusterDefaults } from '../../config.js';\nexport type A = ClusterDefaults;", ['import-x/no-restricted-paths']);
test(lint, 'src/core/x.ts', "import type { LoadedApp } from '../spec/types.js';\nexport type A = LoadedApp;", ['import-x/no-restricted-paths']);
test(lint, 'src/core/x.ts', "import type { NomadApi } from '../clients/types.js';\nexport type A = NomadApi;", ['import-x/no-restricted-paths']);
test(lint, 'src/core/x.ts', "import { GitSource } from '../source/git.js';\nexport const g = GitSource;", ['import-x/no-restricted-paths']);
test(lint, 'src/core/x.ts', "import { nope } from './does-not-exist.js';\nexport const n = nope;", ['import-x/no-unresolved']);
test(lint, 'src/core/x.ts', "import { parseDurationMs } from './duration.js';\nimport type { AppSpec } from './app-spec.js';\nimport jsonpatch from 'fast-json-patch';\nexport const p = [parseDurationMs, jsonpatch]; export type A = AppSpec;", []);

// no import cycles (render/index.ts imports services.ts, so services.ts may not import it back)
test(lint, 'src/core/render/services.ts', "import { renderJob } from './index.js';\nexport const r = renderJob;", ['import-x/no-cycle']);

// src/spec: reads no files, imports core only; schema.ts may read drover's own CRD with node:fs and nothing else
test(lint, 'src/spec/x.ts', "import { readFile } from 'node:fs/promises';\nexport const r = readFile;", ['no-restricted-imports']);
test(lint, 'src/spec/x.ts', "import { readFileSync } from 'fs';\nexport const r = readFileSync;", ['no-restricted-imports']);
test(lint, 'src/spec/x.ts', "import { walkSpecDir } from '../source/walk.js';\nexport const w = walkSpecDir;", ['import-x/no-restricted-paths']);
test(lint, 'src/spec/x.ts', "import type { Config } from '../config.js';\nexport type C = Config;", ['import-x/no-restricted-paths']);
test(lint, 'src/spec/x.ts', "import { renderJob } from '../core/render/index.js';\nexport const r = renderJob;", []);
test(lint, 'src/spec/schema.ts', "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;", []);
test(lint, 'src/spec/schema.ts', "import { readFile } from 'node:fs/promises';\nexport const r = readFile;", ['no-restricted-imports']);

// the simulator: nothing in src/ imports it (drover sim loads it by a name the compiler does not resolve)
test(lint, 'src/http/x.ts', "import { startSimCluster } from '@drover/sim';\nexport const s = startSimCluster;", ['import-x/no-restricted-paths', 'no-restricted-imports']);
test(lint, 'src/cli/commands/sim.ts', "export const s = () => import('@drover/sim/nomad');", ['import-x/no-restricted-paths']);
test(lint, 'src/cli/x.ts', "import type { NomadSim } from '../../sim/src/nomad/index.js';\nexport type S = NomadSim;", ['import-x/no-restricted-paths']);

// sim/src imports nothing of drover
test(lint, 'sim/src/x.ts', "import { parseDurationMs } from '../../src/core/duration.js';\nexport const p = parseDurationMs;", ['import-x/no-restricted-paths']);
test(lint, 'sim/src/nomad/x.ts', "import type { NomadJob } from '../../../src/core/nomad-types.js';\nexport type J = NomadJob;", ['import-x/no-restricted-paths']);
test(lint, 'sim/src/nomad/x.ts', "import type { StoredJob } from './types.js';\nimport { parseGoDurationMs } from '../duration.js';\nexport type J = StoredJob; export const p = parseGoDurationMs;", []);
