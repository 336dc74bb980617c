import { Global, Inject, Injectable, Logger, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { RedisService } from '../redis/redis.module.js';

const MAX_MEMORY_ENTRIES = 10_000;

interface MemoryEntry {
  value: string;
  expiresAt: number;
}

/**
 * Read-through cache for JSON values: Redis when REDIS_URL is set (shared by every process),
 * otherwise this process's memory. Keys live in namespaces; `invalidate(ns)` bumps the namespace's
 * generation, so every key written before is unreachable at once (no key scans). Callers put
 * everything the value depends on, the viewer included, into the key. Disabled by CACHE_ENABLED=false;
 * a failing Redis means a miss (loads from the database), never an error.
 */
@Injectable()
export class CacheService {
  private readonly logger = new Logger(CacheService.name);
  private readonly memory = new Map<string, MemoryEntry>();
  private readonly generations = new Map<string, number>();
  private lastWarning = 0;

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(RedisService) private readonly redis: RedisService,
  ) {}

  get enabled(): boolean {
    return this.config.CACHE_ENABLED;
  }

  async getOrLoad<T>(namespace: string, key: string, ttlSeconds: number, load: () => Promise<T>): Promise<T> {
    if (!this.enabled) return load();
    const fullKey = await this.fullKey(namespace, key);
    if (fullKey !== undefined) {
      const hit = await this.read(fullKey);
      if (hit !== undefined) return JSON.parse(hit) as T;
    }
    const value = await load();
    if (fullKey !== undefined && value !== undefined) await this.write(fullKey, JSON.stringify(value), ttlSeconds);
    return value;
  }

  /** Makes every entry of these namespaces unreachable (call after each write). */
  async invalidate(...namespaces: string[]): Promise<void> {
    if (!this.enabled) return;
    const client = this.redis.client;
    for (const ns of namespaces) {
      this.generations.set(ns, (this.generations.get(ns) ?? 0) + 1);
      if (client) {
        try {
          await client.incr(this.genKey(ns));
        } catch (err) {
          this.warn(err);
        }
      }
    }
  }

  private genKey(ns: string): string {
    return `${this.config.CACHE_KEY_PREFIX}:gen:${ns}`;
  }

  /** undefined when the generation cannot be read (Redis down): skip the cache. */
  private async fullKey(ns: string, key: string): Promise<string | undefined> {
    const client = this.redis.client;
    let gen: string | number = this.generations.get(ns) ?? 0;
    if (client) {
      try {
        gen = (await client.get(this.genKey(ns))) ?? '0';
      } catch (err) {
        this.warn(err);
        return undefined;
      }
    }
    return `${this.config.CACHE_KEY_PREFIX}:${ns}:${gen}:${key}`;
  }

  private async read(key: string): Promise<string | undefined> {
    const client = this.redis.client;
    if (client) {
      try {
        return (await client.get(key)) ?? undefined;
      } catch (err) {
        this.warn(err);
        return undefined;
      }
    }
    const entry = this.memory.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.memory.delete(key);
      return undefined;
    }
    return entry.value;
  }

  private async write(key: string, value: string, ttlSeconds: number): Promise<void> {
    const client = this.redis.client;
    if (client) {
      try {
        await client.set(key, value, 'EX', ttlSeconds);
      } catch (err) {
        this.warn(err);
      }
      return;
    }
    if (this.memory.size >= MAX_MEMORY_ENTRIES) {
      const now = Date.now();
      for (const [k, e] of this.memory) if (e.expiresAt <= now) this.memory.delete(k);
      // Still full: drop the oldest insertions (Map keeps insertion order).
      for (const k of this.memory.keys()) {
        if (this.memory.size < MAX_MEMORY_ENTRIES) break;
        this.memory.delete(k);
      }
    }
    this.memory.set(key, { value, expiresAt: Date.now() + ttlSeconds * 1000 });
  }

  private warn(err: unknown): void {
    if (Date.now() - this.lastWarning < 60_000) return;
    this.lastWarning = Date.now();
    this.logger.warn(`cache unavailable, reading through: ${err instanceof Error ? err.message : String(err)}`);
  }
}

@Global()
@Module({ providers: [CacheService], exports: [CacheService] })
export class CacheModule {}
