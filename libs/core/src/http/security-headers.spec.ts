import { ServerResponse, IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { applySecurityHeaders } from './security-headers.js';

const response = (): ServerResponse => new ServerResponse(new IncomingMessage(new Socket()));

describe('security headers', () => {
  it('sets the reference headers, HSTS only for https', () => {
    const res = response();
    applySecurityHeaders(res, false);
    expect(res.getHeader('x-content-type-options')).toBe('nosniff');
    expect(res.getHeader('x-frame-options')).toBe('DENY');
    expect(res.getHeader('referrer-policy')).toBe('no-referrer');
    expect(res.getHeader('x-permitted-cross-domain-policies')).toBe('none');
    expect(res.getHeader('permissions-policy')).toBe('camera=(), microphone=(), geolocation=()');
    expect(String(res.getHeader('content-security-policy'))).toMatch(
      /^frame-ancestors 'none';.*upgrade-insecure-requests;$/,
    );
    expect(res.hasHeader('strict-transport-security')).toBe(false);
    const secure = response();
    applySecurityHeaders(secure, true);
    expect(secure.getHeader('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
  });

  it('never overrides a header already present', () => {
    const res = response();
    res.setHeader('X-Frame-Options', 'SAMEORIGIN');
    applySecurityHeaders(res, false);
    expect(res.getHeader('x-frame-options')).toBe('SAMEORIGIN');
  });
});
