// Applies a new snapshot to the controller's records: load + render every app, and decide which keys
// must be reconciled (rendered spec hash changed, or live state unknown). A commit that changes nothing
// for an app touches nothing for it, and unchanged files are neither re-parsed nor re-rendered
// (snapshot-cache.ts). A load failure leaves the last good desired set in force.
import type { Config } from '../config.js';
import { toDroverError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../metrics.js';
import { problemToString, type LoadedApp, type LoadResult } from '../spec/types.js';
import { newRecord, type AppRecord } from './app-record.js';
import { publish } from './reconcile.js';
import { renderApp, snapshotCacheFor } from './snapshot-cache.js';

export interface DesiredState {
  revision: string;
  /** keys of valid apps */
  keys: Set<string>;
  brokenFiles: Set<string>;
  invalidKeys: Set<string>;
  /** every file that failed to load at all, with its first problem (GET /apps brokenFiles) */
  brokenFileProblems: { file: string; line: number; reason: string }[];
}

export interface ApplySnapshotInput {
  dir: string;
  revision: string;
  config: Config;
  records: Map<string, AppRecord>;
  metrics: Metrics;
  logger: Logger;
  previous?: DesiredState;
  /** injectable for tests of the loader boundary */
  load?: (dir: string, defaults: Config['cluster']) => Promise<LoadResult>;
}

export type ApplySnapshotResult = { ok: true; desired: DesiredState; enqueue: string[] } | { ok: false; error: string };

export async function applySnapshot(input: ApplySnapshotInput): Promise<ApplySnapshotResult> {
  const { config, records, metrics, logger, revision } = input;
  // An injected loader may hand back fresh or reused objects at will, so only our own loader's are cached.
  const cache = input.load ? undefined : snapshotCacheFor(records, config.cluster);
  const render = cache ? (app: LoadedApp) => cache.render(app) : (app: LoadedApp) => renderApp(app, config.cluster);
  let loaded: LoadResult;
  try {
    loaded = await (input.load ?? ((dir: string) => cache!.loader.load(dir)))(input.dir, config.cluster);
  } catch (e) {
    const err = toDroverError(e, 'invalid-spec');
    logger.error('snapshot failed to load; keeping the last good desired set', { revision, error: err.message });
    return { ok: false, error: `snapshot ${revision} failed to load: ${err.message}` };
  }
  const brokenFileProblems = loaded.brokenFiles.map((file) => {
    const p = loaded.problems.find((x) => x.file === file && x.severity === 'error');
    return { file, line: p?.line ?? 1, reason: p ? (p.path ? `${p.path}: ${p.message}` : p.message) : 'the file failed to load' };
  });
  const desired: DesiredState = { revision, keys: new Set(), brokenFiles: new Set(loaded.brokenFiles), invalidKeys: new Set(loaded.invalidApps.keys()), brokenFileProblems };
  const enqueue: string[] = [];
  const seenKeys = new Set<string>();

  for (const app of loaded.apps) {
    seenKeys.add(app.key);
    const rec = records.get(app.key) ?? createRecord(records, metrics, app.namespace, app.name, config);
    // A policy change (self-heal, adopt) changes what decide() says without changing the job: decide again.
    const policy = `${app.manifest.spec.sync?.selfHeal ?? config.selfHeal}/${app.manifest.spec.sync?.adopt === true}`;
    const policyChanged = rec.policy !== undefined && rec.policy !== policy;
    rec.policy = policy;
    rec.status.selfHeal = app.manifest.spec.sync?.selfHeal ?? config.selfHeal;
    rec.status.prune = app.manifest.spec.sync?.prune ?? config.prune;
    rec.status.source = { file: app.source.file, line: app.source.line, revision };
    try {
      const { job, hash } = render(app);
      const wasInvalid = rec.problems !== undefined;
      rec.app = app;
      rec.desired = job;
      rec.problems = undefined;
      desired.keys.add(app.key);
      if (hash !== rec.hash || wasInvalid || policyChanged || !rec.seen || rec.failed) enqueue.push(app.key);
      rec.hash = hash;
    } catch (e) {
      markInvalid(rec, [`${app.source.file}:${app.source.line}:${app.source.col}: cannot render: ${toDroverError(e).message}`], metrics);
      desired.invalidKeys.add(app.key);
    }
  }

  for (const [key, problems] of loaded.invalidApps) {
    seenKeys.add(key);
    const [ns, name] = splitKey(key, config.cluster.namespace);
    const rec = records.get(key) ?? createRecord(records, metrics, ns, name, config);
    const file = problems[0]?.file;
    if (file) rec.status.source = { file, line: problems[0]!.line, revision };
    markInvalid(rec, problems.map(problemToString), metrics);
  }

  for (const [key, rec] of records) {
    if (seenKeys.has(key)) continue;
    const file = rec.status.source?.file;
    if (file && desired.brokenFiles.has(file)) {
      // The file that defined it no longer parses: keep the job, report the app Invalid.
      const fileProblems = loaded.problems.filter((p) => p.file === file).map(problemToString);
      markInvalid(rec, fileProblems.length ? fileProblems : [`${file}: file failed to parse`], metrics);
      desired.invalidKeys.add(key);
      continue;
    }
    records.delete(key);
    metrics.forgetApp(rec.namespace, rec.name); // every per-app family, the verification ones included
  }
  metrics.invalidApps.set(desired.invalidKeys.size);
  metrics.brokenFiles.set(brokenFileProblems.length);
  // One warning per revision, naming every broken file: nothing they define is written or pruned.
  if (brokenFileProblems.length > 0 && input.previous?.revision !== revision) {
    logger.warn('files failed to load; apps they define are left as they run', { revision, brokenFiles: brokenFileProblems.map((b) => `${b.file}:${b.line}: ${b.reason}`) });
  }
  logger.info('snapshot applied', { revision, apps: desired.keys.size, invalid: desired.invalidKeys.size, brokenFiles: desired.brokenFiles.size, changed: enqueue.length });
  return { ok: true, desired, enqueue };
}

function createRecord(records: Map<string, AppRecord>, metrics: Metrics, namespace: string, name: string, config: Config): AppRecord {
  const rec = newRecord(namespace, name, config.selfHeal, config.prune);
  records.set(rec.key, rec);
  metrics.initApp(namespace, name); // every per-app family, the verification ones included
  publish(rec, { metrics });
  return rec;
}

function markInvalid(rec: AppRecord, problems: string[], metrics: Metrics): void {
  const first = rec.problems === undefined;
  rec.problems = problems;
  publish(rec, { metrics });
  if (first) metrics.reconcileTotal.inc({ result: 'invalid' });
}

function splitKey(key: string, defaultNs: string): [string, string] {
  const i = key.indexOf('/');
  return i < 0 ? [defaultNs, key] : [key.slice(0, i), key.slice(i + 1)];
}
