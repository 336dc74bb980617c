import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { CacheService, RedisService } from '#core';
import { testConfig, testRedisUrl } from '#testing';

const redisUrl = testRedisUrl();
const describeRedis = redisUrl ? describe : describe.skip;

interface Process {
  cache: CacheService;
  redis: RedisService;
}

/** One CacheService with its own Redis connection: what each API process has. */
function startProcess(url: string, prefix: string): Process {
  const config = testConfig({ REDIS_URL: url, CACHE_KEY_PREFIX: prefix });
  const redis = new RedisService(config);
  return { cache: new CacheService(config, redis), redis };
}

function loader<T>(value: () => T): (() => Promise<T>) & { calls: number } {
  const fn = Object.assign(
    async () => {
      fn.calls++;
      return value();
    },
    { calls: 0 },
  );
  return fn;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(() => Logger.overrideLogger(false));

describeRedis('CacheService with Redis (shared between processes)', () => {
  const prefix = `test:cache:${randomBytes(4).toString('hex')}`;
  let a: Process;
  let b: Process;

  beforeAll(() => {
    a = startProcess(redisUrl!, prefix);
    b = startProcess(redisUrl!, prefix);
  });

  afterAll(async () => {
    const client = a?.redis.client;
    if (client) {
      const keys = await client.keys(`${prefix}:*`);
      if (keys.length) await client.del(...keys);
    }
    await a?.redis.onApplicationShutdown();
    await b?.redis.onApplicationShutdown();
  });

  it('a value loaded by one process is served to the other', async () => {
    let version = 1;
    const loadA = loader(() => ({ version }));
    const loadB = loader(() => ({ version }));
    expect(await a.cache.getOrLoad('courses', 'c1', 60, loadA)).toEqual({ version: 1 });
    version = 2;
    expect(await b.cache.getOrLoad('courses', 'c1', 60, loadB)).toEqual({ version: 1 });
    expect([loadA.calls, loadB.calls]).toEqual([1, 0]);
    const ttl = await a.redis.client!.ttl(`${prefix}:courses:0:c1`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it('invalidate in one process is seen by the other', async () => {
    let version = 1;
    const loadA = loader(() => ({ version }));
    const loadB = loader(() => ({ version }));
    await a.cache.getOrLoad('lessons', 'l1', 60, loadA);
    await b.cache.getOrLoad('lessons', 'l1', 60, loadB);
    expect(loadB.calls).toBe(0);

    version = 2;
    await a.cache.invalidate('lessons');
    expect(await b.cache.getOrLoad('lessons', 'l1', 60, loadB)).toEqual({ version: 2 });
    expect(await a.cache.getOrLoad('lessons', 'l1', 60, loadA)).toEqual({ version: 2 });
    expect([loadA.calls, loadB.calls]).toEqual([1, 1]);
    // Other namespaces keep their entries.
    const untouched = loader(() => 'fresh');
    expect(await b.cache.getOrLoad('courses', 'c1', 60, untouched)).toEqual({ version: 1 });
    expect(untouched.calls).toBe(0);
  });

  it('entries expire after their TTL', async () => {
    const load = loader(() => 'v');
    await a.cache.getOrLoad('ttl', 'k', 1, load);
    await b.cache.getOrLoad('ttl', 'k', 1, load);
    expect(load.calls).toBe(1);
    await sleep(1_100);
    await b.cache.getOrLoad('ttl', 'k', 1, load);
    expect(load.calls).toBe(2);
  });
});

describe('CacheService with Redis down', () => {
  let p: Process;

  beforeAll(() => {
    p = startProcess('redis://127.0.0.1:1', `test:cache:down:${randomBytes(4).toString('hex')}`);
  });

  afterAll(async () => {
    await p?.redis.onApplicationShutdown();
    // ioredis arms a (non-unref'd) 2 s disconnect timer for a socket that never connected.
    await sleep(2_100);
  });

  it('reads through (loads every time) and never throws', async () => {
    const load = loader(() => ({ ok: true }));
    expect(await p.cache.getOrLoad('courses', 'c1', 60, load)).toEqual({ ok: true });
    expect(await p.cache.getOrLoad('courses', 'c1', 60, load)).toEqual({ ok: true });
    expect(load.calls).toBe(2);
    await expect(p.cache.invalidate('courses')).resolves.toBeUndefined();
  });
});
