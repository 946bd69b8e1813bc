// Running the real `git` binary safely: spawn with an args array (no shell), each git in a process
// group of its own (detached) so a timeout or stop() kills git *and* its helpers (git-remote-http,
// ssh) with one kill(-pgid) — killing only git left git-remote-http alive under PID 1 with its
// socket; an environment reduced to what git needs (no NOMAD_TOKEN, VAULT_TOKEN, DROVER_ADMIN_TOKEN…)
// that can never prompt; and credentials handed over only through the environment (GIT_SSH_COMMAND
// for a key file, a GIT_ASKPASS helper for a token file or the userinfo of DROVER_GIT_URL) — never in
// argv or a URL. Every message that leaves this file is scrubbed of userinfo and token values.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DroverError } from '../core/errors.js';
import type { Scheduler } from '../core/scheduler.js';
import { plainScheduler } from '../scheduler.js';

export interface GitCall {
  env?: Record<string, string>;
  timeoutMs?: number;
  /** exit codes that are answers, not failures (rev-parse --verify --quiet exits 1 for "no such ref") */
  okCodes?: number[];
  /** written to git's stdin (e.g. a NUL-separated path list for `checkout-index --stdin -z`) */
  input?: string;
}

export interface GitResult {
  stdout: string;
  code: number;
}

/**
 * The only variables of drover's own environment a git child sees: how to find programs and the home
 * directory, locale and temp dir, proxies, TLS trust, an ssh agent, git's own config switches. Tokens
 * of Nomad, Consul, Vault and drover stay out (a hostile git hook or helper could read its environment).
 */
export const GIT_ENV_ALLOWED: readonly string[] = [
  'PATH', 'HOME', 'USER', 'LOGNAME', 'TMPDIR', 'TZ', 'LANG',
  'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'no_proxy', 'all_proxy',
  'SSL_CERT_FILE', 'SSL_CERT_DIR', 'GIT_SSL_CAINFO', 'GIT_SSL_CAPATH',
  'SSH_AUTH_SOCK', 'GIT_CONFIG_GLOBAL', 'GIT_CONFIG_SYSTEM', 'GIT_CONFIG_NOSYSTEM',
];

const MAX_OUTPUT = 64 * 1024 * 1024;

/** git's environment: the allowed variables of `base`, then settings that make git never prompt. */
export function gitEnvironment(base: NodeJS.ProcessEnv, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of GIT_ENV_ALLOWED) if (base[k] !== undefined) env[k] = base[k];
  return { ...env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', GCM_INTERACTIVE: 'never', ...extra };
}

export class GitRunner {
  private secrets: string[] = [];
  private credentialEnv: Record<string, string> = {};
  private readonly live = new Set<ChildProcess>();
  private stopped = false;

  constructor(private readonly defaultTimeoutMs = 60_000, private readonly scheduler: Scheduler = plainScheduler) {}

  /** Credentials for the next calls; `secrets` are literal values scrubbed from every message. */
  setCredentials(env: Record<string, string>, secrets: string[]): void {
    this.credentialEnv = env;
    this.secrets = secrets.filter((s) => s.length >= 4);
  }

  scrub(message: string): string {
    return scrubSecrets(message, this.secrets);
  }

  /** git processes (group leaders) running now. */
  get running(): number[] {
    return [...this.live].map((c) => c.pid!).filter((p) => p !== undefined);
  }

  /** Kills every running git with its whole process group and refuses new calls (their promises reject `aborted`). */
  stop(): void {
    this.stopped = true;
    for (const child of this.live) killGroup(child);
  }

  /** Accepts calls again after stop() (a source started again). */
  resume(): void {
    this.stopped = false;
  }

  run(args: string[], call: GitCall = {}): Promise<GitResult> {
    const what = `git ${subcommand(args)}`.trim();
    if (this.stopped) return Promise.reject(new DroverError('aborted', `${what}: not started, drover is stopping`, { upstream: 'git' }));
    const env = gitEnvironment(process.env, { ...this.credentialEnv, ...call.env });
    const timeoutMs = call.timeoutMs ?? this.defaultTimeoutMs;
    return new Promise((resolve, reject) => {
      // detached: git leads a new process group, and its helpers join it, so one kill reaches them all.
      const child = spawn('git', args, { env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
      this.live.add(child);
      let stdout = '';
      let stderr = '';
      let outBytes = 0;
      let why: 'timeout' | 'stopped' | 'output' | undefined;
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        outBytes += d.length;
        if (outBytes > MAX_OUTPUT) {
          why ??= 'output';
          killGroup(child);
        } else stdout += d;
      });
      child.stderr!.setEncoding('utf8').on('data', (d: string) => {
        if (stderr.length < 64 * 1024) stderr += d;
      });
      const timer = this.scheduler.timeout('git-timeout', timeoutMs, () => {
        why ??= 'timeout';
        killGroup(child);
      });
      const onStop = () => (why ??= 'stopped');
      child.once('error', (e) => {
        timer.cancel();
        this.live.delete(child);
        reject(new DroverError('git', this.scrub(`${what} failed: ${e.message}`), { upstream: 'git', cause: e }));
      });
      child.once('close', (code, signal) => {
        timer.cancel();
        this.live.delete(child);
        if (this.stopped) onStop();
        if (why === undefined && code === 0) return resolve({ stdout, code: 0 });
        if (why === undefined && code !== null && call.okCodes?.includes(code)) return resolve({ stdout, code });
        if (why === 'stopped') return reject(new DroverError('aborted', `${what} stopped: drover is stopping`, { upstream: 'git' }));
        const reason = why === 'timeout' ? `timed out after ${timeoutMs}ms`
          : why === 'output' ? `printed more than ${MAX_OUTPUT} bytes`
          : lastLines(stderr) || (signal ? `killed by ${signal}` : `exit code ${code}`);
        reject(new DroverError('git', this.scrub(`${what} failed: ${reason}`), { upstream: 'git' }));
      });
      child.stdin!.on('error', () => undefined); // git exiting early is reported through 'close'
      child.stdin!.end(call.input);
    });
  }
}

/** SIGKILL to the child's whole process group (git and every helper it started). */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL'); // the group is gone already (ESRCH): make sure git itself is
  }
}

/** the sub-command name, skipping global options and `-c key=value` pairs */
function subcommand(args: string[]): string {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-c') i++;
    else if (!args[i]!.startsWith('-')) return args[i]!;
  }
  return '';
}

function lastLines(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  return lines.slice(-3).join('; ').slice(0, 500);
}

/** Strips `user:pass@` from URLs, Authorization header values and any known secret literal. */
export function scrubSecrets(message: string, secrets: readonly string[] = []): string {
  let out = message.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1');
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('<redacted>');
  return out.replace(/(authorization:\s*)[^\s;,]+(\s+[^\s;,]+)?/gi, '$1<redacted>');
}

/** A URL safe to log: userinfo removed. */
export function safeUrl(url: string): string {
  return scrubSecrets(url);
}

/** POSIX-shell single-quoting: GIT_SSH_COMMAND is run by a shell, so the key path must be quoted. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Reads DROVER_GIT_CREDENTIALS_FILE and returns the environment that hands it to git.
 * An SSH private key → GIT_SSH_COMMAND; anything else is an HTTPS token (`token` or `user:token`)
 * answered by an askpass script that reads the file on each prompt.
 */
export async function credentialEnv(file: string, workDir: string): Promise<{ env: Record<string, string>; secrets: string[]; kind: 'ssh' | 'token' }> {
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new DroverError('git', `DROVER_GIT_CREDENTIALS_FILE: cannot read ${file} (${code})`, { upstream: 'git' });
  }
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(content)) {
    const knownHosts = join(workDir, 'known_hosts');
    const cmd = ['ssh', '-i', shellQuote(file), '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=accept-new', '-o', `UserKnownHostsFile=${shellQuote(knownHosts)}`, '-o', 'BatchMode=yes'];
    return { env: { GIT_SSH_COMMAND: cmd.join(' ') }, secrets: [], kind: 'ssh' };
  }
  const line = content.split(/\r?\n/).find((l) => l.trim().length > 0)?.trim() ?? '';
  if (line === '') throw new DroverError('git', `DROVER_GIT_CREDENTIALS_FILE: ${file} is empty`, { upstream: 'git' });
  const colon = line.indexOf(':');
  const secrets = [line, colon > 0 ? line.slice(colon + 1) : line];
  const askpass = join(workDir, 'askpass.sh');
  await writeFile(askpass, askpassScript(file), { mode: 0o700 });
  return { env: { GIT_ASKPASS: askpass, SSH_ASKPASS: askpass }, secrets, kind: 'token' };
}

/**
 * Splits the userinfo off an http(s) DROVER_GIT_URL (`https://user:secret@host/repo.git`): git is
 * given the bare URL, and the user and password only through an askpass helper reading its own
 * environment (readable by this user and root alone, where argv is readable by every local user).
 * Other URLs, and http(s) URLs without userinfo, come back unchanged with no credentials.
 */
export function splitUrlCredentials(url: string): { url: string; username?: string; password?: string } {
  if (!/^https?:\/\//i.test(url)) return { url };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { url };
  }
  if (u.username === '' && u.password === '') return { url };
  const username = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  return { url: u.toString(), username, password };
}

/** The askpass helper for credentials taken from DROVER_GIT_URL: answers from DROVER_GIT_ASKPASS_USER/_PASSWORD. */
export async function urlCredentialEnv(creds: { username?: string; password?: string }, workDir: string): Promise<{ env: Record<string, string>; secrets: string[] }> {
  const askpass = join(workDir, 'askpass-url.sh');
  const script = [
    '#!/bin/sh',
    '# written by drover: answers git credential prompts with the userinfo of DROVER_GIT_URL, from the environment',
    'case "$1" in',
    `  Username*) printf '%s\\n' "$DROVER_GIT_ASKPASS_USER" ;;`,
    `  *) printf '%s\\n' "$DROVER_GIT_ASKPASS_PASSWORD" ;;`,
    'esac',
    '',
  ].join('\n');
  await writeFile(askpass, script, { mode: 0o700 });
  const secrets = [creds.password ?? '', creds.username ?? ''].filter((x) => x.length > 0);
  return {
    env: { GIT_ASKPASS: askpass, SSH_ASKPASS: askpass, DROVER_GIT_ASKPASS_USER: creds.username ?? '', DROVER_GIT_ASKPASS_PASSWORD: creds.password ?? '' },
    secrets,
  };
}

// git asks "Username for '<url>': " then "Password for '<url>': ". The file holds `token` (the user
// is then x-access-token, which GitHub, Gitea and GitLab accept with a token) or `user:token`.
function askpassScript(file: string): string {
  return [
    '#!/bin/sh',
    '# written by drover: answers git credential prompts from DROVER_GIT_CREDENTIALS_FILE',
    `IFS= read -r line < ${shellQuote(file)} || [ -n "$line" ]`,
    `line=$(printf '%s' "$line" | tr -d '\\r')`,
    'case "$line" in',
    `  *:*) user="\${line%%:*}"; pass="\${line#*:}" ;;`,
    '  *) user=x-access-token; pass="$line" ;;',
    'esac',
    'case "$1" in',
    `  Username*) printf '%s\\n' "$user" ;;`,
    `  *) printf '%s\\n' "$pass" ;;`,
    'esac',
    '',
  ].join('\n');
}
