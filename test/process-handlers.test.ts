// Process-level handlers of `drover run`: an uncaught exception or an unhandled rejection (a bug) is
// logged as one JSON line with its cause, then the process exits 1.
import test from 'ava';
import { spawn } from 'node:child_process';

const CWD = new URL('..', import.meta.url).pathname;

function runSnippet(code: string): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: CWD, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => (stdout += d));
    child.on('close', (c) => resolve({ code: c, stderr, stdout }));
  });
}

for (const [what, trigger, msg] of [
  ['uncaught exception', "setTimeout(() => { throw new TypeError('boom in a timer'); }, 0);", /^uncaught exception: exiting$/],
  ['unhandled rejection', "void Promise.reject(new RangeError('boom in a promise'));", /^unhandled promise rejection: exiting$/],
] as const) {
  test(`an ${what} is one JSON line on stderr with its cause, then exit 1`, async (t) => {
    const r = await runSnippet(`import { installProcessHandlers } from './src/main.ts'; installProcessHandlers(); ${trigger}`);
    t.is(r.code, 1);
    const lines = r.stderr.trim().split('\n');
    t.is(lines.length, 1, r.stderr);
    const rec = JSON.parse(lines[0]!) as { level: string; msg: string; error: string; cause: string };
    t.is(rec.level, 'error');
    t.regex(rec.msg, msg);
    t.regex(rec.error, /boom in a/);
    t.regex(rec.cause, /Error: boom in a .*\n\s+at /s);
  });
}
