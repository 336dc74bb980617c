import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { AppConfig, RedisService, runSql } from '#core';
import { RevokedAccessToken } from './auth.entity.js';

/** Expired rows a revocation deletes on its way (the opportunistic sweep; see revoke). */
export const REVOCATION_SWEEP_BATCH = 100;

/** $1 jtis, $2 expiry times (ms since the epoch): revocations copied from Redis keys of earlier versions. */
const IMPORT_SQL = `INSERT INTO revoked_access_tokens (jti, expires_at)
  SELECT jti, to_timestamp(ms / 1000.0) FROM unnest($1::uuid[], $2::float8[]) AS t(jti, ms)
  ON CONFLICT (jti) DO NOTHING`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * One statement: sweep up to REVOCATION_SWEEP_BATCH expired rows (oldest first, skipping rows another
 * sweep holds) and record the revocation. $1 jti, $2 expires_at, $3 batch.
 */
const REVOKE_SQL = `WITH swept AS (
    DELETE FROM revoked_access_tokens WHERE jti IN (
      SELECT jti FROM revoked_access_tokens WHERE expires_at < now()
       ORDER BY expires_at LIMIT $3 FOR UPDATE SKIP LOCKED)
  )
  INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING`;

/**
 * Revoked access tokens by jti, until they expire, in the revoked_access_tokens table: PostgreSQL is
 * the only store, so a revocation survives a Redis restart (or eviction), and the per-request check is
 * folded into the guard's prepared user statement (AuthStateReader: no extra round trip, no Redis on
 * the hot path). Expired rows are swept by the revocations themselves: each one deletes up to
 * REVOCATION_SWEEP_BATCH expired rows, so the table holds little more than the live revocations.
 * Revocations that earlier versions kept in Redis are copied in at start (onApplicationBootstrap).
 * When the database cannot be reached the check fails closed if ACCESS_TOKEN_BLACKLIST_FAIL_CLOSED
 * (required in production): 401 `revocation_unavailable`.
 */
@Injectable()
export class AccessTokenBlacklist implements OnApplicationBootstrap {
  private readonly logger = new Logger('AccessTokenBlacklist');

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @InjectRepository(RevokedAccessToken) private readonly table: Repository<RevokedAccessToken>,
    @Inject(RedisService) private readonly redis: RedisService,
  ) {}

  /**
   * Upgrade path: earlier versions kept revocations only in Redis (`<ACCESS_TOKEN_BLACKLIST_PREFIX>:<jti>`
   * with the token's remaining lifetime as TTL). Those still alive are copied into the table at start,
   * so a token logged out just before the upgrade stays refused. Best effort: a failure is logged.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.enabled || !this.redis.available) return;
    try {
      const imported = await this.importLegacyRedisKeys();
      if (imported > 0) this.logger.log(`copied ${imported} access-token revocations from Redis keys`);
    } catch (err) {
      this.logger.warn(`could not copy access-token revocations from Redis: ${(err as Error).message}`);
    }
  }

  /** Copies the live `<prefix>:<jti>` keys into the table; returns how many were found. */
  async importLegacyRedisKeys(): Promise<number> {
    const client = this.redis.client;
    if (!client) return 0;
    const prefix = `${this.config.ACCESS_TOKEN_BLACKLIST_PREFIX}:`;
    let cursor = '0';
    let found = 0;
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      const jtis = keys.map((k) => k.slice(prefix.length)).filter((j) => UUID.test(j));
      if (jtis.length === 0) continue;
      const pipeline = client.pipeline();
      for (const jti of jtis) pipeline.pttl(`${prefix}${jti}`);
      const ttls = (await pipeline.exec()) ?? [];
      const now = Date.now();
      const rows = jtis
        .map((jti, i) => ({ jti, ttl: Number(ttls[i]?.[1] ?? -2) }))
        .filter((r) => r.ttl > 0 || r.ttl === -1);
      if (rows.length === 0) continue;
      // No TTL (-1) cannot come from this app; keep such a key's revocation for a day.
      const expiries = rows.map((r) => now + (r.ttl > 0 ? r.ttl : 86_400_000));
      await runSql(this.table.manager, IMPORT_SQL, [rows.map((r) => r.jti), expiries]);
      found += rows.length;
    } while (cursor !== '0');
    return found;
  }

  get enabled(): boolean {
    return this.config.ACCESS_TOKEN_BLACKLIST_ENABLED;
  }

  async revoke(jti: string, expSeconds: number): Promise<void> {
    if (!this.enabled) return;
    await runSql(this.table.manager, REVOKE_SQL, [jti, new Date(expSeconds * 1000), REVOCATION_SWEEP_BATCH]);
  }

  /** Deletes every expired row (the revocations sweep in batches already; for tools and tests). */
  async purgeExpired(): Promise<number> {
    const result = await this.table.createQueryBuilder().delete().where('expires_at < now()').execute();
    return result.affected ?? 0;
  }
}
