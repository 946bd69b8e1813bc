// A small HTTP server for the simulated Nomad, Consul and Vault: route table, request counters,
// a bounded request log, and fault injection (latency, error rate, fail-next-N, hang, down) driven
// from control endpoints under /_sim/ that never collide with the real API paths.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface SimRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  params: Record<string, string>;
  /** for streaming handlers */
  raw: http.IncomingMessage;
  res: http.ServerResponse;
}

/** `json` is encoded compactly; `text` is sent as text/plain; `handled` means the handler wrote the response itself. */
export type SimReply =
  | { status?: number; json: unknown; headers?: Record<string, string> }
  | { status: number; text: string; headers?: Record<string, string> }
  | { handled: true };

export type SimHandler = (req: SimRequest) => SimReply | Promise<SimReply>;

export interface Faults {
  /** added before every matching request */
  latencyMs: number;
  /** 0..1: share of matching requests answered with errorStatus */
  errorRate: number;
  errorStatus: number;
  errorBody: string;
  /** the next N matching requests fail with failStatus (0 = drop the connection) */
  failNext: number;
  failStatus: number;
  failBody: string;
  /** matching requests get no answer until the client gives up */
  hang: boolean;
  /** only requests whose "METHOD path" matches this regex are affected; empty = all */
  match: string;
}

const NO_FAULTS: Faults = {
  latencyMs: 0, errorRate: 0, errorStatus: 500, errorBody: 'simulated failure', failNext: 0, failStatus: 500,
  failBody: 'simulated failure', hang: false, match: '',
};

export interface LoggedRequest {
  seq: number;
  at: number;
  method: string;
  path: string;
  route: string;
  status: number;
  token?: string;
}

interface Route {
  method: string;
  name: string;
  re: RegExp;
  keys: string[];
  handler: SimHandler;
}

export interface SimServerOptions {
  name: string;
  /** how an injected error body is sent: Nomad and Consul use plain text, Vault JSON `{"errors":[...]}` */
  errorForm?: 'text' | 'vault-json';
  /** random source, injectable so tests of the simulator are repeatable */
  random?: () => number;
  logLimit?: number;
}

export class SimServer {
  readonly name: string;
  private readonly routes: Route[] = [];
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private faults: Faults = { ...NO_FAULTS };
  private readonly counters = new Map<string, { count: number; status: Record<string, number> }>();
  private readonly log: LoggedRequest[] = [];
  private seq = 0;
  private readonly logLimit: number;
  private readonly random: () => number;
  private readonly errorForm: 'text' | 'vault-json';
  private downUntil = 0;
  private listenAddr?: { host: string; port: number };

  constructor(opts: SimServerOptions) {
    this.name = opts.name;
    this.random = opts.random ?? Math.random;
    this.errorForm = opts.errorForm ?? 'text';
    this.logLimit = opts.logLimit ?? 50_000;
    this.server = http.createServer((req, res) => void this.dispatch(req, res));
    this.server.keepAliveTimeout = 65_000;
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.controlRoutes();
  }

  /** Registers a route; `pattern` uses `:name` segments and a trailing `*name` for the rest of the path. */
  route(methods: string | string[], pattern: string, handler: SimHandler): this {
    const keys: string[] = [];
    const src = pattern
      .split('/')
      .map((seg) => {
        if (seg.startsWith(':')) {
          keys.push(seg.slice(1));
          return '([^/]+)';
        }
        if (seg.startsWith('*')) {
          keys.push(seg.slice(1));
          return '(.*)';
        }
        return seg.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    for (const method of Array.isArray(methods) ? methods : [methods]) {
      this.routes.push({ method, name: pattern, re: new RegExp(`^${src}$`), keys, handler });
    }
    return this;
  }

  async listen(port: number, host = '127.0.0.1'): Promise<{ host: string; port: number; url: string }> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const a = this.server.address() as AddressInfo;
    this.listenAddr = { host, port: a.port };
    return { host, port: a.port, url: `http://${host}:${a.port}` };
  }

  get url(): string {
    if (!this.listenAddr) throw new Error(`${this.name} simulator is not listening`);
    return `http://${this.listenAddr.host}:${this.listenAddr.port}`;
  }

  /** Drops every open connection but `keep` (a restarted server's clients see them reset); the listener stays. */
  dropConnections(keep?: Socket): void {
    for (const s of this.sockets) if (s !== keep) s.destroy();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  setFaults(f: Partial<Faults>): void {
    this.faults = { ...this.faults, ...f };
  }

  clearFaults(): void {
    this.faults = { ...NO_FAULTS };
  }

  /**
   * Takes the upstream down: the listener is closed (new connections are refused) and open sockets are
   * destroyed. With `forMs` it comes back by itself.
   */
  async down(forMs?: number): Promise<void> {
    if (!this.listenAddr) return;
    this.downUntil = forMs ? Date.now() + forMs : Number.POSITIVE_INFINITY;
    for (const s of this.sockets) s.destroy();
    if (this.server.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (forMs) setTimeout(() => void this.up().catch(() => undefined), forMs).unref();
  }

  async up(): Promise<void> {
    if (!this.listenAddr || this.server.listening) return;
    this.downUntil = 0;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.listenAddr!.port, this.listenAddr!.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  get isDown(): boolean {
    return this.downUntil > Date.now();
  }

  counterSnapshot(): Record<string, { count: number; status: Record<string, number> }> {
    return Object.fromEntries([...this.counters].map(([k, v]) => [k, { count: v.count, status: { ...v.status } }]));
  }

  /** Total requests, optionally only those whose "METHOD route" key matches. */
  count(filter?: (key: string) => boolean): number {
    let n = 0;
    for (const [k, v] of this.counters) if (!filter || filter(k)) n += v.count;
    return n;
  }

  resetCounters(): void {
    this.counters.clear();
    this.log.length = 0;
  }

  requestLog(): readonly LoggedRequest[] {
    return this.log;
  }

  private controlRoutes(): void {
    this.route('GET', '/_sim/counters', () => ({ json: { total: this.count(), routes: this.counterSnapshot() } }));
    this.route(['POST', 'PUT'], '/_sim/counters/reset', () => {
      this.resetCounters();
      return { json: true };
    });
    this.route('GET', '/_sim/log', (req) => {
      const since = Number(req.query.get('since') ?? '0');
      return { json: this.log.filter((l) => l.seq > since) };
    });
    this.route('GET', '/_sim/faults', () => ({ json: this.faults }));
    this.route(['POST', 'PUT'], '/_sim/faults', (req) => {
      const body = parseJsonBody(req.body);
      if (!body || typeof body !== 'object') return { status: 400, text: 'faults body must be a JSON object' };
      const next: Partial<Faults> = {};
      for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
        if (!(k in NO_FAULTS)) return { status: 400, text: `unknown fault "${k}"` };
        if (typeof v !== typeof (NO_FAULTS as unknown as Record<string, unknown>)[k]) return { status: 400, text: `fault "${k}" has the wrong type` };
        (next as Record<string, unknown>)[k] = v;
      }
      this.setFaults(next);
      return { json: this.faults };
    });
    this.route('DELETE', '/_sim/faults', () => {
      this.clearFaults();
      return { json: this.faults };
    });
    this.route(['POST', 'PUT'], '/_sim/down', (req) => {
      const forMs = Number(req.query.get('for_ms') ?? '0');
      if (!(forMs > 0)) return { status: 400, text: 'for_ms must be a positive number: a downed server cannot be brought up over HTTP' };
      setImmediate(() => void this.down(forMs));
      return { json: { downForMs: forMs } };
    });
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const method = req.method ?? 'GET';
    let route: Route | undefined;
    let match: RegExpExecArray | null = null;
    let pathMatched = false;
    for (const r of this.routes) {
      const m = r.re.exec(url.pathname);
      if (!m) continue;
      pathMatched = true;
      if (r.method === method) {
        route = r;
        match = m;
        break;
      }
    }
    const routeName = route?.name ?? (pathMatched ? 'method-not-allowed' : 'not-found');
    const key = `${method} ${routeName}`;
    const isControl = url.pathname.startsWith('/_sim/');
    const finish = (status: number) => {
      if (isControl) return;
      const c = this.counters.get(key) ?? { count: 0, status: {} };
      c.count++;
      c.status[String(status)] = (c.status[String(status)] ?? 0) + 1;
      this.counters.set(key, c);
      const token = headerValue(req.headers['x-nomad-token']) ?? headerValue(req.headers['x-consul-token']) ?? headerValue(req.headers['x-vault-token']);
      this.log.push({ seq: ++this.seq, at: Date.now(), method, path: url.pathname, route: routeName, status, token });
      if (this.log.length > this.logLimit) this.log.splice(0, this.log.length - this.logLimit);
    };

    const body = await readBody(req);

    if (!isControl) {
      const f = this.faults;
      const affected = !f.match || new RegExp(f.match).test(`${method} ${url.pathname}`);
      if (affected) {
        if (f.hang) {
          finish(0);
          return; // never answer; the socket is destroyed on down()/close()
        }
        if (f.latencyMs > 0) await sleep(f.latencyMs);
        if (f.failNext > 0) {
          this.faults = { ...this.faults, failNext: f.failNext - 1 };
          if (f.failStatus === 0) {
            finish(0);
            req.socket.destroy();
            return;
          }
          finish(f.failStatus);
          this.sendError(res, f.failStatus, f.failBody);
          return;
        }
        if (f.errorRate > 0 && this.random() < f.errorRate) {
          finish(f.errorStatus);
          this.sendError(res, f.errorStatus, f.errorBody);
          return;
        }
      }
    }

    if (!route || !match) {
      const status = pathMatched ? 405 : 404;
      finish(status);
      this.sendError(res, status, pathMatched ? 'Invalid method' : 'Not Found');
      return;
    }
    const params: Record<string, string> = {};
    route.keys.forEach((k, i) => (params[k] = decodeURIComponent(match![i + 1] ?? '')));
    try {
      const reply = await route.handler({ method, path: url.pathname, query: url.searchParams, headers: req.headers, body, params, raw: req, res });
      if ('handled' in reply) {
        finish(res.statusCode);
        return;
      }
      const status = reply.status ?? 200;
      finish(status);
      if ('json' in reply) {
        res.writeHead(status, { 'Content-Type': 'application/json', ...reply.headers });
        res.end(JSON.stringify(reply.json));
      } else {
        res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...reply.headers });
        res.end(reply.text);
      }
    } catch (e) {
      finish(500);
      this.sendError(res, 500, e instanceof Error ? e.message : String(e));
    }
  }

  private sendError(res: http.ServerResponse, status: number, text: string): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    if (this.errorForm === 'vault-json') {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [text] }));
    } else {
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(text);
    }
  }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
