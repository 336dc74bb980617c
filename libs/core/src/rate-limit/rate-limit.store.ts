import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Redis } from 'ioredis';
import type { Clock } from '../runtime/clock.js';

/** After a Redis error, Redis is skipped (memory counters used) for this long. */
export const REDIS_RETRY_MS = 5_000;
/** Redis failures are logged at most once per this interval. */
export const REDIS_WARN_INTERVAL_MS = 60_000;

/** The state of one counter after a hit: hits in the current window and when it ends (epoch ms). */
export interface WindowState {
  count: number;
  resetAt: number;
}

export interface RateLimitStore {
  /** Counts one hit on `key` (fixed window of `windowMs` starting at the key's first hit). */
  hit(key: string, windowMs: number, now: number): WindowState | Promise<WindowState>;
}

export interface MemoryStoreOptions {
  /** Most counters kept; at the cap a new key evicts the oldest one (default 20 000). */
  maxEntries?: number;
  /** Expired counters are swept at most this often, during a hit (default 10 s). */
  sweepIntervalMs?: number;
}

/**
 * In-process fixed windows (per API process: with N workers a client gets up to N times the limit).
 * Bounded: expired counters are swept every `sweepIntervalMs` (on the next hit, so no timer), and at
 * `maxEntries` a new key evicts the oldest counter (Map insertion order; a counter is re-inserted
 * when its window restarts, so the first entry is the one whose window started first).
 */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly entries = new Map<string, WindowState>();
  private readonly maxEntries: number;
  private readonly sweepIntervalMs: number;
  private nextSweepAt = 0;

  constructor(opts: MemoryStoreOptions = {}) {
    this.maxEntries = Math.max(1, opts.maxEntries ?? 20_000);
    this.sweepIntervalMs = opts.sweepIntervalMs ?? 10_000;
  }

  get size(): number {
    return this.entries.size;
  }

  hit(key: string, windowMs: number, now: number): WindowState {
    if (now >= this.nextSweepAt) this.sweep(now);
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      if (entry.resetAt > now) {
        entry.count++;
        return entry;
      }
      // The window is over: restart it and move the key to the end of the eviction order.
      this.entries.delete(key);
      entry.count = 1;
      entry.resetAt = now + windowMs;
      this.entries.set(key, entry);
      return entry;
    }
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    const created = { count: 1, resetAt: now + windowMs };
    this.entries.set(key, created);
    return created;
  }

  /** Drops every counter whose window has ended. */
  sweep(now: number): void {
    for (const [key, entry] of this.entries) if (entry.resetAt <= now) this.entries.delete(key);
    this.nextSweepAt = now + this.sweepIntervalMs;
  }
}

/**
 * INCR, PEXPIRE on the first hit (or when the key somehow has no TTL, so a crash between the two
 * commands cannot leave a counter that never resets), then the remaining TTL: one atomic round trip.
 */
export const REDIS_HIT_SCRIPT = `local c = redis.call('INCR', KEYS[1])
local t = redis.call('PTTL', KEYS[1])
if c == 1 or t < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  t = tonumber(ARGV[1])
end
return {c, t}`;
const SCRIPT_SHA = createHash('sha1').update(REDIS_HIT_SCRIPT).digest('hex');

/** Fixed windows shared by every API process through Redis. Errors reject (the caller fails open). */
export class RedisRateLimitStore implements RateLimitStore {
  constructor(private readonly client: Redis) {}

  async hit(key: string, windowMs: number, now: number): Promise<WindowState> {
    let reply: unknown;
    try {
      reply = await this.client.evalsha(SCRIPT_SHA, 1, key, windowMs);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      reply = await this.client.eval(REDIS_HIT_SCRIPT, 1, key, windowMs);
    }
    const [count, ttl] = reply as [number, number];
    return { count, resetAt: now + ttl };
  }
}

/**
 * A ThrottlerStorage record plus the end of the window in epoch ms: X-RateLimit-Reset is derived
 * from it, so every response of one window carries the same Reset (timeToExpire is rounded seconds).
 */
export interface RateLimitRecord extends Awaited<ReturnType<ThrottlerStorage['increment']>> {
  resetAt: number;
}

/** Whole seconds until the window ends, at least 1. */
export function retryAfterSeconds(resetAt: number, now: number): number {
  const s = Math.ceil((resetAt - now) / 1000);
  return s > 1 ? s : 1;
}

export interface RateLimitStorageOptions {
  /** Redis client for shared counters (REDIS_URL and RATE_LIMIT_USE_REDIS), or null for memory. */
  redis: Redis | null;
  clock: Clock;
  memory?: MemoryRateLimitStore;
  /** Where Redis failures are reported (default: a Nest logger warning). */
  warn?: (err: unknown) => void;
}

/**
 * The app's ThrottlerStorage (handed to ThrottlerModule as `storage`): fixed windows in Redis (one
 * Lua script, one round trip, shared by every API process) when a client is given, otherwise in this
 * process's bounded memory store. A failing Redis command does not fail the request: the hit is
 * counted in memory instead (so limits "fail open" to per-process counters, never to a 5xx or to
 * blocking everyone), Redis is skipped for REDIS_RETRY_MS (so requests do not each wait for a
 * command timeout while it is down) and a warning is logged at most once per REDIS_WARN_INTERVAL_MS.
 *
 * A fixed window has no separate block: a client over the limit is refused until the window ends,
 * so `blockDuration` is ignored and `timeToBlockExpire` is the time left in the window.
 */
export class RateLimitStorage implements ThrottlerStorage {
  readonly memory: MemoryRateLimitStore;
  private readonly redis: RedisRateLimitStore | null;
  private readonly clock: Clock;
  private readonly warn: (err: unknown) => void;
  private redisRetryAt = 0;
  private lastWarnAt = -Infinity;

  constructor(opts: RateLimitStorageOptions) {
    this.memory = opts.memory ?? new MemoryRateLimitStore();
    this.redis = opts.redis ? new RedisRateLimitStore(opts.redis) : null;
    this.clock = opts.clock;
    const logger = new Logger('RateLimit');
    this.warn =
      opts.warn ??
      ((err) =>
        logger.warn(
          `Rate limit store (Redis) unavailable, using per-process memory counters: ${err instanceof Error ? err.message : String(err)}`,
        ));
  }

  /** ThrottlerStorage: counts one hit on `key` in a fixed window of `ttl` ms. */
  increment(key: string, ttl: number, limit: number, _blockDuration: number, _name: string): Promise<RateLimitRecord> {
    const now = this.clock.now().getTime();
    const state = this.hit(key, ttl, now);
    return state instanceof Promise
      ? state.then((s) => toRecord(s, limit, now))
      : Promise.resolve(toRecord(state, limit, now));
  }

  /** The window state after one hit: synchronous in memory, a promise with Redis. */
  hit(key: string, windowMs: number, now: number): WindowState | Promise<WindowState> {
    if (this.redis === null || now < this.redisRetryAt) return this.memory.hit(key, windowMs, now);
    return this.redis.hit(key, windowMs, now).catch((err: unknown) => {
      this.redisRetryAt = now + REDIS_RETRY_MS;
      if (now - this.lastWarnAt >= REDIS_WARN_INTERVAL_MS) {
        this.lastWarnAt = now;
        this.warn(err);
      }
      return this.memory.hit(key, windowMs, now);
    });
  }
}

function toRecord(state: WindowState, limit: number, now: number): RateLimitRecord {
  // Copied: the memory store's state object keeps counting after this returns.
  const isBlocked = state.count > limit;
  const secondsLeft = retryAfterSeconds(state.resetAt, now);
  return {
    totalHits: state.count,
    timeToExpire: secondsLeft,
    isBlocked,
    timeToBlockExpire: isBlocked ? secondsLeft : 0,
    resetAt: state.resetAt,
  };
}
