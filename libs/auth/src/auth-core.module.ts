import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsersModule } from '#users';
import { AccessTokenBlacklist } from './access-token-blacklist.js';
import { AccountEmailService } from './account-emails.js';
import { AuthStateReader } from './auth-state.js';
import { AuthTokensService } from './auth-tokens.service.js';
import {
  ConsumedToken,
  LoginAttemptCounter,
  MfaChallenge,
  MfaRecoveryCode,
  RefreshToken,
  RevokedAccessToken,
} from './auth.entity.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { JwtStrategy } from './jwt.strategy.js';
import { TokenModule } from './token.module.js';

/**
 * Tokens, the blacklist and the global guard: what every HTTP app needs to authenticate requests.
 * The auth endpoints live in AuthHttpModule; the account-email job handler in AuthJobsModule.
 */
@Module({
  imports: [
    UsersModule,
    PassportModule,
    TypeOrmModule.forFeature([
      RefreshToken,
      RevokedAccessToken,
      ConsumedToken,
      MfaRecoveryCode,
      MfaChallenge,
      LoginAttemptCounter,
    ]),
    TokenModule,
  ],
  providers: [
    AuthTokensService,
    AccountEmailService,
    AccessTokenBlacklist,
    AuthStateReader,
    JwtStrategy,
    { provide: APP_GUARD, useClass: JwtAuthGuard },
  ],
  exports: [TokenModule, AuthTokensService, AccountEmailService, AccessTokenBlacklist, UsersModule, TypeOrmModule],
})
export class AuthCoreModule {}
