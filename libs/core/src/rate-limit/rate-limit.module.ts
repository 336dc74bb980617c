import { Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { AppConfig } from '../config/app-config.js';
import { RedisService } from '../redis/redis.module.js';
import { registerRateLimit } from './rate-limit.hook.js';

/**
 * Installs the rate-limit hook on the API's Fastify instance (see registerRateLimit for the rules and
 * why it is a Fastify hook, not @nestjs/throttler). Runs in onModuleInit, before Fastify is ready.
 * RATE_LIMIT_ENABLED=false installs nothing: no limits, no headers.
 */
@Injectable()
export class RateLimitInstaller implements OnModuleInit {
  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(RedisService) private readonly redis: RedisService,
  ) {}

  onModuleInit(): void {
    if (!this.config.RATE_LIMIT_ENABLED) return;
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() !== 'fastify') return;
    registerRateLimit(adapter.getInstance<FastifyInstance>(), this.config, this.redis.client);
  }
}

@Module({ providers: [RateLimitInstaller] })
export class RateLimitModule {}
