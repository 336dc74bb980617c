import { randomUUID } from 'node:crypto';
import { Controller, Get, HttpCode, Module, Param, Post } from '@nestjs/common';
import { Redis } from 'ioredis';
import { Public, type ProblemBody } from '#core';
import { createActor, createTestApp, testRedisUrl, type TestApp } from '#testing';

let handled = 0;
let uploads = 0;

@Public()
@Controller('__rl')
class RateLimitProbeController {
  @Get('ping')
  ping(): { ok: boolean } {
    handled++;
    return { ok: true };
  }

  @Get('echo/:id')
  echo(@Param('id') id: string): { id: string } {
    handled++;
    return { id };
  }
}

/** Stands in for the upload route (a later issue): authenticated, under FILE_UPLOAD_RATE_LIMIT_PATHS. */
@Controller('__rl/upload')
class UploadProbeController {
  @Post()
  @HttpCode(200)
  upload(): { ok: boolean } {
    uploads++;
    return { ok: true };
  }
}

@Module({ controllers: [RateLimitProbeController, UploadProbeController] })
class RateLimitProbeModule {}

const UPLOAD_PATH = '/api/v1/__rl/upload';

const LIMITS = {
  RATE_LIMIT_ENABLED: 'true',
  RATE_LIMIT_REQUESTS_PER_MINUTE: '3',
  RATE_LIMIT_WINDOW_SECONDS: '60',
  AUTH_RATE_LIMIT_REQUESTS_PER_MINUTE: '2',
  AUTH_RATE_LIMIT_WINDOW_SECONDS: '60',
  FILE_UPLOAD_RATE_LIMIT_REQUESTS_PER_HOUR: '2',
  FILE_UPLOAD_RATE_LIMIT_WINDOW_SECONDS: '3600',
  FILE_UPLOAD_RATE_LIMIT_PATHS: UPLOAD_PATH,
};

const upload = (t: TestApp, token?: string) =>
  t.request(UPLOAD_PATH, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: '{}',
  });

const badLogin = () => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ email: 'nobody@example.com', password: 'wrong-password' }),
});

const boot = (env: Record<string, string | undefined>, extra: Partial<Parameters<typeof createTestApp>[0]> = {}) =>
  createTestApp({ workers: false, extraModules: [RateLimitProbeModule], env: { ...LIMITS, ...env }, ...extra });

const limitHeaders = (res: Response) => ({
  limit: res.headers.get('x-ratelimit-limit'),
  remaining: res.headers.get('x-ratelimit-remaining'),
  reset: res.headers.get('x-ratelimit-reset'),
});

async function hits(t: TestApp, path: string, n: number, init?: RequestInit): Promise<Response[]> {
  const out: Response[] = [];
  for (let i = 0; i < n; i++) {
    const res = await t.request(path, init);
    await res.arrayBuffer();
    out.push(res);
  }
  return out;
}

async function expectRateLimited(res: Response, path: string, windowSeconds = 60): Promise<void> {
  expect(res.status).toBe(429);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
  const body = (await res.json()) as ProblemBody;
  expect(body).toEqual({
    type: 'https://lms.local/problems/rate_limited',
    title: 'Too Many Requests',
    status: 429,
    detail: 'Rate limit exceeded. Try again later.',
    instance: path,
    code: 'rate_limited',
    request_id: res.headers.get('x-request-id'),
  });
}

describe('rate limiting (memory store)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await boot({});
  });
  afterAll(async () => {
    await t?.close();
  });

  it('sends the limit headers with a decreasing Remaining, then 429 without running the handler', async () => {
    const before = Math.floor(Date.now() / 1000);
    handled = 0;
    const ok = await hits(t, '/api/v1/__rl/ping', 3);
    expect(ok.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(ok.map((r) => limitHeaders(r).limit)).toEqual(['3', '3', '3']);
    expect(ok.map((r) => limitHeaders(r).remaining)).toEqual(['2', '1', '0']);
    const reset = Number(limitHeaders(ok[0]).reset);
    expect(reset).toBeGreaterThanOrEqual(before + 59);
    expect(reset).toBeLessThanOrEqual(before + 62);
    expect(handled).toBe(3);

    const limited = await t.request('/api/v1/__rl/ping');
    await expectRateLimited(limited, '/api/v1/__rl/ping');
    expect(limited.headers.get('x-ratelimit-limit')).toBe('3');
    expect(limited.headers.get('x-ratelimit-reset')).toBe(String(reset));
    expect(handled).toBe(3);
  });

  it('keeps a counter per exact path; the query string does not make a new one', async () => {
    const q = await hits(t, '/api/v1/__rl/echo/q?x=1', 1);
    expect(limitHeaders(q[0]).remaining).toBe('2');
    await hits(t, '/api/v1/__rl/echo/q?x=2', 1);
    await hits(t, '/api/v1/__rl/echo/q', 1);
    await expectRateLimited(await t.request('/api/v1/__rl/echo/q?x=4'), '/api/v1/__rl/echo/q');

    const other = await t.request('/api/v1/__rl/echo/other');
    expect(other.status).toBe(200);
    expect(limitHeaders(other).remaining).toBe('2');
  });

  it('counts requests that match no route (404)', async () => {
    const res = await hits(t, '/api/v1/no-such-route', 3);
    expect(res.map((r) => r.status)).toEqual([404, 404, 404]);
    expect(res.map((r) => limitHeaders(r).remaining)).toEqual(['2', '1', '0']);
    await expectRateLimited(await t.request('/api/v1/no-such-route'), '/api/v1/no-such-route');
  });

  it('applies the auth limit to the auth paths (before routing, whatever the handler answers)', async () => {
    const init = () => ({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'nobody@example.com', password: 'wrong-password' }),
    });
    const res = [await t.request('/api/v1/auth/login', init()), await t.request('/api/v1/auth/login', init())];
    for (const r of res) {
      await r.arrayBuffer();
      expect(r.status).not.toBe(429);
      expect(limitHeaders(r).limit).toBe('2');
    }
    expect(res.map((r) => limitHeaders(r).remaining)).toEqual(['1', '0']);
    await expectRateLimited(await t.request('/api/v1/auth/login', init()), '/api/v1/auth/login');

    // A sub-path of an auth path uses the auth rule with its own counter.
    const mfa = await t.request('/api/v1/auth/login/mfa', init());
    await mfa.arrayBuffer();
    expect(limitHeaders(mfa)).toMatchObject({ limit: '2', remaining: '1' });
    // Other auth endpoints use the default rule.
    const register = await t.request('/api/v1/auth/register', init());
    await register.arrayBuffer();
    expect(limitHeaders(register).limit).toBe('3');
  });

  it('never limits excluded paths and sends them no headers', async () => {
    for (const path of ['/api/v1/health', '/metrics', '/']) {
      const res = await hits(t, path, 5);
      for (const r of res) {
        expect(r.status).toBe(200);
        expect(r.headers.get('x-ratelimit-limit')).toBeNull();
        expect(r.headers.get('x-ratelimit-remaining')).toBeNull();
      }
    }
  });

  it('ignores X-Forwarded-For when no proxy is trusted', async () => {
    const path = '/api/v1/__rl/echo/xff-untrusted';
    await hits(t, path, 2, { headers: { 'x-forwarded-for': '203.0.113.1' } });
    await hits(t, path, 1, { headers: { 'x-forwarded-for': '203.0.113.2' } });
    await expectRateLimited(await t.request(path, { headers: { 'x-forwarded-for': '203.0.113.3' } }), path);
  });

  it('counts requests the JWT guard rejects (401) with the headers, and refuses them past the limit', async () => {
    const res = await hits(t, '/api/v1/users/me', 3);
    expect(res.map((r) => r.status)).toEqual([401, 401, 401]);
    expect(res.map((r) => limitHeaders(r).limit)).toEqual(['3', '3', '3']);
    expect(res.map((r) => limitHeaders(r).remaining)).toEqual(['2', '1', '0']);
    await expectRateLimited(await t.request('/api/v1/users/me'), '/api/v1/users/me');
  });

  it('counts the upload rule per authenticated user, and per IP when the JWT guard rejects the request', async () => {
    const alice = await createActor(t, 'student', 'rl-alice');
    const bob = await createActor(t, 'student', 'rl-bob');
    uploads = 0;
    const first = [await upload(t, alice.token), await upload(t, alice.token)];
    for (const r of first) await r.arrayBuffer();
    expect(first.map((r) => r.status)).toEqual([200, 200]);
    expect(first.map((r) => limitHeaders(r).limit)).toEqual(['2', '2']);
    expect(first.map((r) => limitHeaders(r).remaining)).toEqual(['1', '0']);
    await expectRateLimited(await upload(t, alice.token), UPLOAD_PATH, 3600);

    // Same IP, another user: a counter of its own.
    const other = await upload(t, bob.token);
    await other.arrayBuffer();
    expect(other.status).toBe(200);
    expect(limitHeaders(other)).toMatchObject({ limit: '2', remaining: '1' });
    expect(uploads).toBe(3);

    // No token: the JWT guard answers 401 before the rate-limit guard runs; counted all the same, per IP.
    const anonymous = [await upload(t), await upload(t)];
    for (const r of anonymous) await r.arrayBuffer();
    expect(anonymous.map((r) => r.status)).toEqual([401, 401]);
    expect(anonymous.map((r) => limitHeaders(r).remaining)).toEqual(['1', '0']);
    await expectRateLimited(await upload(t), UPLOAD_PATH, 3600);
    // Bob's counter is his, not the IP's.
    expect((await upload(t, bob.token)).status).toBe(200);
    expect(uploads).toBe(4);
  });
});

describe('rate limiting: every spelling of a route is counted', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await boot({});
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers a malformed percent-escape with a 4xx problem, never a 500', async () => {
    for (const path of ['/api/v1/auth/%zz', '/api/v1/auth/%E0%A4%A', '/api/v1/x%', '/api/v1/%C0%AF']) {
      const res = await t.request(path, badLogin());
      await res.arrayBuffer();
      // The router refuses them (400) before any hook or handler runs: nothing to count.
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it('shares the login counter between the percent-encoded spellings the router sends to it', async () => {
    const spellings = ['/api/v1/auth/login', '/api/v1/auth/%6cogin'];
    const res = [];
    for (const path of spellings) {
      const r = await t.request(path, badLogin());
      await r.arrayBuffer();
      res.push(r);
    }
    expect(res.map((r) => r.status)).toEqual([401, 401]);
    expect(res.map((r) => limitHeaders(r).limit)).toEqual(['2', '2']);
    expect(res.map((r) => limitHeaders(r).remaining)).toEqual(['1', '0']);
    await expectRateLimited(await t.request('/api/v1/auth/logi%6E', badLogin()), '/api/v1/auth/logi%6E');
    await expectRateLimited(await t.request('/api/v1/auth/login', badLogin()), '/api/v1/auth/login');
  });

  it('counts the spellings the router does not route (404) as unmatched requests under the login rule', async () => {
    const a = await t.request('/api/v1/auth//login', badLogin());
    const b = await t.request('/api/v1/auth/login/', badLogin());
    for (const r of [a, b]) await r.arrayBuffer();
    expect([a.status, b.status]).toEqual([404, 404]);
    // Normalized to /api/v1/auth/login: the auth rule, one counter for the client's unmatched requests.
    expect([limitHeaders(a), limitHeaders(b)].map((h) => [h.limit, h.remaining])).toEqual([
      ['2', '1'],
      ['2', '0'],
    ]);
    await expectRateLimited(await t.request('/api/v1/AUTH/login', badLogin()), '/api/v1/AUTH/login');
  });

  it('bounds a flood of 404s over ever-new paths with one counter per client', async () => {
    const res = await hits(t, '/api/v1/flood-0', 1);
    res.push(...(await hits(t, '/api/v1/flood-1', 1)), ...(await hits(t, '/api/v1/FLOOD/2/', 1)));
    expect(res.map((r) => r.status)).toEqual([404, 404, 404]);
    expect(res.map((r) => limitHeaders(r).remaining)).toEqual(['2', '1', '0']);
    await expectRateLimited(await t.request('/api/v1/flood-3'), '/api/v1/flood-3');
    // Under an excluded prefix too: exclusions are for the routes that serve them, not for 404s.
    await expectRateLimited(await t.request('/api/v1/health/flood'), '/api/v1/health/flood');
    // Routed requests keep their own counters.
    expect((await t.request('/api/v1/__rl/ping')).status).toBe(200);
  });
});

describe('rate limiting behind a trusted proxy', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await boot({ TRUSTED_PROXY_IPS: '127.0.0.1' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('keeps a counter per forwarded client IP', async () => {
    const path = '/api/v1/__rl/ping';
    const a = { headers: { 'x-forwarded-for': '203.0.113.10' } };
    const b = { headers: { 'x-forwarded-for': '203.0.113.20' } };
    await hits(t, path, 3, a);
    await expectRateLimited(await t.request(path, a), path);
    const other = await t.request(path, b);
    expect(other.status).toBe(200);
    expect(limitHeaders(other).remaining).toBe('2');
  });
});

describe('rate limiting disabled', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await boot({ RATE_LIMIT_ENABLED: 'false', RATE_LIMIT_REQUESTS_PER_MINUTE: '1' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('neither limits nor sends headers', async () => {
    const res = await hits(t, '/api/v1/__rl/ping', 4);
    expect(res.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    for (const r of res) expect(r.headers.get('x-ratelimit-limit')).toBeNull();
  });
});

describe('rate limiting with an unreachable Redis', () => {
  const consoleError = console.error;
  let t: TestApp;

  beforeAll(async () => {
    // BullMQ (queues on the same unreachable Redis) reports every reconnect on console.error.
    console.error = () => undefined;
    t = await boot({ REDIS_URL: 'redis://127.0.0.1:1' });
  });
  afterAll(async () => {
    await t?.close();
    console.error = consoleError;
  });

  it('fails open to per-process memory counters', async () => {
    const res = await hits(t, '/api/v1/__rl/ping', 3);
    expect(res.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(res.map((r) => limitHeaders(r).remaining)).toEqual(['2', '1', '0']);
    await expectRateLimited(await t.request('/api/v1/__rl/ping'), '/api/v1/__rl/ping');
  });
});

const redisUrl = testRedisUrl();
(redisUrl ? describe : describe.skip)('rate limiting (Redis store)', () => {
  const prefix = `rl-test-${randomUUID()}`;
  let t: TestApp;
  let t2: TestApp | undefined;
  let redis: Redis;

  beforeAll(async () => {
    redis = new Redis(redisUrl!);
    t = await boot({ REDIS_URL: redisUrl, RATE_LIMIT_REDIS_PREFIX: prefix });
  });
  afterAll(async () => {
    await t2?.close();
    await t?.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('keeps the fixed-window counter in Redis, with a TTL of the window', async () => {
    const path = '/api/v1/__rl/ping';
    const res = await hits(t, path, 3);
    expect(res.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(res.map((r) => limitHeaders(r).remaining)).toEqual(['2', '1', '0']);

    const key = `${prefix}:default:ip:127.0.0.1:${path}`;
    expect(await redis.get(key)).toBe('3');
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(Number(limitHeaders(res[2]).reset)).toBeLessThanOrEqual(Math.ceil((Date.now() + ttl) / 1000) + 1);

    await expectRateLimited(await t.request(path), path);
    expect(await redis.get(key)).toBe('4');
  });

  it('keys uploads per user, and unmatched requests per client and rule', async () => {
    const actor = await createActor(t, 'student', 'rl-redis');
    const r = await upload(t, actor.token);
    await r.arrayBuffer();
    expect(r.status).toBe(200);
    expect(await redis.get(`${prefix}:upload:user:${actor.user.id}:${UPLOAD_PATH}`)).toBe('1');

    await hits(t, '/api/v1/no-such/route', 1);
    await hits(t, '/api/v1/no-such/other-route', 1);
    expect(await redis.get(`${prefix}:default:ip:127.0.0.1:unmatched`)).toBe('2');
  });

  it('uses the auth rule key for auth paths', async () => {
    const r = await t.request('/api/v1/auth/token', { method: 'POST' });
    await r.arrayBuffer();
    expect(limitHeaders(r)).toMatchObject({ limit: '2', remaining: '1' });
    expect(await redis.get(`${prefix}:auth:ip:127.0.0.1:/api/v1/auth/token`)).toBe('1');
  });

  it('shares counters between API processes', async () => {
    const path = '/api/v1/__rl/echo/shared';
    await hits(t, path, 2);
    t2 = await boot({ REDIS_URL: redisUrl, RATE_LIMIT_REDIS_PREFIX: prefix }, { db: t.db });
    const third = await t2.request(path);
    await third.arrayBuffer();
    expect(limitHeaders(third).remaining).toBe('0');
    await expectRateLimited(await t2.request(path), path);
  });
});
