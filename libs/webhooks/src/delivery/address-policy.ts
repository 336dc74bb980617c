// Classification of IP addresses a webhook may (not) be delivered to (SSRF protection).
// Hand-rolled bigint CIDR matching: IPv4 addresses are 32-bit, IPv6 addresses 128-bit integers.
// IPv6 forms that embed an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64 64:ff9b::/96, 6to4 2002::/16)
// are classified as the embedded IPv4 address.
import { isIP } from 'node:net';

export interface AddressPolicyOptions {
  /** Allow loopback, private (RFC 1918, ULA, CGNAT) and other non-global ranges (development / on-premises). */
  allowPrivate: boolean;
}

interface Range {
  readonly base: bigint;
  readonly bits: number;
  readonly reason: string;
}

type Family = 4 | 6;

function mask(width: number, prefix: number): bigint {
  const total = BigInt(width);
  return prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << (total - BigInt(prefix));
}

function inRange(n: bigint, width: number, range: Range): boolean {
  const m = mask(width, range.bits);
  return (n & m) === (range.base & m);
}

function range(family: Family, cidr: string, reason: string): Range {
  const [addr, bits] = cidr.split('/');
  const base = family === 4 ? parseIPv4(addr) : parseIPv6(addr);
  if (base === null) throw new Error(`bad CIDR ${cidr}`);
  return { base, bits: bits === undefined ? (family === 4 ? 32 : 128) : Number(bits), reason };
}

/** Dotted-quad IPv4 (as validated by net.isIP) to a 32-bit integer. */
function parseIPv4(ip: string): bigint | null {
  const parts = ip.split('.');
  if (parts.length !== 4) return null;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    n = (n << 8n) | BigInt(Number(p));
  }
  return n;
}

/** IPv6 text (optionally with a trailing dotted quad and/or a %zone) to a 128-bit integer. */
function parseIPv6(ip: string): bigint | null {
  const zone = ip.indexOf('%');
  let s = zone >= 0 ? ip.slice(0, zone) : ip;
  // A trailing dotted quad counts as two 16-bit groups: rewrite it as such.
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const v4 = parseIPv4(s.slice(lastColon + 1));
    if (v4 === null) return null;
    s = `${s.slice(0, lastColon + 1)}${((v4 >> 16n) & 0xffffn).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parseGroups = (part: string): bigint[] | null => {
    if (part === '') return [];
    const groups = part.split(':');
    const out: bigint[] = [];
    for (const g of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(BigInt(parseInt(g, 16)));
    }
    return out;
  };
  const head = parseGroups(halves[0]);
  const rest = halves.length === 2 ? parseGroups(halves[1]) : [];
  if (head === null || rest === null) return null;
  const explicit = head.length + rest.length;
  let groups: bigint[];
  if (halves.length === 2) {
    if (explicit > 7) return null;
    groups = [...head, ...Array<bigint>(8 - explicit).fill(0n), ...rest];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return null;
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

// Checked in order; the first match wins (so specific reasons precede the broader ranges containing them).
const V4_ALWAYS: readonly Range[] = [
  range(4, '169.254.169.254/32', 'cloud metadata endpoint'),
  range(4, '168.63.129.16/32', 'cloud metadata endpoint'), // Azure WireServer
  range(4, '100.100.100.200/32', 'cloud metadata endpoint'), // Alibaba Cloud
  range(4, '169.254.0.0/16', 'link-local'),
  range(4, '0.0.0.0/8', 'unspecified ("this network")'),
  range(4, '224.0.0.0/4', 'multicast'),
  range(4, '255.255.255.255/32', 'broadcast'),
  range(4, '240.0.0.0/4', 'reserved'),
];

const V4_PRIVATE: readonly Range[] = [
  range(4, '127.0.0.0/8', 'loopback'),
  range(4, '10.0.0.0/8', 'private (RFC 1918)'),
  range(4, '172.16.0.0/12', 'private (RFC 1918)'),
  range(4, '192.168.0.0/16', 'private (RFC 1918)'),
  range(4, '100.64.0.0/10', 'carrier-grade NAT'),
  range(4, '192.0.0.0/24', 'IETF protocol assignments'),
  range(4, '192.0.2.0/24', 'documentation'),
  range(4, '198.51.100.0/24', 'documentation'),
  range(4, '203.0.113.0/24', 'documentation'),
  range(4, '198.18.0.0/15', 'benchmarking'),
  range(4, '192.88.99.0/24', '6to4 relay anycast (deprecated)'),
];

const V6_ALWAYS: readonly Range[] = [
  range(6, 'fd00:ec2::254/128', 'cloud metadata endpoint'),
  range(6, '::/128', 'unspecified'),
  range(6, 'fe80::/10', 'link-local'),
  range(6, 'ff00::/8', 'multicast'),
];

const V6_PRIVATE: readonly Range[] = [
  range(6, '::1/128', 'loopback'),
  range(6, 'fc00::/7', 'unique local'),
  range(6, 'fec0::/10', 'site-local (deprecated)'),
  range(6, '64:ff9b:1::/48', 'local-use NAT64'),
  range(6, '100::/64', 'discard-only'),
  range(6, '2001:db8::/32', 'documentation'),
  range(6, '3fff::/20', 'documentation'),
  range(6, '2001:2::/48', 'benchmarking'),
  range(6, '2001::/32', 'Teredo (embedded address obfuscated)'),
];

// IPv6 ranges whose addresses carry an IPv4 address: [range, shift of the 32 embedded bits].
const V6_EMBEDDING: readonly [Range, bigint][] = [
  [range(6, '::ffff:0:0/96', 'IPv4-mapped'), 0n],
  [range(6, '::/96', 'IPv4-compatible'), 0n], // after ::/128 and ::1/128 were handled
  [range(6, '64:ff9b::/96', 'NAT64'), 0n],
  [range(6, '2002::/16', '6to4'), 80n],
];

function classifyV4(n: bigint, opts: AddressPolicyOptions): string | null {
  for (const r of V4_ALWAYS) if (inRange(n, 32, r)) return r.reason;
  if (!opts.allowPrivate) for (const r of V4_PRIVATE) if (inRange(n, 32, r)) return r.reason;
  return null;
}

function formatV4(n: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 0xffn)).join('.');
}

function classifyV6(n: bigint, opts: AddressPolicyOptions): string | null {
  for (const r of V6_ALWAYS) if (inRange(n, 128, r)) return r.reason;
  if (n === 1n) return opts.allowPrivate ? null : 'loopback'; // ::1 before the IPv4-compatible ::/96
  for (const [r, shift] of V6_EMBEDDING) {
    if (inRange(n, 128, r)) {
      const v4 = (n >> shift) & 0xffffffffn;
      const inner = classifyV4(v4, opts);
      return inner === null ? null : `${inner} (${r.reason} ${formatV4(v4)})`;
    }
  }
  if (!opts.allowPrivate) for (const r of V6_PRIVATE) if (inRange(n, 128, r)) return r.reason;
  return null;
}

/**
 * Why a webhook must not be delivered to `ip`, or null when it may.
 * Link-local, cloud metadata, unspecified, multicast, broadcast and reserved addresses are always refused;
 * loopback, private, CGNAT, documentation, benchmarking (...) only unless `allowPrivate`.
 * Anything that is not an IP address is refused ('not an IP address').
 */
export function isForbiddenAddress(ip: string, opts: AddressPolicyOptions): string | null {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const family = isIP(bare.split('%')[0]);
  if (family === 4) {
    const n = parseIPv4(bare);
    return n === null ? 'not an IP address' : classifyV4(n, opts);
  }
  if (family === 6) {
    const n = parseIPv6(bare);
    return n === null ? 'not an IP address' : classifyV6(n, opts);
  }
  return 'not an IP address';
}
