import { createHash, randomBytes } from 'node:crypto';
import { jest } from '@jest/globals';
import bcrypt from 'bcrypt';
import { MfaService } from '#auth';
import { createTestApp, ManualClock, testRedisUrl, type TestApp } from '#testing';
import { PasswordService } from '#users';
import { bearer, json, PASSWORD, randomIp, register, uniqueEmail } from './auth-helpers.js';
import { mailFiles, until } from './queue-test-utils.js';

const LOCKED = 'Account temporarily locked due to multiple failed login attempts. Please try again later.';

interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: Array<{ field: string }>;
}

describe('auth: register, login, token, lockout (trusted proxy 127.0.0.1)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      workers: true,
      env: { TRUSTED_PROXY_IPS: '127.0.0.1', FRONTEND_BASE_URL: 'https://app.example.test' },
    });
  });
  afterAll(async () => {
    await t?.close();
  });
  afterEach(() => jest.restoreAllMocks());

  /** Every login gets its own client IP (X-Forwarded-For via the trusted proxy) so IP counters never collide. */
  const login = (email: string, password: string, ip = randomIp()): Promise<Response> =>
    t.request('/api/v1/auth/login', json({ email, password }, { 'x-forwarded-for': ip }));

  describe('POST /auth/register', () => {
    it('creates a verified student and returns user + tokens (201)', async () => {
      const email = uniqueEmail('Reg').toUpperCase();
      const res = await t.request('/api/v1/auth/register', json({ email, password: PASSWORD, full_name: 'Ada L' }));
      expect(res.status).toBe(201);
      const body = (await res.json()) as {
        user: Record<string, unknown>;
        tokens: Record<string, unknown>;
      };
      expect(body.user).toEqual({
        id: expect.any(String),
        email: email.toLowerCase(),
        full_name: 'Ada L',
        role: 'student',
        is_active: true,
        mfa_enabled: false,
        created_at: expect.any(String),
        email_verified_at: expect.any(String),
      });
      expect(body.tokens).toEqual({
        access_token: expect.any(String),
        refresh_token: expect.any(String),
        token_type: 'bearer',
        expires_in: 900,
      });
      const me = await t.request('/api/v1/auth/me', { headers: bearer(body.tokens.access_token as string) });
      expect(me.status).toBe(200);
      expect(((await me.json()) as { id: string }).id).toBe(body.user.id);
      const rows = await t.db.query('SELECT family_id FROM refresh_tokens WHERE user_id = $1', [body.user.id]);
      expect(rows).toHaveLength(1);
    });

    it.each([
      ['role', { role: 'superuser' }],
      ['is_active', { is_active: false }],
      ['email_verified_at', { email_verified_at: '2020-01-01T00:00:00Z' }],
    ])('rejects a body with %s (mass assignment) with 422 and writes no user', async (field, extra) => {
      const email = uniqueEmail('mass');
      const res = await t.request(
        '/api/v1/auth/register',
        json({ email, password: PASSWORD, full_name: 'Mallory', ...extra }),
      );
      expect(res.status).toBe(422);
      const body = (await res.json()) as Problem;
      expect(body.code).toBe('validation_failed');
      expect(body.errors?.map((e) => e.field)).toContain(field);
      expect(await t.db.query('SELECT 1 FROM users WHERE email = $1', [email])).toHaveLength(0);
    });

    it.each([
      [{ email: 'not-an-email', password: PASSWORD, full_name: 'X Y' }, 'email'],
      [{ email: uniqueEmail(), password: 'short', full_name: 'X Y' }, 'password'],
      [{ email: uniqueEmail(), password: 'x'.repeat(129), full_name: 'X Y' }, 'password'],
      [{ email: uniqueEmail(), password: PASSWORD, full_name: 'X' }, 'full_name'],
      [{ email: `${'a'.repeat(250)}@example.com`, password: PASSWORD, full_name: 'X Y' }, 'email'],
    ])('validates the fields (422): %j', async (payload, field) => {
      const res = await t.request('/api/v1/auth/register', json(payload));
      expect(res.status).toBe(422);
      expect(((await res.json()) as Problem).errors?.map((e) => e.field)).toContain(field);
    });

    it('refuses a duplicate email, case-insensitively (409 email_taken)', async () => {
      const email = uniqueEmail('dup');
      await register(t, email);
      const res = await t.request(
        '/api/v1/auth/register',
        json({ email: email.toUpperCase(), password: PASSWORD, full_name: 'Dup' }),
      );
      expect(res.status).toBe(409);
      const body = (await res.json()) as Problem;
      expect(body.code).toBe('email_taken');
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(await t.db.query('SELECT 1 FROM users WHERE email = $1', [email])).toHaveLength(1);
    });

    it('queues a welcome email, and no verification email for an account registered verified', async () => {
      const { email, id } = await register(t);
      // Every email of the registration is recorded in its transaction: the outbox is complete now.
      const events = await t.db.query<{ event_type: string }>(
        `SELECT event_type FROM outbox_events WHERE (payload->>'to' = $1 OR payload->>'user_id' = $2)
           AND event_type <> 'user.created' ORDER BY created_at`,
        [email, id],
      );
      expect(events.map((e) => e.event_type)).toEqual(['email.requested']);
      // The account's own event (webhooks), recorded in the same transaction.
      const created = await t.db.query(
        "SELECT 1 FROM outbox_events WHERE event_type = 'user.created' AND payload->>'user_id' = $1",
        [id],
      );
      expect(created).toHaveLength(1);
      const mails = await until('the welcome email', async () => {
        const mine = (await mailFiles(t.config)).filter((m) => m.content.includes(`To: ${email}`));
        return mine.length > 0 ? mine : undefined;
      });
      expect(mails).toHaveLength(1);
      expect(mails[0].content).toMatch(/^Subject: Welcome/m);
      expect(mails[0].content).not.toContain('verify-email');
    });
  });

  describe('POST /auth/login', () => {
    it('returns user + tokens and sets last_login_at', async () => {
      const { email, id } = await register(t);
      const res = await login(email.toUpperCase(), PASSWORD);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { user: { id: string }; tokens: { access_token: string; token_type: string } };
      expect(body.user.id).toBe(id);
      expect(body.tokens.token_type).toBe('bearer');
      expect((await t.request('/api/v1/auth/me', { headers: bearer(body.tokens.access_token) })).status).toBe(200);
      const [row] = await t.db.query<{ last_login_at: Date | null }>('SELECT last_login_at FROM users WHERE id = $1', [
        id,
      ]);
      expect(row.last_login_at).not.toBeNull();
    });

    it('answers an unknown email and a wrong password identically (401 invalid_credentials)', async () => {
      const { email } = await register(t);
      const unknown = await login(uniqueEmail('ghost'), PASSWORD);
      const wrong = await login(email, 'wrong-password');
      expect(unknown.status).toBe(401);
      expect(wrong.status).toBe(401);
      const a = (await unknown.json()) as Problem;
      const b = (await wrong.json()) as Problem;
      expect(a.code).toBe('invalid_credentials');
      expect(a.detail).toBe('Invalid email or password');
      expect({ code: b.code, detail: b.detail, status: b.status }).toEqual({
        code: a.code,
        detail: a.detail,
        status: a.status,
      });
    });

    it('accepts a long password up to 1024 characters (no minimum) and rejects longer (422)', async () => {
      const { email } = await register(t);
      expect((await login(email, 'x')).status).toBe(401);
      expect((await login(email, 'x'.repeat(1024))).status).toBe(401);
      expect((await login(email, 'x'.repeat(1025))).status).toBe(422);
    });

    it('refuses a disabled account only after a correct password (account_disabled)', async () => {
      const { email, id } = await register(t);
      await t.db.query('UPDATE users SET is_active = false WHERE id = $1', [id]);
      const wrong = await login(email, 'wrong-password');
      expect(((await wrong.json()) as Problem).code).toBe('invalid_credentials');
      const right = await login(email, PASSWORD);
      expect(right.status).toBe(401);
      const body = (await right.json()) as Problem;
      expect(body.code).toBe('account_disabled');
      expect(body.detail).toBe('User account is disabled');
    });

    it('rehashes a password hashed with another bcrypt cost', async () => {
      const { email, id } = await register(t);
      const prehash = createHash('sha256').update(PASSWORD, 'utf8').digest('base64');
      await t.db.query('UPDATE users SET password_hash = $2 WHERE id = $1', [id, await bcrypt.hash(prehash, 5)]);
      expect((await login(email, PASSWORD)).status).toBe(200);
      const [row] = await t.db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [id]);
      expect(bcrypt.getRounds(row.password_hash)).toBe(4);
      expect((await login(email, PASSWORD)).status).toBe(200);
    });

    it('returns the MFA challenge (and no tokens) when MFA is on', async () => {
      const { email, id } = await register(t);
      await t.db.query('UPDATE users SET mfa_enabled = true WHERE id = $1', [id]);
      const challenge = {
        mfa_required: true as const,
        challenge_token: 'challenge-xyz',
        expires_in_seconds: 600,
        message: 'MFA verification required',
      };
      const spy = jest.spyOn(t.app.get(MfaService), 'startChallenge').mockResolvedValue(challenge);
      const res = await login(email, PASSWORD);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(challenge);
      expect(spy).toHaveBeenCalledWith(expect.objectContaining({ id }));
      expect(await t.db.query('SELECT 1 FROM refresh_tokens WHERE user_id = $1', [id])).toHaveLength(1); // register's
      // the wrong password never reaches the challenge
      spy.mockClear();
      expect((await login(email, 'wrong-password')).status).toBe(401);
      expect(spy).not.toHaveBeenCalled();
    });
  });

  describe('lockout', () => {
    it('locks the account after 5 failures: the correct password is then refused (account_locked)', async () => {
      const { email } = await register(t);
      for (let i = 0; i < 5; i++) {
        const res = await login(email, `wrong-${i}`); // a different IP each time: the account counter locks
        expect(((await res.json()) as Problem).code).toBe('invalid_credentials');
      }
      const res = await login(email, PASSWORD);
      expect(res.status).toBe(401);
      const body = (await res.json()) as Problem;
      expect(body.code).toBe('account_locked');
      expect(body.detail).toBe(LOCKED);
      // also on /auth/token and /auth/login-cookie
      const form = await t.request('/api/v1/auth/token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': randomIp() },
        body: new URLSearchParams({ username: email, password: PASSWORD }).toString(),
      });
      expect(((await form.json()) as Problem).code).toBe('account_locked');
      const cookie = await t.request(
        '/api/v1/auth/login-cookie',
        json({ email, password: PASSWORD }, { 'x-forwarded-for': randomIp() }),
      );
      expect(((await cookie.json()) as Problem).code).toBe('account_locked');
    });

    it('resets the counters on success and counts per normalized email', async () => {
      const { email } = await register(t);
      for (let i = 0; i < 4; i++) await login(email.toUpperCase(), 'wrong');
      expect((await login(` ${email} `, PASSWORD)).status).toBe(200); // success resets
      for (let i = 0; i < 4; i++) await login(email, 'wrong');
      expect((await login(email, PASSWORD)).status).toBe(200); // 4 < 5 after the reset
    });

    it('locks per client IP across different accounts', async () => {
      const ip = randomIp();
      for (let i = 0; i < 5; i++) {
        const res = await login(uniqueEmail('spray'), 'wrong', ip);
        expect(((await res.json()) as Problem).code).toBe('invalid_credentials');
      }
      const { email } = await register(t);
      const blocked = await login(email, PASSWORD, ip);
      expect(((await blocked.json()) as Problem).code).toBe('account_locked');
      // the same account from another IP is fine
      expect((await login(email, PASSWORD, randomIp())).status).toBe(200);
    });

    it('follows X-Forwarded-For from a trusted proxy (request.ip)', async () => {
      const ip = randomIp();
      for (let i = 0; i < 5; i++) await login(uniqueEmail('xff'), 'wrong', ip);
      const { email } = await register(t);
      // the same forwarded client is locked; the proxy's own address (127.0.0.1) is not
      expect(((await (await login(email, PASSWORD, ip)).json()) as Problem).code).toBe('account_locked');
      const direct = await t.request('/api/v1/auth/login', json({ email, password: PASSWORD }));
      expect(direct.status).toBe(200);
    });
  });

  describe('POST /auth/token (OAuth2 password form)', () => {
    const form = (fields: Record<string, string>, ip = randomIp()): Promise<Response> =>
      t.request('/api/v1/auth/token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip },
        body: new URLSearchParams(fields).toString(),
      });

    it('returns a bare TokenResponse for a url-encoded form', async () => {
      const { email } = await register(t);
      const res = await form({ grant_type: 'password', username: email, password: PASSWORD, scope: '' });
      expect(res.status).toBe(200);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toEqual({
        access_token: expect.any(String),
        refresh_token: expect.any(String),
        token_type: 'bearer',
        expires_in: 900,
      });
      expect((await t.request('/api/v1/auth/me', { headers: bearer(body.access_token as string) })).status).toBe(200);
    });

    it('answers 401 invalid_credentials for a wrong password and 400 mfa_required with MFA on', async () => {
      const { email, id } = await register(t);
      const wrong = await form({ username: email, password: 'nope' });
      expect(wrong.status).toBe(401);
      expect(((await wrong.json()) as Problem).code).toBe('invalid_credentials');
      await t.db.query('UPDATE users SET mfa_enabled = true WHERE id = $1', [id]);
      const mfa = await form({ username: email, password: PASSWORD });
      expect(mfa.status).toBe(400);
      const body = (await mfa.json()) as Problem;
      expect(body.code).toBe('mfa_required');
      expect(body.detail).toBe('MFA is enabled for this account. Use /api/v1/auth/login then /api/v1/auth/login/mfa.');
    });

    it('rejects unknown form fields (422)', async () => {
      const res = await form({ username: 'a@example.com', password: 'x', role: 'admin' });
      expect(res.status).toBe(422);
    });
  });

  describe('OpenAPI', () => {
    it('documents the auth routes with schemas; public routes have `security: []` or an optional token, /me requires one', async () => {
      const doc = (await (await t.request('/openapi.json')).json()) as {
        paths: Record<string, Record<string, { security?: unknown[]; tags?: string[]; requestBody?: unknown }>>;
        components: { schemas: Record<string, unknown> };
      };
      const p = (path: string) => doc.paths[`/api/v1/auth/${path}`];
      for (const path of ['register', 'login', 'token', 'refresh', 'logout', 'login-cookie', 'refresh-cookie']) {
        expect(p(path)?.post?.tags).toContain('auth');
      }
      for (const path of ['register', 'login', 'token', 'login-cookie']) expect(p(path)?.post?.security).toEqual([]);
      // Public, but a token that comes along is read (checked against the refresh token's user).
      for (const path of ['refresh', 'logout', 'refresh-cookie']) {
        expect(p(path)?.post?.security).toEqual(expect.arrayContaining([{}, { bearer: [] }]));
      }
      expect(p('me').get.security).toEqual(expect.arrayContaining([{ bearer: [] }]));
      expect(p('token-info').get.security).toEqual(expect.arrayContaining([{ cookie: [] }]));
      expect(JSON.stringify(p('token').post.requestBody)).toContain('application/x-www-form-urlencoded');
      for (const schema of ['RegisterDto', 'LoginDto', 'AuthResponseDto', 'TokenResponseDto', 'TokenInfoResponseDto']) {
        expect(doc.components.schemas[schema]).toBeDefined();
      }
    });
  });
});

describe('auth: client IP without a trusted proxy', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ workers: false });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('ignores X-Forwarded-For: varying it does not escape the per-IP lockout', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await t.request(
        '/api/v1/auth/login',
        json({ email: uniqueEmail('spoof'), password: 'wrong' }, { 'x-forwarded-for': randomIp() }),
      );
      expect(((await res.json()) as Problem).code).toBe('invalid_credentials');
    }
    const { email } = await register(t);
    const res = await t.request(
      '/api/v1/auth/login',
      json({ email, password: PASSWORD }, { 'x-forwarded-for': randomIp() }),
    );
    expect(res.status).toBe(401);
    expect(((await res.json()) as Problem).code).toBe('account_locked');
  });
});

describe('auth: lockout expiry', () => {
  let t: TestApp;
  const clock = new ManualClock();
  beforeAll(async () => {
    t = await createTestApp({ workers: false, clock, env: { ACCOUNT_LOCKOUT_DURATION_SECONDS: '60' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('does not count attempts rejected while locked: the lock ends ACCOUNT_LOCKOUT_DURATION_SECONDS after the 5th failure', async () => {
    const { email } = await register(t);
    for (let i = 0; i < 5; i++) await t.request('/api/v1/auth/login', json({ email, password: 'wrong' }));
    // keep hammering while locked (these must not extend the lock)
    for (let i = 0; i < 5; i++) {
      clock.advance(10_000);
      const res = await t.request('/api/v1/auth/login', json({ email, password: 'wrong' }));
      expect(((await res.json()) as Problem).code).toBe('account_locked');
    }
    clock.advance(9_000); // 59 s after the 5th failure
    const still = await t.request('/api/v1/auth/login', json({ email, password: PASSWORD }));
    expect(((await still.json()) as Problem).code).toBe('account_locked');
    clock.advance(1_001);
    const res = await t.request('/api/v1/auth/login', json({ email, password: PASSWORD }));
    expect(res.status).toBe(200);
  });
});

const lockoutStores: Array<{ name: string; env: Record<string, string> }> = [{ name: 'postgres', env: {} }];
const lockoutRedis = testRedisUrl();
if (lockoutRedis) {
  lockoutStores.push({
    name: 'redis',
    env: { REDIS_URL: lockoutRedis, CACHE_KEY_PREFIX: `lms-test-lockout-${randomBytes(4).toString('hex')}` },
  });
}

describe.each(lockoutStores)('auth: lockout under a concurrent burst, two API processes ($name store)', ({ env }) => {
  let t: TestApp;
  let t2: TestApp;
  beforeAll(async () => {
    const shared = { ...env, TRUSTED_PROXY_IPS: '127.0.0.1' };
    t = await createTestApp({ workers: false, env: shared });
    t2 = await createTestApp({ workers: false, env: shared, db: t.db });
  });
  afterAll(async () => {
    await t2?.close();
    await t?.close();
  });
  afterEach(() => jest.restoreAllMocks());

  /**
   * Holds every password check of both processes until `open()`: the attempts of a burst all get
   * past the lockout (or are refused) before any password is judged, the worst interleaving.
   */
  function gatePasswordChecks(): { checks: () => number; open: () => void } {
    let checks = 0;
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const original = PasswordService.prototype.verify;
    for (const app of [t, t2]) {
      const passwords = app.app.get(PasswordService);
      jest.spyOn(passwords, 'verify').mockImplementation(async (password: string, hash: string) => {
        checks += 1;
        await gate;
        return original.call(passwords, password, hash);
      });
    }
    return { checks: () => checks, open };
  }

  it('20 simultaneous logins (19 wrong, the right one last) check at most 5 passwords; the right one is locked out', async () => {
    const { email } = await register(t);
    const ip = randomIp();
    const gate = gatePasswordChecks();
    let refused = 0;
    const login = (app: TestApp, password: string): Promise<Problem & { tokens?: unknown }> =>
      app
        .request('/api/v1/auth/login', json({ email, password }, { 'x-forwarded-for': ip }))
        .then((res) => res.json() as Promise<Problem & { tokens?: unknown }>)
        .then((body) => {
          if (body.code === 'account_locked') refused += 1;
          return body;
        });
    const wrong = Array.from({ length: 19 }, (_, i) => login(i % 2 ? t2 : t, `wrong-${i}`));
    // Every wrong attempt is being checked or was refused before the right one arrives.
    await until('the 19 wrong attempts to be checked or refused', () => gate.checks() + refused >= 19);
    const right = login(t, PASSWORD);
    await until('the right attempt to be checked or refused', () => gate.checks() + refused >= 20);
    gate.open();
    const results = await Promise.all(wrong);

    expect(gate.checks()).toBe(5);
    const rightBody = await right;
    expect(rightBody.tokens).toBeUndefined();
    expect(rightBody.code).toBe('account_locked');
    expect(results.filter((r) => r.code === 'invalid_credentials')).toHaveLength(5);
    expect(results.filter((r) => r.code === 'account_locked')).toHaveLength(14);
  });

  it('20 simultaneous logins against different accounts from one IP check at most 5 passwords', async () => {
    const ip = randomIp();
    const gate = gatePasswordChecks();
    let refused = 0;
    const all = Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? t2 : t)
          .request(
            '/api/v1/auth/login',
            json({ email: uniqueEmail('burst'), password: 'wrong' }, { 'x-forwarded-for': ip }),
          )
          .then((res) => res.json() as Promise<Problem>)
          .then((body) => {
            if (body.code === 'account_locked') refused += 1;
            return body;
          }),
      ),
    );
    await until('all 20 attempts to be checked or refused', () => gate.checks() + refused >= 20);
    gate.open();
    const results = await all;
    expect(gate.checks()).toBe(5);
    expect(results.filter((r) => r.code === 'invalid_credentials')).toHaveLength(5);
    expect(results.filter((r) => r.code === 'account_locked')).toHaveLength(15);
  });
});

describe('auth: REQUIRE_EMAIL_VERIFICATION_FOR_LOGIN', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ workers: false, env: { REQUIRE_EMAIL_VERIFICATION_FOR_LOGIN: 'true' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('registers unverified users and refuses their login (email_not_verified) until verified', async () => {
    const email = uniqueEmail('unverified');
    const reg = await t.request('/api/v1/auth/register', json({ email, password: PASSWORD, full_name: 'Un Verified' }));
    expect(reg.status).toBe(201);
    const body = (await reg.json()) as { user: { id: string; email_verified_at: string | null } };
    expect(body.user.email_verified_at).toBeNull();
    // The verification link is queued without its token: it is minted when the email is sent.
    const events = await t.db.query<{ payload: Record<string, unknown> }>(
      "SELECT payload FROM outbox_events WHERE event_type = 'account_email.requested' AND payload->>'user_id' = $1",
      [body.user.id],
    );
    expect(events.map((e) => e.payload)).toEqual([
      {
        kind: 'email_verification',
        user_id: body.user.id,
        token_id: expect.any(String),
        token_version: 0,
        issued_at: expect.any(Number),
        expires_at: expect.any(Number),
      },
    ]);
    const res = await t.request('/api/v1/auth/login', json({ email, password: PASSWORD }));
    expect(res.status).toBe(401);
    const problem = (await res.json()) as Problem;
    expect(problem.code).toBe('email_not_verified');
    expect(problem.detail).toBe('Email is not verified');
    await t.db.query('UPDATE users SET email_verified_at = now() WHERE id = $1', [body.user.id]);
    expect((await t.request('/api/v1/auth/login', json({ email, password: PASSWORD }))).status).toBe(200);
  });
});
