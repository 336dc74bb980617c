import { randomBytes, timingSafeEqual } from 'node:crypto';
import { parseCookies, ProblemException } from '#core';

export const CSRF_COOKIE = 'csrf_token';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function newCsrfToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Double-submit check for cookie-authenticated unsafe requests: the `X-CSRF-Token` header must equal
 * the `csrf_token` cookie (which a cross-site page can neither read nor set). 403 `csrf_failed`.
 */
export function assertCsrf(method: string, headers: Record<string, string | string[] | undefined>): void {
  if (SAFE_METHODS.has(method.toUpperCase())) return;
  const cookieHeader = headers.cookie;
  const cookie = parseCookies(Array.isArray(cookieHeader) ? cookieHeader.join('; ') : cookieHeader)[CSRF_COOKIE];
  const header = headers[CSRF_HEADER];
  const sent = Array.isArray(header) ? header[0] : header;
  if (!cookie || !sent) throw new ProblemException(403, 'csrf_failed', 'CSRF token missing');
  const a = Buffer.from(cookie);
  const b = Buffer.from(sent);
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new ProblemException(403, 'csrf_failed', 'CSRF token validation failed');
  }
}
