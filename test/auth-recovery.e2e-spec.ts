import { AccountEmailHandler, AuthTokensService, TokenService } from '#auth';
import { JobProducer, type SendAccountEmailPayload } from '#core';
import {
  callApi,
  createTestApp,
  startTestSmtpServer,
  type JsonResponse,
  type ReceivedMail,
  type TestApp,
  type TestSmtpServer,
} from '#testing';
import { PasswordService, UsersService, type User } from '#users';
import { decodeJwt, json, PASSWORD, uniqueEmail } from './auth-helpers.js';
import { until } from './queue-test-utils.js';

type Json = JsonResponse;

/** Undoes quoted-printable soft line breaks and =XX escapes (.eml bodies). */
function decodeQuotedPrintable(s: string): string {
  return s
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

describe('password reset and email verification e2e', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  const password = 'original password 1';

  beforeAll(async () => {
    // The links are read from what a real SMTP server received.
    smtp = await startTestSmtpServer();
    t = await createTestApp({
      env: { ...smtp.env, RATE_LIMIT_ENABLED: 'false', FRONTEND_BASE_URL: 'https://app.example.test' },
    });
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  /** The messages the SMTP server received, in the shape the assertions read. */
  const receivedMail = async (): Promise<Array<{ content: string }>> => smtp.messages.map((m) => ({ content: m.raw }));

  const call = (method: string, path: string, body?: unknown, token?: string): Promise<Json> =>
    callApi(t, method, path, body, token);

  async function newUser(label: string, emailVerified = true) {
    const email = `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
    const user = await t.app
      .get(UsersService)
      .create({ email, password, fullName: 'Grace Hopper', role: 'student', emailVerified });
    const pair = await t.app.get(AuthTokensService).issue(user);
    return { user, email, pair };
  }

  /**
   * Whether an access token authenticates: GET /auth/me when it exists, otherwise an @Authenticated
   * MFA route with a wrong password (401 invalid_password = past the guard).
   */
  async function accessWorks(token: string): Promise<boolean> {
    const me = await call('GET', '/auth/me', undefined, token);
    if (me.status !== 404) return me.status === 200;
    const probe = await call('POST', '/auth/mfa/enable/request', { password: 'definitely wrong' }, token);
    return probe.body.code === 'invalid_password';
  }

  async function linkFor(email: string, kind: 'reset-password' | 'verify-email'): Promise<string> {
    const mails = await until(`the ${kind} mail to ${email}`, async () => {
      const found = (await receivedMail())
        .map((f) => decodeQuotedPrintable(f.content))
        .filter((c) => c.includes(`To: ${email}`) && c.includes(`/${kind}?token=`));
      return found.length > 0 ? found : undefined;
    });
    const urls = mails.map((c) => c.match(/https:\/\/app\.example\.test\/[a-z-]+\?token=[A-Za-z0-9._%-]+/)![0]);
    return urls[urls.length - 1]!;
  }

  const tokenOf = (url: string): string => decodeURIComponent(new URL(url).searchParams.get('token')!);
  /** Outbox events for an address: rendered emails (`to`) and account emails (`user_id`). */
  /** Emails (and email requests) for the account: not its user.created event. */
  const outboxTo = async (email: string): Promise<number> =>
    (
      await t.db.query(
        `SELECT 1 FROM outbox_events
          WHERE event_type <> 'user.created'
            AND (payload->>'to' = $1 OR payload->>'user_id' IN (SELECT id::text FROM users WHERE email = $1))`,
        [email],
      )
    ).length;

  /** Everything stored about the emails: outbox rows, and the emails queue's jobs (data, results, errors). */
  async function storedEmailTraces(): Promise<string> {
    const rows = await t.db.query<{ payload: unknown }>('SELECT payload FROM outbox_events');
    const jobs = await t.app
      .get(JobProducer)
      .queue('emails')
      .getJobs(['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized']);
    return JSON.stringify({
      outbox: rows.map((r) => r.payload),
      jobs: jobs.map((j) => ({ data: j.data, result: j.returnvalue, failed: j.failedReason, trace: j.stacktrace })),
    });
  }

  it('stores neither reset nor verification tokens (outbox, job data); the links minted at send time work', async () => {
    const { user, email } = await newUser('at-rest', false);
    await call('POST', '/auth/forgot-password', { email });
    await call('POST', '/auth/verify-email/request', { email });
    const reset = tokenOf(await linkFor(email, 'reset-password'));
    const verify = tokenOf(await linkFor(email, 'verify-email'));
    await until('both jobs to complete', async () => {
      const jobs = await t.app.get(JobProducer).queue('emails').getJobs(['completed']);
      return jobs.filter((j) => (j.data as { user_id?: string }).user_id === user.id).length === 2;
    });

    const traces = await storedEmailTraces();
    for (const token of [reset, verify]) {
      expect(traces).not.toContain(token);
      expect(traces).not.toContain(token.split('.')[2]); // not even its signature
    }
    // What is stored instead: the user and the token's id.
    const events = await t.db.query<{ payload: { kind: string; token_id: string } }>(
      "SELECT payload FROM outbox_events WHERE event_type = 'account_email.requested' AND payload->>'user_id' = $1",
      [user.id],
    );
    expect(events.map((e) => [e.payload.kind, e.payload.token_id]).sort()).toEqual(
      [
        ['email_verification', decodeJwt(verify).jti],
        ['password_reset', decodeJwt(reset).jti],
      ].sort(),
    );

    expect((await call('POST', '/auth/verify-email/confirm', { token: verify })).status).toBe(200);
    expect(
      (await call('POST', '/auth/reset-password', { token: reset, new_password: 'at rest password' })).status,
    ).toBe(200);
  });

  it('a redelivered job sends the same link (one valid link), and nothing once the link was used', async () => {
    const { user, email } = await newUser('redeliver');
    await call('POST', '/auth/forgot-password', { email });
    const first = tokenOf(await linkFor(email, 'reset-password'));
    const [{ payload }] = await t.db.query<{ payload: SendAccountEmailPayload }>(
      "SELECT payload FROM outbox_events WHERE event_type = 'account_email.requested' AND payload->>'user_id' = $1",
      [user.id],
    );
    const handler = t.app.get(AccountEmailHandler);
    const mine = (): ReceivedMail[] => smtp.messages.filter((m) => m.to.includes(email));
    expect(mine()).toHaveLength(1);

    expect(await handler.handle(payload)).toMatchObject({ kind: 'smtp' }); // the job, delivered again
    const [original, copy] = mine().map((m) => decodeQuotedPrintable(m.raw));
    expect(copy).toBeDefined();
    const link = (raw: string): string =>
      tokenOf(raw.match(/https:\/\/app\.example\.test\/reset-password\?token=[A-Za-z0-9._%-]+/)![0]);
    const messageId = (raw: string): string | undefined => /^Message-ID: (.+)$/im.exec(raw)?.[1]?.trim();
    expect(link(copy!)).toBe(first);
    expect(messageId(copy!)).toBe(messageId(original!));
    expect(messageId(copy!)).toBe(`<${payload.token_id}@lms.local>`);

    expect(
      (await call('POST', '/auth/reset-password', { token: first, new_password: 'redelivered pass' })).status,
    ).toBe(200);
    expect(await handler.handle(payload)).toEqual({ skipped: 'link already used' });
    expect(mine()).toHaveLength(2);
  });

  it('resets the password from the emailed link; revokes every token; the link is single-use', async () => {
    const { user, email, pair } = await newUser('reset');
    expect(await accessWorks(pair.access_token)).toBe(true);

    const res = await call('POST', '/auth/forgot-password', { email: email.toUpperCase() });
    expect(res).toEqual({ status: 200, body: { message: 'If the email is registered, a reset link has been sent' } });
    const url = await linkFor(email, 'reset-password');
    expect(url.startsWith('https://app.example.test/reset-password?token=')).toBe(true);
    const token = tokenOf(url);

    // Invalid new password → 422 and the token is still good afterwards.
    const weak = await call('POST', '/auth/reset-password', { token, new_password: 'short' });
    expect(weak.status).toBe(422);
    expect(weak.body.code).toBe('validation_failed');
    expect(await accessWorks(pair.access_token)).toBe(true);

    const newPassword = 'brand new password 2';
    const ok = await call('POST', '/auth/reset-password', { token, new_password: newPassword });
    expect(ok).toEqual({ status: 200, body: { message: 'Password has been reset successfully' } });

    const withHash = (await t.app.get(UsersService).findByIdWithPassword(user.id)) as User;
    const passwords = t.app.get(PasswordService);
    expect(await passwords.verify(newPassword, withHash.passwordHash)).toBe(true);
    expect(await passwords.verify(password, withHash.passwordHash)).toBe(false);

    // Old access token is revoked; old refresh token revoked in the database (and refused by /auth/refresh if present).
    expect(await accessWorks(pair.access_token)).toBe(false);
    const [refreshRow] = await t.db.query<{ revoked_at: Date | null }>(
      'SELECT revoked_at FROM refresh_tokens WHERE jti = $1',
      [pair.refreshJti],
    );
    expect(refreshRow!.revoked_at).not.toBeNull();
    const refresh = await call('POST', '/auth/refresh', { refresh_token: pair.refresh_token });
    if (refresh.status !== 404) expect(refresh.status).toBe(401);
    const [{ token_version }] = (await t.db.query('SELECT token_version FROM users WHERE id = $1', [user.id])) as [
      { token_version: number },
    ];
    expect(token_version).toBe(1);

    // Reuse → 401 token_already_used, and the password is unchanged.
    const reuse = await call('POST', '/auth/reset-password', { token, new_password: 'yet another password' });
    expect(reuse.status).toBe(401);
    expect(reuse.body.code).toBe('token_already_used');
    const after = (await t.app.get(UsersService).findByIdWithPassword(user.id)) as User;
    expect(after.passwordHash).toBe(withHash.passwordHash);

    // A notice went out.
    await until('the password changed notice', async () =>
      (await receivedMail()).find(
        (f) => f.content.includes(`To: ${email}`) && f.content.includes('password was changed'),
      ),
    );
  });

  it('a reset link issued before a password change is dead afterwards', async () => {
    const { user, email } = await newUser('stale');
    await call('POST', '/auth/forgot-password', { email });
    await call('POST', '/auth/forgot-password', { email });
    const links = await until('two reset links', async () => {
      const found = (await receivedMail())
        .map((f) => decodeQuotedPrintable(f.content))
        .filter((c) => c.includes(`To: ${email}`) && c.includes('/reset-password?token='))
        .map((c) => tokenOf(c.match(/https:\/\/app\.example\.test\/reset-password\?token=[A-Za-z0-9._%-]+/)![0]));
      return found.length === 2 ? found : undefined;
    });
    expect(
      (await call('POST', '/auth/reset-password', { token: links[0], new_password: 'first new password' })).status,
    ).toBe(200);
    const second = await call('POST', '/auth/reset-password', { token: links[1], new_password: 'second new password' });
    expect(second.status).toBe(401);
    expect(second.body.code).toBe('invalid_token');
    const withHash = (await t.app.get(UsersService).findByIdWithPassword(user.id)) as User;
    expect(await t.app.get(PasswordService).verify('first new password', withHash.passwordHash)).toBe(true);
  });

  it('forgot-password answers the same for unknown and inactive accounts and sends nothing', async () => {
    const unknown = `nobody-${Date.now()}@example.com`;
    const res = await call('POST', '/auth/forgot-password', { email: unknown });
    expect(res).toEqual({ status: 200, body: { message: 'If the email is registered, a reset link has been sent' } });
    const { user, email } = await newUser('disabled');
    await t.db.query('UPDATE users SET is_active = false WHERE id = $1', [user.id]);
    const inactive = await call('POST', '/auth/forgot-password', { email });
    expect(inactive).toEqual(res);
    expect(await outboxTo(unknown)).toBe(0);
    expect(await outboxTo(email)).toBe(0);
    const bad = await call('POST', '/auth/forgot-password', { email: 'not-an-email' });
    expect(bad.status).toBe(422);
    expect(bad.body.code).toBe('validation_failed');
    await new Promise((r) => setTimeout(r, 300));
    expect((await receivedMail()).filter((f) => f.content.includes(unknown) || f.content.includes(email))).toEqual([]);
  });

  it('reset refuses bad, wrong-type and inactive-user tokens without burning a valid one', async () => {
    const { user, email } = await newUser('refuse');
    const tokens = t.app.get(TokenService);
    expect(
      (await call('POST', '/auth/reset-password', { token: 'nonsense', new_password: 'whatever pass' })).status,
    ).toBe(401);
    const wrongType = tokens.sign('email_verification', user.id).token;
    const wt = await call('POST', '/auth/reset-password', { token: wrongType, new_password: 'whatever pass' });
    expect(wt.status).toBe(401);
    expect(wt.body.code).toBe('invalid_token_type');
    expect((await call('POST', '/auth/reset-password', { new_password: 'whatever pass' })).status).toBe(422);

    await call('POST', '/auth/forgot-password', { email });
    const token = tokenOf(await linkFor(email, 'reset-password'));
    await t.db.query('UPDATE users SET is_active = false WHERE id = $1', [user.id]);
    const inactive = await call('POST', '/auth/reset-password', { token, new_password: 'whatever pass' });
    expect(inactive.status).toBe(401);
    expect(inactive.body.code).toBe('user_inactive');
    // The failed attempt rolled back: once active again the same link works.
    await t.db.query('UPDATE users SET is_active = true WHERE id = $1', [user.id]);
    expect((await call('POST', '/auth/reset-password', { token, new_password: 'whatever pass' })).status).toBe(200);
  });

  it('verifies an email from the emailed link, once', async () => {
    const { user, email } = await newUser('verify', false);
    const res = await call('POST', '/auth/verify-email/request', { email });
    expect(res).toEqual({
      status: 200,
      body: { message: 'If the email is registered, a verification link has been sent' },
    });
    const url = await linkFor(email, 'verify-email');
    expect(url.startsWith('https://app.example.test/verify-email?token=')).toBe(true);
    const token = tokenOf(url);

    // Not a reset token.
    const misuse = await call('POST', '/auth/reset-password', { token, new_password: 'sneaky password' });
    expect(misuse.status).toBe(401);

    expect((await call('POST', '/auth/verify-email/confirm', {})).status).toBe(422);
    const [before] = await t.db.query('SELECT email_verified_at FROM users WHERE id = $1', [user.id]);
    expect(before!.email_verified_at).toBeNull();

    const ok = await call('POST', '/auth/verify-email/confirm', { token });
    expect(ok).toEqual({ status: 200, body: { message: 'Email has been verified successfully' } });
    const [after] = await t.db.query('SELECT email_verified_at FROM users WHERE id = $1', [user.id]);
    expect(after!.email_verified_at).not.toBeNull();

    const reuse = await call('POST', '/auth/verify-email/confirm', { token });
    expect(reuse.status).toBe(401);
    expect(reuse.body.code).toBe('token_already_used');

    // Already verified, or unknown: same answer, nothing queued.
    const before2 = await outboxTo(email);
    expect(await call('POST', '/auth/verify-email/request', { email })).toEqual(res);
    expect(await outboxTo(email)).toBe(before2);
    const unknown = `ghost-${Date.now()}@example.com`;
    expect(await call('POST', '/auth/verify-email/request', { email: unknown })).toEqual(res);
    expect(await outboxTo(unknown)).toBe(0);
    expect((await call('POST', '/auth/verify-email/request', { email: 'nope' })).status).toBe(422);
  });

  it('verification of an inactive user is refused and does not burn the token', async () => {
    const { user } = await newUser('verify-inactive', false);
    const token = t.app.get(TokenService).sign('email_verification', user.id).token;
    await t.db.query('UPDATE users SET is_active = false WHERE id = $1', [user.id]);
    const res = await call('POST', '/auth/verify-email/confirm', { token });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('user_inactive');
    const { jti } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { jti: string };
    expect(await t.db.query('SELECT 1 FROM consumed_tokens WHERE jti = $1', [jti])).toHaveLength(0);
    await t.db.query('UPDATE users SET is_active = true WHERE id = $1', [user.id]);
    expect((await call('POST', '/auth/verify-email/confirm', { token })).status).toBe(200);
  });
});

describe('registration with REQUIRE_EMAIL_VERIFICATION_FOR_LOGIN=true', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    t = await createTestApp({
      env: { ...smtp.env, REQUIRE_EMAIL_VERIFICATION_FOR_LOGIN: 'true', FRONTEND_BASE_URL: 'https://app.example.test' },
    });
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('emails a verification link minted at send time (never stored) that verifies the account', async () => {
    const email = uniqueEmail('signup');
    const login = (): Promise<Response> => t.request('/api/v1/auth/login', json({ email, password: PASSWORD }));
    const reg = await t.request('/api/v1/auth/register', json({ email, password: PASSWORD, full_name: 'Sign Up' }));
    expect(reg.status).toBe(201);
    const raw = await until('the verification email', () =>
      smtp.messages
        .filter((m) => m.to.includes(email))
        .map((m) => decodeQuotedPrintable(m.raw))
        .find((c) => c.includes('/verify-email?token=')),
    );
    expect(raw).toMatch(/^Subject: Verify your email address/m);
    expect(raw).toContain('Hello Sign Up,');
    const url = raw.match(/https:\/\/app\.example\.test\/verify-email\?token=[A-Za-z0-9._%-]+/)![0];
    const token = decodeURIComponent(new URL(url).searchParams.get('token')!);
    expect(decodeJwt(token)).toMatchObject({ typ: 'email_verification', iss: 'lms', aud: 'lms-api' });
    const outbox = JSON.stringify(await t.db.query('SELECT payload FROM outbox_events'));
    expect(outbox).not.toContain(token.split('.')[2]);

    expect(((await (await login()).json()) as { code: string }).code).toBe('email_not_verified');
    const confirm = await t.request('/api/v1/auth/verify-email/confirm', json({ token }));
    expect(confirm.status).toBe(200);
    expect((await login()).status).toBe(200);
  });
});
