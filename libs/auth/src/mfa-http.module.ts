import { Module } from '@nestjs/common';
import { AccountRecoveryController } from './account-recovery.controller.js';
import { AccountRecoveryService } from './account-recovery.service.js';
import { AuthCoreModule } from './auth-core.module.js';
import { MfaController } from './mfa.controller.js';
import { MfaService } from './mfa.service.js';

/**
 * MFA (TOTP setup, disable, the login challenge), password reset and email verification.
 * EmailService comes from the global NotificationsModule.
 */
@Module({
  imports: [AuthCoreModule],
  controllers: [MfaController, AccountRecoveryController],
  providers: [MfaService, AccountRecoveryService],
  exports: [MfaService, AccountRecoveryService],
})
export class MfaHttpModule {}
