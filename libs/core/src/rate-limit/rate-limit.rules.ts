import type { AppConfig } from '../config/app-config.js';
import { createPathMatcher } from '../http/path-matcher.js';

/** Longest path kept in a counter key: longer paths share one counter (stricter, and bounds key size). */
export const MAX_KEY_PATH_LENGTH = 512;

/** One limit: `limit` requests per fixed window of `windowMs`, counted per client IP and exact path. */
export interface RateLimitRule {
  readonly name: string;
  readonly limit: number;
  readonly windowMs: number;
  /** `${prefix}:${name}:ip:`, precomputed so a request only builds `keyPrefix + ip + ':' + path`. */
  readonly keyPrefix: string;
  /** String(limit), for the X-RateLimit-Limit header. */
  readonly limitHeader: string;
}

function rule(prefix: string, name: string, limit: number, windowSeconds: number): RateLimitRule {
  return {
    name,
    limit,
    windowMs: windowSeconds * 1000,
    keyPrefix: `${prefix}:${name}:ip:`,
    limitHeader: String(limit),
  };
}

/**
 * The rule table, built once: excluded paths (RATE_LIMIT_EXCLUDED_PATHS, plus METRICS_PATH when
 * metrics are on) get no rule; then the first matching custom rule wins (auth, upload); anything
 * else gets the default rule.
 */
export class RateLimitRules {
  readonly default: RateLimitRule;
  private readonly custom: ReadonlyArray<{ rule: RateLimitRule; matches: (path: string) => boolean }>;
  private readonly excluded: (path: string) => boolean;

  constructor(config: AppConfig) {
    const prefix = config.RATE_LIMIT_REDIS_PREFIX;
    this.default = rule(prefix, 'default', config.RATE_LIMIT_REQUESTS_PER_MINUTE, config.RATE_LIMIT_WINDOW_SECONDS);
    this.custom = [
      {
        rule: rule(prefix, 'auth', config.AUTH_RATE_LIMIT_REQUESTS_PER_MINUTE, config.AUTH_RATE_LIMIT_WINDOW_SECONDS),
        matches: createPathMatcher(config.AUTH_RATE_LIMIT_PATHS),
      },
      {
        rule: rule(
          prefix,
          'upload',
          config.FILE_UPLOAD_RATE_LIMIT_REQUESTS_PER_HOUR,
          config.FILE_UPLOAD_RATE_LIMIT_WINDOW_SECONDS,
        ),
        matches: createPathMatcher(config.FILE_UPLOAD_RATE_LIMIT_PATHS),
      },
    ];
    const excludedPaths = [...config.RATE_LIMIT_EXCLUDED_PATHS];
    if (config.METRICS_ENABLED) excludedPaths.push(config.METRICS_PATH);
    this.excluded = createPathMatcher(excludedPaths);
  }

  /** The rule for a path (without query string), or null when the path is not limited. */
  ruleFor(path: string): RateLimitRule | null {
    if (this.excluded(path)) return null;
    for (let i = 0; i < this.custom.length; i++) if (this.custom[i].matches(path)) return this.custom[i].rule;
    return this.default;
  }

  /** Counter key: `${RATE_LIMIT_REDIS_PREFIX}:${rule}:ip:${ip}:${path}`. */
  static key(rule: RateLimitRule, ip: string, path: string): string {
    return `${rule.keyPrefix}${ip}:${path.length > MAX_KEY_PATH_LENGTH ? path.slice(0, MAX_KEY_PATH_LENGTH) : path}`;
  }
}
