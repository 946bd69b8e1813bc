// Asks the local weave router which addresses a container holds. weaveworks/weave ipam/http.go:
// `GET /ip/{id}` looks up within the router's default subnet, `GET /ip/{id}/{ip}/{prefixlen}` within
// the given subnet; both answer the CIDRs space-separated as text, or 404 when the container holds none.
import { DroverError } from '../core/errors.js';
import { LocalHttp, statusError } from './http.js';

export interface WeaveApi {
  /** Addresses (without prefix) the container holds, inside `subnet` when given; [] when none. */
  addresses(containerId: string, subnet?: string): Promise<string[]>;
}

export class WeaveClient implements WeaveApi {
  private readonly http: LocalHttp;

  constructor(baseUrl: string, timeoutMs = 5000) {
    this.http = new LocalHttp('weave', { kind: 'url', base: baseUrl }, timeoutMs);
  }

  async addresses(containerId: string, subnet?: string): Promise<string[]> {
    const path = `/ip/${encodeURIComponent(containerId)}${subnet ? `/${subnet}` : ''}`;
    const reply = await this.http.get(path);
    if (reply.status === 404) return [];
    if (reply.status !== 200) throw statusError('weave', path, reply);
    return parseCidrList(reply.text, path);
  }
}

export function parseCidrList(text: string, path = '/ip'): string[] {
  const out: string[] = [];
  for (const cidr of text.trim().split(/\s+/).filter(Boolean)) {
    const ip = cidr.split('/')[0]!;
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) throw new DroverError('bad-response', `weave GET ${path}: "${cidr.slice(0, 60)}" is not an IPv4 CIDR`, { upstream: 'weave' });
    out.push(ip);
  }
  return out;
}
