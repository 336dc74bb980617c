import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config.js';

/**
 * The process's shared Redis client (cache, rate limits, lockout counters, token blacklist), or
 * null when REDIS_URL is unset. Commands fail fast (no offline queue growth) so callers can apply
 * their fail-open/fail-closed policy.
 */
@Injectable()
export class RedisService implements OnApplicationShutdown {
  readonly client: Redis | null;

  constructor(@Inject(AppConfig) config: AppConfig) {
    this.client = config.REDIS_URL
      ? new Redis(config.REDIS_URL, {
          lazyConnect: true,
          maxRetriesPerRequest: 1,
          enableOfflineQueue: true,
          connectTimeout: 2000,
          commandTimeout: 2000,
        })
      : null;
    this.client?.on('error', () => undefined); // reported through failed commands
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.client && this.client.status !== 'end') await this.client.quit().catch(() => this.client?.disconnect());
  }
}

@Global()
@Module({ providers: [RedisService], exports: [RedisService] })
export class RedisModule {}
