import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import type { User } from '#users';
import { RefreshToken } from './auth.entity.js';
import { TokenService } from './token.service.js';

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'bearer';
  /** Access-token lifetime in seconds. */
  expires_in: number;
  /** Not serialized: the access token's jti/exp and the refresh token's, for cookies and revocation. */
  accessJti: string;
  accessExp: number;
  refreshJti: string;
  refreshExp: number;
}

/** Issues access + refresh pairs; every refresh token is persisted (rotation, family revocation). */
@Injectable()
export class AuthTokensService {
  constructor(
    @Inject(TokenService) private readonly tokens: TokenService,
    @InjectRepository(RefreshToken) private readonly refreshTokens: Repository<RefreshToken>,
  ) {}

  /** A new pair for `user`; `familyId` continues a rotation chain, otherwise a new family (login). */
  async issue(
    user: Pick<User, 'id' | 'role' | 'tokenVersion'>,
    familyId: string = randomUUID(),
    manager?: EntityManager,
  ): Promise<TokenPair> {
    const access = this.tokens.sign('access', user.id, { role: user.role, ver: user.tokenVersion });
    const refresh = this.tokens.sign('refresh', user.id, { ver: user.tokenVersion, fam: familyId });
    const repo = manager ? manager.getRepository(RefreshToken) : this.refreshTokens;
    await repo.insert({
      jti: refresh.jti,
      userId: user.id,
      familyId,
      expiresAt: new Date(refresh.exp * 1000),
      revokedAt: null,
      replacedBy: null,
    });
    return {
      access_token: access.token,
      refresh_token: refresh.token,
      token_type: 'bearer',
      expires_in: this.tokens.lifetimeSeconds('access'),
      accessJti: access.jti,
      accessExp: access.exp,
      refreshJti: refresh.jti,
      refreshExp: refresh.exp,
    };
  }

  /** The JSON shape of a pair: `{access_token, refresh_token, token_type, expires_in}`. */
  static toResponse(pair: TokenPair): Pick<TokenPair, 'access_token' | 'refresh_token' | 'token_type' | 'expires_in'> {
    return {
      access_token: pair.access_token,
      refresh_token: pair.refresh_token,
      token_type: pair.token_type,
      expires_in: pair.expires_in,
    };
  }
}
