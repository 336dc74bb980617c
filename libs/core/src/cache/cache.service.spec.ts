import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import type { RedisService } from '../redis/redis.module.js';
import { CacheService } from './cache.service.js';

const MAX_MEMORY_ENTRIES = 10_000;

function memoryCache(enabled = true): { cache: CacheService; config: { CACHE_ENABLED: boolean } } {
  const config = { CACHE_ENABLED: enabled, CACHE_KEY_PREFIX: 'spec:cache' };
  const cache = new CacheService(config as unknown as AppConfig, { client: null } as unknown as RedisService);
  return { cache, config };
}

/** A loader that counts its calls and returns `value` (or a fresh object per call). */
function loader<T>(value: T): (() => Promise<T>) & { calls: number } {
  const fn = Object.assign(
    async () => {
      fn.calls++;
      return value;
    },
    { calls: 0 },
  );
  return fn;
}

describe('CacheService (memory mode)', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterEach(() => jest.restoreAllMocks());

  it('reads through: loads once, then serves a JSON copy', async () => {
    const { cache } = memoryCache();
    const load = loader({ id: 1, tags: ['a'], at: new Date('2020-01-01T00:00:00Z') });
    const first = await cache.getOrLoad('courses', 'c1', 60, load);
    const second = await cache.getOrLoad('courses', 'c1', 60, load);
    expect(load.calls).toBe(1);
    expect(first).toEqual({ id: 1, tags: ['a'], at: new Date('2020-01-01T00:00:00Z') }); // the loaded value itself
    expect(second).toEqual({ id: 1, tags: ['a'], at: '2020-01-01T00:00:00.000Z' }); // JSON round trip
    expect(second).not.toBe(first);
  });

  it('keys and namespaces are separate entries', async () => {
    const { cache } = memoryCache();
    const a = loader('a');
    const b = loader('b');
    const c = loader('c');
    expect(await cache.getOrLoad('ns1', 'k', 60, a)).toBe('a');
    expect(await cache.getOrLoad('ns1', 'k2', 60, b)).toBe('b');
    expect(await cache.getOrLoad('ns2', 'k', 60, c)).toBe('c');
    expect(await cache.getOrLoad('ns1', 'k', 60, c)).toBe('a');
    expect([a.calls, b.calls, c.calls]).toEqual([1, 1, 1]);
  });

  it('caches falsy values but not undefined', async () => {
    const { cache } = memoryCache();
    const zero = loader(0);
    const nothing = loader(undefined);
    await cache.getOrLoad('ns', 'zero', 60, zero);
    await cache.getOrLoad('ns', 'zero', 60, zero);
    await cache.getOrLoad('ns', 'none', 60, nothing);
    await cache.getOrLoad('ns', 'none', 60, nothing);
    expect(zero.calls).toBe(1);
    expect(nothing.calls).toBe(2);
  });

  it('entries expire after their TTL', async () => {
    const { cache } = memoryCache();
    let now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const load = loader({ v: 1 });
    await cache.getOrLoad('ns', 'k', 10, load);
    now += 9_999;
    await cache.getOrLoad('ns', 'k', 10, load);
    expect(load.calls).toBe(1);
    now += 1; // exactly ttl → expired
    await cache.getOrLoad('ns', 'k', 10, load);
    expect(load.calls).toBe(2);
    now += 5_000;
    await cache.getOrLoad('ns', 'k', 10, load);
    expect(load.calls).toBe(2);
  });

  it('invalidate(ns) bumps the generation: every key of ns reloads, other namespaces do not', async () => {
    const { cache } = memoryCache();
    const k1 = loader(1);
    const k2 = loader(2);
    const other = loader(3);
    for (let i = 0; i < 2; i++) {
      await cache.getOrLoad('courses', 'k1', 60, k1);
      await cache.getOrLoad('courses', 'k2', 60, k2);
      await cache.getOrLoad('lessons', 'k1', 60, other);
    }
    await cache.invalidate('courses');
    await cache.getOrLoad('courses', 'k1', 60, k1);
    await cache.getOrLoad('courses', 'k2', 60, k2);
    await cache.getOrLoad('lessons', 'k1', 60, other);
    expect([k1.calls, k2.calls, other.calls]).toEqual([2, 2, 1]);

    await cache.invalidate('courses', 'lessons');
    await cache.getOrLoad('lessons', 'k1', 60, other);
    await cache.getOrLoad('courses', 'k1', 60, k1);
    expect([k1.calls, other.calls]).toEqual([3, 2]);
  });

  it('disabled: loads every time and invalidate is a no-op', async () => {
    const { cache } = memoryCache(false);
    expect(cache.enabled).toBe(false);
    const load = loader({ v: 1 });
    await cache.getOrLoad('ns', 'k', 60, load);
    await cache.getOrLoad('ns', 'k', 60, load);
    await cache.getOrLoad('ns', 'k', 60, load);
    await expect(cache.invalidate('ns')).resolves.toBeUndefined();
    expect(load.calls).toBe(3);
  });

  it('a failing loader propagates and caches nothing', async () => {
    const { cache } = memoryCache();
    await expect(
      cache.getOrLoad('ns', 'k', 60, async () => {
        throw new Error('db');
      }),
    ).rejects.toThrow('db');
    const load = loader(5);
    expect(await cache.getOrLoad('ns', 'k', 60, load)).toBe(5);
    expect(load.calls).toBe(1);
  });

  it(`memory is bounded (${MAX_MEMORY_ENTRIES} entries): expired first, then the oldest go`, async () => {
    const { cache } = memoryCache();
    const size = (): number => (cache as unknown as { memory: Map<string, unknown> }).memory.size;
    let now = 5_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);

    for (let i = 0; i < MAX_MEMORY_ENTRIES; i++) await cache.getOrLoad('ns', `k${i}`, i < 10 ? 1 : 3600, async () => i);
    expect(size()).toBe(MAX_MEMORY_ENTRIES);

    // Full with 10 expired entries: those are swept, nothing live is evicted.
    now += 2_000;
    await cache.getOrLoad('ns', 'extra-1', 3600, async () => -1);
    expect(size()).toBe(MAX_MEMORY_ENTRIES - 10 + 1);

    // Fill up again with live entries, then one more: the oldest live insertion (k10) goes.
    for (let i = 0; i < 9; i++) await cache.getOrLoad('ns', `fill${i}`, 3600, async () => i);
    expect(size()).toBe(MAX_MEMORY_ENTRIES);
    await cache.getOrLoad('ns', 'extra-2', 3600, async () => -2);
    expect(size()).toBe(MAX_MEMORY_ENTRIES);

    const oldest = loader(10);
    const recent = loader(-99);
    expect(await cache.getOrLoad('ns', 'k11', 3600, recent)).toBe(11);
    expect(await cache.getOrLoad('ns', 'extra-2', 3600, recent)).toBe(-2);
    expect(recent.calls).toBe(0); // still cached
    expect(await cache.getOrLoad('ns', 'k10', 3600, oldest)).toBe(10);
    expect(oldest.calls).toBe(1); // evicted → reloaded
    expect(size()).toBeLessThanOrEqual(MAX_MEMORY_ENTRIES);
  });
});
