// End-to-end harness: a real git repo in a temp dir, the simulated cluster on ephemeral ports and the
// real `drover run` path (runDrover) wired to both. Assertions go over HTTP — the simulator's own API
// and /_sim/ counters, and drover's /apps, /metrics, /readyz — so these tests see what an operator sees.
// Waiting is always polling with a deadline, never a fixed sleep.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../src/core/logger.js';
import type { AppStatus } from '../../src/core/status.js';
import { signBody } from '../../src/http/signature.js';
import { runDrover, type RunningDrover } from '../../src/main.js';
import { startSimCluster, type SimCluster } from '@drover/sim';
import { createRepo, type FileChanges, type TestRepo } from '../helpers/git.js';

export const ADMIN_TOKEN = 'e2e-admin-token';
export const WEBHOOK_SECRET = 'e2e-webhook-secret';

export interface Stack {
  sim: SimCluster;
  repo: TestRepo;
  drover: RunningDrover;
  nomad: string;
  base: string;
  /** commits on the repo and makes drover fetch at once; resolves when drover serves that revision */
  push(files: FileChanges, msg?: string): Promise<string>;
  /** the same, but drover learns of the commit through a GitHub-signed POST /webhook/git */
  pushViaWebhook(files: FileChanges, msg?: string): Promise<string>;
  /** stops drover (gracefully) and starts a fresh process-equivalent against the same cluster and repo; `drover` and `base` change */
  restart(env?: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

export interface StackOptions {
  files?: FileChanges;
  env?: Record<string, string>;
  /** the sim keeps its allocation delay short so health settles fast */
  allocDelayMs?: number;
  /** DROVER_REGISTRAR=on against the simulated node's Docker Engine and weave router */
  registrar?: boolean;
  /** Nomad namespaces of the simulated cluster (default: its own) */
  namespaces?: string[];
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

export function app(name: string, count = 1, extra: string[] = []): string {
  return ['apiVersion: drover.io/v1alpha1', 'kind: App', 'metadata:', `  name: ${name}`, 'spec:', '  image: nginx:1.27', '  port: 80', `  count: ${count}`, ...extra, ''].join('\n');
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const sim = await startSimCluster({ allocDelayMs: opts.allocDelayMs ?? 10, nomad: { eventHeartbeatMs: 1000, ...(opts.namespaces ? { namespaces: opts.namespaces } : {}) } });
  const repo = createRepo({ files: opts.files ?? { 'apps/web.yaml': app('web'), 'README.md': 'hello' } });
  const workDir = mkdtempSync(join(tmpdir(), 'drover-e2e-'));
  let drover: RunningDrover;
  const envFor = (extra: Record<string, string> = {}) => ({
        NOMAD_ADDR: sim.urls.nomad, CONSUL_HTTP_ADDR: sim.urls.consul, VAULT_ADDR: sim.urls.vault, VAULT_TOKEN: 'root',
        DROVER_GIT_URL: repo.url, DROVER_GIT_PATH: 'apps', DROVER_GIT_POLL_INTERVAL: '1s', DROVER_RESYNC_INTERVAL: '1s',
        DROVER_LISTEN: '127.0.0.1:0', DROVER_LOG_LEVEL: 'error', DROVER_ADMIN_TOKEN: ADMIN_TOKEN, DROVER_WEBHOOK_SECRET: WEBHOOK_SECRET,
        DROVER_REQUEST_TIMEOUT: '2s',
        ...(opts.registrar ? {
          DROVER_REGISTRAR: 'on', DROVER_REGISTRAR_INTERVAL: '200ms',
          DOCKER_HOST: sim.urls.docker.replace(/^http:/, 'tcp:'), WEAVE_ROUTER_ADDR: sim.urls.weave,
        } : {}),
        ...opts.env,
        ...extra,
  });
  try {
    drover = await runDrover(envFor(), { shutdownHooks: false, workDir, logger: silent });
  } catch (e) {
    await sim.close();
    repo.remove();
    rmSync(workDir, { recursive: true, force: true });
    throw e;
  }
  await drover.started;
  let closed: Promise<void> | undefined;
  const extraDirs: string[] = [];
  const stack: Stack = {
    sim, repo, drover, base: drover.url, nomad: sim.urls.nomad,
    async push(files, msg) {
      const rev = repo.commit(files, msg);
      await stack.drover.source.refresh();
      await until(`drover at revision ${rev}`, async () => ((await getJson<{ revision: string }>(`${stack.base}/apps`)).revision === rev ? true : undefined), 15_000);
      return rev;
    },
    async restart(env) {
      await stack.drover.close();
      const dir = mkdtempSync(join(tmpdir(), 'drover-e2e-'));
      extraDirs.push(dir);
      const next = await runDrover(envFor(env), { shutdownHooks: false, workDir: dir, logger: silent });
      await next.started;
      stack.drover = next;
      stack.base = next.url;
    },
    async pushViaWebhook(files, msg) {
      const rev = repo.commit(files, msg);
      const body = JSON.stringify({ ref: `refs/heads/${repo.branch}`, after: rev });
      const r = await fetch(`${stack.base}/webhook/git`, {
        method: 'POST', body,
        headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${signBody(body, WEBHOOK_SECRET)}` },
      });
      if (r.status !== 202) throw new Error(`webhook answered ${r.status}: ${await r.text()}`);
      await until(`drover at revision ${rev}`, async () => ((await getJson<{ revision: string }>(`${stack.base}/apps`)).revision === rev ? true : undefined));
      return rev;
    },
    close: () =>
      (closed ??= (async () => {
        await stack.drover.close();
        await sim.close();
        repo.remove();
        for (const d of [workDir, ...extraDirs]) rmSync(d, { recursive: true, force: true });
      })()),
  };
  return stack;
}

export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    await new Promise((r) => setTimeout(r, 40));
  }
}

export async function getJson<T>(url: string, init?: RequestInit): Promise<T> {
  const r = await fetch(url, init);
  if (!r.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

export interface LiveJob {
  ID: string;
  Version: number;
  JobModifyIndex: number;
  ModifyIndex: number;
  Stop: boolean;
  Status: string;
  Meta?: Record<string, string>;
  TaskGroups: Array<{ Name: string; Count: number; Tasks: Array<{ Name: string; Env?: Record<string, string>; Config?: Record<string, unknown> }> }>;
  [k: string]: unknown;
}

/** The job as the simulated Nomad serves it, or undefined on 404. */
export async function liveJob(nomad: string, id: string, ns = 'default'): Promise<LiveJob | undefined> {
  const r = await fetch(`${nomad}/v1/job/${encodeURIComponent(id)}?namespace=${ns}`);
  if (r.status === 404) return undefined;
  if (!r.ok) throw new Error(`GET job ${id}: ${r.status}`);
  return (await r.json()) as LiveJob;
}

export function appStatus(base: string, name: string, ns = 'default'): Promise<AppStatus> {
  return getJson<AppStatus>(`${base}/apps/${ns}/${name}`);
}

/** Requests that change Nomad jobs (any method other than GET; not drover's own applied-state variables), from the sim's own counters over HTTP. */
export async function nomadWrites(nomad: string): Promise<number> {
  const c = await getJson<{ routes: Record<string, { count: number }> }>(`${nomad}/_sim/counters`);
  let n = 0;
  for (const [key, v] of Object.entries(c.routes)) if (/^(PUT|POST|DELETE) /.test(key) && !key.endsWith('/plan') && !key.includes('/v1/var')) n += v.count;
  return n;
}

/** Sum of a Prometheus series from drover's /metrics whose labels pass `match`. Absent → undefined. */
export async function metricWhere(base: string, name: string, match: (labels: Record<string, string>) => boolean): Promise<number | undefined> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let found: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]));
    if (match(have)) found = (found ?? 0) + Number(m[3]);
  }
  return found;
}

/** Sum of a Prometheus series from drover's /metrics; the given labels must all match. */
export function metric(base: string, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  return metricWhere(base, name, (have) => Object.entries(labels).every(([k, v]) => have[k] === v));
}

/** Registers `job` with Nomad directly, as an operator running `nomad job run` would (behind drover's back). */
export async function registerBehindBack(nomad: string, job: LiveJob): Promise<void> {
  const r = await fetch(`${nomad}/v1/jobs`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ Job: job }) });
  if (!r.ok) throw new Error(`manual register failed: ${r.status} ${await r.text()}`);
}

/** How many requests the simulated Nomad answered for one "METHOD route" key (e.g. "GET /v1/jobs"). */
export async function simCount(nomad: string, key: string): Promise<number> {
  const c = await getJson<{ routes: Record<string, { count: number }> }>(`${nomad}/_sim/counters`);
  return c.routes[key]?.count ?? 0;
}
