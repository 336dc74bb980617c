import { Module } from '@nestjs/common';
import { AuthCoreModule } from './auth-core.module.js';
import { MfaService } from './mfa.service.js';

// STUB: MFA endpoints, password reset and email verification (replaced by that work).
@Module({ imports: [AuthCoreModule], providers: [MfaService], exports: [MfaService] })
export class MfaHttpModule {}
