// A real HTTP receiver on loopback for notification tests: records every body it was sent, and can be
// told to answer with an error status, to hang (never answer), or to be down (not listening).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
  raw: string;
}

export interface Receiver {
  url: string;
  port: number;
  /** bodies fully received (whatever was answered) */
  received: Received[];
  /** requests whose headers arrived (a hanging receiver counts them here too) */
  started: number;
  /** 'ok' answers 200; a number answers that status; 'hang' never answers */
  mode: 'ok' | 'hang' | number;
  /** stop listening (the port is kept for up()) */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(port = 0): Promise<Receiver> {
  const hanging = new Set<ServerResponse>();
  let server: Server | undefined;
  const r: Receiver = {
    url: '', port: 0, received: [], started: 0, mode: 'ok',
    async down() {
      if (!server) return;
      const s = server;
      server = undefined;
      for (const res of hanging) res.destroy();
      hanging.clear();
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    async up() {
      server = createServer((req, res) => {
        r.started += 1;
        let raw = '';
        req.on('data', (c: Buffer) => (raw += c.toString()));
        req.on('end', () => {
          let body: unknown;
          try {
            body = JSON.parse(raw);
          } catch {
            body = undefined;
          }
          r.received.push({ path: req.url ?? '', headers: req.headers, body, raw });
          if (r.mode === 'hang') {
            hanging.add(res);
            return;
          }
          res.writeHead(r.mode === 'ok' ? 200 : r.mode, { 'content-type': 'text/plain' }).end(r.mode === 'ok' ? 'ok' : 'no');
        });
      });
      const s = server;
      await new Promise<void>((resolve) => s.listen(r.port, '127.0.0.1', () => resolve()));
      r.port = (s.address() as AddressInfo).port;
      r.url = `http://127.0.0.1:${r.port}`;
    },
    async close() {
      await r.down();
    },
  };
  r.port = port;
  await r.up();
  return r;
}

export async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}
