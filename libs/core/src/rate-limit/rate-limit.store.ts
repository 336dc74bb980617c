import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

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
