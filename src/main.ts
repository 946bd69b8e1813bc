// `drover run`: environment → validated Config (every problem at once) → the Nest app listening on
// DROVER_LISTEN, with SIGINT/SIGTERM wired to a graceful shutdown that exits 0.
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { DroverApp, DroverAppOptions } from './app.module.js';
import { ConfigError, parseConfig, type Config } from './config.js';
import { createLogger } from './logging.js';
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

export async function runDrover(env: Env = process.env, opts: DroverAppOptions & { shutdownHooks?: boolean } = {}): Promise<RunningDrover> {
  const { config, registrar } = loadRunSettings(env, Boolean(process.stdout.isTTY));
  const logger = opts.logger ?? createLogger({ format: config.logFormat, level: config.logLevel });
  // Loaded here, not at the top: every CLI command imports this file, and only `run` needs Nest.
  const { createDroverApp } = await import('./app.module.js');
  const drover = await createDroverApp(config, {
    ...opts,
    logger,
    workDir: opts.workDir ?? (env.DROVER_WORK_DIR || undefined),
    registrar: opts.registrar ?? (registrar.enabled ? registrar : undefined),
  });
  if (opts.shutdownHooks ?? true) drover.app.enableShutdownHooks(['SIGINT', 'SIGTERM'], { useProcessExit: true });
  try {
    await drover.app.listen(config.listen.port, config.listen.host);
  } catch (e) {
    await drover.close(); // the controller already started: stop it so the process can exit
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'the address is in use' : code === 'EADDRNOTAVAIL' || code === 'EACCES' ? `not allowed (${code})` : (e as Error).message;
    throw new Error(`DROVER_LISTEN: cannot listen on ${config.listen.host}:${config.listen.port}: ${why}`);
  }
  const addr = drover.app.getHttpServer().address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  logger.info('drover listening', { address: url, nomad: config.nomad.addr, git_ref: config.git.ref, git_path: config.git.path, leader_election: config.leaderElection });
  return { ...drover, url };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runDrover().catch((e: unknown) => {
    process.stderr.write(`drover: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
