import type { ThrottlerOptions } from '@nestjs/throttler';
import type { AppConfig } from '../config/app-config.js';
import { createPathMatcher } from '../http/path-matcher.js';
import { UNMATCHED_ROUTE } from '../observability/metrics.js';

/** Longest path kept in a counter key: longer paths share one counter (stricter, and bounds key size). */
export const MAX_KEY_PATH_LENGTH = 512;

/** The named throttlers, in ThrottlerModule and in the counter keys (`${prefix}:${name}:...`). */
export const RATE_LIMIT_RULE_NAMES = ['default', 'auth', 'upload'] as const;
export type RateLimitRuleName = (typeof RATE_LIMIT_RULE_NAMES)[number];

/**
 * The path part of the key of requests that matched no route: all of a client's unmatched requests
 * share one counter per rule, so a 404 flood over ever-new paths is bounded like one path.
 */
export const UNMATCHED_KEY_PATH = UNMATCHED_ROUTE;

/** One limit: `limit` requests per fixed window of `windowMs`, counted per client and path. */
export interface RateLimitRule {
  readonly name: RateLimitRuleName;
  readonly limit: number;
  readonly windowMs: number;
  /** `${prefix}:${name}:ip:`, precomputed so a request only builds `keyPrefix + ip + ':' + path`. */
  readonly keyPrefix: string;
  /** `${prefix}:${name}:user:` when an authenticated request counts per user id (upload), else null. */
  readonly userKeyPrefix: string | null;
  /** String(limit), for the X-RateLimit-Limit header. */
  readonly limitHeader: string;
}

/** What a request counts against: a rule and the normalized path its counter is keyed by. */
export interface RateLimitTarget {
  readonly rule: RateLimitRule;
  readonly path: string;
}

/**
 * ThrottlerModule's named throttlers (ttl in ms, as @nestjs/throttler counts): `default` is
 * RATE_LIMIT_*, `auth` AUTH_RATE_LIMIT_*, `upload` FILE_UPLOAD_RATE_LIMIT_*. Which paths use which
 * throttler is RateLimitRules' business (the throttler options have no notion of paths).
 */
export function rateLimitThrottlers(config: AppConfig): ThrottlerOptions[] {
  return [
    { name: 'default', limit: config.RATE_LIMIT_REQUESTS_PER_MINUTE, ttl: config.RATE_LIMIT_WINDOW_SECONDS * 1000 },
    {
      name: 'auth',
      limit: config.AUTH_RATE_LIMIT_REQUESTS_PER_MINUTE,
      ttl: config.AUTH_RATE_LIMIT_WINDOW_SECONDS * 1000,
    },
    {
      name: 'upload',
      limit: config.FILE_UPLOAD_RATE_LIMIT_REQUESTS_PER_HOUR,
      ttl: config.FILE_UPLOAD_RATE_LIMIT_WINDOW_SECONDS * 1000,
    },
  ];
}

function numberOption(throttler: ThrottlerOptions | undefined, option: 'limit' | 'ttl', name: string): number {
  const value = throttler?.[option];
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new Error(`Rate limit throttler "${name}" needs a positive numeric ${option}`);
  }
  return value;
}

function buildRule(prefix: string, name: RateLimitRuleName, throttlers: readonly ThrottlerOptions[]): RateLimitRule {
  const throttler = throttlers.find((t) => (t.name ?? 'default') === name);
  const limit = numberOption(throttler, 'limit', name);
  return {
    name,
    limit,
    windowMs: numberOption(throttler, 'ttl', name),
    keyPrefix: `${prefix}:${name}:ip:`,
    userKeyPrefix: name === 'upload' ? `${prefix}:${name}:user:` : null,
    limitHeader: String(limit),
  };
}

/** Percent-escapes runs, decoded together so multi-byte UTF-8 sequences decode as one character. */
const PERCENT_RUN = /(?:%[0-9A-Fa-f]{2})+/g;
const DUPLICATE_SLASHES = /\/{2,}/g;

/**
 * The canonical spelling of a raw request path (no query string) for choosing the rule of a request
 * that matched no route: percent-escapes decoded (a malformed or non-UTF-8 escape is kept as written,
 * never an error), lower case, runs of "/" collapsed, no trailing "/" (except for "/" itself). So
 * `/api/v1/AUTH//%6cogin/` is `/api/v1/auth/login`.
 */
export function normalizePath(path: string): string {
  let p = path.indexOf('%') === -1 ? path : path.replace(PERCENT_RUN, safeDecode);
  p = p.toLowerCase();
  if (p.includes('//')) p = p.replace(DUPLICATE_SLASHES, '/');
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p.startsWith('/') ? p : `/${p}`;
}

function safeDecode(escapes: string): string {
  try {
    return decodeURIComponent(escapes);
  } catch {
    return escapes;
  }
}

/**
 * A route template compiled for key building: literal parts and parameter names. A static template
 * keeps its target (or null when excluded), computed once; `*` (wildcard) stays literal, so a
 * wildcard route is one counter per client instead of one per path it happens to match.
 */
interface CompiledRoute {
  readonly target: RateLimitTarget | null;
  readonly parts: ReadonlyArray<string | { readonly param: string }> | null;
}

/** `::` (a literal colon) or `:name` with an optional `(regex)` constraint, Fastify's template syntax. */
const TEMPLATE_TOKEN = /::|:([^/:\-.()]+)(?:\((?:\\.|[^\\)])*\))?/g;

/**
 * The rule table, built once: excluded paths (RATE_LIMIT_EXCLUDED_PATHS, plus METRICS_PATH when
 * metrics are on) get no rule; then the first matching custom rule wins (auth, upload); anything
 * else gets the default rule. Rules are matched on normalized paths: for a routed request the route
 * template with its (decoded) parameter values substituted, for an unmatched one normalizePath.
 */
export class RateLimitRules {
  readonly default: RateLimitRule;
  readonly auth: RateLimitRule;
  readonly upload: RateLimitRule;
  private readonly custom: ReadonlyArray<{ rule: RateLimitRule; matches: (path: string) => boolean }>;
  private readonly excluded: (path: string) => boolean;
  /** Route template → compiled route, filled lazily (bounded by the number of routes). */
  private readonly routes = new Map<string, CompiledRoute>();

  constructor(config: AppConfig, throttlers: readonly ThrottlerOptions[] = rateLimitThrottlers(config)) {
    const prefix = config.RATE_LIMIT_REDIS_PREFIX;
    this.default = buildRule(prefix, 'default', throttlers);
    this.auth = buildRule(prefix, 'auth', throttlers);
    this.upload = buildRule(prefix, 'upload', throttlers);
    this.custom = [
      { rule: this.auth, matches: createPathMatcher(config.AUTH_RATE_LIMIT_PATHS) },
      { rule: this.upload, matches: createPathMatcher(config.FILE_UPLOAD_RATE_LIMIT_PATHS) },
    ];
    const excludedPaths = [...config.RATE_LIMIT_EXCLUDED_PATHS];
    if (config.METRICS_ENABLED) excludedPaths.push(config.METRICS_PATH);
    this.excluded = createPathMatcher(excludedPaths);
  }

  /** The rule for a normalized path, or null when the path is not limited. */
  ruleFor(path: string): RateLimitRule | null {
    if (this.excluded(path)) return null;
    return this.customRule(path);
  }

  /**
   * The rule of a request that matched no route, from its raw path (normalizePath). Never null:
   * exclusions are for the routes that serve them (probes, scrapes), and a path under an excluded
   * prefix that reaches no route is a 404 like any other.
   */
  ruleForUnmatched(rawPath: string): RateLimitRule {
    return this.customRule(normalizePath(rawPath));
  }

  /**
   * The target of a routed request: `template` is the matched route (request.routeOptions.url),
   * `params` its decoded parameters. Every spelling that reaches the route (`/auth/%6cogin` for
   * `/auth/login`) gets the same target, so it shares one counter. Parameter values are lower-cased
   * in the key: a case variant of an id is the same resource for the handler (UUIDs) and shares it too.
   */
  forRoute(template: string, params: unknown): RateLimitTarget | null {
    let route = this.routes.get(template);
    if (route === undefined) {
      route = this.compile(template);
      this.routes.set(template, route);
    }
    if (route.parts === null) return route.target;
    const values = (params ?? {}) as Record<string, unknown>;
    let path = '';
    for (const part of route.parts) {
      if (typeof part === 'string') {
        path += part;
      } else {
        const value = values[part.param];
        if (typeof value === 'string') path += value.toLowerCase();
      }
    }
    const rule = this.ruleFor(path);
    return rule === null ? null : { rule, path };
  }

  /** Counter key per client IP: `${RATE_LIMIT_REDIS_PREFIX}:${rule}:ip:${ip}:${path}`. */
  static key(rule: RateLimitRule, ip: string, path: string): string {
    return `${rule.keyPrefix}${ip}:${capPath(path)}`;
  }

  /** Counter key per user (upload rule, authenticated): `${RATE_LIMIT_REDIS_PREFIX}:${rule}:user:${id}:${path}`. */
  static userKey(rule: RateLimitRule, userId: string, path: string): string {
    return `${rule.userKeyPrefix ?? rule.keyPrefix}${userId}:${capPath(path)}`;
  }

  private customRule(path: string): RateLimitRule {
    for (let i = 0; i < this.custom.length; i++) if (this.custom[i].matches(path)) return this.custom[i].rule;
    return this.default;
  }

  private compile(template: string): CompiledRoute {
    const parts: Array<string | { param: string }> = [];
    let last = 0;
    let hasParams = false;
    for (const m of template.matchAll(TEMPLATE_TOKEN)) {
      parts.push(template.slice(last, m.index));
      if (m[0] === '::') {
        parts.push(':');
      } else {
        parts.push({ param: m[1] });
        hasParams = true;
      }
      last = m.index + m[0].length;
    }
    parts.push(template.slice(last));
    if (hasParams) return { target: null, parts };
    const path = parts.join('');
    const rule = this.ruleFor(path);
    return { target: rule === null ? null : { rule, path }, parts: null };
  }
}

function capPath(path: string): string {
  return path.length > MAX_KEY_PATH_LENGTH ? path.slice(0, MAX_KEY_PATH_LENGTH) : path;
}
