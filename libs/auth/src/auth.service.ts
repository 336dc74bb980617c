import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AppConfig, ProblemException, type AuthUser, recordLogin, runSql } from '#core';
import { EmailService } from '#notifications';
import { PasswordService, UserResponseDto, UsersService, type User } from '#users';
import { AccessTokenBlacklist } from './access-token-blacklist.js';
import { AccountEmailService, escapeHtml } from './account-emails.js';
import { AuthTokensService, type TokenPair } from './auth-tokens.service.js';
import type { RegisterDto } from './dto/auth.dto.js';
import { LockoutService } from './lockout.service.js';
import { MfaService, type MfaChallengeResponse } from './mfa.service.js';
import { TokenService, type TokenClaims } from './token.service.js';

export const INVALID_CREDENTIALS_DETAIL = 'Invalid email or password';
export const INVALID_REFRESH_DETAIL = 'Refresh token is invalid or revoked';
export const MFA_REQUIRED_DETAIL =
  'MFA is enabled for this account. Use /api/v1/auth/login then /api/v1/auth/login/mfa.';

export interface AuthResult {
  user: UserResponseDto;
  pair: TokenPair;
}

/** A user whose password was correct and who needs a second factor. */
export interface MfaPending {
  mfa: MfaChallengeResponse;
}

type RotationOutcome = { kind: 'ok'; pair: TokenPair } | { kind: 'reused' } | { kind: 'invalid' };

const invalidCredentials = (): ProblemException =>
  new ProblemException(401, 'invalid_credentials', INVALID_CREDENTIALS_DETAIL);
const invalidRefresh = (): ProblemException =>
  new ProblemException(401, 'invalid_refresh_token', INVALID_REFRESH_DETAIL);

/**
 * Registration, password login (JSON, OAuth2 form, cookie mode), refresh-token rotation with reuse
 * detection, and logout. Controllers only translate HTTP (bodies, cookies) to these calls.
 */
@Injectable()
export class AuthService {
  private dummyHash?: Promise<string>;

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(PasswordService) private readonly passwords: PasswordService,
    @Inject(TokenService) private readonly tokens: TokenService,
    @Inject(AuthTokensService) private readonly authTokens: AuthTokensService,
    @Inject(AccessTokenBlacklist) private readonly blacklist: AccessTokenBlacklist,
    @Inject(LockoutService) private readonly lockout: LockoutService,
    @Inject(MfaService) private readonly mfa: MfaService,
    @Inject(EmailService) private readonly email: EmailService,
    @Inject(AccountEmailService) private readonly accountEmails: AccountEmailService,
  ) {}

  /** Creates a student, its first token pair and the welcome + verification emails in one transaction. */
  async register(dto: RegisterDto): Promise<AuthResult> {
    return this.dataSource.transaction(async (manager) => {
      const user = await this.users.create(
        {
          email: dto.email,
          password: dto.password,
          fullName: dto.full_name,
          role: 'student',
          emailVerified: !this.config.REQUIRE_EMAIL_VERIFICATION_FOR_LOGIN,
        },
        manager,
      );
      const pair = await this.authTokens.issue(user, undefined, manager);
      await this.queueRegistrationEmails(user, manager);
      return { user: UserResponseDto.from(user), pair };
    });
  }

  /**
   * Checks email + password under the lockout rules and returns the user, or throws 401:
   * `account_locked` (the attempt is reserved first, atomically: over the limit, the password is
   * not checked), `invalid_credentials` (unknown email and wrong password alike), then, only after
   * a correct password, `account_disabled` and `email_not_verified`.
   */
  async verifyCredentials(email: string, password: string, ip: string): Promise<User> {
    const attempt = await this.lockout.reserve(email, ip);
    let user: User;
    try {
      const found = await this.users.findByEmailWithPassword(email);
      // An unknown email is checked against a dummy hash: similar timing.
      const ok = await this.passwords.verify(password, found ? found.passwordHash : await this.getDummyHash());
      if (!found || !ok) {
        await attempt.fail();
        recordLogin('failure');
        throw invalidCredentials();
      }
      user = found;
      await attempt.succeed();
      recordLogin('success');
    } finally {
      await attempt.release(); // an error before the verdict gives the reservation back
    }
    if (!user.isActive) throw new ProblemException(401, 'account_disabled', 'User account is disabled');
    if (this.config.REQUIRE_EMAIL_VERIFICATION_FOR_LOGIN && !user.emailVerifiedAt) {
      throw new ProblemException(401, 'email_not_verified', 'Email is not verified');
    }
    if (this.passwords.needsRehash(user.passwordHash)) await this.users.rehashPassword(user.id, password);
    return user;
  }

  /** Password login: tokens, or the MFA challenge when the account has MFA on. */
  async login(email: string, password: string, ip: string): Promise<AuthResult | MfaPending> {
    const user = await this.verifyCredentials(email, password, ip);
    if (user.mfaEnabled) return { mfa: await this.mfa.startChallenge(user) };
    return this.completeLogin(user);
  }

  /** OAuth2 password grant: no MFA challenge possible here (400 `mfa_required`). */
  async passwordGrant(username: string, password: string, ip: string): Promise<TokenPair> {
    const user = await this.verifyCredentials(username, password, ip);
    if (user.mfaEnabled) throw new ProblemException(400, 'mfa_required', MFA_REQUIRED_DETAIL);
    return (await this.completeLogin(user)).pair;
  }

  /**
   * Rotates a refresh token: the presented one is revoked and replaced by a new pair in the same
   * family, atomically (of two concurrent uses exactly one wins). A revoked or already rotated token
   * is reuse: its whole family is revoked (401 `refresh_token_reused`). `caller` is the valid access
   * token sent along (if any): it must be the same user's, and is blacklisted after rotation.
   */
  async refresh(refreshToken: string, caller?: AuthUser): Promise<AuthResult> {
    const claims = this.verifyRefresh(refreshToken);
    if (caller && caller.id !== claims.sub) {
      throw new ProblemException(401, 'token_mismatch', 'Access token does not match refresh token');
    }
    const state = await this.users.authState(claims.sub);
    if (!state) throw invalidRefresh();
    if (!state.isActive) throw new ProblemException(401, 'user_inactive', 'User is inactive');
    if ((claims.ver ?? 0) !== state.tokenVersion) throw invalidRefresh();

    const outcome = await this.dataSource.transaction(async (manager): Promise<RotationOutcome> => {
      const { rows: rotated } = await runSql<{ user_id: string; family_id: string }>(
        manager,
        `UPDATE refresh_tokens SET revoked_at = now()
          WHERE jti = $1 AND user_id = $2 AND revoked_at IS NULL AND replaced_by IS NULL AND expires_at > now()
         RETURNING user_id, family_id`,
        [claims.jti, claims.sub],
      );
      if (rotated.length === 0) {
        const [row] = await manager.query<
          Array<{ family_id: string; revoked_at: Date | null; replaced_by: string | null }>
        >('SELECT family_id, revoked_at, replaced_by FROM refresh_tokens WHERE jti = $1 AND user_id = $2', [
          claims.jti,
          claims.sub,
        ]);
        if (row && (row.revoked_at !== null || row.replaced_by !== null)) {
          await revokeFamily(manager, row.family_id);
          return { kind: 'reused' };
        }
        return { kind: 'invalid' };
      }
      const pair = await this.authTokens.issue(state, rotated[0].family_id, manager);
      await manager.query('UPDATE refresh_tokens SET replaced_by = $2 WHERE jti = $1', [claims.jti, pair.refreshJti]);
      return { kind: 'ok', pair };
    });

    if (outcome.kind === 'reused') {
      throw new ProblemException(401, 'refresh_token_reused', INVALID_REFRESH_DETAIL);
    }
    if (outcome.kind === 'invalid') throw invalidRefresh();
    if (caller) await this.blacklist.revoke(caller.jti, caller.exp);
    const user = await this.users.findById(claims.sub);
    if (!user) throw invalidRefresh();
    return { user: UserResponseDto.from(user), pair: outcome.pair };
  }

  /**
   * Revokes the refresh token (already revoked is fine) and blacklists the caller's access token.
   * Works with an expired access token: only a valid one (`caller`) is checked and blacklisted.
   */
  async logout(refreshToken: string, caller?: AuthUser): Promise<void> {
    const claims = this.verifyRefresh(refreshToken);
    if (caller && caller.id !== claims.sub) {
      throw new ProblemException(401, 'token_mismatch', 'Access token does not match refresh token');
    }
    const {
      rows: [row],
    } = await runSql<{ jti: string }>(
      this.dataSource.manager,
      `UPDATE refresh_tokens SET revoked_at = COALESCE(revoked_at, now())
        WHERE jti = $1 AND user_id = $2
       RETURNING jti`,
      [claims.jti, claims.sub],
    );
    if (!row) throw invalidRefresh();
    if (caller) await this.blacklist.revoke(caller.jti, caller.exp);
  }

  /** Blacklists an access token (cookie logout when the refresh token is unusable). */
  async revokeAccess(caller: AuthUser): Promise<void> {
    await this.blacklist.revoke(caller.jti, caller.exp);
  }

  async me(id: string): Promise<UserResponseDto> {
    const user = await this.users.findById(id);
    if (!user) throw new ProblemException(401, 'invalid_token', 'Could not validate credentials');
    return UserResponseDto.from(user);
  }

  private async completeLogin(user: User): Promise<AuthResult> {
    const pair = await this.authTokens.issue(user);
    await this.users.markLogin(user.id);
    return { user: UserResponseDto.from({ ...user, lastLoginAt: new Date() }), pair };
  }

  private verifyRefresh(token: string): TokenClaims {
    try {
      return this.tokens.verify(token, 'refresh');
    } catch (err) {
      if (err instanceof ProblemException && err.code === 'invalid_token_type') throw err;
      throw invalidRefresh();
    }
  }

  private getDummyHash(): Promise<string> {
    this.dummyHash ??= this.passwords.hash('dummy-password-for-constant-time-login');
    return this.dummyHash;
  }

  /**
   * The welcome email, and the verification link only for an unverified account (registration
   * creates verified accounts unless REQUIRE_EMAIL_VERIFICATION_FOR_LOGIN). The link is minted at
   * send time (AccountEmailService): no token is stored in the outbox.
   */
  private async queueRegistrationEmails(user: User, manager: EntityManager): Promise<void> {
    const name = user.fullName;
    await this.email.queue(
      {
        to: user.email,
        subject: `Welcome to ${this.config.PROJECT_NAME}`,
        text: `Hello ${name},\n\nWelcome to ${this.config.PROJECT_NAME}! Your account has been created.\n`,
        html: `<p>Hello ${escapeHtml(name)},</p><p>Welcome to ${escapeHtml(this.config.PROJECT_NAME)}! Your account has been created.</p>`,
      },
      manager,
    );
    if (!user.emailVerifiedAt) await this.accountEmails.queue('email_verification', user, manager);
  }
}

async function revokeFamily(manager: EntityManager, familyId: string): Promise<void> {
  await manager.query('UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL', [
    familyId,
  ]);
}
