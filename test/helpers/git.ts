// Real git repositories in temp dirs for tests: an "origin" that GitSource (or drover run) fetches from
// by its path. commit() writes/deletes files and commits on the branch; rewrite() replaces the branch
// with an unrelated history (what a force-push does to the remote); hide()/restore() make the remote
// vanish and come back. Every repo is removed by its own remove() — call it in t.teardown.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** path → content; null deletes the file */
export type FileChanges = Record<string, string | null>;

export interface TestRepo {
  /** working directory of the origin repo; also its fetch URL */
  readonly dir: string;
  readonly url: string;
  readonly branch: string;
  /** writes/deletes files, commits on the current branch, returns the new commit SHA */
  commit(files: FileChanges, msg?: string): string;
  /** SHA of the branch tip (or of any ref) */
  head(ref?: string): string;
  /** a lightweight tag at HEAD (moved with force when it exists) */
  tag(name: string): void;
  /** replaces the branch with a brand-new root commit holding exactly `files` (a force-push); returns its SHA */
  rewrite(files: Record<string, string>, msg?: string): string;
  /** resets the branch to an older commit, as `git push --force origin <sha>:<branch>` would */
  forcePushTo(sha: string): void;
  /** renames the repo dir away so fetches fail */
  hide(): void;
  restore(): void;
  remove(): void;
  /** runs git in the repo with the test identity; returns trimmed stdout */
  git(...args: string[]): string;
}

/** The environment every test git call uses: no user/system config, fixed identity, no prompts. */
export const testGitEnv: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Drover Test',
  GIT_AUTHOR_EMAIL: 'test@drover.invalid',
  GIT_COMMITTER_NAME: 'Drover Test',
  GIT_COMMITTER_EMAIL: 'test@drover.invalid',
  GIT_TERMINAL_PROMPT: '0',
};

export function createRepo(opts: { branch?: string; files?: FileChanges; message?: string } = {}): TestRepo {
  const root = mkdtempSync(join(tmpdir(), 'drover-testrepo-'));
  const dir = join(root, 'origin');
  const hidden = join(root, 'origin.hidden');
  const branch = opts.branch ?? 'main';
  mkdirSync(dir);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env: testGitEnv, encoding: 'utf8' }).trim();
  git('init', '-q', '-b', branch);

  const write = (files: FileChanges) => {
    for (const [rel, content] of Object.entries(files)) {
      const abs = join(dir, rel);
      if (content === null) rmSync(abs, { force: true });
      else {
        mkdirSync(dirname(abs), { recursive: true });
        writeFileSync(abs, content);
      }
    }
  };

  const repo: TestRepo = {
    dir,
    url: dir,
    branch,
    git,
    commit(files, msg = 'change') {
      write(files);
      git('add', '-A');
      git('commit', '-q', '--allow-empty', '-m', msg);
      return git('rev-parse', 'HEAD');
    },
    head(ref = 'HEAD') {
      return git('rev-parse', `${ref}^{commit}`);
    },
    tag(name) {
      git('tag', '-f', name);
    },
    rewrite(files, msg = 'rewritten history') {
      git('checkout', '-q', '--orphan', 'drover-rewrite');
      git('rm', '-rq', '--cached', '--ignore-unmatch', '.');
      git('clean', '-fdxq');
      write(files);
      git('add', '-A');
      git('commit', '-q', '--allow-empty', '-m', msg);
      git('branch', '-f', branch, 'drover-rewrite');
      git('checkout', '-q', branch);
      git('branch', '-D', 'drover-rewrite');
      return git('rev-parse', 'HEAD');
    },
    forcePushTo(sha) {
      git('reset', '-q', '--hard', sha);
    },
    hide() {
      renameSync(dir, hidden);
    },
    restore() {
      renameSync(hidden, dir);
    },
    remove() {
      rmSync(root, { recursive: true, force: true });
    },
  };
  if (opts.files) repo.commit(opts.files, opts.message ?? 'initial');
  return repo;
}

/** A bare clone of `repoDir` at `<dir>/bare.git`, ready to be served as static files (dumb HTTP): its path. */
export function bareForDumbHttp(repoDir: string, dir: string): string {
  const bare = join(dir, 'bare.git');
  execFileSync('git', ['clone', '-q', '--bare', repoDir, bare], { env: testGitEnv });
  execFileSync('git', ['--git-dir', bare, 'update-server-info'], { env: testGitEnv });
  return bare;
}
