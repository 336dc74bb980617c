import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { AppConfig } from '#core';
import { createJwtKey, JWT_KEY, jwtVerifyOptions, TokenService } from './token.service.js';

/** The signing key and TokenService: what minting or verifying a token needs (HTTP apps and workers). */
@Module({
  imports: [
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        secret: createJwtKey(config),
        signOptions: { algorithm: 'HS256' },
        verifyOptions: jwtVerifyOptions(config),
      }),
    }),
  ],
  providers: [{ provide: JWT_KEY, inject: [AppConfig], useFactory: createJwtKey }, TokenService],
  exports: [TokenService, JWT_KEY],
})
export class TokenModule {}
