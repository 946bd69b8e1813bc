// Strict IP parsing for spec fields. ipaddr.js alone accepts forms like "10.1" or "0x0a.0.0.1"; specs
// must use the plain dotted-quad / standard IPv6 forms people can read and Docker accepts.
import ipaddr from 'ipaddr.js';

export interface Ipv4Cidr {
  /** network address as a 32-bit unsigned integer */
  start: number;
  prefix: number;
  text: string;
}

export function isIpAddress(s: string): boolean {
  if (ipaddr.IPv4.isValidFourPartDecimal(s)) return true;
  return !s.includes('%') && s.includes(':') && ipaddr.IPv6.isValid(s);
}

/** Parses `a.b.c.d/n` strictly; `hostBits` is true when the address is not the network address. */
export function parseIpv4Cidr(s: string): (Ipv4Cidr & { hostBits: boolean; network: string }) | undefined {
  const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(s);
  if (!m || !ipaddr.IPv4.isValidFourPartDecimal(m[1]!)) return undefined;
  const prefix = Number(m[2]);
  if (prefix > 32) return undefined;
  const network = ipaddr.IPv4.networkAddressFromCIDR(s).toString();
  const start = toUint(network);
  return { start, prefix, text: `${network}/${prefix}`, hostBits: network !== m[1], network };
}

function toUint(dotted: string): number {
  return dotted.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

/** One past the last address of the block, as a number (fits in a double). */
export function cidrEnd(c: Ipv4Cidr): number {
  return c.start + 2 ** (32 - c.prefix);
}

/** True when `inner` lies completely inside `outer`. */
export function cidrContains(outer: Ipv4Cidr, inner: Ipv4Cidr): boolean {
  return inner.start >= outer.start && cidrEnd(inner) <= cidrEnd(outer);
}
