// What one HTTP request costs drover's client side, against one local server: CPU time per request and
// memory, for (1) bare node:http with a keep-alive agent (the floor: no client library at all), (2) one
// got.extend instance with a keep-alive agent and retries off, (3) drover's NomadClient.readJob as shipped
// (request core, retry policy, error mapping, observation). Prints numbers, asserts nothing.
//
//   npm run build && node dist/scripts/bench/http-client.js      (or: node --import tsx scripts/bench/http-client.ts)
//
// BENCH_HTTP_REQUESTS (default 20000) requests per variant after 2000 to warm up, BENCH_HTTP_CONCURRENCY
// (default 8) in flight, BENCH_HTTP_ROUNDS (default 2) runs of every variant, interleaved,
// BENCH_HTTP_VARIANTS (default node-http,got,drover) which to run. The server and every variant run in
// processes of their own, so each variant's CPU and RSS are its own.
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';

type Variant = 'node-http' | 'got' | 'drover';
const VARIANTS = (process.env.BENCH_HTTP_VARIANTS ?? 'node-http,got,drover').split(',').map((v) => v.trim()) as Variant[];
const requests = Number(process.env.BENCH_HTTP_REQUESTS ?? 20_000);
const concurrency = Number(process.env.BENCH_HTTP_CONCURRENCY ?? 8);
const rounds = Number(process.env.BENCH_HTTP_ROUNDS ?? 2);
const WARMUP = 2000;

interface Result {
  variant: Variant;
  cpuUsPerRequest: number;
  wallMs: number;
  rssMB: number;
  maxRssMB: number;
  heapMB: number;
}

/** A Nomad-like GET /v1/job/:id: a 2 KB JSON job and an index header. */
function serve(): void {
  const job = JSON.stringify({ ID: 'web', Name: 'web', Type: 'service', Meta: { 'drover.managed': 'true' }, TaskGroups: [{ Name: 'web', Count: 2, Tasks: [{ Name: 'web', Driver: 'docker', Config: { image: 'nginx:1.25', args: Array.from({ length: 40 }, (_, i) => `--flag-${i}=value-${i}`) } }] }] });
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'X-Nomad-Index': '42', 'Content-Length': Buffer.byteLength(job) });
    res.end(job);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
}

async function client(variant: Variant, url: string): Promise<void> {
  const once = await requester(variant, url);
  const run = async (n: number) => {
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next++ < n) await once();
    }));
  };
  await run(WARMUP);
  globalThis.gc?.();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run(requests);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const mem = process.memoryUsage();
  const result: Result = {
    variant, wallMs, cpuUsPerRequest: (cpu.user + cpu.system) / requests,
    rssMB: mem.rss / 2 ** 20, maxRssMB: process.resourceUsage().maxRSS / 1024, heapMB: mem.heapUsed / 2 ** 20,
  };
  process.send!(result, () => process.exit(0));
}

async function requester(variant: Variant, url: string): Promise<() => Promise<unknown>> {
  if (variant === 'node-http') {
    const agent = new http.Agent({ keepAlive: true, scheduling: 'lifo', timeout: 5000 });
    return () => new Promise((resolve, reject) => {
      const req = http.request(`${url}/v1/job/web`, { agent, headers: { accept: 'application/json' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  }
  if (variant === 'got') {
    const { default: got } = await import('got');
    const instance = got.extend({
      prefixUrl: url, agent: { http: new http.Agent({ keepAlive: true, scheduling: 'lifo', timeout: 5000 }) },
      retry: { limit: 0 }, timeout: { request: 5000 }, headers: { accept: 'application/json' },
    });
    return async () => JSON.parse((await instance.get('v1/job/web')).body);
  }
  const { NomadClient } = await import('../../src/clients/nomad.js');
  const nomad = new NomadClient({ addr: url, timeoutMs: 5000 });
  return () => nomad.readJob('web');
}

function start(args: string[]): ChildProcess {
  return fork(process.argv[1]!, args, { execArgv: [...process.execArgv, '--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function message<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as T));
    child.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
  });
}

async function main(): Promise<void> {
  const server = start(['server']);
  const { port } = await message<{ port: number }>(server);
  const url = `http://127.0.0.1:${port}`;
  process.stderr.write(`http client bench: ${requests} requests per run, ${concurrency} in flight, load average ${loadavg()[0]!.toFixed(1)} at start\n`);
  const results: Result[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const v of VARIANTS) {
      const child = start(['client', v, url]);
      const res = await message<Result>(child);
      results.push(res);
      process.stderr.write(`  ${v}: ${res.cpuUsPerRequest.toFixed(1)} µs CPU/request, RSS ${res.rssMB.toFixed(0)} MB (peak ${res.maxRssMB.toFixed(0)})\n`);
    }
  }
  server.kill();
  process.stdout.write('\n| client | CPU per request (µs) | requests/s | RSS after (MB) | peak RSS (MB) | heap (MB) |\n|---|---|---|---|---|---|\n');
  for (const v of VARIANTS) {
    const mine = results.filter((x) => x.variant === v);
    const span = (f: (x: Result) => number, digits = 0) => {
      const xs = mine.map(f).sort((a, b) => a - b);
      return xs[0]!.toFixed(digits) === xs[xs.length - 1]!.toFixed(digits) ? xs[0]!.toFixed(digits) : `${xs[0]!.toFixed(digits)}–${xs[xs.length - 1]!.toFixed(digits)}`;
    };
    process.stdout.write(`| ${v} | ${span((x) => x.cpuUsPerRequest, 1)} | ${span((x) => requests / (x.wallMs / 1000))} | ${span((x) => x.rssMB)} | ${span((x) => x.maxRssMB)} | ${span((x) => x.heapMB)} |\n`);
  }
  process.stdout.write(`\nload average ${loadavg().map((x) => x.toFixed(1)).join(' ')} at the end\n`);
}

const [role, variant, url] = process.argv.slice(2);
if (role === 'server') serve();
else if (role === 'client') void client(variant as Variant, url!);
else main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
