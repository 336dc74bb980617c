import { createHmac, randomBytes } from 'node:crypto';
import type { TestApp } from '#testing';

export const PASSWORD = 'correct-horse-battery';

export function uniqueEmail(label = 'user'): string {
  return `${label}-${randomBytes(5).toString('hex')}@example.com`;
}

let ipSerial = randomBytes(2).readUInt16BE(0);

/**
 * A client IPv4 address (for X-Forwarded-For behind a trusted proxy) that no other call of this
 * test file returns: lockout counters are per IP, so two tests drawing the same address at random
 * would share a counter (one test's failures locking another's logins).
 */
export function randomIp(): string {
  ipSerial = (ipSerial + 1) % (256 * 254);
  return `198.51.${Math.floor(ipSerial / 254)}.${(ipSerial % 254) + 1}`;
}

export function json(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

export interface Registered {
  email: string;
  id: string;
  access: string;
  refresh: string;
}

export async function register(t: TestApp, email = uniqueEmail(), password = PASSWORD): Promise<Registered> {
  const res = await t.request('/api/v1/auth/register', json({ email, password, full_name: 'Test User' }));
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { user: { id: string }; tokens: { access_token: string; refresh_token: string } };
  return { email, id: body.user.id, access: body.tokens.access_token, refresh: body.tokens.refresh_token };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

/** A compact JWS with the given header/claims, HMAC-SHA256-signed with `secret` (or unsigned for alg none). */
export function craftJwt(
  claims: Record<string, unknown>,
  secret: string,
  header: Record<string, unknown> = {},
): string {
  const head = { alg: 'HS256', typ: 'JWT', ...header };
  const input = `${b64(head)}.${b64(claims)}`;
  if (head.alg === 'none') return `${input}.`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

export function decodeJwt(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Set-Cookie values of a response, by cookie name. */
export function setCookies(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of res.headers.getSetCookie()) out[line.slice(0, line.indexOf('='))] = line;
  return out;
}

export function cookieValue(setCookie: string): string {
  const first = setCookie.split(';')[0];
  return decodeURIComponent(first.slice(first.indexOf('=') + 1));
}
