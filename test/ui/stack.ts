// drover on the simulated cluster with a real git repo holding every example app (examples/apps/,
// one per seed, tenant-b included) plus a few of the test's own — the setup `npm run demo` runs, on
// ephemeral ports. Used by the browser tests, the `drover status` tests and the PromQL evaluation.
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../src/core/logger.js';
import type { AppStatus } from '../../src/core/status.js';
import { runDrover, type RunningDrover } from '../../src/main.js';
import { startSimCluster, type SimCluster } from '@drover/sim';
import { createRepo, type FileChanges, type TestRepo } from '../helpers/git.js';
import { getJson, until } from '../e2e/stack.js';

export const ADMIN_TOKEN = 'ui-test-admin-token';
export const SECRET_ENV_VALUE = 'hunter2-never-shown';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

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

export async function startUiStack(opts: { files?: FileChanges; env?: Record<string, string> } = {}): Promise<UiStack> {
  const sim = await startSimCluster({ allocDelayMs: 10, nomad: { namespaces: ['default', 'tenant-b'], eventHeartbeatMs: 1000 } });
  const repo = createRepo({ files: { ...exampleFiles(), ...opts.files } });
  const workDir = mkdtempSync(join(tmpdir(), 'drover-ui-'));
  let drover: RunningDrover;
  try {
    drover = await runDrover(
      {
        NOMAD_ADDR: sim.urls.nomad, CONSUL_HTTP_ADDR: sim.urls.consul, VAULT_ADDR: sim.urls.vault, VAULT_TOKEN: 'root',
        DROVER_GIT_URL: repo.url, DROVER_GIT_PATH: 'apps', DROVER_GIT_POLL_INTERVAL: '1s', DROVER_RESYNC_INTERVAL: '2s',
        DROVER_LISTEN: '127.0.0.1:0', DROVER_LOG_LEVEL: 'error', DROVER_ADMIN_TOKEN: ADMIN_TOKEN, DROVER_REQUEST_TIMEOUT: '2s',
        DROVER_REGISTRAR: 'on', DROVER_REGISTRAR_INTERVAL: '200ms',
        DOCKER_HOST: sim.urls.docker.replace(/^http:/, 'tcp:'), WEAVE_ROUTER_ADDR: sim.urls.weave,
        ...opts.env,
      },
      { shutdownHooks: false, workDir, logger: silent },
    );
  } catch (e) {
    await sim.close();
    repo.remove();
    rmSync(workDir, { recursive: true, force: true });
    throw e;
  }
  await drover.started;
  const base = drover.url;
  const apps = async () => (await getJson<{ apps: AppStatus[] }>(`${base}/apps`)).apps;
  let closed: Promise<void> | undefined;
  return {
    sim, repo, drover, base, apps,
    async push(files, msg) {
      const rev = repo.commit(files, msg);
      await drover.source.refresh();
      await until(`drover at ${rev}`, async () => ((await getJson<{ revision: string }>(`${base}/apps`)).revision === rev ? true : undefined), 15_000);
      return rev;
    },
    settled: () =>
      until('every app Synced and Healthy', async () => {
        const list = await apps();
        return list.length > 0 && list.every((a) => a.sync === 'Synced' && a.health === 'Healthy') ? list : undefined;
      }, 20_000),
    close: () =>
      (closed ??= (async () => {
        await drover.close();
        await sim.close();
        repo.remove();
        rmSync(workDir, { recursive: true, force: true });
      })()),
  };
}
