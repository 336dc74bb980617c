import { Module } from '@nestjs/common';
import { AuthCoreModule } from './auth-core.module.js';
import { MfaHttpModule } from './mfa-http.module.js';

// STUB: register/login/token/refresh/logout/me, cookie mode, lockout (replaced by that work).
@Module({ imports: [AuthCoreModule, MfaHttpModule] })
export class AuthHttpModule {}
