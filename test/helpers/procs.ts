// Processes as /proc shows them (Linux): for tests that check what git children exist, what their
// command lines hold and what environment they were given.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcInfo {
  pid: number;
  /** argv joined by spaces */
  cmdline: string;
  /** the environment it was started with; undefined when it cannot be read */
  environ?: Record<string, string>;
}

export function processes(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    } catch {
      continue; // exited meanwhile
    }
    let environ: Record<string, string> | undefined;
    try {
      environ = Object.fromEntries(readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').filter(Boolean).map((kv) => {
        const i = kv.indexOf('=');
        return [kv.slice(0, i), kv.slice(i + 1)];
      }));
    } catch {
      environ = undefined;
    }
    out.push({ pid: Number(name), cmdline, environ });
  }
  return out;
}

/** Processes whose command line contains `needle` (e.g. a test server's port), this test process excluded. */
export function processesMentioning(needle: string): ProcInfo[] {
  return processes().filter((p) => p.pid !== process.pid && p.cmdline.includes(needle) && !p.cmdline.startsWith('/proc'));
}

/** Polls (real time) until `cond` holds; fails with `what` after `timeoutMs`. */
export async function until<T>(what: string, cond: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
