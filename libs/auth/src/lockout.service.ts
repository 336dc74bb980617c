import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AppConfig, Clock, ProblemException, RedisService, recordLogin, runSql } from '#core';
import { normalizeEmail } from '#users';

export const ACCOUNT_LOCKED_DETAIL =
  'Account temporarily locked due to multiple failed login attempts. Please try again later.';

/** Expired PostgreSQL counters deleted after each reservation (amortized clean-up). */
export const LOCKOUT_PURGE_BATCH = 20;

/** A reserved login attempt. Settle it once: later calls (e.g. `release()` in a finally) do nothing. */
export interface LoginAttempt {
  /** Wrong password or unknown account: the reservation becomes a failure (and the window restarts). */
  fail(): Promise<void>;
  /** Correct password: the failures are cleared and the reservation given back. */
  succeed(): Promise<void>;
  /** No verdict (an error before the password was judged): the reservation is given back. */
  release(): Promise<void>;
}

type Outcome = 'failure' | 'success' | 'release';
type Store = 'redis' | 'postgres';

/**
 * KEYS: the counters; ARGV: limit, window (ms). Reserves one attempt on every counter when each has
 * failures + pending below the limit; otherwise changes nothing. 1 = reserved, 0 = locked.
 */
const RESERVE_LUA = `
local limit = tonumber(ARGV[1])
for _, key in ipairs(KEYS) do
  local v = redis.call('HMGET', key, 'f', 'p')
  if (tonumber(v[1]) or 0) + (tonumber(v[2]) or 0) >= limit then return 0 end
end
for _, key in ipairs(KEYS) do
  redis.call('HINCRBY', key, 'p', 1)
  redis.call('PEXPIRE', key, ARGV[2])
end
return 1`;

/** KEYS: the counters; ARGV: outcome (failure | success | release), window (ms). */
const SETTLE_LUA = `
for _, key in ipairs(KEYS) do
  local v = redis.call('HMGET', key, 'f', 'p')
  local f, p = tonumber(v[1]) or 0, tonumber(v[2]) or 0
  if p > 0 then p = p - 1 end
  if ARGV[1] == 'failure' then f = f + 1 elseif ARGV[1] == 'success' then f = 0 end
  if f == 0 and p == 0 then
    redis.call('DEL', key)
  else
    redis.call('HSET', key, 'f', f, 'p', p)
    if ARGV[1] == 'failure' or redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, ARGV[2]) end
  end
end
return 1`;

/** Thrown inside the reservation transaction to roll it back. */
class Locked extends Error {}

/**
 * Login lockout per account (normalized email) and per client IP. Each counter holds `failures`
 * (wrong passwords since the last success) and `pending` (attempts whose password check is under
 * way). An attempt is reserved atomically, on both counters at once, before the password is
 * checked: refused (401 `account_locked`, nothing checked, nothing counted) when either counter
 * has failures + pending ≥ MAX_FAILED_LOGIN_ATTEMPTS. So however many logins arrive together, in
 * one process or several, at most that many passwords are checked. A failure turns the
 * reservation into a failure and restarts the ACCOUNT_LOCKOUT_DURATION_SECONDS window; a success
 * clears the failures; either way the reservation is given back.
 *
 * Stores: Redis hashes `<CACHE_KEY_PREFIX>:auth:lockout:{user|ip}:...` (Lua scripts) when
 * REDIS_URL is set, otherwise the `login_attempt_counters` table (an upsert in a transaction, rows
 * locked in key order). A Redis error falls back to the table for that attempt.
 */
@Injectable()
export class LockoutService {
  private readonly logger = new Logger(LockoutService.name);

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(RedisService) private readonly redis: RedisService,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /** The counters of a login attempt: the account's and the client IP's. */
  counters(email: string, ip: string): [string, string] {
    return [`user:${normalizeEmail(email)}`, `ip:${ip}`];
  }

  /** The Redis keys of those counters. */
  redisKeys(email: string, ip: string): string[] {
    return this.counters(email, ip).map((c) => `${this.config.CACHE_KEY_PREFIX}:auth:lockout:${c}`);
  }

  /** Reserves a login attempt, or throws 401 `account_locked` (the password must then not be checked). */
  async reserve(email: string, ip: string): Promise<LoginAttempt> {
    const counters = this.counters(email, ip);
    const limit = this.config.MAX_FAILED_LOGIN_ATTEMPTS;
    let store: Store = 'postgres';
    let reserved: boolean | undefined;
    const client = this.redis.client;
    if (client) {
      try {
        const result = await client.eval(
          RESERVE_LUA,
          counters.length,
          ...this.redisKeys(email, ip),
          limit,
          this.windowMs(),
        );
        reserved = result === 1;
        store = 'redis';
      } catch (err) {
        this.logger.warn(`lockout: Redis unavailable, using PostgreSQL: ${message(err)}`);
      }
    }
    reserved ??= await this.reservePostgres(counters, limit);
    if (!reserved) {
      recordLogin('locked');
      throw new ProblemException(401, 'account_locked', ACCOUNT_LOCKED_DETAIL);
    }

    let settled = false;
    const settle = async (outcome: Outcome): Promise<void> => {
      if (settled) return;
      settled = true;
      try {
        if (store === 'redis' && client) {
          await client.eval(SETTLE_LUA, counters.length, ...this.redisKeys(email, ip), outcome, this.windowMs());
        } else {
          await this.settlePostgres(counters, outcome);
        }
      } catch (err) {
        // The reservation stays counted until the window ends: never looser than the limit.
        this.logger.warn(`lockout: could not record a login ${outcome}: ${message(err)}`);
      }
    };
    return { fail: () => settle('failure'), succeed: () => settle('success'), release: () => settle('release') };
  }

  /** Whether a new attempt would be refused now (failures + pending ≥ the limit on either counter). */
  async isLocked(email: string, ip: string): Promise<boolean> {
    const limit = this.config.MAX_FAILED_LOGIN_ATTEMPTS;
    const client = this.redis.client;
    if (client) {
      const pipeline = client.pipeline();
      for (const key of this.redisKeys(email, ip)) pipeline.hmget(key, 'f', 'p');
      const results = (await pipeline.exec()) ?? [];
      return results.some(([, v]) => {
        const [f, p] = (v as Array<string | null> | null) ?? [];
        return Number(f ?? 0) + Number(p ?? 0) >= limit;
      });
    }
    const { rows } = await runSql<{ locked: boolean }>(
      this.dataSource.manager,
      `SELECT COALESCE(bool_or(failures + pending >= $3), false) AS locked
         FROM login_attempt_counters WHERE key = ANY($1::text[]) AND expires_at > $2`,
      [this.counters(email, ip), this.clock.now(), limit],
    );
    return rows[0]?.locked ?? false;
  }

  private windowMs(): number {
    return this.config.ACCOUNT_LOCKOUT_DURATION_SECONDS * 1000;
  }

  private async reservePostgres(counters: string[], limit: number): Promise<boolean> {
    const now = this.clock.now();
    const expires = new Date(now.getTime() + this.windowMs());
    try {
      await this.dataSource.transaction(async (m) => {
        // Rows are locked in key order (no deadlock between two attempts on the same pair).
        const { rows } = await runSql<{ failures: number; pending: number }>(
          m,
          `INSERT INTO login_attempt_counters AS c (key, failures, pending, expires_at)
           SELECT k, 0, 1, $3 FROM unnest($1::text[]) AS k ORDER BY k
           ON CONFLICT (key) DO UPDATE SET
             failures = CASE WHEN c.expires_at > $2 THEN c.failures ELSE 0 END,
             pending = CASE WHEN c.expires_at > $2 THEN c.pending ELSE 0 END + 1,
             expires_at = $3
           RETURNING failures, pending`,
          [[...counters].sort(), now, expires],
        );
        // pending includes this attempt: locked when the others already reached the limit.
        if (rows.some((r) => r.failures + r.pending > limit)) throw new Locked();
      });
    } catch (err) {
      if (err instanceof Locked) return false;
      throw err;
    }
    await runSql(
      this.dataSource.manager,
      `DELETE FROM login_attempt_counters WHERE key IN (
         SELECT key FROM login_attempt_counters WHERE expires_at <= $1 LIMIT ${LOCKOUT_PURGE_BATCH}
            FOR UPDATE SKIP LOCKED)`,
      [now],
    ).catch((err: unknown) => this.logger.warn(`lockout: purge failed: ${message(err)}`));
    return true;
  }

  private async settlePostgres(counters: string[], outcome: Outcome): Promise<void> {
    const now = this.clock.now();
    const keys = [...counters].sort();
    if (outcome === 'failure') {
      await runSql(
        this.dataSource.manager,
        `INSERT INTO login_attempt_counters AS c (key, failures, pending, expires_at)
         SELECT k, 1, 0, $3 FROM unnest($1::text[]) AS k ORDER BY k
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN c.expires_at > $2 THEN c.failures + 1 ELSE 1 END,
           pending = CASE WHEN c.expires_at > $2 THEN GREATEST(c.pending - 1, 0) ELSE 0 END,
           expires_at = $3`,
        [keys, now, new Date(now.getTime() + this.windowMs())],
      );
      return;
    }
    await runSql(
      this.dataSource.manager,
      `UPDATE login_attempt_counters AS c
          SET pending = GREATEST(c.pending - 1, 0), failures = CASE WHEN $2 THEN 0 ELSE c.failures END
         FROM (SELECT key FROM login_attempt_counters WHERE key = ANY($1::text[]) ORDER BY key FOR UPDATE) AS l
        WHERE c.key = l.key`,
      [keys, outcome === 'success'],
    );
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
