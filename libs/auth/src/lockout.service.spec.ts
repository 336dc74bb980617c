import type { AppConfig, RedisService } from '#core';
import { LockoutService, MEMORY_LOCKOUT_MAX_ENTRIES } from './lockout.service.js';

function service(overrides: Partial<AppConfig> = {}): LockoutService {
  const config = {
    CACHE_KEY_PREFIX: 'app:cache',
    MAX_FAILED_LOGIN_ATTEMPTS: 3,
    ACCOUNT_LOCKOUT_DURATION_SECONDS: 60,
    ...overrides,
  } as AppConfig;
  return new LockoutService(config, { client: null } as RedisService);
}

describe('LockoutService (memory store)', () => {
  it('builds prefixed keys with the normalized email and the IP', () => {
    expect(service().keys('  Ada@Example.COM ', '10.0.0.1')).toEqual([
      'app:cache:auth:failed_attempts:user:ada@example.com',
      'app:cache:auth:failed_attempts:ip:10.0.0.1',
    ]);
  });

  it('locks when the account counter reaches the limit, across IPs', async () => {
    const s = service();
    for (let i = 0; i < 2; i++) await s.recordFailure('a@x.io', `10.0.0.${i}`);
    expect(await s.isLocked('a@x.io', '10.0.0.9')).toBe(false);
    await s.recordFailure('A@x.io', '10.0.0.3');
    expect(await s.isLocked('a@x.io', '10.0.0.9')).toBe(true);
    await expect(s.assertNotLocked('a@x.io', '10.0.0.9')).rejects.toMatchObject({ code: 'account_locked' });
    expect(await s.isLocked('b@x.io', '10.0.0.9')).toBe(false);
  });

  it('locks when the IP counter reaches the limit, across accounts', async () => {
    const s = service();
    for (let i = 0; i < 3; i++) await s.recordFailure(`u${i}@x.io`, '10.0.0.1');
    expect(await s.isLocked('new@x.io', '10.0.0.1')).toBe(true);
    expect(await s.isLocked('new@x.io', '10.0.0.2')).toBe(false);
  });

  it('expires counters after ACCOUNT_LOCKOUT_DURATION_SECONDS and resets them on success', async () => {
    const s = service();
    let now = 1_000_000;
    s.now = () => now;
    for (let i = 0; i < 3; i++) await s.recordFailure('a@x.io', '1.1.1.1');
    expect(await s.isLocked('a@x.io', '1.1.1.1')).toBe(true);
    now += 60_001;
    expect(await s.isLocked('a@x.io', '1.1.1.1')).toBe(false);
    for (let i = 0; i < 2; i++) await s.recordFailure('a@x.io', '1.1.1.1');
    await s.reset('a@x.io', '1.1.1.1');
    await s.recordFailure('a@x.io', '1.1.1.1');
    expect(await s.isLocked('a@x.io', '1.1.1.1')).toBe(false);
  });

  it('keeps the memory store bounded', async () => {
    const s = service();
    for (let i = 0; i < MEMORY_LOCKOUT_MAX_ENTRIES / 2 + 10; i++) await s.recordFailure(`u${i}@x.io`, `ip${i}`);
    expect(s.memorySize).toBeLessThanOrEqual(MEMORY_LOCKOUT_MAX_ENTRIES);
  });
});

describe('LockoutService (Redis store)', () => {
  it('uses INCR + EXPIRE and MGET on the Redis client', async () => {
    const calls: string[] = [];
    const store = new Map<string, number>();
    const multi = {
      incr(key: string) {
        calls.push(`incr ${key}`);
        store.set(key, (store.get(key) ?? 0) + 1);
        return multi;
      },
      expire(key: string, ttl: number) {
        calls.push(`expire ${key} ${ttl}`);
        return multi;
      },
      exec: () => Promise.resolve([]),
    };
    const client = {
      multi: () => multi,
      mget: (...keys: string[]) => Promise.resolve(keys.map((k) => (store.has(k) ? String(store.get(k)) : null))),
      del: (...keys: string[]) => Promise.resolve(keys.filter((k) => store.delete(k)).length),
    };
    const s = new LockoutService(
      { CACHE_KEY_PREFIX: 'p', MAX_FAILED_LOGIN_ATTEMPTS: 2, ACCOUNT_LOCKOUT_DURATION_SECONDS: 900 } as AppConfig,
      { client } as unknown as RedisService,
    );
    await s.recordFailure('a@x.io', '1.2.3.4');
    expect(calls).toEqual([
      'incr p:auth:failed_attempts:user:a@x.io',
      'expire p:auth:failed_attempts:user:a@x.io 900',
      'incr p:auth:failed_attempts:ip:1.2.3.4',
      'expire p:auth:failed_attempts:ip:1.2.3.4 900',
    ]);
    expect(await s.isLocked('a@x.io', '9.9.9.9')).toBe(false);
    await s.recordFailure('a@x.io', '1.2.3.5');
    expect(await s.isLocked('a@x.io', '9.9.9.9')).toBe(true);
    expect(s.memorySize).toBe(0);
    await s.reset('a@x.io', '9.9.9.9');
    expect(await s.isLocked('a@x.io', '9.9.9.9')).toBe(false);
  });
});
