import { Inject, Injectable } from '@nestjs/common';
import { AppConfig, ProblemException, RedisService } from '#core';
import { normalizeEmail } from '#users';

/** Largest number of in-memory counters kept (expired ones are purged first, then the oldest). */
export const MEMORY_LOCKOUT_MAX_ENTRIES = 10_000;

export const ACCOUNT_LOCKED_DETAIL =
  'Account temporarily locked due to multiple failed login attempts. Please try again later.';

interface MemoryCounter {
  count: number;
  expiresAt: number;
}

/**
 * Failed-login counters per account (normalized email) and per client IP. Locked when either counter
 * reaches MAX_FAILED_LOGIN_ATTEMPTS; a failure (re)sets both TTLs to ACCOUNT_LOCKOUT_DURATION_SECONDS.
 * Redis (`<CACHE_KEY_PREFIX>:auth:failed_attempts:{user|ip}:...`, INCR + EXPIRE) when REDIS_URL is
 * set, otherwise a bounded in-memory map (also the fallback when a Redis command fails).
 */
@Injectable()
export class LockoutService {
  private readonly memory = new Map<string, MemoryCounter>();
  /** Clock of the in-memory store (replaceable in unit tests). */
  now: () => number = Date.now;

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(RedisService) private readonly redis: RedisService,
  ) {}

  keys(email: string, ip: string): [string, string] {
    const base = `${this.config.CACHE_KEY_PREFIX}:auth:failed_attempts:`;
    return [`${base}user:${normalizeEmail(email)}`, `${base}ip:${ip}`];
  }

  async isLocked(email: string, ip: string): Promise<boolean> {
    const counts = await this.read(this.keys(email, ip));
    return counts.some((c) => c >= this.config.MAX_FAILED_LOGIN_ATTEMPTS);
  }

  /** 401 `account_locked` when either counter has reached the limit. */
  async assertNotLocked(email: string, ip: string): Promise<void> {
    if (await this.isLocked(email, ip)) throw new ProblemException(401, 'account_locked', ACCOUNT_LOCKED_DETAIL);
  }

  async recordFailure(email: string, ip: string): Promise<void> {
    const keys = this.keys(email, ip);
    const ttl = this.config.ACCOUNT_LOCKOUT_DURATION_SECONDS;
    const client = this.redis.client;
    if (client) {
      try {
        const multi = client.multi();
        for (const key of keys) multi.incr(key).expire(key, ttl);
        await multi.exec();
        return;
      } catch {
        // fall back to memory
      }
    }
    for (const key of keys) this.incrMemory(key, ttl);
  }

  async reset(email: string, ip: string): Promise<void> {
    const keys = this.keys(email, ip);
    for (const key of keys) this.memory.delete(key);
    const client = this.redis.client;
    if (client) await client.del(...keys).catch(() => undefined);
  }

  private async read(keys: string[]): Promise<number[]> {
    const client = this.redis.client;
    if (client) {
      try {
        const values = await client.mget(...keys);
        return values.map((v, i) => Math.max(Number(v ?? 0) || 0, this.readMemory(keys[i])));
      } catch {
        // fall back to memory
      }
    }
    return keys.map((k) => this.readMemory(k));
  }

  private readMemory(key: string): number {
    const entry = this.memory.get(key);
    if (!entry) return 0;
    if (entry.expiresAt <= this.now()) {
      this.memory.delete(key);
      return 0;
    }
    return entry.count;
  }

  private incrMemory(key: string, ttlSeconds: number): void {
    const now = this.now();
    const current = this.readMemory(key);
    this.memory.delete(key); // re-insert: Map order = least recently written first
    if (this.memory.size >= MEMORY_LOCKOUT_MAX_ENTRIES) this.evict(now);
    this.memory.set(key, { count: current + 1, expiresAt: now + ttlSeconds * 1000 });
  }

  private evict(now: number): void {
    for (const [key, entry] of this.memory) if (entry.expiresAt <= now) this.memory.delete(key);
    while (this.memory.size >= MEMORY_LOCKOUT_MAX_ENTRIES) {
      const oldest = this.memory.keys().next().value;
      if (oldest === undefined) break;
      this.memory.delete(oldest);
    }
  }

  /** Number of in-memory counters (tests). */
  get memorySize(): number {
    return this.memory.size;
  }
}
