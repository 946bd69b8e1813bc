// drover on the simulated cluster with a real git repo holding every example app (examples/apps/,
// one per seed, tenant-b included) plus a few of the test's own — the setup `npm run demo` runs, on
// ephemeral ports. Used by the browser tests, the `drover status` tests and the PromQL evaluation.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppStatus } from '../../src/core/status.js';
import type { RunningDrover } from '../../src/main.js';
import type { SimCluster } from '@drover/sim';
import type { FileChanges, TestRepo } from '../helpers/git.js';
import { getJson, startStack, until } from '../e2e/stack.js';

export { ADMIN_TOKEN } from '../e2e/stack.js';
export const SECRET_ENV_VALUE = 'hunter2-never-shown';

export function exampleFiles(): FileChanges {
  const dir = join(process.cwd(), 'examples', 'apps');
  return Object.fromEntries(readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => [`apps/${f}`, readFileSync(join(dir, f), 'utf8')]));
}

export function appYaml(name: string, opts: { count?: number; selfHeal?: boolean; env?: Record<string, string>; image?: string } = {}): string {
  return [
    'apiVersion: drover.io/v1alpha1', 'kind: App', 'metadata:', `  name: ${name}`, 'spec:',
    `  image: ${opts.image ?? 'nginx:1.27'}`, '  port: 80', `  count: ${opts.count ?? 1}`,
    ...(opts.env ? ['  env:', ...Object.entries(opts.env).map(([k, v]) => `    ${k}: "${v}"`)] : []),
    ...(opts.selfHeal === false ? ['  sync:', '    selfHeal: false'] : []),
    '',
  ].join('\n');
}

export interface UiStack {
  sim: SimCluster;
  repo: TestRepo;
  drover: RunningDrover;
  base: string;
  /** commits and makes drover fetch now; resolves once /apps serves that revision */
  push(files: FileChanges, msg?: string): Promise<string>;
  apps(): Promise<AppStatus[]>;
  /** every app Synced and Healthy */
  settled(): Promise<AppStatus[]>;
  close(): Promise<void>;
}

/** The end-to-end stack (test/e2e/stack.ts) with every example app, tenant-b's namespace and the node registrar. */
export async function startUiStack(opts: { files?: FileChanges; env?: Record<string, string> } = {}): Promise<UiStack> {
  const s = await startStack({
    files: { ...exampleFiles(), ...opts.files }, registrar: true, namespaces: ['default', 'tenant-b'],
    env: { DROVER_RESYNC_INTERVAL: '2s', ...opts.env },
  });
  const apps = async () => (await getJson<{ apps: AppStatus[] }>(`${s.base}/apps`)).apps;
  return {
    sim: s.sim, repo: s.repo, drover: s.drover, base: s.base, apps,
    push: (files, msg) => s.push(files, msg),
    settled: () =>
      until('every app Synced and Healthy', async () => {
        const list = await apps();
        return list.length > 0 && list.every((a) => a.sync === 'Synced' && a.health === 'Healthy') ? list : undefined;
      }, 20_000),
    close: () => s.close(),
  };
}
