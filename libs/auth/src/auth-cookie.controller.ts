import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiExtraModels,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  AppConfig,
  Authenticated,
  CurrentUser,
  parseCookies,
  ProblemException,
  Public,
  serializeCookie,
  type AuthUser,
  type CookieOptions,
  Endpoint,
} from '#core';
import type { TokenPair } from './auth-tokens.service.js';
import { AuthService } from './auth.service.js';
import { ClientIp } from './client-ip.js';
import { assertCsrf, CSRF_COOKIE, newCsrfToken } from './csrf.js';
import {
  CookieAuthResponseDto,
  LoginDto,
  LoginMfaChallengeDto,
  OptionalRefreshTokenDto,
  TokenInfoResponseDto,
} from './dto/auth.dto.js';
import { ACCESS_COOKIE } from './jwt.strategy.js';
import type { MfaChallengeResponse } from './mfa.service.js';

export const REFRESH_COOKIE = 'refresh_token';

type CookieName = typeof ACCESS_COOKIE | typeof REFRESH_COOKIE | typeof CSRF_COOKIE;

/** Attributes of the three auth cookies (Secure outside development/test, SameSite=Strict, APP_DOMAIN). */
export function authCookieOptions(config: AppConfig, name: CookieName): CookieOptions {
  return {
    httpOnly: name !== CSRF_COOKIE,
    secure: config.ENVIRONMENT !== 'development' && config.ENVIRONMENT !== 'test',
    sameSite: 'Strict',
    path: name === REFRESH_COOKIE ? `${config.API_V1_PREFIX}/auth` : '/',
    domain: config.APP_DOMAIN || undefined,
  };
}

/** Set-Cookie values for a new pair plus a fresh CSRF token. */
export function authCookies(config: AppConfig, pair: TokenPair, csrfToken = newCsrfToken()): string[] {
  const now = Math.floor(Date.now() / 1000);
  return [
    serializeCookie(ACCESS_COOKIE, pair.access_token, {
      ...authCookieOptions(config, ACCESS_COOKIE),
      maxAgeSeconds: Math.max(0, pair.accessExp - now),
    }),
    serializeCookie(REFRESH_COOKIE, pair.refresh_token, {
      ...authCookieOptions(config, REFRESH_COOKIE),
      maxAgeSeconds: Math.max(0, pair.refreshExp - now),
    }),
    serializeCookie(CSRF_COOKIE, csrfToken, {
      ...authCookieOptions(config, CSRF_COOKIE),
      maxAgeSeconds: Math.max(0, pair.refreshExp - now),
    }),
  ];
}

/** Set-Cookie values deleting the three cookies (same path/domain, Max-Age=0). */
export function clearedAuthCookies(config: AppConfig): string[] {
  return ([ACCESS_COOKIE, REFRESH_COOKIE, CSRF_COOKIE] as const).map((name) =>
    serializeCookie(name, '', { ...authCookieOptions(config, name), maxAgeSeconds: 0 }),
  );
}

function requestCookies(request: FastifyRequest): Record<string, string> {
  return parseCookies(request.headers.cookie);
}

const CSRF_HEADER_DOC = {
  name: 'X-CSRF-Token',
  description: 'The value of the csrf_token cookie (double submit)',
  required: false,
  schema: { type: 'string', minLength: 43, maxLength: 43, pattern: '^[A-Za-z0-9_-]{43}$' },
};

/**
 * Cookie mode: the tokens travel in HttpOnly cookies (never in bodies); unsafe cookie-driven requests
 * need the `csrf_token` cookie echoed in X-CSRF-Token.
 */
@ApiTags('auth')
@ApiExtraModels(CookieAuthResponseDto, LoginMfaChallengeDto)
@Controller('auth')
export class AuthCookieController {
  constructor(
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  @Public()
  @Post('login-cookie')
  @HttpCode(200)
  @Endpoint({
    summary: 'Log in and receive the tokens as cookies',
    description:
      'Sets access_token and refresh_token (HttpOnly) and csrf_token (readable) cookies. With MFA on, ' +
      'returns the challenge and sets no cookies.',
    operationId: 'loginWithCookies',
    errors: {
      401: 'invalid_credentials, account_locked, account_disabled or email_not_verified',
      422: 'validation_failed',
    },
  })
  @ApiBody({ type: LoginDto })
  @ApiOkResponse({
    schema: { oneOf: [{ $ref: getSchemaPath(CookieAuthResponseDto) }, { $ref: getSchemaPath(LoginMfaChallengeDto) }] },
  })
  async loginCookie(
    @Body() dto: LoginDto,
    @ClientIp() ip: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CookieAuthResponseDto | MfaChallengeResponse> {
    const result = await this.auth.login(dto.email, dto.password, ip);
    if ('mfa' in result) return result.mfa;
    void reply.header('set-cookie', authCookies(this.config, result.pair));
    return { user: result.user };
  }

  @Public()
  @Post('refresh-cookie')
  @HttpCode(200)
  @Endpoint({
    summary: 'Rotate the refresh token (body or refresh_token cookie) and set new cookies',
    description: 'Requires the CSRF double submit (csrf_token cookie echoed in X-CSRF-Token).',
    operationId: 'refreshCookieTokens',
    optionalAuth: true,
    errors: {
      400: 'refresh_token_required',
      401: 'invalid_refresh_token, refresh_token_reused, token_mismatch, user_inactive',
      403: 'csrf_failed',
    },
  })
  @ApiHeader({ ...CSRF_HEADER_DOC, required: true })
  @ApiBody({ type: OptionalRefreshTokenDto, required: false })
  @ApiOkResponse({ type: CookieAuthResponseDto })
  async refreshCookie(
    @Body() dto: OptionalRefreshTokenDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @CurrentUser() caller?: AuthUser,
  ): Promise<CookieAuthResponseDto> {
    const token = dto?.refresh_token ?? requestCookies(request)[REFRESH_COOKIE];
    if (!token) throw new ProblemException(400, 'refresh_token_required', 'Refresh token required');
    assertCsrf(request.method, request.headers);
    const result = await this.auth.refresh(token, caller);
    void reply.header('set-cookie', authCookies(this.config, result.pair));
    return { user: result.user };
  }

  @Public()
  @Post('logout-cookie')
  @HttpCode(204)
  @Endpoint({
    summary: 'Log out in cookie mode: revoke the cookies’ tokens and delete the cookies',
    description: 'Requires the CSRF double submit when auth cookies are sent.',
    operationId: 'logoutWithCookies',
    optionalAuth: true,
    errors: { 403: 'csrf_failed' },
  })
  @ApiHeader(CSRF_HEADER_DOC)
  @ApiNoContentResponse({ description: 'Logged out; the cookies are deleted' })
  async logoutCookie(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @CurrentUser() caller?: AuthUser,
  ): Promise<void> {
    const cookies = requestCookies(request);
    const refreshToken = cookies[REFRESH_COOKIE];
    if (refreshToken || cookies[ACCESS_COOKIE]) assertCsrf(request.method, request.headers);
    let revokedAccess = false;
    if (refreshToken) {
      try {
        await this.auth.logout(refreshToken, caller);
        revokedAccess = Boolean(caller);
      } catch (err) {
        if (!(err instanceof ProblemException) || err.getStatus() !== 401) throw err;
      }
    }
    if (caller && !revokedAccess) await this.auth.revokeAccess(caller);
    void reply.header('set-cookie', clearedAuthCookies(this.config));
  }

  @Authenticated()
  @Get('token-info')
  @Endpoint({ summary: 'Who the cookie (or Bearer) access token belongs to', operationId: 'getTokenInfo' })
  @ApiOkResponse({ type: TokenInfoResponseDto })
  tokenInfo(@CurrentUser() user: AuthUser): TokenInfoResponseDto {
    return {
      access_token: 'available_via_cookie',
      refresh_token: 'available_via_cookie',
      user_id: user.id,
      role: user.role,
    };
  }
}
