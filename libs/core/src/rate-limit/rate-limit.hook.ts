import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Redis } from 'ioredis';
import type { AppConfig } from '../config/app-config.js';
import { PROBLEM_CONTENT_TYPE, problemBody } from '../http/problem.js';
import { requestPath } from '../http/problem.filter.js';
import { RateLimitRules, type RateLimitRule } from './rate-limit.rules.js';
import { MemoryRateLimitStore, RedisRateLimitStore, type WindowState } from './rate-limit.store.js';

export const RATE_LIMIT_DETAIL = 'Rate limit exceeded. Try again later.';
/** After a Redis error, Redis is skipped (memory counters used) for this long. */
export const REDIS_RETRY_MS = 5_000;
/** Redis failures are logged at most once per this interval. */
export const REDIS_WARN_INTERVAL_MS = 60_000;

export interface RateLimiterOptions {
  /** Redis client for shared counters (RATE_LIMIT_USE_REDIS and REDIS_URL), or null for memory. */
  redis: Redis | null;
  warn: (obj: object, msg: string) => void;
  memory?: MemoryRateLimitStore;
}

/**
 * Counts a hit for (rule, client IP, path) and returns the window state. With Redis, a failing
 * command does not fail the request: it is counted in the process-local memory store instead (so
 * the limiter "fails open" to per-process limits, never to a 5xx or to blocking everyone), Redis
 * is skipped for REDIS_RETRY_MS (so requests do not each wait for a command timeout while it is
 * down), and a warning is logged at most once per REDIS_WARN_INTERVAL_MS.
 */
export class RateLimiter {
  readonly memory: MemoryRateLimitStore;
  private readonly redis: RedisRateLimitStore | null;
  private redisRetryAt = 0;
  private lastWarnAt = -Infinity;

  constructor(
    readonly rules: RateLimitRules,
    private readonly opts: RateLimiterOptions,
  ) {
    this.memory = opts.memory ?? new MemoryRateLimitStore();
    this.redis = opts.redis ? new RedisRateLimitStore(opts.redis) : null;
  }

  hit(rule: RateLimitRule, key: string, now: number): WindowState | Promise<WindowState> {
    if (this.redis === null || now < this.redisRetryAt) return this.memory.hit(key, rule.windowMs, now);
    return this.redis.hit(key, rule.windowMs, now).catch((err: unknown) => {
      this.redisRetryAt = Date.now() + REDIS_RETRY_MS;
      if (now - this.lastWarnAt >= REDIS_WARN_INTERVAL_MS) {
        this.lastWarnAt = now;
        this.opts.warn({ err }, 'Rate limit store (Redis) unavailable: using per-process memory counters');
      }
      return this.memory.hit(key, rule.windowMs, now);
    });
  }
}

/**
 * Installs the rate limiter as a Fastify onRequest hook: it runs before routing, body parsing and
 * Nest's guards, so it is cheap and covers every request, 404s included (like the reference
 * middleware). Must be called before Fastify is ready (Nest's onModuleInit is fine).
 *
 * Why not @nestjs/throttler: 6.x is CommonJS and `require`s the ESM-only @nestjs/common 12, which
 * jest cannot load on Node 20 ("Must use import to load ES Module"), so the API would not boot in
 * tests (the same reason @willsoto/nestjs-prometheus was replaced by a Fastify hook). A guard would
 * also miss 404s and run after routing.
 *
 * Fixed window per (rule, client IP, exact path without query string), key
 * `${RATE_LIMIT_REDIS_PREFIX}:${rule}:ip:${ip}:${path}`. The client IP is Fastify's `request.ip`,
 * which honours X-Forwarded-For only from TRUSTED_PROXY_IPS (see createFastifyAdapter). The upload
 * rule is keyed by IP too (not by the Bearer token's user: reading it here would need the auth
 * internals). Every counted response carries X-RateLimit-Limit/Remaining/Reset (Reset in unix
 * epoch seconds); once the count exceeds the limit the request gets a 429 problem with Retry-After
 * and is not processed.
 */
export function registerRateLimit(fastify: FastifyInstance, config: AppConfig, redis: Redis | null): RateLimiter {
  const limiter = new RateLimiter(new RateLimitRules(config), {
    redis: config.RATE_LIMIT_USE_REDIS ? redis : null,
    warn: (obj, msg) => fastify.log.warn(obj, msg),
  });
  const rules = limiter.rules;

  fastify.addHook('onRequest', (request, reply, done) => {
    const path = requestPath(request.url);
    const rule = rules.ruleFor(path);
    if (rule === null) {
      done();
      return;
    }
    const now = Date.now();
    const state = limiter.hit(rule, RateLimitRules.key(rule, request.ip, path), now);
    if (state instanceof Promise) {
      state.then(
        (s) => applyLimit(request, reply, done, rule, path, s),
        (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
      );
    } else {
      applyLimit(request, reply, done, rule, path, state);
    }
  });
  return limiter;
}

function applyLimit(
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
  rule: RateLimitRule,
  path: string,
  state: WindowState,
): void {
  // On the raw response, like the request id: kept whatever later produces the response (errors, 404s).
  const raw = reply.raw;
  const remaining = rule.limit - state.count;
  raw.setHeader('X-RateLimit-Limit', rule.limitHeader);
  raw.setHeader('X-RateLimit-Remaining', remaining > 0 ? remaining : 0);
  raw.setHeader('X-RateLimit-Reset', Math.ceil(state.resetAt / 1000));
  if (remaining >= 0) {
    done();
    return;
  }
  raw.setHeader('Retry-After', retryAfterSeconds(state.resetAt, Date.now()));
  const body = problemBody(429, 'rate_limited', RATE_LIMIT_DETAIL, { instance: path, requestId: request.id });
  void reply.code(429).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

/** Whole seconds until the window ends, at least 1. */
export function retryAfterSeconds(resetAt: number, now: number): number {
  const s = Math.ceil((resetAt - now) / 1000);
  return s > 1 ? s : 1;
}
