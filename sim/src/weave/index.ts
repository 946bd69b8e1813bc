// The simulated weave router HTTP API (port 6784 on a real node), only what drover reads:
// `GET /ip/:id` (the container's addresses inside the default subnet), `GET /ip/:id/:ip/:prefixlen`
// (inside that subnet) — both answer CIDRs space-separated as text, 404 when none — and `GET /status`.
// Facts from weaveworks/weave ipam/http.go. Addresses are assigned in-process, as the weave proxy does
// when a container with WEAVE_CIDR starts.
import ipaddr from 'ipaddr.js';
import { SimServer } from '../http.js';

export interface WeaveSim {
  readonly server: SimServer;
  readonly url: string;
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
  /** Allocates the next free address of `subnet` (default: the default subnet) to the container; returns "a.b.c.d/len". */
  assign(containerId: string, subnet?: string): string;
  release(containerId: string): void;
  addressesOf(containerId: string): string[];
}

export interface WeaveSimOptions {
  /** the allocation range and default subnet (`weave launch --ipalloc-range`), default 10.32.0.0/12 */
  defaultSubnet?: string;
}

export function createWeaveSim(opts: WeaveSimOptions = {}): WeaveSim {
  const server = new SimServer({ name: 'weave' });
  const defaultSubnet = opts.defaultSubnet ?? '10.32.0.0/12';
  /** container id → CIDRs */
  const owned = new Map<string, string[]>();
  const used = new Set<string>();

  const inside = (id: string, subnet: string) => {
    const range = ipaddr.IPv4.parseCIDR(subnet);
    return (owned.get(id) ?? []).filter((cidr) => ipaddr.IPv4.parse(cidr.split('/')[0]!).match(range));
  };
  const lookup = (id: string, subnet: string) => {
    const hits = inside(id, subnet);
    return hits.length > 0 ? { status: 200, text: hits.join(' ') } : { status: 404, text: '404 page not found\n' };
  };

  server.route('GET', '/ip/:id', (req) => lookup(req.params.id ?? '', defaultSubnet));
  server.route('GET', '/ip/:id/:ip/:prefixlen', (req) => {
    const cidr = `${req.params.ip}/${req.params.prefixlen}`;
    if (!ipaddr.IPv4.isValidCIDR(cidr)) return { status: 400, text: `invalid CIDR address: ${cidr}\n` };
    return lookup(req.params.id ?? '', cidr);
  });
  server.route('GET', '/status', () => ({
    status: 200,
    text: `        Version: 2.8.1 (simulated)\n\n        Service: router\n       Protocol: weave 1..2\n\n        Service: ipam\n         Status: ready\n          Range: ${defaultSubnet}\n  DefaultSubnet: ${defaultSubnet}\n`,
  }));

  return {
    server,
    get url() {
      return server.url;
    },
    listen: async (port = 0, host = '127.0.0.1') => (await server.listen(port, host)).url,
    close: () => server.close(),
    assign(containerId, subnet = defaultSubnet) {
      const [net, len] = ipaddr.IPv4.parseCIDR(subnet);
      const base = ipv4ToInt(net) & (len === 0 ? 0 : (~0 << (32 - len)) >>> 0);
      const size = 2 ** (32 - len);
      // The network and broadcast addresses are never handed out.
      for (let i = 1; i < size - 1; i++) {
        const ip = intToIpv4((base + i) >>> 0);
        if (used.has(ip)) continue;
        used.add(ip);
        const cidr = `${ip}/${len}`;
        owned.set(containerId, [...(owned.get(containerId) ?? []), cidr]);
        return cidr;
      }
      throw new Error(`weave sim: subnet ${subnet} is full`);
    },
    release(containerId) {
      for (const cidr of owned.get(containerId) ?? []) used.delete(cidr.split('/')[0]!);
      owned.delete(containerId);
    },
    addressesOf: (id) => [...(owned.get(id) ?? [])],
  };
}

function ipv4ToInt(ip: ipaddr.IPv4): number {
  return ip.octets.reduce((n, o) => ((n << 8) | o) >>> 0, 0);
}

function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}
