// Issue 17, items 2 and 6, against a redis-server of this file's own (started, killed, hung and
// restarted by its PID; the shared Redis is never touched):
// - a revoked access token stays revoked when Redis restarts empty (revocations live in PostgreSQL);
// - while Redis is down or hung, requests that use it (rate limits, lockout, cache) decide at once
//   with their fallbacks, and /ready answers 503 promptly.
import { randomUUID } from 'node:crypto';
import { AccessTokenBlacklist } from '#auth';
import { RedisService } from '#core';
import { createTestApp, type TestApp } from '#testing';
import { bearer, decodeJwt, json, PASSWORD, register, type Registered } from './auth-helpers.js';
import { startPrivateRedis, type PrivateRedis } from './support/private-redis.js';

/** Generous bounds: the suite shares 2 cores with others; the measured figures are printed. */
const FAST_MS = 500;
const READY_MS = 1000;

const figures: Record<string, number> = {};

async function timed(name: string, fn: () => Promise<Response>): Promise<{ res: Response; ms: number }> {
  const t0 = performance.now();
  const res = await fn();
  await res.arrayBuffer();
  const ms = performance.now() - t0;
  figures[name] = Math.max(figures[name] ?? 0, Math.round(ms * 10) / 10);
  return { res, ms };
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Redis restarted, stopped or hung under the API', () => {
  let redis: PrivateRedis;
  let t: TestApp;
  let user: Registered;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    t = await createTestApp({
      workers: false,
      env: { REDIS_URL: redis.url, RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_USE_REDIS: 'true' },
    });
    user = await register(t);
  });
  afterAll(async () => {
    // The app closes its queue connections against a live server.
    if (redis) {
      redis.resume();
      if (t && !t.app.get(RedisService).available) await redis.start().catch(() => undefined);
    }
    await t?.close();
    await redis?.stop();
    process.stderr.write(`redis-outage figures (ms, worst of each): ${JSON.stringify(figures)}\n`);
  });

  const me = (token: string): Promise<Response> => t.request('/api/v1/auth/me', { headers: bearer(token) });
  const available = (): boolean => t.app.get(RedisService).available;

  it('a revoked access token stays revoked after Redis restarts empty', async () => {
    const victim = await register(t);
    expect((await me(victim.access)).status).toBe(200);
    const out = await t.request('/api/v1/auth/logout', json({ refresh_token: victim.refresh }, bearer(victim.access)));
    expect(out.status).toBe(204);
    const refused = await me(victim.access);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ code: 'token_revoked' });

    await redis.kill();
    await redis.start();
    await waitFor('the client to reconnect', available);
    const again = await me(victim.access);
    expect(again.status).toBe(401);
    expect(await again.json()).toMatchObject({ code: 'token_revoked' });
    const jti = decodeJwt(victim.access).jti as string;
    expect(await t.db.query('SELECT 1 FROM revoked_access_tokens WHERE jti = $1', [jti])).toHaveLength(1);
  });

  it('a revocation an earlier version kept in Redis only is copied into PostgreSQL at start', async () => {
    const victim = await register(t);
    const jti = decodeJwt(victim.access).jti as string;
    const client = t.app.get(RedisService).client!;
    await client.set(`${t.config.ACCESS_TOKEN_BLACKLIST_PREFIX}:${jti}`, '1', 'EX', 600);
    await client.set(`${t.config.ACCESS_TOKEN_BLACKLIST_PREFIX}:not-a-jti`, '1', 'EX', 600);
    expect((await me(victim.access)).status).toBe(200);
    await t.app.get(AccessTokenBlacklist).onApplicationBootstrap();
    const refused = await me(victim.access);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ code: 'token_revoked' });
    const [row] = await t.db.query<{ s: number }>(
      'SELECT extract(epoch FROM expires_at - now())::int AS s FROM revoked_access_tokens WHERE jti = $1',
      [jti],
    );
    expect(row!.s).toBeGreaterThan(590);
    expect(row!.s).toBeLessThanOrEqual(600);
  });

  it('a revocation sweeps expired rows on its way', async () => {
    const expired = Array.from({ length: 3 }, () => randomUUID());
    for (const jti of expired) {
      await t.db.query("INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1, now() - interval '1 minute')", [
        jti,
      ]);
    }
    const fresh = randomUUID();
    await t.app.get(AccessTokenBlacklist).revoke(fresh, Math.floor(Date.now() / 1000) + 600);
    const rows = await t.db.query<{ jti: string }>(
      'SELECT jti FROM revoked_access_tokens WHERE jti = ANY($1::uuid[])',
      [[...expired, fresh]],
    );
    expect(rows.map((r) => r.jti)).toEqual([fresh]);
  });

  it('Redis stopped: authenticated, rate-limited, cached and login requests decide at once; /ready 503 at once', async () => {
    await redis.kill();
    await waitFor('the client to notice', () => !available());
    for (let i = 0; i < 3; i++) {
      const auth = await timed('stopped: GET /auth/me', () => me(user.access));
      expect(auth.res.status).toBe(200);
      expect(auth.ms).toBeLessThan(FAST_MS);
      const cached = await timed('stopped: GET /categories (cache)', () => t.request('/api/v1/categories'));
      expect(cached.res.status).toBe(200);
      expect(cached.ms).toBeLessThan(FAST_MS);
      const ready = await timed('stopped: GET /ready', () => t.request('/api/v1/ready'));
      expect(ready.res.status).toBe(503);
      expect(ready.ms).toBeLessThan(READY_MS);
    }
    const login = await timed('stopped: POST /auth/login (lockout)', () =>
      t.request('/api/v1/auth/login', json({ email: user.email, password: PASSWORD })),
    );
    expect(login.res.status).toBe(200);
    expect(login.ms).toBeLessThan(READY_MS); // PostgreSQL lockout counters and bcrypt: a bit more work

    await redis.start();
    await waitFor('the client to reconnect', available);
    await waitFor('/ready 200', async () => (await t.request('/api/v1/ready')).status === 200);
  });

  it('Redis hung: once the circuit is open, requests decide at once and /ready answers 503 at once', async () => {
    redis.pause();
    try {
      // The first readiness PING (at most 500 ms) finds the server hung and opens the circuit.
      const first = await timed('hung: first GET /ready', () => t.request('/api/v1/ready'));
      expect(first.res.status).toBe(503);
      expect(first.ms).toBeLessThan(READY_MS + 500);
      expect(available()).toBe(false);
      for (let i = 0; i < 3; i++) {
        const auth = await timed('hung: GET /auth/me', () => me(user.access));
        expect(auth.res.status).toBe(200);
        expect(auth.ms).toBeLessThan(FAST_MS);
        const cached = await timed('hung: GET /categories (cache)', () => t.request('/api/v1/categories'));
        expect(cached.res.status).toBe(200);
        expect(cached.ms).toBeLessThan(FAST_MS);
        const ready = await timed('hung: GET /ready', () => t.request('/api/v1/ready'));
        expect(ready.res.status).toBe(503);
        expect(ready.ms).toBeLessThan(READY_MS);
      }
    } finally {
      redis.resume();
    }
    await waitFor('the circuit to close', available);
    await waitFor('/ready 200', async () => (await t.request('/api/v1/ready')).status === 200);
  });
});
