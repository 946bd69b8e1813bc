// Plain-HTTP helpers for the Nomad contract tests: a tiny fetch client, the target (the simulator,
// or a real agent at DROVER_CONTRACT_NOMAD_ADDR), the worked-example job of nomad-canonical.md §5,
// and polling. No drover code is used, so the tests pin the wire behaviour itself.
import { randomUUID } from 'node:crypto';
import { RawHttp } from '../helpers/raw-http.js';
import { createNomadSim, type NomadSim, type NomadSimOptions } from '../../src/sim/nomad/index.js';

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

/** Reads an NDJSON event stream until `until` says stop or the timeout fires; returns the parsed lines. */
export async function readStream(url: string, until: (lines: any[]) => boolean, timeoutMs = 8000): Promise<any[]> {
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
