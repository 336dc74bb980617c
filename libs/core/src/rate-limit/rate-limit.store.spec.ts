import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { ManualClock, testRedisUrl } from '#testing';
import {
  MemoryRateLimitStore,
  RateLimitStorage,
  REDIS_RETRY_MS,
  RedisRateLimitStore,
  retryAfterSeconds,
} from './rate-limit.store.js';

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

describe('RateLimitStorage (ThrottlerStorage)', () => {
  it('maps the window to a throttler record: hits, blocked over the limit, seconds left and the reset time', async () => {
    const clock = new ManualClock(new Date(1_000_000));
    const storage = new RateLimitStorage({ redis: null, clock });
    expect(await storage.increment('k', 60_000, 2, 60_000, 'default')).toEqual({
      totalHits: 1,
      timeToExpire: 60,
      isBlocked: false,
      timeToBlockExpire: 0,
      resetAt: 1_060_000,
    });
    clock.advance(20_500);
    await storage.increment('k', 60_000, 2, 60_000, 'default');
    expect(await storage.increment('k', 60_000, 2, 60_000, 'default')).toEqual({
      totalHits: 3,
      timeToExpire: 40,
      isBlocked: true,
      timeToBlockExpire: 40,
      resetAt: 1_060_000,
    });
    // The window ends with the clock: a new one starts.
    clock.advance(39_500);
    expect(await storage.increment('k', 60_000, 2, 60_000, 'default')).toMatchObject({
      totalHits: 1,
      isBlocked: false,
      resetAt: 1_120_000,
    });
  });

  it('falls back to memory counters when Redis fails, skips Redis for a while and warns once', async () => {
    let calls = 0;
    const redis = {
      evalsha: () => {
        calls++;
        return Promise.reject(new Error('Connection is closed.'));
      },
    } as unknown as Redis;
    const warnings: unknown[] = [];
    const clock = new ManualClock();
    const storage = new RateLimitStorage({ redis, clock, warn: (err) => warnings.push(err) });
    expect(await storage.increment('k', 60_000, 5, 60_000, 'default')).toMatchObject({ totalHits: 1 });
    // Redis is skipped now: memory counting, synchronously.
    expect(storage.hit('k', 60_000, clock.now().getTime())).toMatchObject({ count: 2 });
    expect(calls).toBe(1);
    // After REDIS_RETRY_MS it is tried again; the warning is not repeated within the interval.
    clock.advance(REDIS_RETRY_MS);
    expect(await storage.increment('k', 60_000, 5, 60_000, 'default')).toMatchObject({ totalHits: 3 });
    expect(calls).toBe(2);
    expect(warnings).toHaveLength(1);
  });
});

describe('RedisRateLimitStore', () => {
  it('loads the script with EVAL when Redis does not know its SHA (NOSCRIPT)', async () => {
    const evals: unknown[][] = [];
    const redis = {
      evalsha: () => Promise.reject(new Error('NOSCRIPT No matching script.')),
      eval: (...args: unknown[]) => {
        evals.push(args);
        return Promise.resolve([1, 60_000]);
      },
    } as unknown as Redis;
    expect(await new RedisRateLimitStore(redis).hit('k', 60_000, 5_000)).toEqual({ count: 1, resetAt: 65_000 });
    expect(evals).toHaveLength(1);
    expect(evals[0].slice(1)).toEqual([1, 'k', 60_000]);
  });

  const redisUrl = testRedisUrl();
  (redisUrl ? describe : describe.skip)('script on a real Redis', () => {
    let client: Redis;
    const key = `rl-unit-${randomUUID()}`;

    beforeAll(() => {
      client = new Redis(redisUrl!);
    });
    afterAll(async () => {
      await client.del(key);
      await client.quit();
    });

    it('counts atomically, sets the TTL on the first hit only, and repairs a counter without TTL', async () => {
      const store = new RedisRateLimitStore(client);
      const first = await store.hit(key, 60_000, 0);
      expect(first.count).toBe(1);
      expect(first.resetAt).toBeGreaterThan(59_000);
      const counts = await Promise.all(Array.from({ length: 20 }, () => store.hit(key, 60_000, 0)));
      expect(counts.map((s) => s.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
      // Later hits keep the window: the TTL is not pushed back.
      await client.pexpire(key, 30_000);
      expect((await store.hit(key, 60_000, 0)).resetAt).toBeLessThanOrEqual(30_000);
      // A counter left without TTL (e.g. written by hand) gets the window again.
      await client.persist(key);
      expect(await store.hit(key, 60_000, 0)).toMatchObject({ count: 23, resetAt: 60_000 });
      expect(await client.pttl(key)).toBeGreaterThan(59_000);
    });
  });
});
