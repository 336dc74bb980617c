import { AuthTokensService, TokenService } from '#auth';
import {
  callApi,
  createTestApp,
  startTestSmtpServer,
  type JsonResponse,
  type TestApp,
  type TestSmtpServer,
} from '#testing';
import { PasswordService, UsersService, type User } from '#users';
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
  const outboxTo = async (email: string): Promise<number> =>
    (await t.db.query("SELECT 1 FROM outbox_events WHERE payload->>'to' = $1", [email])).length;

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
