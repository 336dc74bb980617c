import { testConfig } from '#testing';
import { createPathMatcher } from '../http/path-matcher.js';
import { MAX_KEY_PATH_LENGTH, normalizePath, rateLimitThrottlers, RateLimitRules } from './rate-limit.rules.js';

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

  it('keys the upload rule per user when there is one; the other rules are per IP only', () => {
    expect(rules.upload.userKeyPrefix).toBe('rl:upload:user:');
    expect(RateLimitRules.userKey(rules.upload, 'u-1', '/api/v1/files/upload')).toBe(
      'rl:upload:user:u-1:/api/v1/files/upload',
    );
    expect(rules.default.userKeyPrefix).toBeNull();
    expect(rules.auth.userKeyPrefix).toBeNull();
  });

  it('takes limits and windows from the named throttlers given to ThrottlerModule', () => {
    const config = testConfig({ RATE_LIMIT_REDIS_PREFIX: 'rl' });
    const throttlers = rateLimitThrottlers(config).map((t) => (t.name === 'auth' ? { ...t, limit: 9, ttl: 5000 } : t));
    const fromThrottlers = new RateLimitRules(config, throttlers);
    expect(fromThrottlers.auth).toMatchObject({ limit: 9, windowMs: 5000, limitHeader: '9' });
    expect(() => new RateLimitRules(config, throttlers.slice(1))).toThrow(/"default"/);
  });
});

describe('RateLimitRules.forRoute (matched requests)', () => {
  const rules = new RateLimitRules(
    testConfig({
      RATE_LIMIT_REDIS_PREFIX: 'rl',
      AUTH_RATE_LIMIT_PATHS: '/api/v1/auth/login',
      FILE_UPLOAD_RATE_LIMIT_PATHS: '/api/v1/files/upload',
    }),
  );

  it('uses the route template of a static route, whatever spelling of it was requested', () => {
    // /api/v1/auth/%6cogin is routed to /api/v1/auth/login: Fastify gives the template, not the raw URL.
    const target = rules.forRoute('/api/v1/auth/login', {});
    expect(target).toEqual({ rule: rules.auth, path: '/api/v1/auth/login' });
    // Computed once per template.
    expect(rules.forRoute('/api/v1/auth/login', {})).toBe(target);
  });

  it('substitutes the decoded parameter values, lower-cased, into the template', () => {
    expect(rules.forRoute('/api/v1/courses/:id', { id: 'ABC' })).toEqual({
      rule: rules.default,
      path: '/api/v1/courses/abc',
    });
    expect(rules.forRoute('/api/v1/courses/:id/lessons/:lessonId', { id: 'a', lessonId: 'b' })?.path).toBe(
      '/api/v1/courses/a/lessons/b',
    );
    expect(rules.forRoute('/api/v1/x/:n(^\\d+$)/y', { n: '12' })?.path).toBe('/api/v1/x/12/y');
    expect(rules.forRoute('/api/v1/t/::literal/:v', { v: 'q' })?.path).toBe('/api/v1/t/:literal/q');
    // A parameter value can select a rule ("/api/v1/files/:action" reached as /files/upload).
    expect(rules.forRoute('/api/v1/files/:action', { action: 'UPLOAD' })?.rule).toBe(rules.upload);
  });

  it('keeps a wildcard literal: one counter per client for everything the wildcard route serves', () => {
    expect(rules.forRoute('*', { '*': '/api/v1/anything' })).toEqual({ rule: rules.default, path: '*' });
  });

  it('excludes the routes of excluded paths', () => {
    expect(rules.forRoute('/api/v1/health', {})).toBeNull();
    expect(rules.forRoute('/docs/*', { '*': 'index.html' })).toBeNull();
    expect(rules.forRoute('/', {})).toBeNull();
  });
});

describe('normalizePath and ruleForUnmatched (requests that matched no route)', () => {
  it('decodes percent-escapes, lower-cases, collapses slashes and drops the trailing slash', () => {
    expect(normalizePath('/api/v1/AUTH//%6cogin/')).toBe('/api/v1/auth/login');
    expect(normalizePath('//api///v1/auth/login')).toBe('/api/v1/auth/login');
    expect(normalizePath('/api/v1/auth/login%2F')).toBe('/api/v1/auth/login');
    expect(normalizePath('/caf%C3%A9')).toBe('/café');
    expect(normalizePath('/')).toBe('/');
    expect(normalizePath('//')).toBe('/');
  });

  it('keeps malformed or non-UTF-8 escapes as written instead of throwing', () => {
    expect(normalizePath('/a/%zz/%')).toBe('/a/%zz/%');
    expect(normalizePath('/a/%E0%A4%A/b')).toBe('/a/%e0%a4%a/b');
    expect(normalizePath('/a/%FF%6c')).toBe('/a/%ff%6c');
  });

  const rules = new RateLimitRules(testConfig({ AUTH_RATE_LIMIT_PATHS: '/api/v1/auth/login' }));

  it('chooses the rule of the normalized path, and never excludes', () => {
    expect(rules.ruleForUnmatched('/api/v1/AUTH//login/')).toBe(rules.auth);
    expect(rules.ruleForUnmatched('/api/v1/nope')).toBe(rules.default);
    expect(rules.ruleForUnmatched('/api/v1/health/nope')).toBe(rules.default);
    expect(rules.ruleForUnmatched('/docs/x')).toBe(rules.default);
  });
});
