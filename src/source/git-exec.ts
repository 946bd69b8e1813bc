// Running the real `git` binary safely: execFile with an args array (no shell), a timeout, a clean
// environment that can never prompt, and credentials handed over only through the environment
// (GIT_SSH_COMMAND for a key file, a GIT_ASKPASS helper that reads the token file itself) — never in
// argv or a URL. Every message that leaves this file is scrubbed of userinfo and token values.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DroverError } from '../core/errors.js';

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

// Variables that would point git at another repository or index than the one we name.
const INHERITED_GIT_VARS = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_NAMESPACE', 'GIT_COMMON_DIR'];

export class GitRunner {
  private secrets: string[] = [];
  private credentialEnv: Record<string, string> = {};

  constructor(private readonly defaultTimeoutMs = 60_000) {}

  /** Credentials for the next calls; `secrets` are literal values scrubbed from every message. */
  setCredentials(env: Record<string, string>, secrets: string[]): void {
    this.credentialEnv = env;
    this.secrets = secrets.filter((s) => s.length >= 4);
  }

  scrub(message: string): string {
    return scrubSecrets(message, this.secrets);
  }

  run(args: string[], call: GitCall = {}): Promise<GitResult> {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of INHERITED_GIT_VARS) delete env[k];
    Object.assign(env, { GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', GCM_INTERACTIVE: 'never' }, this.credentialEnv, call.env);
    return new Promise((resolve, reject) => {
      const child = execFile('git', args, { env, timeout: call.timeoutMs ?? this.defaultTimeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
        if (!err) return resolve({ stdout, code: 0 });
        const code = typeof err.code === 'number' ? err.code : -1;
        if (call.okCodes?.includes(code)) return resolve({ stdout, code });
        const what = `git ${subcommand(args)}`.trim();
        const reason = err.killed ? `timed out after ${call.timeoutMs ?? this.defaultTimeoutMs}ms` : lastLines(stderr) || err.message;
        reject(new DroverError('git', this.scrub(`${what} failed: ${reason}`), { upstream: 'git' }));
      });
      child.stdin?.on('error', () => undefined); // git exiting early is reported through the callback
      child.stdin?.end(call.input);
    });
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
