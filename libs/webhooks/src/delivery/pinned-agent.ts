// An undici Agent that only ever connects to addresses allowed by the address policy.
// The check and the connection use the same resolution (the socket's own lookup), so a DNS answer that
// changes between registration and delivery (DNS rebinding) cannot reach an internal address.
// IP-literal hosts skip the socket lookup (net.connect does not resolve them): they are checked by the
// connector wrapper before connecting.
import type { LookupAddress, LookupOneOptions, LookupAllOptions } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { isForbiddenAddress } from './address-policy.js';
import { defaultLookup, type LookupFn, type ResolvedAddress } from './lookup.js';

export const ADDRESS_FORBIDDEN_CODE = 'WEBHOOK_ADDRESS_FORBIDDEN';

export interface PinnedAgentOptions {
  allowPrivate: boolean;
  lookup?: LookupFn;
  /** TCP (+TLS) connect timeout. */
  connectTimeoutMs: number;
  /** Max connections per origin (undici default: unlimited). */
  connections?: number;
}

export class AddressForbiddenError extends Error {
  readonly code = ADDRESS_FORBIDDEN_CODE;
  constructor(
    readonly host: string,
    readonly refused: { address: string; reason: string }[],
  ) {
    super(
      `webhook delivery to ${host} refused: ${refused.map((r) => `${r.address} (${r.reason})`).join(', ') || 'no address'}`,
    );
    this.name = 'AddressForbiddenError';
  }
}

type NetLookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** A `net.connect` lookup that resolves with `resolve` and hands out only allowed addresses. */
function pinnedLookup(resolve: LookupFn, allowPrivate: boolean) {
  return (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: NetLookupCallback): void => {
    resolve(hostname).then(
      (addresses: ResolvedAddress[]) => {
        const wanted = options.family === 4 || options.family === 6 ? options.family : 0;
        const allowed: ResolvedAddress[] = [];
        const refused: { address: string; reason: string }[] = [];
        for (const a of addresses) {
          if (wanted !== 0 && a.family !== wanted) continue;
          const reason = isForbiddenAddress(a.address, { allowPrivate });
          if (reason === null) allowed.push(a);
          else refused.push({ address: a.address, reason });
        }
        if (allowed.length === 0) {
          if (refused.length === 0) {
            const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
            err.code = 'ENOTFOUND';
            callback(err, '');
          } else {
            callback(new AddressForbiddenError(hostname, refused), '');
          }
          return;
        }
        if (options.all) callback(null, allowed);
        else callback(null, allowed[0].address, allowed[0].family);
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };
}

export function createPinnedAgent(opts: PinnedAgentOptions): Agent {
  const lookup = pinnedLookup(opts.lookup ?? defaultLookup, opts.allowPrivate);
  const connector = buildConnector({ timeout: opts.connectTimeoutMs, lookup });
  const connect: buildConnector.connector = (options, callback) => {
    // undici passes IPv6 literals without brackets; net.connect never calls `lookup` for IP literals.
    const host = options.hostname;
    if (isIP(host) !== 0) {
      const reason = isForbiddenAddress(host, { allowPrivate: opts.allowPrivate });
      if (reason !== null) {
        callback(new AddressForbiddenError(host, [{ address: host, reason }]), null);
        return;
      }
    }
    connector(options, callback);
  };
  return new Agent({ connect, ...(opts.connections === undefined ? {} : { connections: opts.connections }) });
}
