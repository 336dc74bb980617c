import { MemoryRateLimitStore } from './rate-limit.store.js';
import { RateLimiter, retryAfterSeconds } from './rate-limit.hook.js';
import { RateLimitRules } from './rate-limit.rules.js';
import { testConfig } from '#testing';
import type { Redis } from 'ioredis';

describe('MemoryRateLimitStore (fixed window)', () => {
  it('counts hits in a window that starts at the first hit and restarts after it ends', () => {
    const store = new MemoryRateLimitStore();
    expect(store.hit('k', 1000, 10_000)).toEqual({ count: 1, resetAt: 11_000 });
    expect(store.hit('k', 1000, 10_500)).toEqual({ count: 2, resetAt: 11_000 });
    expect(store.hit('k', 1000, 10_999)).toEqual({ count: 3, resetAt: 11_000 });
    // The window is fixed: it does not slide with later hits.
    expect(store.hit('k', 1000, 11_000)).toEqual({ count: 1, resetAt: 12_000 });
  });

  it('keeps separate counters per key', () => {
    const store = new MemoryRateLimitStore();
    store.hit('a', 1000, 0);
    store.hit('a', 1000, 0);
    expect(store.hit('b', 1000, 0).count).toBe(1);
    expect(store.hit('a', 1000, 0).count).toBe(3);
  });

  it('sweeps expired counters at most once per sweep interval', () => {
    const store = new MemoryRateLimitStore({ sweepIntervalMs: 1000 });
    for (let i = 0; i < 100; i++) store.hit(`k${i}`, 500, 0);
    expect(store.size).toBe(100);
    store.hit('late', 5000, 600); // before the next sweep: expired ones still held
    expect(store.size).toBe(101);
    store.hit('later', 5000, 1000); // sweep: only the live counters remain
    expect(store.size).toBe(2);
  });

  it('never holds more than maxEntries counters, evicting the oldest', () => {
    const store = new MemoryRateLimitStore({ maxEntries: 50, sweepIntervalMs: 3_600_000 });
    for (let i = 0; i < 10_000; i++) store.hit(`ip${i}:/p${i}`, 60_000, i);
    expect(store.size).toBe(50);
    // The newest keys survive; the oldest were evicted and start over.
    expect(store.hit('ip9999:/p9999', 60_000, 10_000).count).toBe(2);
    expect(store.hit('ip0:/p0', 60_000, 10_000).count).toBe(1);
  });
});

describe('retryAfterSeconds', () => {
  it('rounds up and is at least 1', () => {
    expect(retryAfterSeconds(10_000, 0)).toBe(10);
    expect(retryAfterSeconds(10_001, 0)).toBe(11);
    expect(retryAfterSeconds(10_000, 9_999)).toBe(1);
    expect(retryAfterSeconds(10_000, 10_000)).toBe(1);
    expect(retryAfterSeconds(10_000, 20_000)).toBe(1);
  });
});

describe('RateLimiter with a failing Redis', () => {
  it('falls back to memory counters, skips Redis for a while and warns once', async () => {
    let calls = 0;
    const redis = {
      evalsha: () => {
        calls++;
        return Promise.reject(new Error('Connection is closed.'));
      },
    } as unknown as Redis;
    const warnings: string[] = [];
    const limiter = new RateLimiter(new RateLimitRules(testConfig()), {
      redis,
      warn: (_obj, msg) => warnings.push(msg),
    });
    const rule = limiter.rules.default;
    const now = Date.now();
    expect(await limiter.hit(rule, 'k', now)).toMatchObject({ count: 1 });
    // Redis is skipped now: synchronous memory counting.
    expect(limiter.hit(rule, 'k', now + 1)).toMatchObject({ count: 2 });
    expect(calls).toBe(1);
    expect(warnings).toHaveLength(1);
  });
});
