// A TCP server that accepts every connection and never answers: what a git remote (or any upstream)
// looks like when it is half-dead. close() drops the held sockets.
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface HangingServer {
  port: number;
  /** connections accepted so far */
  accepted(): number;
  close(): Promise<void>;
}

export async function startHangingServer(): Promise<HangingServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    accepted: () => accepted,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
