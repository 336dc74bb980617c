import type { AppConfig } from '#core';
import type { TokenPair } from './auth-tokens.service.js';
import { authCookies, clearedAuthCookies } from './auth-cookie.controller.js';

const now = Math.floor(Date.now() / 1000);
const pair = {
  access_token: 'acc',
  refresh_token: 'ref',
  accessExp: now + 900,
  refreshExp: now + 86_400,
} as TokenPair;

function config(env: Partial<AppConfig>): AppConfig {
  return { ENVIRONMENT: 'production', API_V1_PREFIX: '/api/v1', ...env } as AppConfig;
}

describe('auth cookies', () => {
  it('sets HttpOnly/Secure/SameSite=Strict tokens and a readable csrf cookie in production', () => {
    const [access, refresh, csrf] = authCookies(config({ APP_DOMAIN: 'example.org' }), pair, 'tok');
    expect(access).toMatch(
      /^access_token=acc; Max-Age=(899|900); Domain=example.org; Path=\/; HttpOnly; Secure; SameSite=Strict$/,
    );
    expect(refresh).toMatch(
      /^refresh_token=ref; Max-Age=(86399|86400); Domain=example.org; Path=\/api\/v1\/auth; HttpOnly; Secure; SameSite=Strict$/,
    );
    expect(csrf).toMatch(/^csrf_token=tok; Max-Age=\d+; Domain=example.org; Path=\/; Secure; SameSite=Strict$/);
  });

  it('drops Secure in development and test, and Domain without APP_DOMAIN', () => {
    for (const ENVIRONMENT of ['development', 'test'] as const) {
      for (const cookie of authCookies(config({ ENVIRONMENT }), pair)) {
        expect(cookie).not.toMatch(/Secure|Domain/);
      }
    }
    expect(authCookies(config({ ENVIRONMENT: 'staging' }), pair)[0]).toMatch(/; Secure/);
  });

  it('clears the three cookies with Max-Age=0 on the same paths', () => {
    const cleared = clearedAuthCookies(config({}));
    expect(cleared.map((c) => c.split('=')[0])).toEqual(['access_token', 'refresh_token', 'csrf_token']);
    for (const c of cleared) expect(c).toMatch(/Max-Age=0/);
    expect(cleared[1]).toMatch(/Path=\/api\/v1\/auth/);
  });
});
