import type { KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig, parseCookies, ProblemException, type AuthUser } from '#core';
import { AuthStateReader } from './auth-state.js';
import { issuedInThePast, JWT_KEY, jwtVerifyOptions, type TokenClaims } from './token.service.js';

export const ACCESS_COOKIE = 'access_token';

interface TokenRequest {
  headers: Record<string, string | string[] | undefined>;
  lmsTokenVia?: 'bearer' | 'cookie';
}

const fromBearer = ExtractJwt.fromAuthHeaderAsBearerToken();

/** Bearer header first, then the `access_token` cookie; remembers which (CSRF applies to cookies). */
export function extractAccessToken(request: TokenRequest): string | null {
  const bearer = fromBearer(request as never);
  if (bearer) {
    request.lmsTokenVia = 'bearer';
    return bearer;
  }
  const cookieHeader = request.headers.cookie;
  const cookie = parseCookies(Array.isArray(cookieHeader) ? cookieHeader.join('; ') : cookieHeader)[ACCESS_COOKIE];
  if (cookie) {
    request.lmsTokenVia = 'cookie';
    return cookie;
  }
  return null;
}

/**
 * passport-jwt verifies the HS256 signature (algorithm pinned), expiry, issuer and audience; then:
 * iat/nbf not in the future (beyond the clock skew), the token type, the blacklist, and the user's
 * current state (active, token_version, role from the database).
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @Inject(JWT_KEY) key: KeyObject,
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(AuthStateReader) private readonly authState: AuthStateReader,
  ) {
    const { algorithms, issuer, audience, ...jsonWebTokenOptions } = jwtVerifyOptions(config);
    super({
      jwtFromRequest: extractAccessToken,
      secretOrKey: key as unknown as Buffer, // jsonwebtoken accepts a KeyObject; the typings lag behind
      algorithms,
      issuer,
      audience,
      jsonWebTokenOptions,
      ignoreExpiration: false,
      passReqToCallback: true,
    });
  }

  async validate(request: TokenRequest, claims: TokenClaims): Promise<AuthUser> {
    if (!issuedInThePast(claims, Math.floor(Date.now() / 1000), this.config.JWT_CLOCK_SKEW_SECONDS)) {
      // The body of any other bad token (JwtAuthGuard.handleRequest).
      throw new ProblemException(401, 'invalid_token', 'Could not validate credentials');
    }
    if (claims.typ !== 'access') throw new ProblemException(401, 'invalid_token_type', 'Invalid token type');
    if (typeof claims.sub !== 'string' || typeof claims.jti !== 'string') {
      throw new ProblemException(401, 'invalid_token', 'Malformed token');
    }
    const { revoked, user } = await this.authState.read(claims.sub, claims.jti);
    if (revoked) throw new ProblemException(401, 'token_revoked', 'Token has been revoked');
    if (!user || !user.isActive) throw new ProblemException(401, 'invalid_token', 'Could not validate credentials');
    if ((claims.ver ?? 0) !== user.tokenVersion) {
      throw new ProblemException(401, 'token_revoked', 'Token has been revoked');
    }
    if (this.config.REQUIRE_EMAIL_VERIFICATION_FOR_LOGIN && !user.emailVerifiedAt) {
      throw new ProblemException(401, 'email_not_verified', 'Email is not verified');
    }
    return {
      id: user.id,
      email: user.email,
      role: user.role,
      jti: claims.jti,
      exp: claims.exp,
      via: request.lmsTokenVia ?? 'bearer',
    };
  }
}
