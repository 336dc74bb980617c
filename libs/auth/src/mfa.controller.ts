import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentUser, ProblemException, Public, type AuthUser, Endpoint } from '#core';
import {
  MessageResponseDto,
  MfaDisableDto,
  MfaEnableConfirmDto,
  MfaEnableRequestDto,
  MfaLoginDto,
  MfaRecoveryCodesResponseDto,
  MfaSetupResponseDto,
} from './dto/mfa.dto.js';
import { AuthResponseDto } from './dto/auth.dto.js';
import { MfaService } from './mfa.service.js';

function caller(user: AuthUser | undefined): AuthUser {
  if (!user) throw new ProblemException(401, 'not_authenticated', 'Not authenticated');
  return user;
}

@ApiTags('auth')
@Controller('auth')
export class MfaController {
  constructor(@Inject(MfaService) private readonly mfa: MfaService) {}

  @Post('mfa/enable/request')
  @HttpCode(200)
  @ApiBody({ type: MfaEnableRequestDto })
  @Authenticated()
  @Endpoint({
    summary: 'Start TOTP setup: returns a new secret (pending until confirmed)',
    operationId: 'requestMfaEnable',
    errors: { 401: '`invalid_password`', 409: '`mfa_already_enabled`' },
  })
  @ApiOkResponse({ type: MfaSetupResponseDto })
  requestEnable(@CurrentUser() user: AuthUser | undefined, @Body() body: MfaEnableRequestDto) {
    return this.mfa.requestEnable(caller(user).id, body.password);
  }

  @Post('mfa/enable/confirm')
  @HttpCode(200)
  @ApiBody({ type: MfaEnableConfirmDto })
  @Authenticated()
  @Endpoint({
    summary: 'Confirm TOTP setup with a code: enables MFA and returns ten recovery codes (once)',
    operationId: 'confirmMfaEnable',
    errors: { 401: '`invalid_mfa_code`', 409: '`mfa_already_enabled`, `mfa_setup_not_started`' },
  })
  @ApiOkResponse({ type: MfaRecoveryCodesResponseDto })
  confirmEnable(@CurrentUser() user: AuthUser | undefined, @Body() body: MfaEnableConfirmDto) {
    return this.mfa.confirmEnable(caller(user).id, body.code);
  }

  @Post('mfa/disable')
  @HttpCode(200)
  @ApiBody({ type: MfaDisableDto })
  @Authenticated()
  @Endpoint({
    summary: 'Disable MFA (password and a TOTP or recovery code)',
    operationId: 'disableMfa',
    errors: { 401: '`invalid_password`, `invalid_mfa_code`', 409: '`mfa_not_enabled`' },
  })
  @ApiOkResponse({ type: MessageResponseDto })
  disable(@CurrentUser() user: AuthUser | undefined, @Body() body: MfaDisableDto) {
    return this.mfa.disable(caller(user).id, body.password, body.code);
  }

  @Post('login/mfa')
  @HttpCode(200)
  @ApiBody({ type: MfaLoginDto })
  @Public()
  @Endpoint({
    summary: 'Second login step: challenge_token from /auth/login plus a TOTP or recovery code',
    operationId: 'completeMfaLogin',
    errors: { 401: '`mfa_challenge_invalid`, `invalid_mfa_code`, `user_inactive`, `invalid_token`, `token_expired`' },
  })
  @ApiOkResponse({ type: AuthResponseDto })
  async loginMfa(@Body() body: MfaLoginDto): Promise<AuthResponseDto> {
    const result = await this.mfa.completeChallenge(body.challenge_token, body.code);
    return { user: result.user, tokens: result.tokens };
  }
}
