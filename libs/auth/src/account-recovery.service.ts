import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { ProblemException, runSql } from '#core';
import { EmailService } from '#notifications';
import { normalizeEmail, PasswordService, User } from '#users';
import { AccountEmailService } from './account-emails.js';
import { TokenService, type TokenClaims, type TokenType } from './token.service.js';

export const FORGOT_PASSWORD_MESSAGE = 'If the email is registered, a reset link has been sent';
export const RESET_PASSWORD_MESSAGE = 'Password has been reset successfully';
export const VERIFY_EMAIL_REQUEST_MESSAGE = 'If the email is registered, a verification link has been sent';
export const VERIFY_EMAIL_CONFIRM_MESSAGE = 'Email has been verified successfully';

interface LockedUser {
  id: string;
  email: string;
  is_active: boolean;
  token_version: number;
}

/**
 * Password reset and email verification by emailed, single-use JWT links. The request endpoints
 * answer the same whether or not the address is registered. A reset link also dies once the
 * user's token_version moves (any password change or revocation since it was issued). The links
 * are never stored: the outbox holds what is needed to mint them when the email is sent.
 */
@Injectable()
export class AccountRecoveryService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TokenService) private readonly tokens: TokenService,
    @Inject(PasswordService) private readonly passwords: PasswordService,
    @Inject(EmailService) private readonly email: EmailService,
    @Inject(AccountEmailService) private readonly accountEmails: AccountEmailService,
  ) {}

  /** Queues the reset link (minted when the email is sent: see AccountEmailHandler). */
  async forgotPassword(email: string): Promise<{ message: string }> {
    const user = await this.findByEmail(email);
    if (user?.isActive) await this.accountEmails.queue('password_reset', user);
    return { message: FORGOT_PASSWORD_MESSAGE };
  }

  /**
   * Consumes the token, sets the password and revokes every access and refresh token of the user,
   * all in one transaction (a failure leaves the token usable).
   */
  async resetPassword(token: string, newPassword: string): Promise<{ message: string }> {
    const claims = this.tokens.verify(token, 'password_reset');
    const passwordHash = await this.passwords.hash(newPassword);
    await this.dataSource.transaction(async (m) => {
      await this.consume(m, claims, 'password_reset');
      const user = await this.lockActiveUser(m, claims.sub);
      if (claims.ver !== user.token_version) {
        throw new ProblemException(401, 'invalid_token', 'This reset link is no longer valid');
      }
      await runSql(
        m,
        `UPDATE users SET password_hash = $2, token_version = token_version + 1, updated_at = now() WHERE id = $1`,
        [user.id, passwordHash],
      );
      await runSql(m, 'UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [
        user.id,
      ]);
      await this.email.queue(
        {
          to: user.email,
          subject: 'Your password was changed',
          text:
            'The password of your account has just been reset and every session was signed out.\n\n' +
            'If you did not do this, contact support immediately.',
        },
        m,
      );
    });
    return { message: RESET_PASSWORD_MESSAGE };
  }

  async requestEmailVerification(email: string): Promise<{ message: string }> {
    const user = await this.findByEmail(email);
    if (user?.isActive && !user.emailVerifiedAt) await this.accountEmails.queue('email_verification', user);
    return { message: VERIFY_EMAIL_REQUEST_MESSAGE };
  }

  async confirmEmailVerification(token: string): Promise<{ message: string }> {
    const claims = this.tokens.verify(token, 'email_verification');
    await this.dataSource.transaction(async (m) => {
      await this.consume(m, claims, 'email_verification');
      const user = await this.lockActiveUser(m, claims.sub);
      await runSql(
        m,
        'UPDATE users SET email_verified_at = COALESCE(email_verified_at, now()), updated_at = now() WHERE id = $1',
        [user.id],
      );
    });
    return { message: VERIFY_EMAIL_CONFIRM_MESSAGE };
  }

  /** Records the token's jti as spent; 401 `token_already_used` when it already was. */
  private async consume(m: EntityManager, claims: TokenClaims, purpose: TokenType): Promise<void> {
    const inserted = await runSql(
      m,
      `INSERT INTO consumed_tokens (jti, purpose, expires_at) VALUES ($1, $2, to_timestamp($3))
       ON CONFLICT (jti) DO NOTHING`,
      [claims.jti, purpose, claims.exp],
    );
    if (inserted.affected !== 1) {
      throw new ProblemException(401, 'token_already_used', 'This link has already been used');
    }
  }

  private async lockActiveUser(m: EntityManager, id: string): Promise<LockedUser> {
    const { rows } = await runSql<LockedUser>(
      m,
      'SELECT id, email, is_active, token_version FROM users WHERE id = $1 FOR UPDATE',
      [id],
    );
    const user = rows[0];
    if (!user) throw new ProblemException(401, 'invalid_token', 'Could not validate credentials');
    if (!user.is_active) throw new ProblemException(401, 'user_inactive', 'User is inactive');
    return user;
  }

  private findByEmail(email: string): Promise<User | null> {
    return this.dataSource.getRepository(User).findOne({ where: { email: normalizeEmail(email) } });
  }
}
