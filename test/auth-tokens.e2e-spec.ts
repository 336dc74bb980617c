import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createTestApp, testRedisUrl, type TestApp } from '#testing';
import { bearer, craftJwt, decodeJwt, json, register, type Registered } from './auth-helpers.js';

interface Problem {
  code: string;
  detail: string;
}

interface AuthBody {
  user: { id: string };
  tokens: { access_token: string; refresh_token: string; token_type: string; expires_in: number };
}

const backends: Array<{ name: string; env: Record<string, string> }> = [{ name: 'postgres', env: {} }];
const redisUrl = testRedisUrl();
if (redisUrl) {
  backends.push({
    name: 'redis',
    env: { REDIS_URL: redisUrl, CACHE_KEY_PREFIX: `lms-test-${randomBytes(4).toString('hex')}` },
  });
}

describe.each(backends)('auth tokens ($name store)', ({ name, env }) => {
  let t: TestApp;
  let redis: Redis | undefined;
  beforeAll(async () => {
    t = await createTestApp({ workers: false, env });
    if (name === 'redis') redis = new Redis(env.REDIS_URL);
  });
  afterAll(async () => {
    await redis?.quit();
    await t?.close();
  });

  const me = (headers: Record<string, string>): Promise<Response> => t.request('/api/v1/auth/me', { headers });
  const refresh = (token: string, headers: Record<string, string> = {}): Promise<Response> =>
    t.request('/api/v1/auth/refresh', json({ refresh_token: token }, headers));
  const logout = (token: string, headers: Record<string, string> = {}): Promise<Response> =>
    t.request('/api/v1/auth/logout', json({ refresh_token: token }, headers));
  const secret = (): string => t.config.SECRET_KEY!;

  /** Revocations live in PostgreSQL, with or without Redis. */
  async function isBlacklisted(jti: string): Promise<boolean> {
    return (await t.db.query('SELECT 1 FROM revoked_access_tokens WHERE jti = $1', [jti])).length === 1;
  }

  function accessClaims(user: Registered, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: t.config.JWT_ISSUER,
      aud: t.config.JWT_AUDIENCE,
      sub: user.id,
      jti: randomUUID(),
      typ: 'access',
      role: 'student',
      ver: 0,
      iat: now,
      exp: now + 600,
      ...overrides,
    };
  }

  describe('access tokens on GET /auth/me', () => {
    let user: Registered;
    beforeAll(async () => {
      user = await register(t);
    });

    it('accepts a valid token, and a token crafted with the same key (control)', async () => {
      expect((await me(bearer(user.access))).status).toBe(200);
      expect((await me(bearer(craftJwt(accessClaims(user), secret())))).status).toBe(200);
    });

    it.each([
      ['missing', () => ({}), 'not_authenticated'],
      ['garbage', () => bearer('not.a.jwt'), 'invalid_token'],
      [
        'forged (another key)',
        (u: Registered) => bearer(craftJwt(accessClaims(u), 'another-secret-key-0123456789abcdef')),
        'invalid_token',
      ],
      ['alg none', (u: Registered) => bearer(craftJwt(accessClaims(u), '', { alg: 'none' })), 'invalid_token'],
      [
        'expired',
        (u: Registered, s: string) => {
          const now = Math.floor(Date.now() / 1000);
          return bearer(craftJwt(accessClaims(u, { iat: now - 1200, exp: now - 60 }), s));
        },
        'token_expired',
      ],
      ['a refresh token', (u: Registered) => bearer(u.refresh), 'invalid_token_type'],
      [
        'another token type',
        (u: Registered, s: string) => bearer(craftJwt(accessClaims(u, { typ: 'email_verification' }), s)),
        'invalid_token_type',
      ],
      [
        'a stale token_version',
        (u: Registered, s: string) => bearer(craftJwt(accessClaims(u, { ver: 7 }), s)),
        'token_revoked',
      ],
    ])('rejects %s with 401', async (_label, headers, code) => {
      const res = await me((headers as (u: Registered, s: string) => Record<string, string>)(user, secret()));
      expect(res.status).toBe(401);
      expect(((await res.json()) as Problem).code).toBe(code);
    });

    it('mints iss and aud into every token', async () => {
      const claims = { iss: t.config.JWT_ISSUER, aud: t.config.JWT_AUDIENCE };
      expect(t.config).toMatchObject({ JWT_ISSUER: 'lms', JWT_AUDIENCE: 'lms-api', JWT_CLOCK_SKEW_SECONDS: 30 });
      expect(decodeJwt(user.access)).toMatchObject({ ...claims, typ: 'access' });
      expect(decodeJwt(user.refresh)).toMatchObject({ ...claims, typ: 'refresh' });
    });

    const now = (): number => Math.floor(Date.now() / 1000);
    it.each([
      ['another audience', () => ({ aud: 'another-api' })],
      ['an audience list without ours', () => ({ aud: ['another-api', 'lms'] })],
      ['no audience', () => ({ aud: undefined })],
      ['another issuer', () => ({ iss: 'https://issuer.example' })],
      ['no issuer', () => ({ iss: undefined })],
      ['iat in the future beyond the clock skew', () => ({ iat: now() + 31 + 5 })],
      ['no iat', () => ({ iat: undefined })],
      ['nbf in the future beyond the clock skew', () => ({ nbf: now() + 31 + 5 })],
    ])('rejects a validly signed token with %s: 401, the body of any bad token', async (_label, overrides) => {
      const forged = await me(bearer(craftJwt(accessClaims(user), 'another-secret-key-0123456789abcdef')));
      const res = await me(bearer(craftJwt(accessClaims(user, overrides()), secret())));
      expect(res.status).toBe(401);
      const strip = ({ request_id: _r, ...rest }: Record<string, unknown>): Record<string, unknown> => rest;
      const body = strip((await res.json()) as Record<string, unknown>);
      expect(body).toEqual(strip((await forged.json()) as Record<string, unknown>));
      expect(body).toMatchObject({ status: 401, code: 'invalid_token', detail: 'Could not validate credentials' });
    });

    it('accepts iat and nbf slightly ahead of the server clock (within JWT_CLOCK_SKEW_SECONDS)', async () => {
      const ahead = now() + 20;
      expect((await me(bearer(craftJwt(accessClaims(user, { iat: ahead, nbf: ahead }), secret())))).status).toBe(200);
    });
  });

  describe('POST /auth/refresh', () => {
    it('rotates: new pair in the same family, old token revoked and replaced', async () => {
      const user = await register(t);
      const res = await refresh(user.refresh);
      expect(res.status).toBe(200);
      const body = (await res.json()) as AuthBody;
      expect(body.user.id).toBe(user.id);
      expect(body.tokens.token_type).toBe('bearer');
      expect(body.tokens.refresh_token).not.toBe(user.refresh);
      const oldJti = decodeJwt(user.refresh).jti as string;
      const newJti = decodeJwt(body.tokens.refresh_token).jti as string;
      const rows = await t.db.query<{
        jti: string;
        family_id: string;
        revoked_at: Date | null;
        replaced_by: string | null;
      }>('SELECT jti, family_id, revoked_at, replaced_by FROM refresh_tokens WHERE user_id = $1', [user.id]);
      const old = rows.find((r) => r.jti === oldJti)!;
      const fresh = rows.find((r) => r.jti === newJti)!;
      expect(old.revoked_at).not.toBeNull();
      expect(old.replaced_by).toBe(newJti);
      expect(fresh.revoked_at).toBeNull();
      expect(fresh.family_id).toBe(old.family_id);
      expect((await me(bearer(body.tokens.access_token))).status).toBe(200);
      // the new one rotates again
      expect((await refresh(body.tokens.refresh_token)).status).toBe(200);
    });

    it('treats reuse of a rotated token as theft: 401 refresh_token_reused and the whole family is revoked', async () => {
      const user = await register(t);
      const second = ((await (await refresh(user.refresh)).json()) as AuthBody).tokens.refresh_token;
      const reuse = await refresh(user.refresh);
      expect(reuse.status).toBe(401);
      expect(((await reuse.json()) as Problem).code).toBe('refresh_token_reused');
      const next = await refresh(second);
      expect(next.status).toBe(401);
      const open = await t.db.query('SELECT 1 FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL', [
        user.id,
      ]);
      expect(open).toHaveLength(0);
    });

    it('lets exactly one of two concurrent refreshes with the same token win', async () => {
      const user = await register(t);
      const results = await Promise.all([refresh(user.refresh), refresh(user.refresh), refresh(user.refresh)]);
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 401, 401]);
      const issued = await t.db.query('SELECT 1 FROM refresh_tokens WHERE user_id = $1', [user.id]);
      expect(issued).toHaveLength(2); // the registration token and one rotation
    });

    it('answers 401 invalid_refresh_token for garbage, forged, expired and unknown tokens', async () => {
      const user = await register(t);
      const now = Math.floor(Date.now() / 1000);
      const claims = {
        iss: t.config.JWT_ISSUER,
        aud: t.config.JWT_AUDIENCE,
        sub: user.id,
        typ: 'refresh',
        ver: 0,
        fam: randomUUID(),
        iat: now,
      };
      const tokens = [
        'garbage',
        craftJwt({ ...claims, jti: randomUUID(), exp: now + 600 }, 'another-secret-key-0123456789abcdef'),
        craftJwt({ ...claims, jti: decodeJwt(user.refresh).jti, exp: now - 10 }, secret()),
        craftJwt({ ...claims, jti: randomUUID(), exp: now + 600 }, secret()), // validly signed, never issued
        // the real token's claims for another audience, or issued in the future
        craftJwt({ ...decodeJwt(user.refresh), aud: 'another-api' }, secret()),
        craftJwt({ ...decodeJwt(user.refresh), iat: now + 3600 }, secret()),
      ];
      for (const token of tokens) {
        const res = await refresh(token);
        expect(res.status).toBe(401);
        const body = (await res.json()) as Problem;
        expect(body.code).toBe('invalid_refresh_token');
        expect(body.detail).toBe('Refresh token is invalid or revoked');
      }
      expect((await refresh(user.refresh)).status).toBe(200); // none of that touched the real one
    });

    it('rejects an access token as refresh token (invalid_token_type)', async () => {
      const user = await register(t);
      const res = await refresh(user.access);
      expect(res.status).toBe(401);
      expect(((await res.json()) as Problem).code).toBe('invalid_token_type');
    });

    it('refuses after token_version changes and for an inactive user', async () => {
      const a = await register(t);
      await t.db.query('UPDATE users SET token_version = token_version + 1 WHERE id = $1', [a.id]);
      expect((await refresh(a.refresh)).status).toBe(401);
      const b = await register(t);
      await t.db.query('UPDATE users SET is_active = false WHERE id = $1', [b.id]);
      expect((await refresh(b.refresh)).status).toBe(401);
    });

    it('blacklists a valid Bearer access token sent along', async () => {
      const user = await register(t);
      const res = await refresh(user.refresh, bearer(user.access));
      expect(res.status).toBe(200);
      expect(await isBlacklisted(decodeJwt(user.access).jti as string)).toBe(true);
      const old = await me(bearer(user.access));
      expect(old.status).toBe(401);
      expect(((await old.json()) as Problem).code).toBe('token_revoked');
      const body = (await res.json()) as AuthBody;
      expect((await me(bearer(body.tokens.access_token))).status).toBe(200);
    });

    it("refuses another user's Bearer token (token_mismatch) without burning the refresh token", async () => {
      const a = await register(t);
      const b = await register(t);
      const res = await refresh(a.refresh, bearer(b.access));
      expect(res.status).toBe(401);
      expect(((await res.json()) as Problem).code).toBe('token_mismatch');
      expect((await me(bearer(b.access))).status).toBe(200);
      expect((await refresh(a.refresh)).status).toBe(200);
    });

    it('ignores an expired Bearer token', async () => {
      const user = await register(t);
      const now = Math.floor(Date.now() / 1000);
      const expired = craftJwt(accessClaims(user, { iat: now - 1000, exp: now - 100 }), secret());
      expect((await refresh(user.refresh, bearer(expired))).status).toBe(200);
    });
  });

  it('locks an account after 5 failed logins in this store', async () => {
    const user = await register(t);
    for (let i = 0; i < 5; i++) {
      await t.request('/api/v1/auth/login', json({ email: user.email, password: 'wrong' }));
    }
    if (redis) {
      const key = `${t.config.CACHE_KEY_PREFIX}:auth:lockout:user:${user.email}`;
      expect(await redis.hgetall(key)).toEqual({ f: '5', p: '0' });
      expect(await redis.ttl(key)).toBeGreaterThan(0);
    } else {
      const rows = await t.db.query('SELECT failures, pending FROM login_attempt_counters WHERE key = $1', [
        `user:${user.email}`,
      ]);
      expect(rows).toEqual([{ failures: 5, pending: 0 }]);
    }
    const res = await t.request('/api/v1/auth/login', json({ email: user.email, password: 'correct-horse-battery' }));
    expect(((await res.json()) as Problem).code).toBe('account_locked');
  });

  describe('POST /auth/logout', () => {
    it('revokes the refresh token and blacklists the access token (204)', async () => {
      const user = await register(t);
      const res = await logout(user.refresh, bearer(user.access));
      expect(res.status).toBe(204);
      expect(await res.text()).toBe('');
      const again = await refresh(user.refresh);
      expect(again.status).toBe(401);
      const access = await me(bearer(user.access));
      expect(access.status).toBe(401);
      expect(((await access.json()) as Problem).code).toBe('token_revoked');
      expect(await isBlacklisted(decodeJwt(user.access).jti as string)).toBe(true);
      // logging out again with the revoked refresh token is fine
      expect((await logout(user.refresh)).status).toBe(204);
    });

    it('works with an expired access token and a valid refresh token', async () => {
      const user = await register(t);
      const now = Math.floor(Date.now() / 1000);
      const expired = craftJwt(accessClaims(user, { iat: now - 1000, exp: now - 100 }), secret());
      const res = await logout(user.refresh, bearer(expired));
      expect(res.status).toBe(204);
      const [row] = await t.db.query<{ revoked_at: Date | null }>(
        'SELECT revoked_at FROM refresh_tokens WHERE jti = $1',
        [decodeJwt(user.refresh).jti],
      );
      expect(row.revoked_at).not.toBeNull();
      expect((await refresh(user.refresh)).status).toBe(401);
    });

    it('works without any access token', async () => {
      const user = await register(t);
      expect((await logout(user.refresh)).status).toBe(204);
      expect((await refresh(user.refresh)).status).toBe(401);
      expect((await me(bearer(user.access))).status).toBe(200); // not sent, so not revoked
    });

    it('answers 401 for an invalid refresh token and for another user’s access token', async () => {
      const a = await register(t);
      const b = await register(t);
      const bad = await logout('garbage', bearer(a.access));
      expect(bad.status).toBe(401);
      expect((await me(bearer(a.access))).status).toBe(200);
      const mismatch = await logout(a.refresh, bearer(b.access));
      expect(mismatch.status).toBe(401);
      expect(((await mismatch.json()) as Problem).code).toBe('token_mismatch');
      expect((await refresh(a.refresh)).status).toBe(200);
    });

    it('validates the body (422 without refresh_token)', async () => {
      const res = await t.request('/api/v1/auth/logout', json({}));
      expect(res.status).toBe(422);
    });
  });
});
