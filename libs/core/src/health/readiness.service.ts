import { Inject, Injectable, Optional, ServiceUnavailableException } from '@nestjs/common';
import {
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
  type HealthCheckResult,
  type HealthIndicatorResult,
} from '@nestjs/terminus';
import { AppConfig } from '../config/app-config.js';
import { RedisService } from '../redis/redis.module.js';
import { QUEUE_HEALTH, type QueueHealth } from './queue-health.js';

export type ComponentStatus = 'up' | 'down';

export interface ReadinessReport {
  status: 'ok' | 'degraded';
  database: ComponentStatus;
  queue: ComponentStatus;
  redis: ComponentStatus | 'not_configured';
}

/** Milliseconds each dependency gets to answer before it counts as down. */
export const READINESS_TIMEOUT_MS = 2000;

/** Milliseconds Redis gets to answer readiness's PING (it answers in well under one when healthy). */
export const REDIS_PING_TIMEOUT_MS = 500;

/** Readiness of the API's dependencies, checked with terminus and mapped to the public body shape. */
@Injectable()
export class ReadinessService {
  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(TypeOrmHealthIndicator) private readonly typeorm: TypeOrmHealthIndicator,
    @Optional() @Inject(QUEUE_HEALTH) private readonly queue: QueueHealth | null = null,
    @Optional() @Inject(RedisService) private readonly redis: RedisService | null = null,
  ) {}

  async check(): Promise<ReadinessReport> {
    const result = await this.runChecks();
    const database = statusOf(result, 'database');
    let queue = statusOf(result, 'queue');
    // Without its own probe, a PostgreSQL-backed queue is exactly as ready as the database.
    if (!this.queue && this.config.queueBackend === 'postgres' && database === 'down') queue = 'down';
    // With REDIS_URL set the queue runs on Redis, so the queue ping is the Redis ping.
    const redis = this.config.REDIS_URL ? queue : 'not_configured';
    const ok = database === 'up' && queue === 'up';
    return { status: ok ? 'ok' : 'degraded', database, queue, redis };
  }

  /**
   * Pings the queue backend (QUEUE_HEALTH); without a probe only a PostgreSQL-backed queue passes (see
   * check). A Redis-backed queue is first checked through the shared Redis client: at once while it
   * knows Redis is down (disconnected, or its circuit open), otherwise a PING of at most
   * REDIS_PING_TIMEOUT_MS (a hung server opens the circuit): /ready answers 503 promptly.
   */
  async pingQueue(): Promise<void> {
    if (this.config.queueBackend === 'redis' && this.redis?.client) await this.redis.ping(REDIS_PING_TIMEOUT_MS);
    if (this.queue) return this.queue.ping();
    if (this.config.queueBackend === 'postgres') return Promise.resolve();
    return Promise.reject(new Error('no queue health probe is registered'));
  }

  private async runChecks(): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        () => this.typeorm.pingCheck('database').withTimeout(READINESS_TIMEOUT_MS),
        () => this.queueCheck(),
      ]);
    } catch (err) {
      if (err instanceof ServiceUnavailableException) return err.getResponse() as HealthCheckResult;
      throw err;
    }
  }

  private queueCheck(): PromiseLike<HealthIndicatorResult<'queue'>> {
    return this.indicators
      .check('queue')
      .attempt(() => this.pingQueue())
      .withTimeout(READINESS_TIMEOUT_MS);
  }
}

function statusOf(result: HealthCheckResult, key: string): ComponentStatus {
  const details = result.details as Record<string, { status?: string } | undefined>;
  return details[key]?.status === 'up' ? 'up' : 'down';
}
