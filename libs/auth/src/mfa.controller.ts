import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import {
  ApiBody,
  ApiConflictResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { Authenticated, CurrentUser, ProblemException, Public, type AuthUser } from '#core';
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
@ApiUnprocessableEntityResponse({ description: 'Validation failed' })
@Controller('auth')
export class MfaController {
  constructor(@Inject(MfaService) private readonly mfa: MfaService) {}

  @Post('mfa/enable/request')
  @HttpCode(200)
  @ApiBody({ type: MfaEnableRequestDto })
  @Authenticated()
  @ApiOperation({ summary: 'Start TOTP setup: returns a new secret (pending until confirmed)' })
  @ApiOkResponse({ type: MfaSetupResponseDto })
  @ApiUnauthorizedResponse({ description: '`invalid_password`' })
  @ApiConflictResponse({ description: '`mfa_already_enabled`' })
  requestEnable(@CurrentUser() user: AuthUser | undefined, @Body() body: MfaEnableRequestDto) {
    return this.mfa.requestEnable(caller(user).id, body.password);
  }

  @Post('mfa/enable/confirm')
  @HttpCode(200)
  @ApiBody({ type: MfaEnableConfirmDto })
  @Authenticated()
  @ApiOperation({ summary: 'Confirm TOTP setup with a code: enables MFA and returns ten recovery codes (once)' })
  @ApiOkResponse({ type: MfaRecoveryCodesResponseDto })
  @ApiUnauthorizedResponse({ description: '`invalid_mfa_code`' })
  @ApiConflictResponse({ description: '`mfa_already_enabled`, `mfa_setup_not_started`' })
  confirmEnable(@CurrentUser() user: AuthUser | undefined, @Body() body: MfaEnableConfirmDto) {
    return this.mfa.confirmEnable(caller(user).id, body.code);
  }

  @Post('mfa/disable')
  @HttpCode(200)
  @ApiBody({ type: MfaDisableDto })
  @Authenticated()
  @ApiOperation({ summary: 'Disable MFA (password and a TOTP or recovery code)' })
  @ApiOkResponse({ type: MessageResponseDto })
  @ApiUnauthorizedResponse({ description: '`invalid_password`, `invalid_mfa_code`' })
  @ApiConflictResponse({ description: '`mfa_not_enabled`' })
  disable(@CurrentUser() user: AuthUser | undefined, @Body() body: MfaDisableDto) {
    return this.mfa.disable(caller(user).id, body.password, body.code);
  }

  @Post('login/mfa')
  @HttpCode(200)
  @ApiBody({ type: MfaLoginDto })
  @Public()
  @ApiOperation({ summary: 'Second login step: challenge_token from /auth/login plus a TOTP or recovery code' })
  @ApiOkResponse({ type: AuthResponseDto })
  @ApiUnauthorizedResponse({
    description: '`mfa_challenge_invalid`, `invalid_mfa_code`, `user_inactive`, `invalid_token`, `token_expired`',
  })
  async loginMfa(@Body() body: MfaLoginDto): Promise<AuthResponseDto> {
    const result = await this.mfa.completeChallenge(body.challenge_token, body.code);
    return { user: result.user, tokens: result.tokens };
  }
}
