// Plain-HTTP helpers for the Nomad contract tests: a tiny fetch client, the target (the simulator,
// or a real agent at DROVER_CONTRACT_NOMAD_ADDR), the worked-example job of nomad-canonical.md §5,
// and polling. No drover code is used, so the tests pin the wire behaviour itself.
import test, { type ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import { RawHttp } from '../helpers/raw-http.js';
import { createNomadSim, type NomadSim, type NomadSimOptions } from '@drover/sim/nomad';

export type { Reply } from '../helpers/raw-http.js';

export class NomadHttp extends RawHttp {
  constructor(base: string, readonly token?: string) {
    super(base, token ? { 'X-Nomad-Token': token } : {});
  }
  withToken(token: string): NomadHttp {
    return new NomadHttp(this.base, token);
  }
}

export interface NomadTarget {
  http: NomadHttp;
  real: boolean;
  sim?: NomadSim;
  close(): Promise<void>;
}

/** The real agent when DROVER_CONTRACT_NOMAD_ADDR is set, else a fresh simulator. */
export async function startTarget(simOpts: NomadSimOptions = {}): Promise<NomadTarget> {
  const addr = process.env.DROVER_CONTRACT_NOMAD_ADDR;
  if (addr) {
    return { http: new NomadHttp(addr.replace(/\/+$/, ''), process.env.DROVER_CONTRACT_NOMAD_TOKEN), real: true, close: async () => undefined };
  }
  const sim = createNomadSim({ allocDelayMs: 20, ...simOpts });
  const url = await sim.listen(0, '127.0.0.1');
  return { http: new NomadHttp(url), real: false, sim, close: () => sim.close() };
}

export async function startSim(simOpts: NomadSimOptions = {}): Promise<{ http: NomadHttp; sim: NomadSim; close(): Promise<void> }> {
  const sim = createNomadSim({ allocDelayMs: 20, ...simOpts });
  const url = await sim.listen(0, '127.0.0.1');
  return { http: new NomadHttp(url), sim, close: () => sim.close() };
}

export const uniq = (p: string) => `${p}-${randomUUID().slice(0, 8)}`;

/** The input of nomad-canonical.md §5 under a given job ID. */
export function workedExample(id: string, over: { image?: string; count?: number } = {}): any {
  return {
    ID: id, Datacenters: ['dc1'], Meta: { a: 'b' },
    TaskGroups: [{
      Name: 'app', ...(over.count === undefined ? {} : { Count: over.count }),
      Networks: [{ DynamicPorts: [{ Label: 'http', To: 8080 }] }],
      Tasks: [{
        Name: 'app', Driver: 'docker', Config: { image: over.image ?? 'nginx:1.27', ports: ['http'] },
        Services: [{ Name: 'app', PortLabel: 'http', Tags: ['web', 'v1'], Checks: [{ Type: 'tcp', Interval: 10_000_000_000, Timeout: 2_000_000_000 }] }],
      }],
    }],
  };
}

export async function waitFor<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}

/**
 * Reads an NDJSON event stream until `until` says stop or the timeout fires; returns the parsed lines.
 * `onOpen` runs once the first line (the `{}` heartbeat) has arrived: the server has set the stream up.
 */
export async function readStream(url: string, until: (lines: any[]) => boolean, timeoutMs = 8000, onOpen?: () => void): Promise<any[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const lines: any[] = [];
  try {
    const res = await fetch(url, { signal: ac.signal });
    const reader = res.body!.getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += Buffer.from(value).toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (line) lines.push(JSON.parse(line));
        if (lines.length === 1 && onOpen) {
          onOpen();
          onOpen = undefined;
        }
      }
      if (until(lines)) break;
    }
    ac.abort();
  } catch (e) {
    if (!(e instanceof Error && e.name === 'AbortError')) throw e;
  } finally {
    clearTimeout(timer);
  }
  return lines;
}

/**
 * A job a plain dev agent can run: raw_exec (enable it with `plugin "raw_exec" { config { enabled = true } }`)
 * starting Debian's busybox-static httpd on the group's dynamic port. Health is task state based, so no
 * service catalogue is needed; min_healthy_time is 1 s (the simulator's default time scale makes it instant).
 */
export function runnableJob(id: string, over: { count?: number; args?: string[]; meta?: Record<string, string>; update?: Record<string, unknown>; tags?: string[]; driver?: string } = {}): any {
  return {
    ID: id, Datacenters: ['dc1'], Meta: over.meta ?? { 'drover.managed': 'true' },
    TaskGroups: [{
      Name: 'web', Count: over.count ?? 1,
      Update: { MaxParallel: 1, HealthCheck: 'task_states', MinHealthyTime: 1e9, HealthyDeadline: 60e9, ProgressDeadline: 120e9, ...over.update },
      Networks: [{ DynamicPorts: [{ Label: 'http' }] }],
      Tasks: [{
        Name: 'httpd', Driver: over.driver ?? 'raw_exec', ShutdownDelay: 0,
        Config: { command: '/bin/busybox', args: ['httpd', '-f', '-p', '${NOMAD_PORT_http}', ...(over.args ?? [])] },
        Resources: { CPU: 50, MemoryMB: 32 },
        ...(over.tags ? { Services: [{ Name: id, PortLabel: 'http', Provider: 'nomad', Tags: over.tags }] } : {}),
      }],
    }],
  };
}

/** Polls a GET until `pick` returns something (the JSON body is passed in; a body it cannot read yet counts as not yet). */
export async function poll<T>(h: NomadHttp, path: string, what: string, pick: (json: any) => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  return waitFor(what, async () => {
    const r = await h.get(path);
    if (r.status !== 200 || r.json === null || r.json === undefined) return undefined;
    return pick(r.json) || undefined;
  }, timeoutMs);
}

/** One contract case: it runs against whatever target the suite started (the simulator, or a real agent). */
export type ContractCase = (t: ExecutionContext, c: NomadTarget) => Promise<void>;

/** Registers a file's contract cases against one target started before them and closed after them. */
export function runContractCases(suite: string, cases: Record<string, ContractCase>): void {
  let target: NomadTarget;
  test.before(async () => {
    target = await startTarget();
  });
  test.after.always(async () => {
    await target?.close();
  });
  for (const [title, fn] of Object.entries(cases)) {
    test(`${suite}: ${title}`, async (t) => fn(t, target));
  }
}
