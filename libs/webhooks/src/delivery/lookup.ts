// Name resolution used by the URL check and the pinned agent (injectable for tests).
import { lookup as dnsLookup } from 'node:dns/promises';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a hostname to all of its addresses; rejects (or resolves to []) when it cannot. */
export type LookupFn = (hostname: string) => Promise<ResolvedAddress[]>;

/** `dns.lookup(host, { all: true, order: 'verbatim' })` (the resolver's order, IPv4 and IPv6). */
export const defaultLookup: LookupFn = async (hostname) => {
  const addresses = await dnsLookup(hostname, { all: true, order: 'verbatim' });
  return addresses.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};
