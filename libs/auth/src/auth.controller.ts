import { applyDecorators, Body, Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { Authenticated, CurrentUser, ProblemException, Public, type AuthUser } from '#core';
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

/** Documents an error response as an RFC 9457 problem (application/problem+json). */
export function ApiProblem(status: number, description: string): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiResponse({
      status,
      description,
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetails' } } },
    }),
  );
}

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
  @ApiOperation({ summary: 'Register a student account' })
  @ApiBody({ type: RegisterDto })
  @ApiCreatedResponse({ type: AuthResponseDto })
  @ApiProblem(403, 'registration_role_forbidden: a role other than student')
  @ApiProblem(409, 'email_taken: the email is already registered')
  @ApiProblem(422, 'validation_failed (unknown fields such as is_active are rejected)')
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
  @ApiOperation({ summary: 'Log in with email and password (returns an MFA challenge when MFA is on)' })
  @ApiBody({ type: LoginDto })
  @ApiOkResponse({
    description: 'Tokens, or the MFA challenge to finish with POST /auth/login/mfa',
    schema: { oneOf: [{ $ref: getSchemaPath(AuthResponseDto) }, { $ref: getSchemaPath(LoginMfaChallengeDto) }] },
  })
  @ApiProblem(401, LOGIN_ERRORS)
  @ApiProblem(422, 'validation_failed')
  async login(@Body() dto: LoginDto, @ClientIp() ip: string): Promise<AuthResponseDto | MfaChallengeResponse> {
    const result = await this.auth.login(dto.email, dto.password, ip);
    return 'mfa' in result ? result.mfa : authResponse(result);
  }

  @Public()
  @Post('token')
  @HttpCode(200)
  @ApiOperation({ summary: 'OAuth2 password grant (form: username = email, password)' })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({ type: OAuth2PasswordFormDto })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiProblem(400, 'mfa_required: use /auth/login then /auth/login/mfa')
  @ApiProblem(401, LOGIN_ERRORS)
  @ApiProblem(422, 'validation_failed')
  async token(@Body() form: OAuth2PasswordFormDto, @ClientIp() ip: string): Promise<TokenResponseDto> {
    return AuthTokensService.toResponse(await this.auth.passwordGrant(form.username, form.password, ip));
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Rotate a refresh token',
    description:
      'Returns a new pair in the same family and revokes the presented refresh token. Reusing a rotated ' +
      'token revokes the whole family. A valid Bearer access token sent along must be the same user’s and ' +
      'is revoked; an expired or invalid one is ignored.',
  })
  @ApiBody({ type: RefreshTokenDto })
  @ApiOkResponse({ type: AuthResponseDto })
  @ApiProblem(401, 'invalid_refresh_token, refresh_token_reused, token_mismatch, invalid_token_type, user_inactive')
  @ApiProblem(422, 'validation_failed')
  async refresh(@Body() dto: RefreshTokenDto, @CurrentUser() caller?: AuthUser): Promise<AuthResponseDto> {
    return authResponse(await this.auth.refresh(dto.refresh_token, caller));
  }

  @Public()
  @Post('logout')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Log out: revoke the refresh token (and the access token, when a valid one is sent)',
    description: 'Works with an expired access token: only the refresh token is required.',
  })
  @ApiBody({ type: RefreshTokenDto })
  @ApiNoContentResponse({ description: 'Logged out' })
  @ApiProblem(401, 'invalid_refresh_token or token_mismatch')
  @ApiProblem(422, 'validation_failed')
  async logout(@Body() dto: RefreshTokenDto, @CurrentUser() caller?: AuthUser): Promise<void> {
    await this.auth.logout(dto.refresh_token, caller);
  }

  @Authenticated()
  @Get('me')
  @ApiOperation({ summary: 'The current user' })
  @ApiOkResponse({ type: UserResponseDto })
  me(@CurrentUser() user: AuthUser): Promise<UserResponseDto> {
    return this.auth.me(user.id);
  }
}
