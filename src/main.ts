// `drover run`. Start order — every start-up failure ends the process before anything is written to Nomad:
//   1. configuration: the environment is parsed and checked, every problem listed at once (exit 1);
//   2. build: clients (TLS files read), git settings, leader-election options, registrar settings —
//      constructing the Nest app starts nothing (no fetch, no Consul session, no Nomad call);
//   3. listen on DROVER_LISTEN (a busy port, a bad host → exit 1, nothing started yet);
//   4. then start: leader election, the node registrar, the controller (git source, event stream, resync).
// Stop order (SIGTERM/SIGINT, or close()): stop accepting; registrar off; controller.stop() — new work
// off, reads and git process groups aborted, in-flight writes waited for up to DROVER_SHUTDOWN_TIMEOUT;
// then the leader lock is released (destroyed without release when a write was still in flight, so
// lock-delay covers it). A watchdog exits 1 should stopping ever hang past its budget (shutdownBudgetMs),
// which stays inside the drover job's kill_timeout (manifests/drover.nomad.hcl).
// Process-level: an uncaught exception or unhandled rejection is logged as one JSON line, then exit 1.
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { DroverApp, DroverAppOptions } from './app.module.js';
import { ConfigError, parseConfig, type Config } from './config.js';
import { describeCause } from './core/errors.js';
import type { Logger } from './core/logger.js';
import { createLogger } from './logging.js';
import { plainScheduler } from './scheduler.js';
import { validateGitConfig } from './source/git.js';
import { parseRegistrarConfig, type RegistrarConfig } from './registrar/config.js';

type Env = Record<string, string | undefined>;

/** parseConfig plus what `run` alone needs (a git URL, a sane ref and path); one ConfigError listing all. */
export function loadRunConfig(env: Env, isTty = false): Config {
  return loadRunSettings(env, isTty).config;
}

/** loadRunConfig and the node registrar's settings, each variable read and checked once. */
function loadRunSettings(env: Env, isTty: boolean): { config: Config; registrar: RegistrarConfig } {
  let config: Config | undefined;
  let problems: string[] = [];
  try {
    config = parseConfig(env, { isTty });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    problems = [...e.problems];
  }
  const git = config?.git ?? { url: env.DROVER_GIT_URL || undefined, ref: env.DROVER_GIT_REF || 'main', path: env.DROVER_GIT_PATH || '.', pollIntervalMs: 30_000 };
  problems.push(...validateGitConfig(git));
  const registrar = parseRegistrarConfig(env);
  if (!registrar.ok) problems.push(...registrar.problems);
  if (problems.length > 0 || !config || !registrar.ok) throw new ConfigError(problems);
  return { config, registrar: registrar.config };
}

export interface RunningDrover extends DroverApp {
  /** http://host:port actually bound (port 0 → the ephemeral port) */
  url: string;
}

/**
 * The longest a graceful stop may take before the watchdog exits 1: waiting for writes in flight
 * (DROVER_SHUTDOWN_TIMEOUT), then 5 s to give up the leader lock, then 3 s for the rest — 18 s with the
 * defaults, well inside the drover job's kill_timeout of 30 s (manifests/drover.nomad.hcl; 30 s is
 * also the Nomad client's default max_kill_timeout, which caps it). A lock not given up in time is
 * still safe: the session expires after its TTL and lock-delay keeps followers out meanwhile.
 */
export function shutdownBudgetMs(config: Pick<Config, 'shutdownTimeoutMs'>): number {
  return config.shutdownTimeoutMs + 8000;
}

export async function runDrover(env: Env = process.env, opts: DroverAppOptions & { shutdownHooks?: boolean } = {}): Promise<RunningDrover> {
  // 1. configuration
  const { config, registrar } = loadRunSettings(env, Boolean(process.stdout.isTTY));
  const logger = opts.logger ?? createLogger({ format: config.logFormat, level: config.logLevel });
  const processHooks = opts.shutdownHooks ?? true;
  if (processHooks) installProcessHandlers();
  // 2. build (starts nothing). Loaded here, not at the top: every CLI command imports this file, and only `run` needs Nest.
  const { createDroverApp } = await import('./app.module.js');
  const drover = await createDroverApp(config, {
    ...opts,
    logger,
    workDir: opts.workDir ?? (env.DROVER_WORK_DIR || undefined),
    registrar: opts.registrar ?? (registrar.enabled ? registrar : undefined),
  });
  if (processHooks) {
    drover.app.enableShutdownHooks(['SIGINT', 'SIGTERM'], { useProcessExit: true });
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => armShutdownWatchdog(shutdownBudgetMs(config), logger));
  }
  // 3. listen
  try {
    await drover.app.listen(config.listen.port, config.listen.host);
  } catch (e) {
    await drover.close(); // nothing was started: this only releases what the build made
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'the address is in use'
      : code === 'EADDRNOTAVAIL' || code === 'EACCES' ? `not allowed (${code})`
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? `no such host (${code})`
      : (e as Error).message;
    throw new Error(`DROVER_LISTEN: cannot listen on ${config.listen.host}:${config.listen.port}: ${why}`);
  }
  const addr = drover.app.getHttpServer().address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  logger.info('drover listening', { address: url, nomad: config.nomad.addr, git_ref: config.git.ref, git_path: config.git.path, leader_election: config.leaderElection });
  // 4. start
  void drover.begin();
  return { ...drover, url };
}

let handlersInstalled = false;

/** An uncaught exception or unhandled rejection is a bug: one JSON line (with its cause), then exit 1. */
export function installProcessHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  // Always JSON, whatever DROVER_LOG_FORMAT says: this line is for log collectors and alerting.
  const fatal = createLogger({ format: 'json', level: 'error', stream: process.stderr });
  const die = (what: string) => (e: unknown) => {
    try {
      fatal.error(`${what}: exiting`, { error: e instanceof Error ? e.message : String(e), cause: describeCause(e) });
    } finally {
      process.exit(1);
    }
  };
  process.on('uncaughtException', die('uncaught exception'));
  process.on('unhandledRejection', die('unhandled promise rejection'));
}

/** Should a graceful stop hang (a bug, a call that ignores its timeout), exit 1 before the orchestrator's SIGKILL. */
function armShutdownWatchdog(budgetMs: number, logger: Logger): void {
  // Node's timers directly (plainScheduler), not SchedulerRegistry: ScheduleModule clears the registry while closing.
  plainScheduler.timeout('shutdown-watchdog', budgetMs, () => {
    logger.error('shutdown did not finish within its budget; exiting', { budgetMs });
    process.exit(1);
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runDrover().catch((e: unknown) => {
    process.stderr.write(`drover: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
