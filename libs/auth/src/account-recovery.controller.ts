import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Public, Endpoint } from '#core';
import { AccountRecoveryService } from './account-recovery.service.js';
import { EmailRequestDto, ResetPasswordDto, VerifyEmailConfirmDto } from './dto/account-recovery.dto.js';
import { MessageResponseDto } from './dto/mfa.dto.js';

@ApiTags('auth')
@Controller('auth')
@Public()
export class AccountRecoveryController {
  constructor(@Inject(AccountRecoveryService) private readonly recovery: AccountRecoveryService) {}

  @Post('forgot-password')
  @HttpCode(200)
  @ApiBody({ type: EmailRequestDto })
  @Endpoint({
    summary: 'Email a single-use password reset link (same answer for unknown addresses)',
    operationId: 'requestPasswordReset',
  })
  @ApiOkResponse({ type: MessageResponseDto })
  forgotPassword(@Body() body: EmailRequestDto): Promise<MessageResponseDto> {
    return this.recovery.forgotPassword(body.email);
  }

  @Post('reset-password')
  @HttpCode(200)
  @ApiBody({ type: ResetPasswordDto })
  @Endpoint({
    summary: 'Set a new password with a reset token; signs out every session',
    operationId: 'resetPassword',
    errors: { 401: '`invalid_token`, `token_expired`, `invalid_token_type`, `token_already_used`, `user_inactive`' },
  })
  @ApiOkResponse({ type: MessageResponseDto })
  resetPassword(@Body() body: ResetPasswordDto): Promise<MessageResponseDto> {
    return this.recovery.resetPassword(body.token, body.new_password);
  }

  @Post('verify-email/request')
  @HttpCode(200)
  @ApiBody({ type: EmailRequestDto })
  @Endpoint({
    summary: 'Email a verification link to an unverified account (same answer otherwise)',
    operationId: 'requestEmailVerification',
  })
  @ApiOkResponse({ type: MessageResponseDto })
  requestVerification(@Body() body: EmailRequestDto): Promise<MessageResponseDto> {
    return this.recovery.requestEmailVerification(body.email);
  }

  @Post('verify-email/confirm')
  @HttpCode(200)
  @ApiBody({ type: VerifyEmailConfirmDto })
  @Endpoint({
    summary: 'Verify the email address with a single-use token',
    operationId: 'confirmEmailVerification',
    errors: { 401: '`invalid_token`, `token_expired`, `invalid_token_type`, `token_already_used`, `user_inactive`' },
  })
  @ApiOkResponse({ type: MessageResponseDto })
  confirmVerification(@Body() body: VerifyEmailConfirmDto): Promise<MessageResponseDto> {
    return this.recovery.confirmEmailVerification(body.token);
  }
}
