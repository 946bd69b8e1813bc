// A real Consul agent for the contract tests: DROVER_CONTRACT_CONSUL_ADDR when set, else
// `consul agent -dev` on free loopback ports when `consul` is on PATH, else a reason to skip
// (which becomes a failure when DROVER_REQUIRE_REAL_CONSUL=1, as CI sets it).
// With `acl`, always an agent of its own with ACLs enabled, default policy deny and a master
// token (Consul 1.8 syntax: acl { enabled, default_policy, tokens { master, agent } }); it is ready
// once the master token is known to the ACL system, which takes a moment after the leader is elected.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type RealConsul = { url: string; version: string; close(): Promise<void>; masterToken?: string } | { unavailable: string };

export interface RealConsulOptions {
  /** ACLs on, default deny; the master token is generated unless given */
  acl?: { masterToken?: string };
}

const START_TIMEOUT_MS = 20_000;

export async function startRealConsul(opts: RealConsulOptions = {}): Promise<RealConsul> {
  const given = process.env.DROVER_CONTRACT_CONSUL_ADDR;
  if (given && !opts.acl) {
    const url = given.replace(/\/+$/, '');
    const leader = await waitForLeader(url, START_TIMEOUT_MS);
    if (!leader) return { unavailable: `DROVER_CONTRACT_CONSUL_ADDR=${url} has no leader` };
    return { url, version: await agentVersion(url), close: async () => undefined };
  }
  const probe = spawnSync('consul', ['version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return { unavailable: 'no `consul` binary on PATH and DROVER_CONTRACT_CONSUL_ADDR is not set' };
  const [http, serfLan, serfWan, server] = await freePorts(4);
  // The master token goes in through a config file (0600), never on the command line.
  const masterToken = opts.acl ? (opts.acl.masterToken ?? randomUUID()) : undefined;
  let configDir: string | undefined;
  const aclArgs: string[] = [];
  if (masterToken) {
    configDir = mkdtempSync(join(tmpdir(), 'drover-consul-acl-'));
    const file = join(configDir, 'acl.hcl');
    writeFileSync(file, `acl {\n  enabled = true\n  default_policy = "deny"\n  tokens {\n    master = "${masterToken}"\n    agent = "${masterToken}"\n  }\n}\n`, { mode: 0o600 });
    aclArgs.push(`-config-file=${file}`);
  }
  const cleanup = () => {
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  };
  const child = spawn('consul', [
    'agent', '-dev', '-bind', '127.0.0.1', '-client', '127.0.0.1', `-http-port=${http}`, '-dns-port=-1', '-grpc-port=-1',
    `-serf-lan-port=${serfLan}`, `-serf-wan-port=${serfWan}`, `-server-port=${server}`, '-log-level=warn', ...aclArgs,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  // If the test process dies without its teardown (an uncaught error), the agent must not outlive it.
  const killOnExit = () => {
    child.kill('SIGKILL');
    cleanup();
  };
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  const url = `http://127.0.0.1:${http}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = async () => (await waitForLeader(url, START_TIMEOUT_MS)) && (!masterToken || (await waitForAcl(url, masterToken, START_TIMEOUT_MS)));
  const leader = await Promise.race([ready(), exited.then(() => false)]);
  if (!leader) {
    await stop(child, exited);
    cleanup();
    return { unavailable: `consul agent did not ${masterToken ? 'elect a leader with ACLs ready' : 'elect a leader'}: ${output.trim().split('\n').slice(-3).join(' | ')}` };
  }
  return { url, version: await agentVersion(url, masterToken), close: () => stop(child, exited).then(cleanup), ...(masterToken ? { masterToken } : {}) };
}

/** The ACL system knows the master token (the leader creates it after its election). */
async function waitForAcl(url: string, token: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/v1/acl/token/self`, { headers: { 'X-Consul-Token': token }, signal: AbortSignal.timeout(1000) });
      if (res.ok) return true;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await exited;
}

async function waitForLeader(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/v1/status/leader`, { signal: AbortSignal.timeout(1000) });
      if (res.ok && ((await res.json()) as string)) return true;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

async function agentVersion(url: string, token?: string): Promise<string> {
  try {
    const res = await fetch(`${url}/v1/agent/self`, token ? { headers: { 'X-Consul-Token': token } } : {});
    const self = (await res.json()) as { Config?: { Version?: string } };
    return self.Config?.Version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Ports the OS hands out now; a tiny race with other processes is accepted for tests. */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<net.Server>((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}
