// The HTTP surface alone, for tests: the real controllers and filter in a Nest app on loopback over a
// fake ControllerApi and SnapshotSource the test steers.
import 'reflect-metadata';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { parseConfig, type Config } from '../../src/config.js';
import type { AppStatus } from '../../src/core/status.js';
import type { ControllerApi, PromoteResult, ReadinessCheck } from '../../src/controller/types.js';
import { nullLogger } from '../../src/core/logger.js';
import { configureHttp, HTTP_CONTROLLERS, HTTP_PROVIDERS } from '../../src/http/index.js';
import { CONFIG, CONTROLLER, LOGGER, METRICS, SCHEDULER, SOURCE } from '../../src/http/tokens.js';
import type { Clock } from '../../src/core/clock.js';
import { Metrics } from '../../src/metrics.js';
import type { SnapshotSource, SourceState } from '../../src/source/types.js';

export function appStatus(namespace: string, name: string): AppStatus {
  return { namespace, name, sync: 'Synced', health: 'Healthy', healthReasons: ['1/1 allocations running'], drift: [], selfHeal: true, prune: true };
}

export class FakeController implements ControllerApi {
  checks: ReadinessCheck[] = [{ name: 'snapshot', ok: true }, { name: 'nomad', ok: true }];
  apps = [appStatus('default', 'web'), appStatus('team-a', 'api')];
  syncRequests: string[] = [];
  listApps() { return this.apps; }
  getApp(ns: string, name: string) { return this.apps.find((a) => a.namespace === ns && a.name === name); }
  requestSync(ns: string, name: string) {
    if (!this.getApp(ns, name)) return false;
    this.syncRequests.push(`${ns}/${name}`);
    return true;
  }
  readiness() { return this.checks; }
  leader() { return { enabled: false, isLeader: true }; }
  revision() { return 'abc123'; }
  version = 0;
  statusVersion() { return this.version; }
  brokenFiles() { return [{ file: 'apps/bad.yaml', line: 3, reason: 'file is larger than 1 MiB' }]; }
  held = new Set(['default/old']);
  approvals: string[] = [];
  heldPrunes() { return [...this.held].map((k) => ({ ...appStatus(k.split('/')[0]!, k.split('/')[1]!), pruning: { state: 'held' as const, reason: 'share-limit' as const } })); }
  async approvePrune(ns: string, name: string) {
    if (!this.held.has(`${ns}/${name}`)) return 'not-held' as const;
    this.approvals.push(`${ns}/${name}`);
    return 'approved' as const;
  }
  /** app → deployment waiting for promotion; a promotion takes it out */
  awaitingPromotion = new Map([['default/web', 'd5f1c0de-0000-4000-8000-000000000001']]);
  promoteAnswer: 'promote' | 'not-leader' | 'refused' | 'unavailable' = 'promote';
  async promote(ns: string, name: string): Promise<PromoteResult> {
    const key = `${ns}/${name}`;
    if (!this.getApp(ns, name)) return { outcome: 'unknown-app', message: `app ${key} is not known` };
    if (this.promoteAnswer === 'not-leader') return { outcome: 'not-leader', message: 'this instance is not the leader' };
    if (this.promoteAnswer === 'unavailable') return { outcome: 'unavailable', message: 'nomad GET /v1/job/web: connection refused' };
    const id = this.awaitingPromotion.get(key);
    if (!id) return { outcome: 'nothing-to-promote', message: `app ${key} has no deployment` };
    if (this.promoteAnswer === 'refused') return { outcome: 'refused', message: 'Nomad refused the promotion: Task group "web" has 0/1 healthy allocations' };
    this.awaitingPromotion.delete(key);
    return { outcome: 'promoted', app: key, deployment: id, jobVersion: 3, groups: ['web'] };
  }
}

export class FakeSource implements SnapshotSource {
  refreshes = 0;
  async start() {}
  async stop() {}
  async refresh() { this.refreshes++; }
  state(): SourceState { return {}; }
  onSnapshot() {}
}

export async function startHttp(t: { teardown(fn: () => unknown): void }, env: Record<string, string> = {}, clock?: Clock) {
  const config: Config = parseConfig(env);
  const controller = new FakeController();
  const source = new FakeSource();
  const metrics = new Metrics();
  @Module({
    controllers: HTTP_CONTROLLERS,
    providers: [
      ...HTTP_PROVIDERS,
      { provide: CONFIG, useValue: config },
      { provide: CONTROLLER, useValue: controller },
      { provide: SOURCE, useValue: source },
      { provide: METRICS, useValue: metrics },
      { provide: LOGGER, useValue: nullLogger },
      ...(clock ? [{ provide: SCHEDULER, useValue: clock }] : []),
    ],
  })
  class TestModule {}
  const app: INestApplication = await NestFactory.create(TestModule, { bodyParser: false, logger: false });
  configureHttp(app, nullLogger);
  await app.listen(0, '127.0.0.1');
  t.teardown(() => app.close());
  const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  return { base, controller, source, metrics, app };
}

