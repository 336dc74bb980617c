import { randomBytes, timingSafeEqual } from 'node:crypto';
import speakeasy from 'speakeasy';

/** RFC 6238 parameters used everywhere (what authenticator apps assume by default). */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding. */
export function base32Encode(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** A new TOTP secret: 20 random bytes (160 bits, RFC 4226's recommendation), base32. */
export function generateTotpSecret(): string {
  return base32Encode(randomBytes(20));
}

/** The RFC 6238 time step of `nowMs`. */
export function totpStep(nowMs: number = Date.now()): number {
  return Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS);
}

/** The code of `secret` (base32) at time step `step`. */
export function totpCodeAt(secret: string, step: number): string {
  return speakeasy.hotp({ secret, encoding: 'base32', counter: step, digits: TOTP_DIGITS, algorithm: 'sha1' });
}

/**
 * Checks `code` against the steps now-window .. now+window (default ±1) and returns the matched step,
 * or null. Every candidate is compared in constant time.
 */
export function verifyTotp(
  secret: string,
  code: string,
  opts: { window?: number; nowMs?: number } = {},
): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const window = opts.window ?? 1;
  const current = totpStep(opts.nowMs);
  const given = Buffer.from(code);
  let matched: number | null = null;
  for (let step = current - window; step <= current + window; step++) {
    const expected = Buffer.from(totpCodeAt(secret, step));
    if (timingSafeEqual(expected, given) && matched === null) matched = step;
  }
  return matched;
}

/** otpauth:// URI for authenticator apps (label `issuer:account`, issuer also as a parameter). */
export function otpauthUrl(secret: string, account: string, issuer: string): string {
  return speakeasy.otpauthURL({
    secret,
    encoding: 'base32',
    label: `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`,
    issuer,
    algorithm: 'sha1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
  });
}
