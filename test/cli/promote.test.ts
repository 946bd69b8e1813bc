// `drover promote <ns>/<app>` against a real drover HTTP surface (the Nest controllers of `drover run`, started
// on loopback with a fake ControllerApi that keeps which deployments wait for promotion): the output line and
// exit code of each answer, the token taken from DROVER_ADMIN_TOKEN only and never printed, bad arguments and
// an unreachable drover as one line. Most cases call runPromote in-process; two spawn the real CLI.
import 'reflect-metadata';
import test from 'ava';
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { runPromote } from '../../src/cli/commands/promote.js';
import { parseConfig } from '../../src/config.js';
import { nullLogger } from '../../src/core/logger.js';
import type { AppStatus } from '../../src/core/status.js';
import type { ControllerApi, PromoteResult } from '../../src/controller/types.js';
import { configureHttp, HTTP_CONTROLLERS, HTTP_PROVIDERS } from '../../src/http/index.js';
import { CONFIG, CONTROLLER, LOGGER, METRICS, SOURCE } from '../../src/http/tokens.js';
import { Metrics } from '../../src/metrics.js';
import type { SnapshotSource } from '../../src/source/types.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = 'promote-admin-token-9f8e7d6c-never-print-me';
const DEP = '7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f';

class Deployments implements ControllerApi {
  /** app → deployment waiting for promotion */
  waiting = new Map<string, string>([['default/web', DEP]]);
  leader_ = true;
  private readonly known = ['default/web', 'default/api'];
  listApps(): AppStatus[] { return []; }
  getApp() { return undefined; }
  requestSync() { return false; }
  readiness() { return []; }
  leader() { return { enabled: true, isLeader: this.leader_ }; }
  revision() { return undefined; }
  statusVersion() { return 0; }
  brokenFiles() { return []; }
  heldPrunes() { return []; }
  async approvePrune() { return 'not-held' as const; }
  async promote(ns: string, name: string): Promise<PromoteResult> {
    const key = `${ns}/${name}`;
    if (!this.known.includes(key)) return { outcome: 'unknown-app', message: `app ${key} is not known` };
    if (!this.leader_) return { outcome: 'not-leader', message: 'this instance is not the leader; promote on the leader (see GET /apps leader)' };
    const id = this.waiting.get(key);
    if (!id) return { outcome: 'nothing-to-promote', message: `app ${key} has no deployment` };
    this.waiting.delete(key);
    return { outcome: 'promoted', app: key, deployment: id, jobVersion: 4, groups: [name] };
  }
}

const noSource: SnapshotSource = { async start() {}, async stop() {}, async refresh() {}, state: () => ({}), onSnapshot() {} };

async function drover(t: import('ava').ExecutionContext, env: Record<string, string> = { DROVER_ADMIN_TOKEN: TOKEN }) {
  const controller = new Deployments();
  @Module({
    controllers: HTTP_CONTROLLERS,
    providers: [
      ...HTTP_PROVIDERS,
      { provide: CONFIG, useValue: parseConfig(env) },
      { provide: CONTROLLER, useValue: controller },
      { provide: SOURCE, useValue: noSource },
      { provide: METRICS, useValue: new Metrics() },
      { provide: LOGGER, useValue: nullLogger },
    ],
  })
  class PromoteTestModule {}
  const app: INestApplication = await NestFactory.create(PromoteTestModule, { logger: false });
  configureHttp(app, nullLogger);
  await app.listen(0, '127.0.0.1');
  t.teardown(() => app.close());
  return { url: `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`, controller };
}

async function promote(target: string, env: Record<string, string | undefined>) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runPromote(target, { env, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

test('promoted: exit 0 with one line; the deployment no longer waits; a second promote is refused with the server\'s message', async (t) => {
  const { url, controller } = await drover(t);
  let r = await promote('default/web', { DROVER_URL: url, DROVER_ADMIN_TOKEN: TOKEN });
  t.deepEqual(r, { code: 0, out: ['promoted default/web: deployment 7c1d2e3f (job version 4), group web'], err: [] });
  t.false(controller.waiting.has('default/web'));
  r = await promote('default/web', { DROVER_URL: url, DROVER_ADMIN_TOKEN: TOKEN });
  t.deepEqual(r, { code: 1, out: [], err: ['drover promote: 404 app default/web has no deployment'] });
});

test('refusals and errors: exit 1 with one line each, the token never in it', async (t) => {
  const { url, controller } = await drover(t);
  const env = { DROVER_URL: url, DROVER_ADMIN_TOKEN: TOKEN };
  const lines: string[] = [];
  const check = async (target: string, e: Record<string, string | undefined>, line: string | RegExp) => {
    const r = await promote(target, e);
    t.is(r.code, 1, target);
    t.deepEqual(r.out, []);
    t.is(r.err.length, 1);
    if (typeof line === 'string') t.is(r.err[0], line);
    else t.regex(r.err[0]!, line);
    lines.push(...r.err);
  };
  await check('default/ghost', env, 'drover promote: 404 app default/ghost is not known');
  await check('default/web', { ...env, DROVER_ADMIN_TOKEN: `${TOKEN}-wrong` }, 'drover promote: 401 invalid admin token');
  await check('default/web', { DROVER_URL: url }, 'drover promote: DROVER_ADMIN_TOKEN is not set: the promote endpoint needs the admin token of the running drover');
  await check('web', env, 'drover promote: "web" is not <namespace>/<app> (e.g. default/web)');
  await check('default/web', { ...env, DROVER_URL: 'ftp://example.com' }, 'drover promote: DROVER_URL "ftp://example.com" is not an http(s) address');
  controller.leader_ = false;
  await check('default/web', env, 'drover promote: 409 this instance is not the leader; promote on the leader (see GET /apps leader)');
  t.true(controller.waiting.has('default/web'), 'nothing was promoted');
  // no drover listening there
  await check('default/web', { ...env, DROVER_URL: `127.0.0.1:${await freePort()}` }, /^drover promote: cannot reach drover at http:\/\/127\.0\.0\.1:\d+: connection refused$/);
  t.false(lines.some((l) => l.includes(TOKEN)), 'the token is never printed');
});

test('a drover without DROVER_ADMIN_TOKEN configured answers 403: exit 1 with its reason', async (t) => {
  const { url } = await drover(t, {});
  const r = await promote('default/web', { DROVER_URL: url, DROVER_ADMIN_TOKEN: TOKEN });
  t.is(r.code, 1);
  t.regex(r.err[0]!, /^drover promote: 403 .*DROVER_ADMIN_TOKEN is not configured$/);
});

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

test('the real CLI: exit 0 promoted, then exit 1 with the server\'s reason; no stack trace, no token', async (t) => {
  const { url, controller } = await drover(t);
  let r = await cli(['promote', 'default/web'], { DROVER_URL: url, DROVER_ADMIN_TOKEN: TOKEN });
  t.deepEqual(r, { code: 0, stdout: 'promoted default/web: deployment 7c1d2e3f (job version 4), group web\n', stderr: '' });
  t.false(controller.waiting.has('default/web'));
  r = await cli(['promote', 'default/api'], { DROVER_URL: url, DROVER_ADMIN_TOKEN: TOKEN });
  t.is(r.code, 1);
  t.is(r.stderr, 'drover promote: 404 app default/api has no deployment\n');
  t.false((r.stdout + r.stderr).includes('    at '));
  t.false((r.stdout + r.stderr).includes(TOKEN));
});

/** A loopback port nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
