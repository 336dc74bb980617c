import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { AppConfig, ProblemException, RedisService } from '#core';
import { RevokedAccessToken } from './auth.entity.js';

/**
 * Revoked access tokens by jti, until they expire: Redis keys `<prefix>:<jti>` with a TTL when
 * REDIS_URL is set, otherwise the revoked_access_tokens table. When the store cannot be reached the
 * check fails closed if ACCESS_TOKEN_BLACKLIST_FAIL_CLOSED (required in production): 401.
 */
@Injectable()
export class AccessTokenBlacklist {
  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(RedisService) private readonly redis: RedisService,
    @InjectRepository(RevokedAccessToken) private readonly table: Repository<RevokedAccessToken>,
  ) {}

  get enabled(): boolean {
    return this.config.ACCESS_TOKEN_BLACKLIST_ENABLED;
  }

  async revoke(jti: string, expSeconds: number): Promise<void> {
    if (!this.enabled) return;
    const ttl = Math.max(1, expSeconds - Math.floor(Date.now() / 1000));
    const client = this.redis.client;
    if (client) {
      await client.set(`${this.config.ACCESS_TOKEN_BLACKLIST_PREFIX}:${jti}`, '1', 'EX', ttl);
      return;
    }
    await this.table
      .createQueryBuilder()
      .insert()
      .values({ jti, expiresAt: new Date(expSeconds * 1000) })
      .orIgnore()
      .execute();
  }

  /** True when revoked. Store failures: 401 when failing closed, otherwise treated as not revoked. */
  async isRevoked(jti: string): Promise<boolean> {
    if (!this.enabled) return false;
    try {
      const client = this.redis.client;
      if (client) return (await client.exists(`${this.config.ACCESS_TOKEN_BLACKLIST_PREFIX}:${jti}`)) === 1;
      return await this.table.exists({ where: { jti } });
    } catch {
      if (this.config.ACCESS_TOKEN_BLACKLIST_FAIL_CLOSED) {
        throw new ProblemException(401, 'revocation_unavailable', 'Token revocation service unavailable');
      }
      return false;
    }
  }

  /** Deletes expired rows (PostgreSQL store); Redis expires keys by itself. */
  async purgeExpired(): Promise<number> {
    const result = await this.table.createQueryBuilder().delete().where('expires_at < now()').execute();
    return result.affected ?? 0;
  }
}
