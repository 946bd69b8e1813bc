// The one Nest module: NestJS as a plain dependency container. Every provider is bound to a token
// (src/http/tokens.ts) in the arrays below; the HTTP controllers are thin. ScheduleModule provides the
// SchedulerRegistry behind every timer (SCHEDULER → NestScheduler). Building the module starts nothing:
// DroverLifecycle.begin() — called by runDrover once the server listens — starts leader election, the
// registrar and the controller (git source, event stream, resync). On close it stops accepting
// requests, stops the registrar, stops the controller (new work off, reads and git aborted, in-flight
// writes waited for up to DROVER_SHUTDOWN_TIMEOUT) and only then gives up the leader lock.
import 'reflect-metadata';
import { Inject, Injectable, Module, type DynamicModule, type INestApplication, type OnModuleDestroy, type Provider } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import type { Server } from 'node:http';
import { hostname } from 'node:os';
import { createClients, type Clients } from './clients/index.js';
import type { ConsulApi, NomadApi, VaultApi } from './clients/types.js';
import type { Config } from './config.js';
import type { Clock } from './core/clock.js';
import type { Scheduler } from './core/scheduler.js';
import type { Logger } from './core/logger.js';
import { Controller } from './controller/index.js';
import { History } from './controller/history.js';
import { HISTORY, NOTIFIER, UI_CONTROLLERS } from './http/ui/index.js';
import { Notifier } from './notify/index.js';
import { configureHttp, HTTP_CONTROLLERS, HTTP_PROVIDERS } from './http/index.js';
import { CONFIG, CONSUL, CONTROLLER, LEADER, LOGGER, METRICS, NOMAD, REGISTRAR, SCHEDULER, SOURCE } from './http/tokens.js';
import { ConsulLeaderElector } from './leader/consul-lock.js';
import { createLogger, NestLoggerAdapter } from './logging.js';
import { Metrics } from './metrics.js';
import { DockerClient, NodeRegistrar, registrarMetrics, WeaveClient, type RegistrarConfig } from './registrar/index.js';
import { NestScheduler } from './scheduler-nest.js';
import { GitSource } from './source/git.js';
import type { SnapshotSource } from './source/types.js';

export { CONFIG, CONSUL, CONTROLLER, LEADER, LOGGER, METRICS, NOMAD, SOURCE } from './http/tokens.js';

export interface DroverAppOptions {
  /** the weave node registrar (DROVER_REGISTRAR=on); off when absent */
  registrar?: RegistrarConfig;
  logger?: Logger;
  nomad?: NomadApi;
  /** used for leader election (DROVER_LEADER_ELECTION=consul) */
  consul?: ConsulApi;
  /** Vault pre-flight client; default: built from VAULT_ADDR, none when it is unset */
  vault?: VaultApi;
  source?: SnapshotSource;
  metrics?: Metrics;
  clock?: Clock;
  /** every timer; default NestScheduler (SchedulerRegistry). A test's fake clock goes here */
  scheduler?: Scheduler;
  /** DROVER_WORK_DIR: where the git mirror and snapshots live; default a fresh dir under os.tmpdir() */
  workDir?: string;
}

export interface DroverApp {
  app: INestApplication;
  controller: Controller;
  source: SnapshotSource;
  metrics: Metrics;
  /** null unless DROVER_LEADER_ELECTION=consul */
  leader: ConsulLeaderElector | null;
  /** settles once the controller started (first git fetch done, success or not); pending until begin() */
  started: Promise<void>;
  /** starts leader election, the registrar and the controller; runDrover calls it once the server listens */
  begin(): Promise<void>;
  /** graceful: stop accepting, stop the registrar and the controller (in-flight writes finish, bounded), then the leader lock, close */
  close(): Promise<void>;
}

@Injectable()
export class DroverLifecycle implements OnModuleDestroy {
  /** settles once the controller started; pending until begin() */
  readonly started: Promise<void>;
  private markStarted!: () => void;
  private begun = false;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CONTROLLER) private readonly controller: Controller,
    @Inject(LEADER) private readonly leader: ConsulLeaderElector | null,
    @Inject(REGISTRAR) private readonly registrar: NodeRegistrar | null,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(NOTIFIER) private readonly notifier: Notifier,
  ) {
    this.started = new Promise<void>((resolve) => (this.markStarted = resolve));
  }

  /** Not a Nest bootstrap hook on purpose: nothing may run (let alone write) before the server listens. */
  begin(): Promise<void> {
    if (this.begun) return this.started;
    this.begun = true;
    this.notifier.start(); // before the controller, so the first pass's events are told too
    if (this.leader) {
      this.leader.onChange((leading) => {
        this.logger.info(leading ? 'became leader' : 'lost leadership: writes stopped');
        if (leading) void this.controller.onLeadershipGained();
      });
      this.leader.start();
    }
    // Every instance registers its own node's weave services, leader or not; what it changed is verified at once.
    this.registrar?.onChange((keys) => {
      for (const key of keys) {
        const i = key.indexOf('/');
        this.controller.requestVerify(key.slice(0, i), key.slice(i + 1));
      }
    });
    this.registrar?.start();
    // Not awaited: the first clone of a big repository must not hold up /healthz; /readyz reports it.
    // controller.start() starts the git source and the Nomad event stream.
    void this.controller.start().catch((e: unknown) => {
      this.logger.error('controller failed to start', { error: e instanceof Error ? e.message : String(e) });
    }).finally(() => this.markStarted());
    return this.started;
  }

  async onModuleDestroy(): Promise<void> {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (server?.listening) server.close(); // stop accepting; Nest drops idle connections after the hooks
    this.logger.info('shutting down: stopping the registrar, the git source, the event stream and the work queue');
    // Not waiting for start-up: a first fetch that hangs is killed by controller.stop(), not waited out.
    await this.registrar?.stop();
    const { drained } = await this.controller.stop(this.config.shutdownTimeoutMs);
    await this.notifier.stop();
    // Last, so a follower takes over only once our writes are done; with a write still in flight the
    // session is destroyed without a release, and Consul's lock-delay keeps followers out meanwhile.
    await this.leader?.stop({ release: drained });
    this.markStarted();
    this.logger.info('shutdown complete', { drained });
  }
}

@Module({})
export class DroverModule {
  static forRoot(config: Config, opts: DroverAppOptions & { logger: Logger }): DynamicModule {
    let clients: Clients | undefined;
    const upstream = (metrics: Metrics) => (clients ??= createClients(config, metrics, opts.logger));
    const providers: Provider[] = [
      { provide: CONFIG, useValue: config },
      NestScheduler,
      { provide: SCHEDULER, useFactory: (nest: NestScheduler) => opts.scheduler ?? nest, inject: [NestScheduler] },
      { provide: LOGGER, useValue: opts.logger },
      { provide: METRICS, useFactory: () => opts.metrics ?? new Metrics({ defaultMetrics: true }) },
      { provide: NOMAD, useFactory: (metrics: Metrics) => opts.nomad ?? upstream(metrics).nomad, inject: [METRICS] },
      { provide: CONSUL, useFactory: (metrics: Metrics) => opts.consul ?? upstream(metrics).consul, inject: [METRICS] },
      {
        provide: LEADER,
        useFactory: (consul: ConsulApi, metrics: Metrics, scheduler: Scheduler) =>
          config.leaderElection === 'consul'
            ? new ConsulLeaderElector({ consul, key: config.leaderKey, ttlMs: config.leaderTtlMs, id: `${hostname()}:${process.pid}`, logger: opts.logger, metrics, clock: opts.clock, scheduler })
            : null,
        inject: [CONSUL, METRICS, SCHEDULER],
      },
      {
        provide: REGISTRAR,
        // The registrar talks to this node's local Consul agent (CONSUL_HTTP_ADDR on a node is the local agent).
        useFactory: (nomad: NomadApi, consul: ConsulApi, metrics: Metrics, scheduler: Scheduler) =>
          opts.registrar
            ? new NodeRegistrar({
                owner: config.cluster.owner, nomad, consul, intervalMs: opts.registrar.intervalMs, logger: opts.logger, scheduler,
                docker: new DockerClient(opts.registrar.docker), weave: new WeaveClient(opts.registrar.weaveRouterUrl),
                onPass: registrarMetrics(metrics.registrarServices),
              })
            : null,
        inject: [NOMAD, CONSUL, METRICS, SCHEDULER],
      },
      { provide: HISTORY, useFactory: () => new History({ clock: opts.clock }) },
      {
        provide: NOTIFIER,
        useFactory: (history: History, metrics: Metrics) =>
          new Notifier({
            config: config.notify, history, metrics, logger: opts.logger.child({ component: 'notify' }), owner: config.cluster.owner, clock: opts.clock,
            secrets: [config.nomad.token, config.consul.token, config.vault?.token, config.adminToken, config.webhookSecret].filter((x): x is string => Boolean(x)),
          }),
        inject: [HISTORY, METRICS],
      },
      {
        provide: SOURCE,
        useFactory: (metrics: Metrics, scheduler: Scheduler) => opts.source ?? new GitSource({ git: config.git, metrics, logger: opts.logger, workDir: opts.workDir, clock: opts.clock, scheduler }),
        inject: [METRICS, SCHEDULER],
      },
      {
        provide: CONTROLLER,
        useFactory: (nomad: NomadApi, source: SnapshotSource, metrics: Metrics, leader: ConsulLeaderElector | null, consul: ConsulApi, scheduler: Scheduler, history: History) => {
          // Consul: service verification of running apps. Vault: pre-flight before writes, only with VAULT_ADDR.
          const vault = opts.vault ?? (config.vault ? upstream(metrics).vault : undefined);
          const traefik = config.traefik ? upstream(metrics).traefik : undefined;
          return new Controller({
            config, nomad, source, metrics, logger: opts.logger, clock: opts.clock, scheduler, consul, history,
            ...(vault ? { vault } : {}),
            ...(traefik ? { traefik } : {}),
            ...(leader ? { canWrite: () => leader.canWrite(), leaderId: () => leader.leaderId() } : {}),
          });
        },
        inject: [NOMAD, SOURCE, METRICS, LEADER, CONSUL, SCHEDULER, HISTORY],
      },
      DroverLifecycle,
      ...HTTP_PROVIDERS,
    ];
    return { module: DroverModule, imports: [ScheduleModule.forRoot()], controllers: [...HTTP_CONTROLLERS, ...UI_CONTROLLERS], providers };
  }
}

/** Builds the app (not yet listening). Call `app.listen(port, host)`; `close()` shuts down gracefully. */
export async function createDroverApp(config: Config, opts: DroverAppOptions = {}): Promise<DroverApp> {
  const logger = opts.logger ?? createLogger({ format: config.logFormat, level: config.logLevel });
  const app = await NestFactory.create(DroverModule.forRoot(config, { ...opts, logger }), {
    // No body parser at all: the webhook reads (and HMACs) its own bytes after checking its headers,
    // and no other route takes a body (src/http/index.ts).
    bodyParser: false,
    logger: new NestLoggerAdapter(logger.child({ component: 'nest' })),
    abortOnError: false,
  });
  configureHttp(app, logger);
  await app.init();
  let closing: Promise<void> | undefined;
  return {
    app,
    controller: app.get<Controller>(CONTROLLER),
    source: app.get<SnapshotSource>(SOURCE),
    metrics: app.get<Metrics>(METRICS),
    leader: app.get<ConsulLeaderElector | null>(LEADER),
    started: app.get(DroverLifecycle).started,
    begin: () => app.get(DroverLifecycle).begin(),
    close: () => (closing ??= app.close()),
  };
}
