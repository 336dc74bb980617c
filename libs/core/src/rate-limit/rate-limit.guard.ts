import type { ServerResponse } from 'node:http';
import { Inject, Injectable, type DynamicModule, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  normalizeIp,
  ThrottlerGuard,
  ThrottlerModule,
  type ThrottlerModuleOptions,
} from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthUser } from '../auth/auth.decorators.js';
import { AppConfig } from '../config/app-config.js';
import { ProblemException } from '../http/problem.js';
import { RedisService } from '../redis/redis.module.js';
import { Clock } from '../runtime/clock.js';
import {
  rateLimitThrottlers,
  RateLimitRules,
  UNMATCHED_KEY_PATH,
  type RateLimitRule,
  type RateLimitTarget,
} from './rate-limit.rules.js';
import { RateLimitStorage, type RateLimitRecord } from './rate-limit.store.js';

// This file and rate-limit.hooks.ts are imported lazily (see RateLimitModule.forRoot):
// @nestjs/throttler is CommonJS and require()s the ESM-only @nestjs/common. Node handles that, but
// jest runs the CommonJS dependencies of an ES module graph while it is still linking that graph,
// so a static import next to @nestjs/common fails there (ERR_REQUIRE_CYCLE_MODULE); imported later,
// it finds @nestjs/common already evaluated.

export const RATE_LIMIT_DETAIL = 'Rate limit exceeded. Try again later.';
export const LIMIT_HEADER = 'X-RateLimit-Limit';
export const REMAINING_HEADER = 'X-RateLimit-Remaining';
export const RESET_HEADER = 'X-RateLimit-Reset';

/** The request as the guard and the hooks see it: Fastify's, with the user the JWT guard put on it. */
export type RateLimitedRequest = FastifyRequest & { user?: AuthUser };

/**
 * @nestjs/throttler's guard, specialised for this API's rules (registered as APP_GUARD by
 * RateLimitModule, after the JWT guard). The named throttlers (`default`, `auth`, `upload`) and the
 * storage come from ThrottlerModule; what is overridden is how a request finds its throttler and
 * key, because ThrottlerGuard applies every throttler to every route, keys by controller/handler
 * name and reads the throttler metadata with the Reflector on every request (a dozen lookups and
 * awaits). Here the rule is chosen by path, as before the move to @nestjs/throttler:
 * - the rule and the normalized key path are computed from the matched route template
 *   (request.routeOptions.url) and its decoded parameters, cached per template (RateLimitRules), so
 *   a request costs a Map lookup, a key string and one storage hit;
 * - the key is `${RATE_LIMIT_REDIS_PREFIX}:${rule}:ip:${ip}:${path}`, the IP being Fastify's
 *   request.ip (X-Forwarded-For only from TRUSTED_PROXY_IPS) through the throttler's normalizeIp
 *   (IPv4-mapped addresses as IPv4, IPv6 grouped by its /64 prefix, as ThrottlerGuard does);
 * - the upload rule counts per user (`...:upload:user:${id}:${path}`) when the JWT guard, which
 *   runs before this one, authenticated the request, and per IP otherwise;
 * - headers are the unsuffixed X-RateLimit-Limit/Remaining/Reset (Reset in epoch seconds) on the raw
 *   response, so they survive whatever renders the response; over the limit it is a 429 problem
 *   with Retry-After, and the handler does not run.
 * @Throttle/@SkipThrottle metadata is not read: the rules come from configuration only.
 *
 * Requests this guard never sees (no route, rejected by the JWT guard or the body parser, routes
 * served by Fastify plugins) are counted by the Fastify hooks in rate-limit.hooks.ts through the
 * same methods.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private rules!: RateLimitRules;

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() private readonly storage: RateLimitStorage,
    @Inject(Reflector) reflector: Reflector,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {
    super(options, storage, reflector);
  }

  /** ThrottlerGuard resolves the named throttlers; the rules take their limits and windows from them. */
  override async onModuleInit(): Promise<void> {
    await super.onModuleInit();
    this.rules = new RateLimitRules(this.config, this.throttlers);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<RateLimitedRequest>();
    const target = this.targetOf(request);
    if (target === null) return true;
    const record = await this.count(request, http.getResponse<FastifyReply>().raw, target.rule, target.path);
    if (record.isBlocked) throw rateLimitedException(record.timeToBlockExpire);
    return true;
  }

  /** The rule and key path of a routed request, or null when its path is excluded. */
  targetOf(request: FastifyRequest): RateLimitTarget | null {
    const template = request.routeOptions.url;
    return template === undefined ? this.unmatchedTarget(request) : this.rules.forRoute(template, request.params);
  }

  /** A request that matched no route: its normalized path's rule, one counter per client and rule. */
  unmatchedTarget(request: FastifyRequest): RateLimitTarget {
    const url = request.url;
    const q = url.indexOf('?');
    return { rule: this.rules.ruleForUnmatched(q === -1 ? url : url.slice(0, q)), path: UNMATCHED_KEY_PATH };
  }

  /** Counts one hit on the request's counter for `rule` and sets the X-RateLimit-* headers. */
  async count(
    request: RateLimitedRequest,
    raw: ServerResponse,
    rule: RateLimitRule,
    path: string,
  ): Promise<RateLimitRecord> {
    const userId = rule.userKeyPrefix === null ? undefined : request.user?.id;
    const key =
      userId === undefined
        ? RateLimitRules.key(rule, normalizeIp(request.ip, this.ipv6SubnetPrefix), path)
        : RateLimitRules.userKey(rule, userId, path);
    const record = await this.storage.increment(key, rule.windowMs, rule.limit, rule.windowMs, rule.name);
    const remaining = rule.limit - record.totalHits;
    raw.setHeader(LIMIT_HEADER, rule.limitHeader);
    raw.setHeader(REMAINING_HEADER, remaining > 0 ? remaining : 0);
    raw.setHeader(RESET_HEADER, Math.ceil(record.resetAt / 1000));
    return record;
  }
}

/** The 429: a problem (rendered by the problem+json filter, like every error) carrying Retry-After. */
export function rateLimitedException(retryAfterSeconds: number): ProblemException {
  const headers = { 'Retry-After': String(retryAfterSeconds) };
  return new ProblemException(429, 'rate_limited', RATE_LIMIT_DETAIL, {}, { headers });
}

/**
 * ThrottlerModule with the named throttlers (`default`, `auth`, `upload`) and RateLimitStorage:
 * Redis when REDIS_URL is set and RATE_LIMIT_USE_REDIS is on, this process's memory otherwise.
 */
export function rateLimitThrottlerModule(): DynamicModule {
  return ThrottlerModule.forRootAsync({
    inject: [AppConfig, RedisService, Clock],
    useFactory: (config: AppConfig, redis: RedisService, clock: Clock): ThrottlerModuleOptions => ({
      throttlers: rateLimitThrottlers(config),
      storage: new RateLimitStorage({ redis: config.RATE_LIMIT_USE_REDIS ? redis.client : null, clock }),
    }),
  });
}
