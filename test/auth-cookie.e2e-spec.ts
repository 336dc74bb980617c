import { jest } from '@jest/globals';
import { Controller, HttpCode, Module, Post } from '@nestjs/common';
import { MfaService } from '#auth';
import { Authenticated, CurrentUser, type AuthUser } from '#core';
import { createTestApp, type TestApp } from '#testing';
import { cookieValue, decodeJwt, json, PASSWORD, register, setCookies } from './auth-helpers.js';

interface Problem {
  code: string;
  detail: string;
}

interface CookieJar {
  access: string;
  refresh: string;
  csrf: string;
}

/** An authenticated unsafe route (test only), to exercise the guard's CSRF check. */
@Controller('__auth_test')
class AuthTestController {
  @Authenticated()
  @Post('echo')
  @HttpCode(200)
  echo(@CurrentUser() user: AuthUser): { id: string; via: string } {
    return { id: user.id, via: user.via };
  }
}

@Module({ controllers: [AuthTestController] })
class AuthTestModule {}

describe('auth cookie mode', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ workers: false, extraModules: [AuthTestModule] });
  });
  afterAll(async () => {
    await t?.close();
  });
  afterEach(() => jest.restoreAllMocks());

  const cookieHeader = (jar: Partial<CookieJar>): string =>
    [
      jar.access && `access_token=${jar.access}`,
      jar.refresh && `refresh_token=${jar.refresh}`,
      jar.csrf && `csrf_token=${jar.csrf}`,
    ]
      .filter(Boolean)
      .join('; ');

  async function loginCookie(): Promise<{ jar: CookieJar; res: Response; id: string }> {
    const { email, id } = await register(t);
    const res = await t.request('/api/v1/auth/login-cookie', json({ email, password: PASSWORD }));
    expect(res.status).toBe(200);
    const c = setCookies(res);
    return {
      jar: {
        access: cookieValue(c.access_token),
        refresh: cookieValue(c.refresh_token),
        csrf: cookieValue(c.csrf_token),
      },
      res,
      id,
    };
  }

  it('POST /auth/login-cookie sets the three cookies with the right attributes and returns only the user', async () => {
    const { res, id } = await loginCookie();
    const c = setCookies(res);
    expect(c.access_token).toMatch(/; Max-Age=900(;|$)/);
    expect(c.access_token).toMatch(/; Path=\/(;|$)/);
    expect(c.access_token).toMatch(/; HttpOnly/);
    expect(c.access_token).toMatch(/; SameSite=Strict/);
    expect(c.access_token).not.toMatch(/Secure/); // ENVIRONMENT=test
    expect(c.refresh_token).toMatch(/; Max-Age=2592000(;|$)/);
    expect(c.refresh_token).toMatch(/; Path=\/api\/v1\/auth(;|$)/);
    expect(c.refresh_token).toMatch(/; HttpOnly/);
    expect(c.refresh_token).toMatch(/; SameSite=Strict/);
    expect(c.csrf_token).not.toMatch(/HttpOnly/);
    expect(c.csrf_token).toMatch(/; SameSite=Strict/);
    expect(cookieValue(c.csrf_token).length).toBeGreaterThanOrEqual(32);
    expect(decodeJwt(cookieValue(c.access_token))).toMatchObject({ sub: id, typ: 'access' });
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['user']);
    expect((body.user as { id: string }).id).toBe(id);
    expect(JSON.stringify(body)).not.toContain(cookieValue(c.access_token));
  });

  it('login-cookie refuses a wrong password (401, no cookies) and returns the MFA challenge without cookies', async () => {
    const { email, id } = await register(t);
    const wrong = await t.request('/api/v1/auth/login-cookie', json({ email, password: 'wrong-password' }));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.getSetCookie()).toEqual([]);
    await t.db.query('UPDATE users SET mfa_enabled = true WHERE id = $1', [id]);
    const challenge = {
      mfa_required: true as const,
      challenge_token: 'c',
      expires_in_seconds: 600,
      message: 'MFA verification required',
    };
    jest.spyOn(t.app.get(MfaService), 'startChallenge').mockResolvedValue(challenge);
    const mfa = await t.request('/api/v1/auth/login-cookie', json({ email, password: PASSWORD }));
    expect(mfa.status).toBe(200);
    expect(await mfa.json()).toEqual(challenge);
    expect(mfa.headers.getSetCookie()).toEqual([]);
  });

  it('GET /auth/token-info works with the access cookie alone', async () => {
    const { jar, id } = await loginCookie();
    const res = await t.request('/api/v1/auth/token-info', {
      headers: { cookie: cookieHeader({ access: jar.access }) },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      access_token: 'available_via_cookie',
      refresh_token: 'available_via_cookie',
      user_id: id,
      role: 'student',
    });
    expect((await t.request('/api/v1/auth/token-info')).status).toBe(401);
  });

  it('requires the CSRF double submit on unsafe cookie-authenticated requests', async () => {
    const { jar } = await loginCookie();
    const post = (headers: Record<string, string>): Promise<Response> =>
      t.request('/api/v1/__auth_test/echo', { method: 'POST', headers });
    const missing = await post({ cookie: cookieHeader(jar) });
    expect(missing.status).toBe(403);
    expect(((await missing.json()) as Problem).code).toBe('csrf_failed');
    const mismatched = await post({ cookie: cookieHeader(jar), 'x-csrf-token': `${jar.csrf}x` });
    expect(mismatched.status).toBe(403);
    expect(((await mismatched.json()) as Problem).code).toBe('csrf_failed');
    const ok = await post({ cookie: cookieHeader(jar), 'x-csrf-token': jar.csrf });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { via: string }).via).toBe('cookie');
    // a Bearer request needs no CSRF header
    expect((await post({ authorization: `Bearer ${jar.access}` })).status).toBe(200);
  });

  it('POST /auth/refresh-cookie rotates from the cookie (CSRF required) and sets new cookies', async () => {
    const { jar, id } = await loginCookie();
    const noCsrf = await t.request('/api/v1/auth/refresh-cookie', {
      method: 'POST',
      headers: { cookie: cookieHeader(jar) },
    });
    expect(noCsrf.status).toBe(403);
    expect(((await noCsrf.json()) as Problem).code).toBe('csrf_failed');

    const res = await t.request('/api/v1/auth/refresh-cookie', {
      method: 'POST',
      headers: { cookie: cookieHeader(jar), 'x-csrf-token': jar.csrf },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['user']);
    expect((body.user as { id: string }).id).toBe(id);
    const c = setCookies(res);
    const newRefresh = cookieValue(c.refresh_token);
    expect(newRefresh).not.toBe(jar.refresh);
    expect(c.access_token).toMatch(/HttpOnly/);
    expect(decodeJwt(newRefresh).fam).toBe(decodeJwt(jar.refresh).fam);
    // the old access cookie (sent along, valid) is revoked; the new one works
    expect(
      (await t.request('/api/v1/auth/token-info', { headers: { cookie: cookieHeader({ access: jar.access }) } }))
        .status,
    ).toBe(401);
    const fresh = cookieValue(c.access_token);
    expect((await t.request('/api/v1/auth/token-info', { headers: { cookie: `access_token=${fresh}` } })).status).toBe(
      200,
    );
    // the old refresh cookie is now reuse
    const reuse = await t.request('/api/v1/auth/refresh-cookie', {
      method: 'POST',
      headers: { cookie: cookieHeader({ refresh: jar.refresh, csrf: jar.csrf }), 'x-csrf-token': jar.csrf },
    });
    expect(reuse.status).toBe(401);
    expect(((await reuse.json()) as Problem).code).toBe('refresh_token_reused');
  });

  it('refresh-cookie accepts the token in the body, and answers 400 without any', async () => {
    const { jar } = await loginCookie();
    const none = await t.request('/api/v1/auth/refresh-cookie', { method: 'POST' });
    expect(none.status).toBe(400);
    expect(((await none.json()) as Problem).code).toBe('refresh_token_required');
    const fromBody = await t.request(
      '/api/v1/auth/refresh-cookie',
      json({ refresh_token: jar.refresh }, { cookie: `csrf_token=${jar.csrf}`, 'x-csrf-token': jar.csrf }),
    );
    expect(fromBody.status).toBe(200);
    expect(setCookies(fromBody).refresh_token).toBeDefined();
  });

  it('POST /auth/logout-cookie revokes both tokens and clears the cookies (CSRF required)', async () => {
    const { jar } = await loginCookie();
    const noCsrf = await t.request('/api/v1/auth/logout-cookie', {
      method: 'POST',
      headers: { cookie: cookieHeader(jar) },
    });
    expect(noCsrf.status).toBe(403);

    const res = await t.request('/api/v1/auth/logout-cookie', {
      method: 'POST',
      headers: { cookie: cookieHeader(jar), 'x-csrf-token': jar.csrf },
    });
    expect(res.status).toBe(204);
    const c = setCookies(res);
    for (const name of ['access_token', 'refresh_token', 'csrf_token']) {
      expect(c[name]).toMatch(new RegExp(`^${name}=;`));
      expect(c[name]).toMatch(/Max-Age=0/);
    }
    expect(c.refresh_token).toMatch(/Path=\/api\/v1\/auth/);
    const info = await t.request('/api/v1/auth/token-info', {
      headers: { cookie: cookieHeader({ access: jar.access }) },
    });
    expect(info.status).toBe(401);
    expect(((await info.json()) as Problem).code).toBe('token_revoked');
    const refresh = await t.request('/api/v1/auth/refresh', json({ refresh_token: jar.refresh }));
    expect(refresh.status).toBe(401);
  });

  it('logout-cookie without cookies just clears them (204)', async () => {
    const res = await t.request('/api/v1/auth/logout-cookie', { method: 'POST' });
    expect(res.status).toBe(204);
    expect(setCookies(res).access_token).toMatch(/Max-Age=0/);
  });
});

describe('auth cookie attributes outside development/test', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ workers: false, env: { ENVIRONMENT: 'staging', APP_DOMAIN: 'lms.example.test' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('marks the cookies Secure and scopes them to APP_DOMAIN', async () => {
    const { email } = await register(t);
    const res = await t.request('/api/v1/auth/login-cookie', json({ email, password: PASSWORD }));
    expect(res.status).toBe(200);
    const c = setCookies(res);
    for (const name of ['access_token', 'refresh_token', 'csrf_token']) {
      expect(c[name]).toMatch(/; Secure/);
      expect(c[name]).toMatch(/; Domain=lms\.example\.test/);
    }
  });
});
