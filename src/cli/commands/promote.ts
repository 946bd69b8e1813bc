// `drover promote <namespace>/<app>`: asks a running drover (DROVER_URL, default http://127.0.0.1:8080) to promote
// the canaries of the app's running deployment — POST /apps/:ns/:name/promote with the admin token from
// DROVER_ADMIN_TOKEN (never an argument: command lines end up in shell history and `ps`). Against an HA
// set-up, point DROVER_URL at the leader (GET /apps says which instance leads).
// Exit codes: 0 promoted; 1 refused (nothing waiting, canaries not healthy yet, not the leader) or any error —
// one line on stderr with the server's own message, never a stack trace or the token.
import type { Command } from 'commander';

export const DEFAULT_DROVER_URL = 'http://127.0.0.1:8080';
const REQUEST_TIMEOUT_MS = 30_000;

export interface PromoteOptions {
  env?: Record<string, string | undefined>;
  out?: (line: string) => void;
  err?: (line: string) => void;
}

export function registerPromote(program: Command): void {
  program
    .command('promote')
    .description("promote the canaries of an app's running deployment on a running drover (DROVER_URL, token in DROVER_ADMIN_TOKEN); exit 0 promoted, 1 refused or error")
    .argument('<namespace/app>', 'the app, e.g. default/web')
    .action(async (target: string) => {
      process.exitCode = await runPromote(target);
    });
}

export async function runPromote(target: string, opts: PromoteOptions = {}): Promise<number> {
  const env = opts.env ?? process.env;
  const out = opts.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const fail = (message: string) => {
    (opts.err ?? ((l: string) => process.stderr.write(`${l}\n`)))(`drover promote: ${message}`);
    return 1;
  };
  const m = /^([^/\s]+)\/([^/\s]+)$/.exec(target);
  if (!m) return fail(`"${target}" is not <namespace>/<app> (e.g. default/web)`);
  const [, namespace, app] = m as unknown as [string, string, string];
  const token = env.DROVER_ADMIN_TOKEN;
  if (!token) return fail('DROVER_ADMIN_TOKEN is not set: the promote endpoint needs the admin token of the running drover');
  const base = droverUrl(env.DROVER_URL || DEFAULT_DROVER_URL);
  if (!base) return fail(`DROVER_URL "${env.DROVER_URL}" is not an http(s) address`);
  const url = `${base.href}apps/${encodeURIComponent(namespace)}/${encodeURIComponent(app)}/promote`;
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (e) {
    return fail(`cannot reach drover at ${base.origin}: ${reason(e)}`);
  }
  const body = await res.text();
  const parsed = parseJson(body);
  if (res.status === 202 && parsed && parsed.promoted === true) {
    const version = typeof parsed.jobVersion === 'number' ? ` (job version ${parsed.jobVersion})` : '';
    const groups = Array.isArray(parsed.groups) ? `, group ${parsed.groups.join(', ')}` : '';
    out(`promoted ${namespace}/${app}: deployment ${String(parsed.deployment ?? '').slice(0, 8)}${version}${groups}`);
    return 0;
  }
  const message = parsed && typeof parsed.message === 'string' ? parsed.message : body.trim().slice(0, 500) || res.statusText;
  return fail(`${res.status} ${message}`);
}

/** The base URL with a trailing slash and without credentials, or undefined when it is not http(s). */
function droverUrl(raw: string): URL | undefined {
  try {
    const u = new URL(/^[a-z]+:\/\//i.test(raw) ? raw : `http://${raw}`);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    if (!u.pathname.endsWith('/')) u.pathname += '/';
    return u;
  } catch {
    return undefined;
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** fetch's own failure, in a few words: the cause's code (ECONNREFUSED) or a timeout. */
function reason(e: unknown): string {
  const err = e as { name?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000}s`;
  if (err?.cause?.code === 'ECONNREFUSED') return 'connection refused';
  return err?.cause?.code ?? err?.cause?.message ?? 'request failed';
}
