import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '#core';
import { UsersModule } from '#users';
import { AccessTokenBlacklist } from './access-token-blacklist.js';
import { AuthStateReader } from './auth-state.js';
import { AuthTokensService } from './auth-tokens.service.js';
import { ConsumedToken, MfaChallenge, MfaRecoveryCode, RefreshToken, RevokedAccessToken } from './auth.entity.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { JwtStrategy } from './jwt.strategy.js';
import { createJwtKey, JWT_KEY, TokenService } from './token.service.js';

/**
 * Tokens, the blacklist and the global guard: what every HTTP app needs to authenticate requests.
 * The auth endpoints live in AuthHttpModule.
 */
@Module({
  imports: [
    UsersModule,
    PassportModule,
    TypeOrmModule.forFeature([RefreshToken, RevokedAccessToken, ConsumedToken, MfaRecoveryCode, MfaChallenge]),
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        secret: createJwtKey(config),
        signOptions: { algorithm: 'HS256' },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  providers: [
    { provide: JWT_KEY, inject: [AppConfig], useFactory: createJwtKey },
    TokenService,
    AuthTokensService,
    AccessTokenBlacklist,
    AuthStateReader,
    JwtStrategy,
    { provide: APP_GUARD, useClass: JwtAuthGuard },
  ],
  exports: [TokenService, AuthTokensService, AccessTokenBlacklist, JWT_KEY, UsersModule, TypeOrmModule],
})
export class AuthCoreModule {}
