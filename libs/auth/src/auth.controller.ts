import { Body, Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { Authenticated, CurrentUser, ProblemException, Public, type AuthUser, Endpoint } from '#core';
import { UserResponseDto } from '#users';
import { AuthTokensService } from './auth-tokens.service.js';
import { AuthService, type AuthResult } from './auth.service.js';
import { ClientIp } from './client-ip.js';
import {
  AuthResponseDto,
  LoginDto,
  LoginMfaChallengeDto,
  OAuth2PasswordFormDto,
  RefreshTokenDto,
  RegisterDto,
  TokenResponseDto,
} from './dto/auth.dto.js';
import type { MfaChallengeResponse } from './mfa.service.js';

/** OpenAPI examples of the main auth operations (checked against their schemas by the OpenAPI lint). */
const CREDENTIALS_EXAMPLE = { email: 'ada@example.com', password: 'correct-horse-battery-staple' };
const AUTH_RESPONSE_EXAMPLE = {
  user: {
    id: '4f0c6c1e-5b8e-4d8c-9a57-0b6f0c1d2e3f',
    email: 'ada@example.com',
    full_name: 'Ada Lovelace',
    role: 'student',
    is_active: true,
    mfa_enabled: false,
    created_at: '2026-01-15T09:30:00.000Z',
    email_verified_at: null,
  },
  tokens: {
    access_token: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0ZjBjNmMxZSJ9.c2lnbmF0dXJl',
    refresh_token: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0eXAiOiJyZWZyZXNoIn0.c2lnbmF0dXJl',
    token_type: 'bearer',
    expires_in: 900,
  },
};

/** `{user, tokens: {access_token, refresh_token, token_type, expires_in}}`. */
export function authResponse(result: AuthResult): AuthResponseDto {
  return { user: result.user, tokens: AuthTokensService.toResponse(result.pair) };
}

const LOGIN_ERRORS = 'invalid_credentials, account_locked, account_disabled or email_not_verified';

@ApiTags('auth')
@ApiExtraModels(AuthResponseDto, LoginMfaChallengeDto)
@Controller('auth')
export class AuthController {
  constructor(@Inject(AuthService) private readonly auth: AuthService) {}

  @Public()
  @Post('register')
  @HttpCode(201)
  @Endpoint({
    summary: 'Register a student account',
    operationId: 'register',
    errors: {
      403: 'registration_role_forbidden: a role other than student',
      409: 'email_taken: the email is already registered',
      422: 'validation_failed (unknown fields such as is_active are rejected)',
    },
  })
  @ApiBody({
    type: RegisterDto,
    examples: {
      student: { summary: 'A new student', value: { ...CREDENTIALS_EXAMPLE, full_name: 'Ada Lovelace' } },
    },
  })
  @ApiCreatedResponse({ type: AuthResponseDto, example: AUTH_RESPONSE_EXAMPLE })
  async register(@Body() dto: RegisterDto): Promise<AuthResponseDto> {
    if (dto.role != null && dto.role !== 'student') {
      throw new ProblemException(
        403,
        'registration_role_forbidden',
        'Public registration is limited to student accounts',
      );
    }
    return authResponse(await this.auth.register(dto));
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  @Endpoint({
    summary: 'Log in with email and password (returns an MFA challenge when MFA is on)',
    operationId: 'login',
    errors: { 401: LOGIN_ERRORS, 422: 'validation_failed' },
  })
  @ApiBody({ type: LoginDto, examples: { password: { summary: 'Email and password', value: CREDENTIALS_EXAMPLE } } })
  @ApiOkResponse({
    description: 'Tokens, or the MFA challenge to finish with POST /auth/login/mfa',
    examples: {
      tokens: { summary: 'Signed in', value: AUTH_RESPONSE_EXAMPLE },
      mfa: {
        summary: 'MFA is on: finish with POST /auth/login/mfa',
        value: {
          mfa_required: true,
          challenge_token: 'eyJhbGciOiJIUzI1NiJ9.eyJtZmEiOnRydWV9.c2ln',
          expires_in_seconds: 600,
          message: 'MFA verification required',
        },
      },
    },
    schema: { oneOf: [{ $ref: getSchemaPath(AuthResponseDto) }, { $ref: getSchemaPath(LoginMfaChallengeDto) }] },
  })
  async login(@Body() dto: LoginDto, @ClientIp() ip: string): Promise<AuthResponseDto | MfaChallengeResponse> {
    const result = await this.auth.login(dto.email, dto.password, ip);
    return 'mfa' in result ? result.mfa : authResponse(result);
  }

  @Public()
  @Post('token')
  @HttpCode(200)
  @Endpoint({
    summary: 'OAuth2 password grant (form: username = email, password)',
    operationId: 'issueOAuth2Token',
    errors: { 400: 'mfa_required: use /auth/login then /auth/login/mfa', 401: LOGIN_ERRORS, 422: 'validation_failed' },
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({ type: OAuth2PasswordFormDto })
  @ApiOkResponse({ type: TokenResponseDto })
  async token(@Body() form: OAuth2PasswordFormDto, @ClientIp() ip: string): Promise<TokenResponseDto> {
    return AuthTokensService.toResponse(await this.auth.passwordGrant(form.username, form.password, ip));
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @Endpoint({
    summary: 'Rotate a refresh token',
    description:
      'Returns a new pair in the same family and revokes the presented refresh token. Reusing a rotated ' +
      'token revokes the whole family. A valid Bearer access token sent along must be the same user’s and ' +
      'is revoked; an expired or invalid one is ignored.',
    operationId: 'refreshTokens',
    optionalAuth: true,
    errors: {
      401: 'invalid_refresh_token, refresh_token_reused, token_mismatch, invalid_token_type, user_inactive',
      422: 'validation_failed',
    },
  })
  @ApiBody({ type: RefreshTokenDto })
  @ApiOkResponse({ type: AuthResponseDto })
  async refresh(@Body() dto: RefreshTokenDto, @CurrentUser() caller?: AuthUser): Promise<AuthResponseDto> {
    return authResponse(await this.auth.refresh(dto.refresh_token, caller));
  }

  @Public()
  @Post('logout')
  @HttpCode(204)
  @Endpoint({
    summary: 'Log out: revoke the refresh token (and the access token, when a valid one is sent)',
    description: 'Works with an expired access token: only the refresh token is required.',
    operationId: 'logout',
    optionalAuth: true,
    errors: { 401: 'invalid_refresh_token or token_mismatch', 422: 'validation_failed' },
  })
  @ApiBody({ type: RefreshTokenDto })
  @ApiNoContentResponse({ description: 'Logged out' })
  async logout(@Body() dto: RefreshTokenDto, @CurrentUser() caller?: AuthUser): Promise<void> {
    await this.auth.logout(dto.refresh_token, caller);
  }

  @Authenticated()
  @Get('me')
  @Endpoint({ summary: 'The current user', operationId: 'getAuthenticatedUser' })
  @ApiOkResponse({ type: UserResponseDto })
  me(@CurrentUser() user: AuthUser): Promise<UserResponseDto> {
    return this.auth.me(user.id);
  }
}
