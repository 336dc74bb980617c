import { randomBytes } from 'node:crypto';
import QRCode from 'qrcode';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AppConfig, ProblemException, recordMfaChallenge, runSql } from '#core';
import { EmailService } from '#notifications';
import { PasswordService, User, UserResponseDto, UsersService } from '#users';
import { AuthTokensService, type TokenPair } from './auth-tokens.service.js';
import { MfaChallenge, MfaRecoveryCode } from './auth.entity.js';
import { SecretBox } from './secret-box.js';
import { TokenService } from './token.service.js';
import { base32Encode, generateTotpSecret, otpauthUrl, verifyTotp } from './totp.js';

/** `{mfa_required, challenge_token, expires_in_seconds, message}` returned by login when MFA is on. */
export interface MfaChallengeResponse {
  mfa_required: true;
  challenge_token: string;
  expires_in_seconds: number;
  message: string;
}

export interface MfaSetup {
  secret: string;
  otpauth_url: string;
  /** No QR encoder is installed: clients render otpauth_url themselves. */
  qr_code_data_url: string;
}

export interface MfaLoginResult {
  user: UserResponseDto;
  tokens: Pick<TokenPair, 'access_token' | 'refresh_token' | 'token_type' | 'expires_in'>;
  /** Not serialized: the full pair (cookie variants need the jtis/expiries). */
  pair: TokenPair;
}

/** Wrong codes allowed per challenge; the fifth burns it. */
export const MFA_MAX_FAILED_ATTEMPTS = 5;
export const RECOVERY_CODE_COUNT = 10;

type FactorResult = 'ok' | 'replay' | 'bad';

interface MfaUserRow {
  id: string;
  email: string;
  is_active: boolean;
  mfa_enabled: boolean;
  mfa_secret: string | null;
  mfa_pending_secret: string | null;
}

/** Canonical form of a recovery code: upper case, no separators ("abcde-fghij" → "ABCDEFGHIJ"). */
export function canonicalRecoveryCode(code: string): string | null {
  const canonical = code.replace(/[\s-]+/g, '').toUpperCase();
  return /^[A-Z2-7]{10}$/.test(canonical) ? canonical : null;
}

export function newRecoveryCode(): string {
  const raw = base32Encode(randomBytes(7)).slice(0, 10);
  return `${raw.slice(0, 5)}-${raw.slice(5)}`;
}

/**
 * TOTP multi-factor authentication: setup (encrypted pending secret, confirmation, recovery codes),
 * disabling, and the login challenge (single-use TOTP steps, single-use recovery codes, five wrong
 * codes burn a challenge).
 */
@Injectable()
export class MfaService {
  private readonly box: SecretBox;

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TokenService) private readonly tokens: TokenService,
    @Inject(AuthTokensService) private readonly authTokens: AuthTokensService,
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(PasswordService) private readonly passwords: PasswordService,
    @Inject(EmailService) private readonly email: EmailService,
  ) {
    this.box = new SecretBox(config.SECRET_KEY ?? '', 'mfa-totp-secret');
  }

  /** Step 1 of setup: checks the password, stores a new encrypted pending secret, returns it once. */
  async requestEnable(userId: string, password: string): Promise<MfaSetup> {
    const user = await this.checkPassword(userId, password);
    if (user.mfaEnabled) throw new ProblemException(409, 'mfa_already_enabled', 'MFA is already enabled');
    const secret = generateTotpSecret();
    await this.dataSource
      .createQueryBuilder()
      .update(User)
      .set({ mfaPendingSecret: this.seal(secret, user.id) })
      .where('id = :id', { id: user.id })
      .execute();
    const url = otpauthUrl(secret, user.email, this.config.PROJECT_NAME);
    return { secret, otpauth_url: url, qr_code_data_url: await QRCode.toDataURL(url, { errorCorrectionLevel: 'M' }) };
  }

  /** Step 2 of setup: a valid code for the pending secret turns MFA on and yields ten recovery codes. */
  async confirmEnable(userId: string, code: string): Promise<{ message: string; recovery_codes: string[] }> {
    const recoveryCodes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    const hashes = await Promise.all(recoveryCodes.map((c) => this.passwords.hash(canonicalRecoveryCode(c)!)));
    await this.dataSource.transaction(async (m) => {
      const user = await this.lockUser(m, userId);
      if (user.mfa_enabled) throw new ProblemException(409, 'mfa_already_enabled', 'MFA is already enabled');
      if (!user.mfa_pending_secret) {
        throw new ProblemException(409, 'mfa_setup_not_started', 'Start MFA setup with /auth/mfa/enable/request first');
      }
      const secret = this.open(user.mfa_pending_secret, user.id);
      const step = verifyTotp(secret, code);
      if (step === null) throw new ProblemException(401, 'invalid_mfa_code', 'Invalid MFA code');
      await runSql(
        m,
        `UPDATE users SET mfa_secret = mfa_pending_secret, mfa_pending_secret = NULL, mfa_enabled = true,
           mfa_last_step = $2, updated_at = now() WHERE id = $1`,
        [user.id, step],
      );
      await m.getRepository(MfaRecoveryCode).delete({ userId: user.id });
      await m
        .getRepository(MfaRecoveryCode)
        .insert(hashes.map((codeHash) => ({ userId: user.id, codeHash, usedAt: null })));
      await this.email.queue(
        {
          to: user.email,
          subject: 'Two-factor authentication enabled',
          text:
            'Two-factor authentication has been enabled on your account.\n\n' +
            'If you did not do this, reset your password immediately and contact support.',
        },
        m,
      );
    });
    return { message: 'MFA has been enabled successfully', recovery_codes: recoveryCodes };
  }

  /** Turns MFA off; needs the password and a TOTP code or an unused recovery code. */
  async disable(userId: string, password: string, code: string): Promise<{ message: string }> {
    await this.checkPassword(userId, password);
    const result = await this.dataSource.transaction(async (m) => {
      const user = await this.lockUser(m, userId);
      if (!user.mfa_enabled || !user.mfa_secret) {
        throw new ProblemException(409, 'mfa_not_enabled', 'MFA is not enabled for this account');
      }
      const factor = await this.consumeSecondFactor(m, user, code);
      if (factor !== 'ok') return factor;
      await runSql(
        m,
        `UPDATE users SET mfa_enabled = false, mfa_secret = NULL, mfa_pending_secret = NULL, mfa_last_step = NULL,
           updated_at = now() WHERE id = $1`,
        [user.id],
      );
      await m.getRepository(MfaRecoveryCode).delete({ userId: user.id });
      await this.email.queue(
        {
          to: user.email,
          subject: 'Two-factor authentication disabled',
          text:
            'Two-factor authentication has been disabled on your account.\n\n' +
            'If you did not do this, reset your password immediately and contact support.',
        },
        m,
      );
      return 'ok' as const;
    });
    if (result !== 'ok') throw new ProblemException(401, 'invalid_mfa_code', 'Invalid MFA code');
    return { message: 'MFA has been disabled successfully' };
  }

  /** Creates a login challenge for a user whose password was correct and who has MFA on. */
  async startChallenge(user: Pick<User, 'id'>): Promise<MfaChallengeResponse> {
    const signed = this.tokens.sign('mfa_challenge', user.id);
    await this.dataSource.getRepository(MfaChallenge).insert({
      jti: signed.jti,
      userId: user.id,
      failedAttempts: 0,
      expiresAt: new Date(signed.exp * 1000),
      consumedAt: null,
    });
    recordMfaChallenge('issued');
    return {
      mfa_required: true,
      challenge_token: signed.token,
      expires_in_seconds: this.tokens.lifetimeSeconds('mfa_challenge'),
      message: 'MFA verification required',
    };
  }

  /**
   * Second login step: the challenge must be live (not expired, consumed or burned); the code is a
   * TOTP code whose step was never accepted before, or an unused recovery code. Wrong codes count
   * against the challenge. Success consumes the challenge and issues a token pair.
   */
  async completeChallenge(challengeToken: string, code: string): Promise<MfaLoginResult> {
    const claims = this.tokens.verify(challengeToken, 'mfa_challenge');
    const outcome = await this.dataSource.transaction(async (m) => {
      const { rows } = await runSql<{ user_id: string; live: boolean }>(
        m,
        `SELECT user_id, (consumed_at IS NULL AND expires_at > now() AND failed_attempts < $2) AS live
           FROM mfa_challenges WHERE jti = $1 FOR UPDATE`,
        [claims.jti, MFA_MAX_FAILED_ATTEMPTS],
      );
      const challenge = rows[0];
      if (!challenge || !challenge.live || challenge.user_id !== claims.sub) return { kind: 'invalid' as const };
      const user = await this.lockUser(m, challenge.user_id);
      if (!user.is_active) return { kind: 'inactive' as const };
      if (!user.mfa_enabled || !user.mfa_secret) return { kind: 'not_enabled' as const };
      const factor = await this.consumeSecondFactor(m, user, code);
      if (factor !== 'ok') {
        await runSql(
          m,
          `UPDATE mfa_challenges SET failed_attempts = failed_attempts + 1,
             consumed_at = CASE WHEN failed_attempts + 1 >= $2 THEN now() ELSE consumed_at END
           WHERE jti = $1`,
          [claims.jti, MFA_MAX_FAILED_ATTEMPTS],
        );
        return { kind: 'bad_code' as const };
      }
      const consumed = await runSql(
        m,
        'UPDATE mfa_challenges SET consumed_at = now() WHERE jti = $1 AND consumed_at IS NULL',
        [claims.jti],
      );
      if (consumed.affected !== 1) return { kind: 'invalid' as const };
      await runSql(m, 'UPDATE users SET last_login_at = now() WHERE id = $1', [user.id]);
      const entity = await m.getRepository(User).findOneByOrFail({ id: user.id });
      const pair = await this.authTokens.issue(entity, undefined, m);
      return { kind: 'ok' as const, user: entity, pair };
    });
    recordMfaChallenge(outcome.kind === 'ok' ? 'passed' : 'failed');
    switch (outcome.kind) {
      case 'ok':
        return {
          user: UserResponseDto.from(outcome.user),
          tokens: AuthTokensService.toResponse(outcome.pair),
          pair: outcome.pair,
        };
      case 'invalid':
        throw new ProblemException(401, 'mfa_challenge_invalid', 'MFA challenge expired or invalid');
      case 'inactive':
        throw new ProblemException(401, 'user_inactive', 'User is inactive');
      case 'not_enabled':
        throw new ProblemException(401, 'mfa_not_enabled', 'MFA is not enabled for this account');
      case 'bad_code':
        throw new ProblemException(401, 'invalid_mfa_code', 'Invalid MFA code');
    }
  }

  /** Recovery codes of the user not used yet. */
  async remainingRecoveryCodes(userId: string): Promise<number> {
    return this.dataSource
      .getRepository(MfaRecoveryCode)
      .createQueryBuilder('c')
      .where('c.user_id = :userId AND c.used_at IS NULL', { userId })
      .getCount();
  }

  /**
   * A 6-digit code is a TOTP code: accepted when it matches ±1 step and its step is later than the
   * last accepted one (atomic compare-and-set, so a code works once). Anything else is tried as a
   * recovery code against the unused ones and marked used atomically.
   */
  private async consumeSecondFactor(m: EntityManager, user: MfaUserRow, code: string): Promise<FactorResult> {
    const trimmed = code.replace(/\s+/g, '');
    if (/^\d{6}$/.test(trimmed)) {
      const step = verifyTotp(this.open(user.mfa_secret!, user.id), trimmed);
      if (step === null) return 'bad';
      const updated = await runSql(
        m,
        `UPDATE users SET mfa_last_step = $2 WHERE id = $1 AND (mfa_last_step IS NULL OR mfa_last_step < $2)`,
        [user.id, step],
      );
      return updated.affected === 1 ? 'ok' : 'replay';
    }
    const canonical = canonicalRecoveryCode(trimmed);
    if (!canonical) return 'bad';
    const { rows } = await runSql<{ id: string; code_hash: string }>(
      m,
      'SELECT id, code_hash FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL',
      [user.id],
    );
    const matches = await Promise.all(rows.map((r) => this.passwords.verify(canonical, r.code_hash)));
    const hit = rows[matches.indexOf(true)];
    if (!hit) return 'bad';
    const used = await runSql(m, 'UPDATE mfa_recovery_codes SET used_at = now() WHERE id = $1 AND used_at IS NULL', [
      hit.id,
    ]);
    return used.affected === 1 ? 'ok' : 'bad';
  }

  private async checkPassword(userId: string, password: string): Promise<User> {
    const user = await this.users.findByIdWithPassword(userId);
    if (!user || !user.isActive) throw new ProblemException(401, 'invalid_token', 'Could not validate credentials');
    if (!(await this.passwords.verify(password, user.passwordHash))) {
      throw new ProblemException(401, 'invalid_password', 'Invalid password');
    }
    return user;
  }

  private async lockUser(m: EntityManager, userId: string): Promise<MfaUserRow> {
    const { rows } = await runSql<MfaUserRow>(
      m,
      `SELECT id, email, is_active, mfa_enabled, mfa_secret, mfa_pending_secret FROM users WHERE id = $1 FOR UPDATE`,
      [userId],
    );
    const user = rows[0];
    if (!user) throw new ProblemException(401, 'invalid_token', 'Could not validate credentials');
    return user;
  }

  private seal(secret: string, userId: string): string {
    return this.box.encrypt(secret, `user:${userId}`);
  }

  private open(sealed: string, userId: string): string {
    return this.box.decrypt(sealed, `user:${userId}`);
  }
}
