import { createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AppConfig, ProblemException, type Role } from '#core';

export const TOKEN_TYPES = ['access', 'refresh', 'password_reset', 'email_verification', 'mfa_challenge'] as const;
export type TokenType = (typeof TOKEN_TYPES)[number];

export interface TokenClaims {
  sub: string;
  jti: string;
  typ: TokenType;
  iat: number;
  exp: number;
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

/**
 * HS256 JWTs signed with a KeyObject (about 40x cheaper per sign/verify than a string secret with
 * jsonwebtoken). Verification pins the algorithm (no `alg: none`, no RS/HS confusion) and the type.
 */
/** The HS256 signing key as a KeyObject, shared by JwtModule and the passport strategy. */
export const JWT_KEY = Symbol('JWT_KEY');

export function createJwtKey(config: AppConfig): KeyObject {
  if (!config.SECRET_KEY) throw new Error('SECRET_KEY is not set');
  return createSecretKey(Buffer.from(config.SECRET_KEY, 'utf8'));
}

@Injectable()
export class TokenService {
  private readonly lifetimes: Record<TokenType, number>;

  constructor(
    @Inject(AppConfig) config: AppConfig,
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
    const jti = randomUUID();
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + this.lifetimes[typ];
    const token = this.jwt.sign({ sub, jti, typ, iat, exp, ...extra });
    return { token, jti, exp };
  }

  /**
   * Verifies signature, algorithm, expiry and type. Throws a 401 ProblemException:
   * `token_expired`, `invalid_token` or `invalid_token_type`.
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
    if (typeof claims.sub !== 'string' || typeof claims.jti !== 'string' || typeof claims.exp !== 'number') {
      throw new ProblemException(401, 'invalid_token', 'Malformed token');
    }
    if (claims.typ !== typ) throw new ProblemException(401, 'invalid_token_type', 'Invalid token type');
    return claims;
  }
}
