import { createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AppConfig, ProblemException, type Role } from '#core';

export const TOKEN_TYPES = ['access', 'refresh', 'password_reset', 'email_verification', 'mfa_challenge'] as const;
export type TokenType = (typeof TOKEN_TYPES)[number];

export interface TokenClaims {
  /** JWT_ISSUER and JWT_AUDIENCE: minted into every token and required on every verify. */
  iss: string;
  aud: string;
  sub: string;
  jti: string;
  typ: TokenType;
  iat: number;
  exp: number;
  /** Not minted by this API; honoured (with the clock skew) when present. */
  nbf?: number;
  /** Access tokens only (informational: authorization reads the role from the database). */
  role?: Role;
  /** users.token_version at issue time: bumping it revokes every outstanding token. */
  ver?: number;
  /** Refresh tokens: the family (one per login). */
  fam?: string;
}

export interface SignedToken {
  token: string;
  jti: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

/** The HS256 signing key as a KeyObject, shared by JwtModule and the passport strategy. */
export const JWT_KEY = Symbol('JWT_KEY');

export function createJwtKey(config: AppConfig): KeyObject {
  if (!config.SECRET_KEY) throw new Error('SECRET_KEY is not set');
  return createSecretKey(Buffer.from(config.SECRET_KEY, 'utf8'));
}

/**
 * What jsonwebtoken checks on every token (JwtModule and the passport strategy alike): the pinned
 * algorithm, the expiry (no tolerance), the issuer and the audience. `nbf` is left to
 * `issuedInThePast`, which allows the clock skew for it and for `iat` (jsonwebtoken would apply
 * its tolerance to `exp` as well, and never looks at an `iat` in the future).
 */
export function jwtVerifyOptions(config: AppConfig): {
  algorithms: ['HS256'];
  issuer: string;
  audience: string;
  ignoreNotBefore: true;
} {
  return { algorithms: ['HS256'], issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, ignoreNotBefore: true };
}

/**
 * True when the token's `iat` (required) and `nbf` (optional) are not in the future by more than
 * `skewSeconds`. A token minted "later" than now comes from a skewed or forged clock: refused.
 */
export function issuedInThePast(
  claims: { iat?: unknown; nbf?: unknown },
  nowSeconds: number,
  skewSeconds: number,
): boolean {
  if (typeof claims.iat !== 'number' || !Number.isFinite(claims.iat)) return false;
  if (claims.iat > nowSeconds + skewSeconds) return false;
  if (claims.nbf === undefined) return true;
  return typeof claims.nbf === 'number' && claims.nbf <= nowSeconds + skewSeconds;
}

/** A token's identity and lifetime, fixed by the caller (links minted at send time: see AccountEmailHandler). */
export interface TokenIdentity {
  jti: string;
  /** Seconds since the epoch. */
  iat: number;
  exp: number;
}

/**
 * HS256 JWTs signed with a KeyObject (about 40x cheaper per sign/verify than a string secret with
 * jsonwebtoken). Every token carries `iss`, `aud` and its type `typ`; verification pins the
 * algorithm (no `alg: none`, no RS/HS confusion), the issuer, the audience and the type, and
 * refuses an `iat`/`nbf` in the future beyond JWT_CLOCK_SKEW_SECONDS.
 */
@Injectable()
export class TokenService {
  private readonly lifetimes: Record<TokenType, number>;

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(JwtService) private readonly jwt: JwtService,
  ) {
    this.lifetimes = {
      access: config.ACCESS_TOKEN_EXPIRE_MINUTES * 60,
      refresh: config.REFRESH_TOKEN_EXPIRE_DAYS * 86_400,
      password_reset: config.PASSWORD_RESET_TOKEN_EXPIRE_MINUTES * 60,
      email_verification: config.EMAIL_VERIFICATION_TOKEN_EXPIRE_MINUTES * 60,
      mfa_challenge: config.MFA_CHALLENGE_TOKEN_EXPIRE_MINUTES * 60,
    };
  }

  lifetimeSeconds(typ: TokenType): number {
    return this.lifetimes[typ];
  }

  sign(typ: TokenType, sub: string, extra: Pick<TokenClaims, 'role' | 'ver' | 'fam'> = {}): SignedToken {
    const iat = Math.floor(Date.now() / 1000);
    return this.mint(typ, sub, { jti: randomUUID(), iat, exp: iat + this.lifetimes[typ] }, extra);
  }

  /**
   * Signs a token whose jti, iat and exp the caller fixed. Deterministic: the same arguments give
   * the same token (HS256 has no randomness), so a link can be re-minted instead of stored.
   */
  mint(
    typ: TokenType,
    sub: string,
    { jti, iat, exp }: TokenIdentity,
    extra: Pick<TokenClaims, 'role' | 'ver' | 'fam'> = {},
  ): SignedToken {
    const claims: TokenClaims = {
      iss: this.config.JWT_ISSUER,
      aud: this.config.JWT_AUDIENCE,
      sub,
      jti,
      typ,
      iat,
      exp,
      ...extra,
    };
    return { token: this.jwt.sign(claims), jti, exp };
  }

  /**
   * Verifies signature, algorithm, issuer, audience, expiry, iat/nbf and type. Throws a 401
   * ProblemException: `token_expired`, `invalid_token` or `invalid_token_type`.
   */
  verify(token: string, typ: TokenType): TokenClaims {
    let claims: TokenClaims;
    try {
      claims = this.jwt.verify<TokenClaims>(token);
    } catch (err) {
      if ((err as { name?: string }).name === 'TokenExpiredError') {
        throw new ProblemException(401, 'token_expired', 'Token has expired');
      }
      throw new ProblemException(401, 'invalid_token', 'Could not validate credentials');
    }
    if (!issuedInThePast(claims, Math.floor(Date.now() / 1000), this.config.JWT_CLOCK_SKEW_SECONDS)) {
      throw new ProblemException(401, 'invalid_token', 'Could not validate credentials');
    }
    if (typeof claims.sub !== 'string' || typeof claims.jti !== 'string' || typeof claims.exp !== 'number') {
      throw new ProblemException(401, 'invalid_token', 'Malformed token');
    }
    if (claims.typ !== typ) throw new ProblemException(401, 'invalid_token_type', 'Invalid token type');
    return claims;
  }
}
