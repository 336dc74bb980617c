import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { AppConfig } from '../config/app-config.js';

/**
 * Rate limiting on @nestjs/throttler: ThrottlerModule holds the named throttlers (`default`, `auth`,
 * `upload`, from RATE_LIMIT_*, AUTH_RATE_LIMIT_* and FILE_UPLOAD_RATE_LIMIT_*) and the storage
 * (RateLimitStorage: Redis when REDIS_URL is set and RATE_LIMIT_USE_REDIS is on, memory otherwise);
 * RateLimitGuard applies them to the routes, and registerRateLimitHooks counts the requests no guard
 * sees (unmatched routes, requests the JWT guard or the body parser reject).
 *
 * ORDER MATTERS: import this module after AuthCoreModule. Nest runs APP_GUARDs in the order their
 * modules were first imported, and this guard must run after the JWT guard to key the upload rule
 * by the authenticated user (the rate-limit e2e suite fails otherwise).
 *
 * Async because the guard and the hooks are loaded lazily (see rate-limit.guard.ts).
 * RATE_LIMIT_ENABLED=false registers nothing: no limits, no headers, no cost.
 */
@Module({})
export class RateLimitModule {
  static async forRoot(config: AppConfig): Promise<DynamicModule> {
    if (!config.RATE_LIMIT_ENABLED) return { module: RateLimitModule };
    const { RateLimitGuard, rateLimitThrottlerModule } = await import('./rate-limit.guard.js');
    const { RateLimitHooksInstaller } = await import('./rate-limit.hooks.js');
    return {
      module: RateLimitModule,
      imports: [rateLimitThrottlerModule()],
      providers: [RateLimitGuard, { provide: APP_GUARD, useExisting: RateLimitGuard }, RateLimitHooksInstaller],
    };
  }
}
