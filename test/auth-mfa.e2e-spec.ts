import { createHmac } from 'node:crypto';
import { AuthTokensService, MfaService } from '#auth';
import { callApi, createTestApp, type JsonResponse, type TestApp } from '#testing';
import { UsersService, type User } from '#users';
import { mailFiles, until } from './queue-test-utils.js';

// --- RFC 6238 TOTP, independent of the server (node:crypto only): HMAC-SHA1, 30 s steps, 6 digits.
function base32Decode(input: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of input.replace(/=+$/, '').toUpperCase()) {
    const idx = alphabet.indexOf(ch);
    if (idx < 0) throw new Error(`bad base32 character ${ch}`);
    value = (value << 5) | idx;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

function totp(secret: string, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 1_000_000).padStart(6, '0');
}

const stepNow = (): number => Math.floor(Date.now() / 30_000);

/** Avoids racing a step boundary: waits for the next step when fewer than 4 s are left in this one. */
async function freshStep(): Promise<number> {
  const left = 30_000 - (Date.now() % 30_000);
  if (left < 4_000) await new Promise((r) => setTimeout(r, left + 50));
  return stepNow();
}

type Json = JsonResponse;

describe('MFA (TOTP) e2e', () => {
  let t: TestApp;
  const password = 'correct horse battery';

  beforeAll(async () => {
    t = await createTestApp({ env: { RATE_LIMIT_ENABLED: 'false' } });
  });

  afterAll(async () => {
    await t?.close();
  });

  const call = (method: string, path: string, body?: unknown, token?: string): Promise<Json> =>
    callApi(t, method, path, body, token);

  async function newUser(label: string): Promise<{ user: User; access: string; email: string }> {
    const email = `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
    const user = await t.app
      .get(UsersService)
      .create({ email, password, fullName: 'Ada Lovelace', role: 'student', emailVerified: true });
    const pair = await t.app.get(AuthTokensService).issue(user);
    return { user, access: pair.access_token, email };
  }

  /** POST /auth/login when it exists (it must answer with the MFA challenge), else the service. */
  async function challengeFor(user: User, email: string): Promise<string> {
    const login = await call('POST', '/auth/login', { email, password });
    if (login.status !== 404) {
      expect(login.status).toBe(200);
      expect(login.body).toMatchObject({ mfa_required: true, message: 'MFA verification required' });
      expect(login.body.tokens).toBeUndefined();
      return login.body.challenge_token as string;
    }
    const challenge = await t.app.get(MfaService).startChallenge(user);
    expect(challenge).toMatchObject({
      mfa_required: true,
      expires_in_seconds: t.config.MFA_CHALLENGE_TOKEN_EXPIRE_MINUTES * 60,
    });
    return challenge.challenge_token;
  }

  async function userRow(id: string): Promise<Record<string, unknown>> {
    const [row] = await t.db.query(
      'SELECT mfa_enabled, mfa_secret, mfa_pending_secret, mfa_last_step, last_login_at FROM users WHERE id = $1',
      [id],
    );
    return row!;
  }

  const resetLastStep = (id: string) => t.db.query('UPDATE users SET mfa_last_step = NULL WHERE id = $1', [id]);

  /** Enables MFA through the API; returns the secret and the recovery codes. */
  async function enable(access: string): Promise<{ secret: string; recovery: string[]; step: number }> {
    const setup = await call('POST', '/auth/mfa/enable/request', { password }, access);
    expect(setup.status).toBe(200);
    const secret = setup.body.secret as string;
    const step = await freshStep();
    const confirm = await call('POST', '/auth/mfa/enable/confirm', { code: totp(secret, step) }, access);
    expect(confirm.status).toBe(200);
    return { secret, recovery: confirm.body.recovery_codes as string[], step };
  }

  it('rejects unauthenticated setup and a wrong password (401), bad input (422)', async () => {
    const { user, access } = await newUser('guard');
    expect((await call('POST', '/auth/mfa/enable/request', { password })).status).toBe(401);
    const wrong = await call('POST', '/auth/mfa/enable/request', { password: 'not the password' }, access);
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('invalid_password');
    const short = await call('POST', '/auth/mfa/enable/request', { password: 'short' }, access);
    expect(short.status).toBe(422);
    expect(short.body.code).toBe('validation_failed');
    const badCode = await call('POST', '/auth/mfa/enable/confirm', { code: '12ab56' }, access);
    expect(badCode.status).toBe(422);
    const row = await userRow(user.id);
    expect(row.mfa_pending_secret).toBeNull();
    expect(row.mfa_enabled).toBe(false);
  });

  it('enables MFA: secret + otpauth URL, wrong code refused, right code → ten recovery codes; secrets encrypted', async () => {
    const { user, access, email } = await newUser('enable');
    const setup = await call('POST', '/auth/mfa/enable/request', { password }, access);
    expect(setup.status).toBe(200);
    const secret = setup.body.secret as string;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const url = new URL(setup.body.otpauth_url as string);
    expect(url.protocol).toBe('otpauth:');
    expect(url.host).toBe('totp');
    expect(decodeURIComponent(url.pathname)).toBe(`/${t.config.PROJECT_NAME}:${email}`);
    expect(url.searchParams.get('secret')).toBe(secret);
    expect(url.searchParams.get('issuer')).toBe(t.config.PROJECT_NAME);
    const qr = setup.body.qr_code_data_url as string;
    expect(qr).toMatch(/^data:image\/png;base64,/);
    expect(Buffer.from(qr.split(',')[1], 'base64').subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );

    let row = await userRow(user.id);
    expect(row.mfa_enabled).toBe(false);
    expect(typeof row.mfa_pending_secret).toBe('string');
    expect(row.mfa_pending_secret).not.toContain(secret);
    expect(row.mfa_pending_secret).toMatch(/^v1\./);

    // A wrong code (not valid at any nearby step) → 401 and MFA stays off.
    const step = await freshStep();
    const valid = new Set([-2, -1, 0, 1, 2].map((d) => totp(secret, step + d)));
    const wrong = ['000000', '111111', '123456', '999999'].find((c) => !valid.has(c))!;
    const refused = await call('POST', '/auth/mfa/enable/confirm', { code: wrong }, access);
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('invalid_mfa_code');
    expect((await userRow(user.id)).mfa_enabled).toBe(false);
    // A code from three steps ago is refused too.
    const old = await call('POST', '/auth/mfa/enable/confirm', { code: totp(secret, step - 3) }, access);
    expect(old.status).toBe(401);

    const code = totp(secret, step);
    const confirm = await call(
      'POST',
      '/auth/mfa/enable/confirm',
      { code: `${code.slice(0, 3)} ${code.slice(3)}` },
      access,
    );
    expect(confirm.status).toBe(200);
    const codes = confirm.body.recovery_codes as string[];
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(c).toMatch(/^[A-Z2-7]{5}-[A-Z2-7]{5}$/);

    row = await userRow(user.id);
    expect(row.mfa_enabled).toBe(true);
    expect(row.mfa_pending_secret).toBeNull();
    expect(row.mfa_secret).toMatch(/^v1\./);
    expect(row.mfa_secret).not.toContain(secret);
    expect(String(row.mfa_secret).toLowerCase()).not.toContain(secret.toLowerCase());
    expect(String(row.mfa_last_step)).toBe(String(step));
    const stored = await t.db.query<{ code_hash: string; used_at: Date | null }>(
      'SELECT code_hash, used_at FROM mfa_recovery_codes WHERE user_id = $1',
      [user.id],
    );
    expect(stored).toHaveLength(10);
    for (const r of stored) {
      expect(r.code_hash).toMatch(/^\$2[aby]\$/);
      expect(r.used_at).toBeNull();
      for (const c of codes) expect(r.code_hash).not.toContain(c.replace('-', ''));
    }

    // Already on → 409, and the secret is not replaced.
    const again = await call('POST', '/auth/mfa/enable/request', { password }, access);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('mfa_already_enabled');
    expect((await userRow(user.id)).mfa_pending_secret).toBeNull();

    const mail = await until('the MFA enabled notice', async () =>
      (await mailFiles(t.config)).find((f) => f.content.includes(`To: ${email}`) && /enabled/i.test(f.content)),
    );
    expect(mail.content).not.toContain(secret);
  });

  it('logs in with a TOTP code once; a replay of the same code fails', async () => {
    const { user, access, email } = await newUser('login');
    const { secret } = await enable(access);

    // The code used for confirmation cannot be used again to log in (same step).
    await t.db.query('UPDATE users SET mfa_last_step = $2 WHERE id = $1', [user.id, stepNow() + 1]);
    const replayOfConfirm = await call('POST', '/auth/login/mfa', {
      challenge_token: await challengeFor(user, email),
      code: totp(secret, stepNow()),
    });
    expect(replayOfConfirm.status).toBe(401);
    expect(replayOfConfirm.body.code).toBe('invalid_mfa_code');

    await resetLastStep(user.id);
    const step = await freshStep();
    const code = totp(secret, step);
    const ok = await call('POST', '/auth/login/mfa', { challenge_token: await challengeFor(user, email), code });
    expect(ok.status).toBe(200);
    expect(ok.body.user).toMatchObject({ id: user.id, email, mfa_enabled: true, role: 'student' });
    expect(ok.body.tokens).toMatchObject({
      token_type: 'bearer',
      expires_in: t.config.ACCESS_TOKEN_EXPIRE_MINUTES * 60,
    });
    const tokens = ok.body.tokens as { access_token: string; refresh_token: string };
    expect((await userRow(user.id)).last_login_at).not.toBeNull();
    // The new access token authenticates (409 = past the guard).
    const probe = await call('POST', '/auth/mfa/enable/request', { password }, tokens.access_token);
    expect(probe.status).toBe(409);
    const [refresh] = await t.db.query(
      'SELECT revoked_at FROM refresh_tokens WHERE user_id = $1 ORDER BY created_at DESC LIMIT 1',
      [user.id],
    );
    expect(refresh).toBeDefined();

    // Same code on a new challenge: replay → 401.
    const replay = await call('POST', '/auth/login/mfa', { challenge_token: await challengeFor(user, email), code });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('invalid_mfa_code');
  });

  it('accepts the previous step, refuses three steps ago; a used challenge and an expired one are invalid', async () => {
    const { user, access, email } = await newUser('window');
    const { secret } = await enable(access);

    await resetLastStep(user.id);
    let step = await freshStep();
    const tooOld = await call('POST', '/auth/login/mfa', {
      challenge_token: await challengeFor(user, email),
      code: totp(secret, step - 3),
    });
    expect(tooOld.status).toBe(401);
    expect(tooOld.body.code).toBe('invalid_mfa_code');

    step = await freshStep();
    const challenge = await challengeFor(user, email);
    const previous = await call('POST', '/auth/login/mfa', {
      challenge_token: challenge,
      code: totp(secret, step - 1),
    });
    expect(previous.status).toBe(200);
    expect(String((await userRow(user.id)).mfa_last_step)).toBe(String(step - 1));

    // The challenge is single-use.
    await resetLastStep(user.id);
    const reused = await call('POST', '/auth/login/mfa', {
      challenge_token: challenge,
      code: totp(secret, await freshStep()),
    });
    expect(reused.status).toBe(401);
    expect(reused.body.code).toBe('mfa_challenge_invalid');

    // Expired row → invalid even with a right code.
    const expiring = await challengeFor(user, email);
    await t.db.query(
      "UPDATE mfa_challenges SET expires_at = now() - interval '1 second' WHERE user_id = $1 AND consumed_at IS NULL",
      [user.id],
    );
    const expired = await call('POST', '/auth/login/mfa', {
      challenge_token: expiring,
      code: totp(secret, await freshStep()),
    });
    expect(expired.status).toBe(401);
    expect(expired.body.code).toBe('mfa_challenge_invalid');

    // An access token is not a challenge token; a garbage token is refused.
    const wrongType = await call('POST', '/auth/login/mfa', { challenge_token: access, code: '123456' });
    expect(wrongType.status).toBe(401);
    expect(wrongType.body.code).toBe('invalid_token_type');
    expect((await call('POST', '/auth/login/mfa', { challenge_token: 'abc.def.ghi', code: '123456' })).status).toBe(
      401,
    );
  });

  it('five wrong codes burn the challenge; then even a right code is refused', async () => {
    const { user, access, email } = await newUser('burn');
    const { secret } = await enable(access);
    await resetLastStep(user.id);
    const challenge = await challengeFor(user, email);
    const step = await freshStep();
    const valid = new Set([-2, -1, 0, 1, 2].map((d) => totp(secret, step + d)));
    const wrong = ['000000', '111111', '123456', '999999', '424242'].find((c) => !valid.has(c))!;
    for (let i = 0; i < 5; i++) {
      const res = await call('POST', '/auth/login/mfa', { challenge_token: challenge, code: wrong });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('invalid_mfa_code');
    }
    const [row] = await t.db.query<{ failed_attempts: number; consumed_at: Date | null }>(
      'SELECT failed_attempts, consumed_at FROM mfa_challenges WHERE user_id = $1 ORDER BY expires_at DESC LIMIT 1',
      [user.id],
    );
    expect(row!.failed_attempts).toBe(5);
    expect(row!.consumed_at).not.toBeNull();
    const right = await call('POST', '/auth/login/mfa', { challenge_token: challenge, code: totp(secret, stepNow()) });
    expect(right.status).toBe(401);
    expect(right.body.code).toBe('mfa_challenge_invalid');
    expect((await userRow(user.id)).mfa_last_step).toBeNull(); // the right code was not spent

    // Four wrong codes do not burn: the fifth attempt may be right.
    const second = await challengeFor(user, email);
    for (let i = 0; i < 4; i++) {
      expect((await call('POST', '/auth/login/mfa', { challenge_token: second, code: wrong })).status).toBe(401);
    }
    const fifth = await call('POST', '/auth/login/mfa', {
      challenge_token: second,
      code: totp(secret, await freshStep()),
    });
    expect(fifth.status).toBe(200);
  });

  it('a recovery code works once (any case, with spaces); validation errors are 422', async () => {
    const { user, access, email } = await newUser('recovery');
    const { recovery } = await enable(access);
    const code = recovery[3]!;
    const first = await call('POST', '/auth/login/mfa', {
      challenge_token: await challengeFor(user, email),
      code: ` ${code.toLowerCase()} `,
    });
    expect(first.status).toBe(200);
    const used = await t.db.query('SELECT 1 FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NOT NULL', [
      user.id,
    ]);
    expect(used).toHaveLength(1);
    const second = await call('POST', '/auth/login/mfa', { challenge_token: await challengeFor(user, email), code });
    expect(second.status).toBe(401);
    expect(second.body.code).toBe('invalid_mfa_code');
    // Another unused code still works.
    const other = await call('POST', '/auth/login/mfa', {
      challenge_token: await challengeFor(user, email),
      code: recovery[7],
    });
    expect(other.status).toBe(200);

    const challenge = await challengeFor(user, email);
    for (const body of [
      { challenge_token: challenge },
      { challenge_token: challenge, code: '12' },
      { code: '123456' },
      { challenge_token: challenge, code: 'x'.repeat(40) },
    ]) {
      const res = await call('POST', '/auth/login/mfa', body);
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('validation_failed');
    }
    // This challenge's row, by its jti (expires_at has whole seconds: the latest row may be a tie).
    const { jti } = JSON.parse(Buffer.from(challenge.split('.')[1]!, 'base64url').toString()) as { jti: string };
    const [row] = await t.db.query<{ failed_attempts: number }>(
      'SELECT failed_attempts FROM mfa_challenges WHERE jti = $1 AND user_id = $2',
      [jti, user.id],
    );
    expect(row!.failed_attempts).toBe(0);
  });

  it('refuses an inactive user', async () => {
    const { user, access, email } = await newUser('inactive');
    const { secret } = await enable(access);
    const challenge = await challengeFor(user, email);
    await t.db.query('UPDATE users SET is_active = false WHERE id = $1', [user.id]);
    await resetLastStep(user.id);
    const res = await call('POST', '/auth/login/mfa', {
      challenge_token: challenge,
      code: totp(secret, await freshStep()),
    });
    expect(res.status).toBe(401);
  });

  it('disable needs the password and a code (TOTP or recovery), then clears everything', async () => {
    const { user, access, email } = await newUser('disable');
    const { secret, recovery } = await enable(access);
    await resetLastStep(user.id);
    const step = await freshStep();
    const wrongPassword = await call(
      'POST',
      '/auth/mfa/disable',
      { password: 'wrong password', code: totp(secret, step) },
      access,
    );
    expect(wrongPassword.status).toBe(401);
    expect(wrongPassword.body.code).toBe('invalid_password');
    const valid = new Set([-2, -1, 0, 1, 2].map((d) => totp(secret, step + d)));
    const wrong = ['000000', '111111', '123456'].find((c) => !valid.has(c))!;
    const wrongCode = await call('POST', '/auth/mfa/disable', { password, code: wrong }, access);
    expect(wrongCode.status).toBe(401);
    expect(wrongCode.body.code).toBe('invalid_mfa_code');
    const noCode = await call('POST', '/auth/mfa/disable', { password }, access);
    expect(noCode.status).toBe(422);
    expect((await userRow(user.id)).mfa_enabled).toBe(true);

    const ok = await call('POST', '/auth/mfa/disable', { password, code: recovery[0] }, access);
    expect(ok.status).toBe(200);
    expect(ok.body.message).toBe('MFA has been disabled successfully');
    const row = await userRow(user.id);
    expect(row).toMatchObject({ mfa_enabled: false, mfa_secret: null, mfa_pending_secret: null });
    expect(await t.db.query('SELECT 1 FROM mfa_recovery_codes WHERE user_id = $1', [user.id])).toHaveLength(0);
    const again = await call('POST', '/auth/mfa/disable', { password, code: totp(secret, stepNow()) }, access);
    expect(again.status).toBe(409);
    await until('the MFA disabled notice', async () =>
      (await mailFiles(t.config)).find((f) => f.content.includes(`To: ${email}`) && /disabled/i.test(f.content)),
    );

    // It can be enabled again with a new secret; TOTP disable works too.
    const second = await enable(access);
    expect(second.secret).not.toBe(secret);
    await resetLastStep(user.id);
    const viaTotp = await call(
      'POST',
      '/auth/mfa/disable',
      { password, code: totp(second.secret, await freshStep()) },
      access,
    );
    expect(viaTotp.status).toBe(200);
  });
});
