// Credentials end to end: a dumb-HTTP git server (static files of a bare repo) that demands Basic auth,
// so the askpass path is exercised for real; plus the SSH key → GIT_SSH_COMMAND mapping.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { nullLogger } from '../../src/core/logger.js';
import { Metrics } from '../../src/metrics.js';
import { credentialEnv, scrubSecrets } from '../../src/source/git-exec.js';
import { GitSource } from '../../src/source/git.js';
import { bareForDumbHttp, createRepo, testGitEnv } from '../helpers/git.js';

const TOKEN = 'gho_abcdefTOKEN987654';

async function dumbHttpServer(bareDir: string, expectedAuth: string): Promise<{ url: string; server: Server; auths: string[] }> {
  const auths: string[] = [];
  const server = createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    auths.push(auth);
    if (auth !== expectedAuth) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end('denied');
      return;
    }
    const path = normalize(decodeURIComponent(new URL(req.url!, 'http://x').pathname)).replace(/^\/repo\.git/, '');
    try {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(readFileSync(join(bareDir, path)));
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/repo.git`, server, auths };
}

test('an HTTPS token file is answered through askpass: fetch works, token never in errors', async (t) => {
  const repo = createRepo({ files: { 'apps/web.yaml': 'kind: App\n' } });
  const tmp = mkdtempSync(join(tmpdir(), 'drover-cred-'));
  t.teardown(() => {
    repo.remove();
    rmSync(tmp, { recursive: true, force: true });
  });
  const bare = bareForDumbHttp(repo.dir, tmp);
  const expected = `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`;
  const srv = await dumbHttpServer(bare, expected);
  t.teardown(() => srv.server.close());

  const tokenFile = join(tmp, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`);
  const metrics = new Metrics();
  const source = new GitSource({ git: { url: srv.url, ref: 'main', path: 'apps', pollIntervalMs: 60_000, credentialsFile: tokenFile }, metrics, logger: nullLogger, workDir: join(tmp, 'work') });
  t.teardown(() => source.stop());
  await source.start();
  t.is(source.state().lastError, undefined, source.state().lastError?.message);
  t.is(source.state().snapshot?.revision, repo.head());
  t.is(readFileSync(join(source.state().snapshot!.dir, 'web.yaml'), 'utf8'), 'kind: App\n');
  t.true(srv.auths.includes(expected));

  // a rotated, wrong token: the fetch fails, the snapshot stays, and the bad token is not in the error
  writeFileSync(tokenFile, 'wrong_TOKEN_value_42\n');
  repo.commit({ 'apps/web.yaml': 'changed' });
  execFileSync('git', ['--git-dir', bare, 'fetch', '-q', repo.dir, '+refs/heads/*:refs/heads/*'], { env: testGitEnv });
  execFileSync('git', ['--git-dir', bare, 'update-server-info'], { env: testGitEnv });
  await source.refresh();
  const err = source.state().lastError?.message ?? '';
  t.regex(err, /git fetch failed/);
  t.false(err.includes('wrong_TOKEN_value_42'));
  t.false(err.includes(TOKEN));
  t.not(source.state().snapshot?.revision, repo.head());
});

test('user:token files set the username', async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'drover-cred-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  writeFileSync(join(tmp, 'tok'), 'bob:s3cretvalue\r\n');
  const cred = await credentialEnv(join(tmp, 'tok'), tmp);
  t.is(cred.kind, 'token');
  const ask = (prompt: string) => execFileSync(cred.env.GIT_ASKPASS!, [prompt], { encoding: 'utf8' });
  t.is(ask("Username for 'https://git.example': "), 'bob\n');
  t.is(ask("Password for 'https://bob@git.example': "), 's3cretvalue\n');
  t.true(cred.secrets.includes('s3cretvalue'));
  t.false(JSON.stringify(cred.env).includes('s3cretvalue'), 'the token is not in the environment');
});

test('an SSH private key becomes GIT_SSH_COMMAND with IdentitiesOnly and accept-new', async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'drover cred '));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  const key = join(tmp, "id_ed25519 o'brien");
  writeFileSync(key, '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n');
  const cred = await credentialEnv(key, tmp);
  t.is(cred.kind, 'ssh');
  const cmd = cred.env.GIT_SSH_COMMAND!;
  t.true(cmd.startsWith(`ssh -i '`));
  t.true(cmd.includes(`'\\''brien'`), 'the path is shell-quoted');
  t.true(cmd.includes('-o IdentitiesOnly=yes'));
  t.true(cmd.includes('-o StrictHostKeyChecking=accept-new'));
  t.false(cmd.includes('AAAA'));
  // git runs GIT_SSH_COMMAND through a shell: the quoted path must arrive as one word
  const argv = execFileSync('sh', ['-c', `ssh() { for a; do printf '%s\\n' "$a"; done; }; ${cmd}`], { encoding: 'utf8' }).split('\n');
  t.is(argv[0], '-i');
  t.is(argv[1], key);
});

test('a missing or empty credentials file is a clear error', async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'drover-cred-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));
  await t.throwsAsync(credentialEnv(join(tmp, 'nope'), tmp), { message: /DROVER_GIT_CREDENTIALS_FILE: cannot read .*nope \(ENOENT\)/ });
  writeFileSync(join(tmp, 'empty'), '\n');
  await t.throwsAsync(credentialEnv(join(tmp, 'empty'), tmp), { message: /is empty/ });
});

test('scrubSecrets strips userinfo, Authorization values and known secrets', (t) => {
  t.is(scrubSecrets("fatal: unable to access 'https://u:p4ss@github.com/o/r.git/': 403"), "fatal: unable to access 'https://github.com/o/r.git/': 403");
  t.is(scrubSecrets('Authorization: Bearer abc.def'), 'Authorization: <redacted>');
  t.is(scrubSecrets('token is tok_12345 here', ['tok_12345']), 'token is <redacted> here');
});
