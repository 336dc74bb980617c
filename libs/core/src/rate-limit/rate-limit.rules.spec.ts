import { testConfig } from '#testing';
import { createPathMatcher } from '../http/path-matcher.js';
import { MAX_KEY_PATH_LENGTH, RateLimitRules } from './rate-limit.rules.js';

describe('createPathMatcher', () => {
  const match = createPathMatcher(['/', '/docs', '/api/v1/health', '/api/v1/auth/login']);

  it('matches the exact path or the path followed by "/"', () => {
    expect(match('/docs')).toBe(true);
    expect(match('/docs/index.html')).toBe(true);
    expect(match('/api/v1/health')).toBe(true);
    expect(match('/api/v1/auth/login/mfa')).toBe(true);
  });

  it('does not match a longer segment ("/auth/login-cookie" is not "/auth/login")', () => {
    expect(match('/docsx')).toBe(false);
    expect(match('/api/v1/auth/login-cookie')).toBe(false);
    expect(match('/api/v1/healthz')).toBe(false);
  });

  it('"/" matches only itself', () => {
    expect(match('/')).toBe(true);
    expect(match('/api/v1/courses')).toBe(false);
  });

  it('an empty list matches nothing', () => {
    expect(createPathMatcher([])('/')).toBe(false);
  });
});

describe('RateLimitRules', () => {
  const rules = new RateLimitRules(
    testConfig({
      RATE_LIMIT_REQUESTS_PER_MINUTE: '7',
      RATE_LIMIT_WINDOW_SECONDS: '30',
      RATE_LIMIT_REDIS_PREFIX: 'rl',
      AUTH_RATE_LIMIT_REQUESTS_PER_MINUTE: '5',
      AUTH_RATE_LIMIT_PATHS: '/api/v1/auth/login,/api/v1/auth/token',
      FILE_UPLOAD_RATE_LIMIT_REQUESTS_PER_HOUR: '3',
      FILE_UPLOAD_RATE_LIMIT_WINDOW_SECONDS: '3600',
      // Overlaps auth on purpose: the first matching rule (auth) wins.
      FILE_UPLOAD_RATE_LIMIT_PATHS: '/api/v1/files/upload,/api/v1/auth/token',
    }),
  );

  it('uses the auth rule on auth paths and their sub-paths', () => {
    expect(rules.ruleFor('/api/v1/auth/login')).toMatchObject({ name: 'auth', limit: 5, windowMs: 60_000 });
    expect(rules.ruleFor('/api/v1/auth/login/mfa')?.name).toBe('auth');
    expect(rules.ruleFor('/api/v1/auth/token')?.name).toBe('auth');
  });

  it('uses the upload rule on upload paths', () => {
    expect(rules.ruleFor('/api/v1/files/upload')).toMatchObject({ name: 'upload', limit: 3, windowMs: 3_600_000 });
  });

  it('uses the default rule elsewhere, 404 paths included', () => {
    expect(rules.ruleFor('/api/v1/courses')).toMatchObject({ name: 'default', limit: 7, windowMs: 30_000 });
    expect(rules.ruleFor('/api/v1/auth/register')?.name).toBe('default');
    expect(rules.ruleFor('/nope')?.name).toBe('default');
  });

  it('excludes the configured paths and METRICS_PATH', () => {
    for (const p of ['/', '/docs', '/docs/x', '/openapi.json', '/api/v1/health', '/api/v1/ready', '/metrics']) {
      expect(rules.ruleFor(p)).toBeNull();
    }
  });

  it('does not exclude METRICS_PATH when metrics are off', () => {
    const off = new RateLimitRules(testConfig({ METRICS_ENABLED: 'false' }));
    expect(off.ruleFor('/metrics')?.name).toBe('default');
  });

  it('builds `${prefix}:${rule}:ip:${ip}:${path}` keys, capping the path length', () => {
    const auth = rules.ruleFor('/api/v1/auth/login')!;
    expect(RateLimitRules.key(auth, '10.0.0.1', '/api/v1/auth/login')).toBe('rl:auth:ip:10.0.0.1:/api/v1/auth/login');
    expect(RateLimitRules.key(rules.default, '::1', '/x')).toBe('rl:default:ip:::1:/x');
    const long = `/${'a'.repeat(5000)}`;
    expect(RateLimitRules.key(rules.default, '::1', long)).toHaveLength(
      'rl:default:ip:::1:'.length + MAX_KEY_PATH_LENGTH,
    );
  });
});
