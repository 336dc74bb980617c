import type { ServerResponse } from 'node:http';

/** The reference's security headers (§0), set only when absent. */
export const SECURITY_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'no-referrer'],
  ['X-Permitted-Cross-Domain-Policies', 'none'],
  ['Permissions-Policy', 'camera=(), microphone=(), geolocation=()'],
  [
    'Content-Security-Policy',
    "frame-ancestors 'none'; object-src 'none'; base-uri 'self'; " +
      "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://unpkg.com https://cdnjs.cloudflare.com; " +
      "style-src 'self' 'unsafe-inline' https://fonts.googleapis.com https://cdn.jsdelivr.net; " +
      "img-src 'self' data: https:; font-src 'self' https://fonts.gstatic.com https://fonts.googleapis.com; " +
      "connect-src 'self' https://api.lms.example.com https://*.lms.example.com; media-src 'self' https:; " +
      "manifest-src 'self'; worker-src 'self'; form-action 'self'; upgrade-insecure-requests;",
  ],
];
export const HSTS_HEADER: readonly [string, string] = [
  'Strict-Transport-Security',
  'max-age=31536000; includeSubDomains',
];

/**
 * Writes the headers on the Node response as defaults: Fastify merges them into whatever it sends
 * (errors and 404s included), and values a handler sets on the reply win.
 */
export function applySecurityHeaders(raw: ServerResponse, https: boolean): void {
  for (const [name, value] of SECURITY_HEADERS) {
    if (!raw.hasHeader(name)) raw.setHeader(name, value);
  }
  if (https && !raw.hasHeader(HSTS_HEADER[0])) raw.setHeader(HSTS_HEADER[0], HSTS_HEADER[1]);
}
