import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, Module, type DynamicModule } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AppConfig, JobHandler, OutboxService, runSql, type SendAccountEmailPayload } from '#core';
import { EmailTransport, type EmailDelivery } from '#notifications';
import type { User } from '#users';
import { TokenModule } from './token.module.js';
import { TokenService } from './token.service.js';

export type AccountEmailKind = SendAccountEmailPayload['kind'];

/** What the handler returns when it sends nothing (kept as the job's return value). */
export interface SkippedAccountEmail {
  skipped: string;
}

/**
 * Queues password-reset and email-verification links without the token: the outbox event (and so
 * the `emails` / `send-account-email` job) holds the user id, the token's id, the user's
 * token_version and the token's lifetime. AccountEmailHandler mints the link when it sends it.
 */
@Injectable()
export class AccountEmailService {
  constructor(
    @Inject(OutboxService) private readonly outbox: OutboxService,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TokenService) private readonly tokens: TokenService,
  ) {}

  /** Pass the caller's transaction manager so the link goes out only if it commits. Returns the event id. */
  queue(kind: AccountEmailKind, user: Pick<User, 'id' | 'tokenVersion'>, manager?: EntityManager): Promise<string> {
    const issuedAt = Math.floor(Date.now() / 1000);
    const payload: SendAccountEmailPayload = {
      kind,
      user_id: user.id,
      token_id: randomUUID(),
      token_version: user.tokenVersion,
      issued_at: issuedAt,
      expires_at: issuedAt + this.tokens.lifetimeSeconds(kind),
    };
    return this.outbox.record(manager ?? this.dataSource.manager, 'account_email.requested', payload);
  }
}

interface Recipient {
  email: string;
  full_name: string;
  is_active: boolean;
  verified: boolean;
  token_version: number;
  used: boolean;
}

/**
 * Handles `emails` / `send-account-email` (registered only where workers run): mints the link's
 * token from the payload and sends it. The token is deterministic (same jti, iat and exp, HS256),
 * so a redelivered job sends the same link again, never a second valid one, with the same
 * Message-ID. Nothing is sent when the link could not work any more: unknown or inactive user,
 * already verified (verification), password changed since (reset), link already used or expired.
 */
@Injectable()
export class AccountEmailHandler {
  private readonly logger = new Logger(AccountEmailHandler.name);

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TokenService) private readonly tokens: TokenService,
    @Inject(EmailTransport) private readonly transport: EmailTransport,
  ) {}

  @JobHandler('emails', 'send-account-email')
  async handle(payload: SendAccountEmailPayload): Promise<EmailDelivery | SkippedAccountEmail> {
    const {
      rows: [user],
    } = await runSql<Recipient>(
      this.dataSource.manager,
      `SELECT email, full_name, is_active, email_verified_at IS NOT NULL AS verified, token_version,
              EXISTS (SELECT 1 FROM consumed_tokens WHERE jti = $2) AS used
         FROM users WHERE id = $1`,
      [payload.user_id, payload.token_id],
    );
    const reason = user ? this.skipReason(payload, user) : 'unknown user';
    if (reason !== undefined || !user) {
      this.logger.log(`${payload.kind} email ${payload.token_id} not sent: ${reason}`);
      return { skipped: reason ?? 'unknown user' };
    }
    const { token } = this.tokens.mint(
      payload.kind,
      payload.user_id,
      { jti: payload.token_id, iat: payload.issued_at, exp: payload.expires_at },
      payload.kind === 'password_reset' ? { ver: payload.token_version } : {},
    );
    const message =
      payload.kind === 'password_reset' ? this.resetEmail(user, token, payload) : this.verifyEmail(user, token);
    return this.transport.send(message, { messageId: `<${payload.token_id}@${mailDomain(this.config.EMAIL_FROM)}>` });
  }

  private skipReason(payload: SendAccountEmailPayload, user: Recipient): string | undefined {
    if (!user.is_active) return 'user inactive';
    if (user.used) return 'link already used';
    if (payload.expires_at <= Math.floor(Date.now() / 1000)) return 'link expired';
    if (payload.kind === 'email_verification' && user.verified) return 'email already verified';
    if (payload.kind === 'password_reset' && user.token_version !== payload.token_version) {
      return 'password changed or sessions revoked since the request';
    }
    return undefined;
  }

  private resetEmail(user: Recipient, token: string, payload: SendAccountEmailPayload) {
    const link = `${this.frontend()}/reset-password?token=${encodeURIComponent(token)}`;
    const minutes = Math.round((payload.expires_at - payload.issued_at) / 60);
    return {
      to: user.email,
      subject: 'Reset your password',
      text:
        `A password reset was requested for your account.\n\nOpen this link to choose a new password ` +
        `(valid for ${minutes} minutes, usable once):\n\n${link}\n\nIf you did not ask for this, ignore this email.`,
    };
  }

  private verifyEmail(user: Recipient, token: string) {
    const link = `${this.frontend()}/verify-email?token=${encodeURIComponent(token)}`;
    return {
      to: user.email,
      subject: 'Verify your email address',
      text: `Hello ${user.full_name},\n\nPlease verify your email address by opening this link (usable once):\n${link}\n`,
      html:
        `<p>Hello ${escapeHtml(user.full_name)},</p><p>Please verify your email address (the link works once): ` +
        `<a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>`,
    };
  }

  private frontend(): string {
    return this.config.FRONTEND_BASE_URL.replace(/\/+$/, '');
  }
}

/** The account-email job handler where workers run (API with workers, and the worker app). */
@Module({})
export class AuthJobsModule {
  static forRoot(opts: { workers: boolean }): DynamicModule {
    return {
      module: AuthJobsModule,
      imports: [TokenModule],
      providers: opts.workers ? [AccountEmailHandler] : [],
    };
  }
}

/** The domain of EMAIL_FROM (`a@b.c` or `Name <a@b.c>`), for Message-IDs. */
export function mailDomain(from: string): string {
  return /@([^\s>]+)>?\s*$/.exec(from)?.[1] ?? 'lms.local';
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
