import { Module } from '@nestjs/common';
import { AuthCoreModule } from './auth-core.module.js';
import { AuthCookieController } from './auth-cookie.controller.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { LockoutService } from './lockout.service.js';
import { MfaHttpModule } from './mfa-http.module.js';

/** /auth: register, login (JSON, OAuth2 form, cookies), refresh rotation, logout, me, lockout. */
@Module({
  imports: [AuthCoreModule, MfaHttpModule],
  controllers: [AuthController, AuthCookieController],
  providers: [AuthService, LockoutService],
  exports: [AuthService, LockoutService],
})
export class AuthHttpModule {}
