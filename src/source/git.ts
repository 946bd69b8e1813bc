// GitSource: polls a git remote and hands out one directory per revision. A bare mirror under the
// work dir is fetched with --prune --force (a force-push simply moves the ref); the ref is resolved
// with rev-parse; each new revision is built in a temp dir and renamed into place, so a reader never
// sees a half-written tree. Files whose blob did not change since the previous snapshot are hard links
// to it; only the others are checked out (through a private index). A failed fetch keeps the last
// good snapshot.
import { existsSync, linkSync, mkdirSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, normalize, resolve } from 'node:path';
import type { Config } from '../config.js';
import type { Clock } from '../core/clock.js';
import type { Scheduler, Timer } from '../core/scheduler.js';
import { plainScheduler } from '../scheduler.js';
import { DroverError, toDroverError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../metrics.js';
import { credentialEnv, GitRunner, safeUrl, splitUrlCredentials, urlCredentialEnv } from './git-exec.js';
import type { Snapshot, SnapshotSource, SourceState } from './types.js';

export interface GitSourceOptions {
  git: Config['git'];
  metrics: Metrics;
  logger: Logger;
  /** DROVER_WORK_DIR; default a fresh os.tmpdir()/drover-<pid>-* removed on stop() */
  workDir?: string;
  clock?: Clock;
  /** the poll timer and git's timeouts; default Node's timers. Also the clock when `clock` is not given */
  scheduler?: Scheduler;
  /** per git call; fetch of a large repo may need more. Default 120 s */
  timeoutMs?: number;
}

export class GitSource implements SnapshotSource {
  /** the remote without userinfo: that goes to git through askpass (urlCredentials) */
  private readonly url: string;
  private readonly urlCredentials: { username?: string; password?: string } | undefined;
  private readonly ref: string;
  private readonly subPath: string;
  private readonly runner: GitRunner;
  private readonly clock: Clock;
  private readonly log: Logger;
  private workDir?: string;
  private readonly ownsWorkDir: boolean;
  private current?: Snapshot;
  private previous?: Snapshot;
  private lastError?: { message: string; at: number };
  private lastSuccessAt?: number;
  private readonly listeners: Array<(s: Snapshot) => void> = [];
  private inFlight?: Promise<void>;
  private queued?: Promise<void>;
  private timer?: Timer;
  private readonly scheduler: Scheduler;
  private stopped = false;
  private starting?: Promise<void>;
  /** background removal of old snapshot dirs (pruneSnapshots) */
  private sweeping: Promise<void> = Promise.resolve();
  private trashCount = 0;
  /** per snapshot dir still on disk: path → "mode blob" of each file, so the next one can link what did not change */
  private readonly trees = new Map<string, Map<string, string>>();

  constructor(private readonly opts: GitSourceOptions) {
    const problems = validateGitConfig(opts.git);
    if (problems.length > 0) throw new DroverError('git', problems.join('; '), { upstream: 'git' });
    const split = splitUrlCredentials(normaliseUrl(opts.git.url!));
    this.url = split.url;
    this.urlCredentials = split.username !== undefined ? { username: split.username, password: split.password } : undefined;
    this.ref = opts.git.ref;
    this.subPath = normalize(opts.git.path).replace(/\/+$/, '') || '.';
    this.scheduler = opts.scheduler ?? plainScheduler;
    this.runner = new GitRunner(opts.timeoutMs ?? 120_000, this.scheduler);
    this.clock = opts.clock ?? this.scheduler;
    this.log = opts.logger.child({ component: 'git', url: safeUrl(this.url), ref: this.ref });
    this.workDir = opts.workDir;
    this.ownsWorkDir = opts.workDir === undefined;
  }

  /** First fetch (awaited, its failure only reported), then polling every git.pollIntervalMs. */
  async start(): Promise<void> {
    if (this.starting) return this.starting; // idempotent: the app and the controller may both start it
    this.stopped = false;
    this.runner.resume();
    this.starting = this.firstFetch();
    return this.starting;
  }

  private async firstFetch(): Promise<void> {
    await this.prepareWorkDir();
    await this.refresh();
    this.schedule();
  }

  /** Stops polling and kills every git still running (with its helpers); waits for them to be gone. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.runner.stop();
    await this.starting?.catch(() => {});
    this.starting = undefined;
    this.timer?.cancel();
    this.timer = undefined;
    await this.queued?.catch(() => {});
    await this.inFlight?.catch(() => {});
    await this.sweeping;
    if (this.ownsWorkDir && this.workDir) await rm(this.workDir, { recursive: true, force: true });
  }

  /** Concurrent calls share one fetch; a call during a fetch gets one more fetch after it (the push may be newer). */
  refresh(): Promise<void> {
    if (!this.inFlight) return this.startFetch();
    this.queued ??= this.inFlight.then(() => {
      this.queued = undefined;
      return this.startFetch();
    });
    return this.queued;
  }

  state(): SourceState {
    return { snapshot: this.current, lastError: this.lastError, lastSuccessAt: this.lastSuccessAt };
  }

  onSnapshot(listener: (s: Snapshot) => void): void {
    this.listeners.push(listener);
  }

  private startFetch(): Promise<void> {
    const p = this.fetchOnce().finally(() => {
      if (this.inFlight === p) this.inFlight = undefined;
    });
    this.inFlight = p;
    return p;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.scheduler.timeout('git-poll', this.opts.git.pollIntervalMs, () => {
      void this.refresh().finally(() => this.schedule());
    });
  }

  private async fetchOnce(): Promise<void> {
    if (this.stopped && this.current) return;
    const started = this.clock.now();
    try {
      const revision = await this.fetchAndResolve();
      const now = this.clock.now();
      this.opts.metrics.gitFetch.inc({ result: 'success' });
      this.opts.metrics.gitLastSuccess.set(Math.floor(now / 1000));
      this.lastSuccessAt = now;
      this.lastError = undefined;
      if (revision === this.current?.revision) {
        this.log.debug('git fetch: no new revision', { revision, duration_ms: now - started });
        return;
      }
      const dir = await this.materialise(revision);
      this.handOut({ revision, dir, fetchedAt: now }, now - started);
      await this.pruneSnapshots();
    } catch (e) {
      if (this.stopped) return; // cut off by stop(): not a failed fetch
      const err = toDroverError(e, 'git');
      const message = this.runner.scrub(err.message);
      this.lastError = { message, at: this.clock.now() };
      this.opts.metrics.gitFetch.inc({ result: 'error' });
      this.log.warn('git fetch failed; keeping the last good snapshot', { error: message, revision: this.current?.revision });
    }
  }

  private async fetchAndResolve(): Promise<string> {
    const workDir = await this.prepareWorkDir();
    const mirror = join(workDir, 'mirror.git');
    if (this.opts.git.credentialsFile) {
      const cred = await credentialEnv(this.opts.git.credentialsFile, workDir);
      this.runner.setCredentials(cred.env, cred.secrets);
    } else if (this.urlCredentials) {
      const cred = await urlCredentialEnv(this.urlCredentials, workDir);
      this.runner.setCredentials(cred.env, cred.secrets);
    }
    if (!existsSync(join(mirror, 'HEAD'))) await this.runner.run(['init', '--quiet', '--bare', mirror]);
    await this.runner.run([
      `--git-dir=${mirror}`, '-c', 'credential.helper=', 'fetch', '--quiet', '--prune', '--force', '--no-tags', '--no-write-fetch-head',
      this.url, '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*',
    ]);
    return this.resolveRef(mirror);
  }

  /** `git merge-base --is-ancestor` in the mirror: exit 0 yes, 1 no; an object the mirror lacks (128) is "no". */
  async isAncestor(ancestor: string, revision: string): Promise<boolean> {
    if (ancestor === revision) return true;
    if (!/^[0-9a-f]{40}$/i.test(ancestor) || !/^[0-9a-f]{40}$/i.test(revision) || !this.workDir) return false;
    const mirror = join(this.workDir, 'mirror.git');
    const r = await this.runner.run([`--git-dir=${mirror}`, 'merge-base', '--is-ancestor', ancestor, revision], { okCodes: [1, 128] });
    return r.code === 0;
  }

  private async resolveRef(mirror: string): Promise<string> {
    const candidates = [`refs/heads/${this.ref}`, `refs/tags/${this.ref}`];
    if (/^[0-9a-f]{40}$/i.test(this.ref)) candidates.push(this.ref);
    for (const c of candidates) {
      const r = await this.runner.run([`--git-dir=${mirror}`, 'rev-parse', '--verify', '--quiet', `${c}^{commit}`], { okCodes: [1, 128] });
      if (r.code === 0 && r.stdout.trim()) return r.stdout.trim();
    }
    throw new DroverError('git', `ref "${this.ref}" is neither a branch nor a tag of ${safeUrl(this.url)}`, { upstream: 'git' });
  }

  /** Checks the tree of git.path at `revision` out into snapshots/<revision>, atomically. */
  private async materialise(revision: string): Promise<string> {
    const workDir = await this.prepareWorkDir();
    const mirror = join(workDir, 'mirror.git');
    const snapshots = join(workDir, 'snapshots');
    const final = join(snapshots, revision);
    if (existsSync(final)) return final; // a revision we already hold (e.g. a force-push back)
    const treeish = this.subPath === '.' ? `${revision}^{tree}` : `${revision}:${this.subPath}`;
    const type = await this.runner.run([`--git-dir=${mirror}`, 'cat-file', '-t', treeish], { okCodes: [1, 128] });
    if (type.code !== 0 || type.stdout.trim() !== 'tree') {
      throw new DroverError('git', `path "${this.subPath}" is not a directory at revision ${revision}`, { upstream: 'git' });
    }
    const tree = await this.listTree(mirror, treeish);
    const base = this.current && this.trees.get(this.current.revision) ? this.current : undefined;
    const baseTree = base ? this.trees.get(base.revision)! : undefined;
    const tmp = await mkdtemp(join(snapshots, `.tmp-${revision.slice(0, 12)}-`));
    const env = { GIT_INDEX_FILE: `${tmp}.index` };
    try {
      // Creating thousands of files is the slow part of a revision (≈ 1.5 s for 5,000 on the build
      // machine); a hard link to the unchanged file of the previous snapshot costs ≈ 40 ms for all.
      // Synchronous links, like the loader's synchronous reads: a thread-pool round trip per file would cost
      // more than the link itself. The event loop gets a turn every LINK_BATCH files.
      const changed: string[] = [];
      const made = new Set<string>();
      let n = 0;
      for (const [path, id] of tree) {
        if (++n % LINK_BATCH === 0) await new Promise((r) => setImmediate(r));
        if (!base || baseTree!.get(path) !== id || !linkFrom(base.dir, tmp, path, made)) changed.push(path);
      }
      if (changed.length > 0) {
        await this.runner.run([`--git-dir=${mirror}`, 'read-tree', treeish], { env });
        // core.symlinks=false: a symlink in the repo becomes a plain file, so a spec can never point outside the snapshot.
        await this.runner.run([`--git-dir=${mirror}`, `--work-tree=${tmp}`, '-c', 'core.symlinks=false', 'checkout-index', '--force', '--stdin', '-z'], { env, input: changed.map((p) => `${p}\0`).join('') });
      }
      await rename(tmp, final);
      this.trees.set(revision, tree);
      return final;
    } finally {
      await rm(tmp, { recursive: true, force: true });
      await rm(`${tmp}.index`, { force: true });
    }
  }

  /** Every file (blob) under the tree: path → "mode blob". Submodules (commits) are left out, as checkout-index does. */
  private async listTree(mirror: string, treeish: string): Promise<Map<string, string>> {
    const out = await this.runner.run([`--git-dir=${mirror}`, 'ls-tree', '-r', '-z', treeish]);
    const tree = new Map<string, string>();
    for (const rec of out.stdout.split('\0')) {
      const tab = rec.indexOf('\t');
      if (tab < 0) continue;
      const [mode, type, id] = rec.slice(0, tab).split(' ');
      if (type === 'blob') tree.set(rec.slice(tab + 1), `${mode} ${id}`);
    }
    return tree;
  }

  private handOut(snapshot: Snapshot, durationMs: number): void {
    const from = this.current?.revision;
    this.previous = this.current;
    this.current = snapshot;
    this.opts.metrics.gitRevision.reset();
    this.opts.metrics.gitRevision.set({ revision: snapshot.revision }, 1);
    this.log.info('new git revision', { revision: snapshot.revision, previous: from, duration_ms: durationMs });
    for (const l of this.listeners) {
      try {
        l(snapshot);
      } catch (e) {
        this.log.error('snapshot listener failed', { error: e instanceof Error ? e.message : String(e) });
      }
    }
  }

  /**
   * Keeps the current and the previous snapshot dirs (a reader may still be on the previous one). The
   * others are renamed out of the way at once and deleted in the background: removing a 5,000-file dir
   * took ≈ 1.5 s, which used to hold up every refresh() (and the commit → registered latency) from the
   * third revision on. stop() waits for the sweep.
   */
  private async pruneSnapshots(): Promise<void> {
    const snapshots = join(await this.prepareWorkDir(), 'snapshots');
    const keep = new Set([this.current?.revision, this.previous?.revision]);
    for (const rev of this.trees.keys()) if (!keep.has(rev)) this.trees.delete(rev);
    const doomed: string[] = [];
    for (const name of await readdir(snapshots)) {
      if (keep.has(name)) continue;
      if (name.startsWith('.trash-')) {
        doomed.push(join(snapshots, name)); // left by a sweep that did not finish (e.g. a crash)
        continue;
      }
      const trash = join(snapshots, `.trash-${name}-${++this.trashCount}`);
      await rename(join(snapshots, name), trash);
      doomed.push(trash);
    }
    if (doomed.length === 0) return;
    this.sweeping = this.sweeping.then(async () => {
      for (const dir of doomed) await rm(dir, { recursive: true, force: true });
    }).catch((e) => this.log.warn('removing old snapshot dirs failed', { error: e instanceof Error ? e.message : String(e) }));
  }

  private async prepareWorkDir(): Promise<string> {
    if (!this.workDir) this.workDir = await mkdtemp(join(tmpdir(), `drover-${process.pid}-`));
    const snapshots = join(this.workDir, 'snapshots');
    if (!existsSync(snapshots)) await mkdir(snapshots, { recursive: true });
    return this.workDir;
  }
}

const LINK_BATCH = 256;

/** Hard-links one unchanged file from the previous snapshot; false (check it out instead) when that fails. */
function linkFrom(fromDir: string, toDir: string, path: string, made: Set<string>): boolean {
  try {
    const parent = dirname(path);
    if (parent !== '.' && !made.has(parent)) {
      mkdirSync(join(toDir, parent), { recursive: true });
      made.add(parent);
    }
    linkSync(join(fromDir, path), join(toDir, path));
    return true;
  } catch {
    return false;
  }
}

/** Problems with the git settings, each naming its variable (empty when fine). */
export function validateGitConfig(git: Config['git']): string[] {
  const problems: string[] = [];
  if (!git.url) problems.push('DROVER_GIT_URL: required (a remote URL or a local path of the repository holding the App specs)');
  else if (git.url.startsWith('-')) problems.push(`DROVER_GIT_URL: "${safeUrl(git.url)}" must not start with "-"`);
  if (!git.ref || git.ref.startsWith('-') || /[\s~^:?*[\\]|\.\.|@\{/.test(git.ref) || git.ref.endsWith('.lock') || git.ref.endsWith('/')) {
    problems.push(`DROVER_GIT_REF: "${git.ref}" is not a valid branch or tag name`);
  }
  const p = normalize(git.path || '.');
  if (isAbsolute(git.path) || p === '..' || p.startsWith('../')) problems.push(`DROVER_GIT_PATH: "${git.path}" must be a path inside the repository`);
  return problems;
}

// A local path is resolved against the cwd (git runs with --git-dir elsewhere); URLs and scp-like
// `user@host:path` addresses are passed through.
function normaliseUrl(url: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^[^/:]+:/.test(url)) return url;
  return resolve(url);
}
