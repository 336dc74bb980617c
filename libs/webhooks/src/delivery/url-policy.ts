// Registration-time check of a webhook endpoint URL (SSRF protection).
// The delivery itself re-checks every address it connects to (pinned-agent.ts): this check gives early,
// readable feedback, it is not what makes delivery safe against DNS rebinding.
import { isIP } from 'node:net';
import { isForbiddenAddress } from './address-policy.js';
import { defaultLookup, type LookupFn } from './lookup.js';

export const MAX_WEBHOOK_URL_LENGTH = 2048;

export interface UrlPolicyOptions {
  allowPrivate: boolean;
  lookup?: LookupFn;
}

/**
 * `reason` is a stable code: 'too_long' | 'invalid_url' | 'scheme_not_allowed' | 'credentials_not_allowed' |
 * 'host_required' | 'localhost' | 'unresolvable' | 'forbidden_address'; `detail` says more (for humans/logs).
 */
export type UrlCheckResult = { ok: true; url: URL } | { ok: false; reason: string; detail?: string };

function fail(reason: string, detail?: string): UrlCheckResult {
  return detail === undefined ? { ok: false, reason } : { ok: false, reason, detail };
}

/** Strips the brackets of an IPv6 literal host ("[::1]" → "::1"). */
function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

export async function checkWebhookUrl(raw: string, opts: UrlPolicyOptions): Promise<UrlCheckResult> {
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) return fail('too_long', `longer than ${MAX_WEBHOOK_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail('invalid_url');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return fail('scheme_not_allowed', url.protocol);
  if (url.username !== '' || url.password !== '') return fail('credentials_not_allowed');
  // WHATWG URL has already normalised IPv4 spellings (decimal, octal, hex, short forms) to a dotted quad
  // and IPv6 literals to their canonical compressed form.
  const host = bareHost(url.hostname);
  if (host === '') return fail('host_required');

  if (isIP(host) !== 0) {
    const why = isForbiddenAddress(host, { allowPrivate: opts.allowPrivate });
    return why === null ? { ok: true, url } : fail('forbidden_address', `${host}: ${why}`);
  }

  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (!opts.allowPrivate && (name === 'localhost' || name.endsWith('.localhost'))) return fail('localhost', name);

  let addresses: { address: string }[];
  try {
    addresses = await (opts.lookup ?? defaultLookup)(host);
  } catch (err) {
    return fail('unresolvable', (err as { code?: string }).code ?? (err as Error).message);
  }
  if (addresses.length === 0) return fail('unresolvable', 'no addresses');
  for (const { address } of addresses) {
    const why = isForbiddenAddress(address, { allowPrivate: opts.allowPrivate });
    if (why !== null) return fail('forbidden_address', `${host} → ${address}: ${why}`);
  }
  return { ok: true, url };
}
