// The shared Redis client against a redis-server of this file's own: the server settings checked at
// start (issue 17, item 4) and failing fast while Redis is away (item 6): stopped, or hung (SIGSTOP).
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { type AppConfig, RedisService, RedisUnavailableError } from '#core';
import { startPrivateRedis, type PrivateRedis } from './support/private-redis.js';

const servers: PrivateRedis[] = [];
const services: RedisService[] = [];

async function server(args: string[] = []): Promise<PrivateRedis> {
  const s = await startPrivateRedis(args);
  servers.push(s);
  return s;
}

function service(url: string, production: boolean): RedisService {
  const s = new RedisService({ REDIS_URL: url, isProduction: production } as AppConfig);
  services.push(s);
  return s;
}

async function elapsed(fn: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const t0 = performance.now();
  let error: unknown;
  try {
    await fn();
  } catch (err) {
    error = err;
  }
  return { ms: performance.now() - t0, error };
}

afterEach(async () => {
  jest.restoreAllMocks();
  for (const s of services.splice(0)) await s.onApplicationShutdown();
  for (const s of servers.splice(0)) await s.stop();
});

describe('Redis server settings at start', () => {
  it('production refuses maxmemory-policy allkeys-lru; elsewhere it is a warning', async () => {
    const lru = await server(['--maxmemory-policy', 'allkeys-lru']);
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    await expect(service(lru.url, true).onModuleInit()).rejects.toThrow(
      /maxmemory-policy is "allkeys-lru"; noeviction is required/,
    );
    await expect(service(lru.url, false).onModuleInit()).resolves.toBeUndefined();
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual(
      expect.arrayContaining([expect.stringMatching(/allkeys-lru.*refused in production/)]),
    );
  });

  it('production starts with noeviction, and warns loudly without AOF', async () => {
    const noAof = await server(['--maxmemory-policy', 'noeviction']);
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const s = service(noAof.url, true);
    await s.onModuleInit();
    expect(s.available).toBe(true);
    expect(error.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringMatching(/^WARNING: .*appendonly no/)]);

    const aof = await server(['--maxmemory-policy', 'noeviction']);
    const admin = service(aof.url, false);
    await admin.onModuleInit();
    await admin.client!.config('SET', 'appendonly', 'yes');
    error.mockClear();
    const ok = service(aof.url, true);
    await ok.onModuleInit();
    expect(error).not.toHaveBeenCalled();
  });

  it('CONFIG disabled by the provider: a warning, and the start goes on', async () => {
    const locked = await server(['--rename-command', 'CONFIG', '""']);
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const s = service(locked.url, true);
    await expect(s.onModuleInit()).resolves.toBeUndefined();
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringMatching(/CONFIG GET is not available/)]);
  });

  it('Redis unreachable at start: a warning, the start goes on, the settings are checked once it is up', async () => {
    const later = await server();
    await later.kill();
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const s = service(later.url, false);
    await expect(s.onModuleInit()).resolves.toBeUndefined();
    expect(s.available).toBe(false);
    await later.start();
    const until = Date.now() + 10_000;
    while (!s.available && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(s.available).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual(
      expect.arrayContaining([expect.stringMatching(/unreachable at start/), expect.stringMatching(/appendonly no/)]),
    );
  });
});

describe('failing fast while Redis is away', () => {
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  it('server stopped: commands and PING fail at once; back when it is restarted', async () => {
    const r = await server();
    const s = service(r.url, false);
    await s.onModuleInit();
    await s.client!.set('k', '1');
    await r.kill();
    const until = Date.now() + 5000;
    while (s.available && Date.now() < until) await new Promise((res) => setTimeout(res, 10));
    expect(s.available).toBe(false);
    for (let i = 0; i < 5; i++) {
      const get = await elapsed(() => s.client!.get('k'));
      expect(get.error).toBeInstanceOf(Error);
      expect(get.ms).toBeLessThan(200);
      const ping = await elapsed(() => s.ping(500));
      expect(ping.error).toBeInstanceOf(RedisUnavailableError);
      expect(ping.ms).toBeLessThan(200);
    }
    await r.start();
    const back = Date.now() + 10_000;
    while (!s.available && Date.now() < back) await new Promise((res) => setTimeout(res, 50));
    expect(await s.client!.get('k')).toBeNull(); // a new, empty server
  });

  it('server hung: one command waits for the timeout, then the circuit is open and the rest fail at once', async () => {
    const r = await server();
    const s = service(r.url, false);
    await s.onModuleInit();
    r.pause();
    try {
      const first = await elapsed(() => s.client!.get('k'));
      expect(first.error).toMatchObject({ message: 'Command timed out' });
      expect(s.available).toBe(false);
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const next = await elapsed(() => s.client!.get('k'));
        expect(next.error).toBeInstanceOf(RedisUnavailableError);
        times.push(next.ms);
      }
      expect(Math.max(...times)).toBeLessThan(200);
    } finally {
      r.resume();
    }
    const until = Date.now() + 5000;
    while (!s.available && Date.now() < until) await new Promise((res) => setTimeout(res, 50));
    expect(s.available).toBe(true);
    expect(await s.client!.ping()).toBe('PONG');
  });

  it('readiness PING of a hung server opens the circuit within its timeout', async () => {
    const r = await server();
    const s = service(r.url, false);
    await s.onModuleInit();
    r.pause();
    try {
      const first = await elapsed(() => s.ping(300));
      expect(first.error).toBeInstanceOf(Error);
      expect(first.ms).toBeLessThan(1000);
      const second = await elapsed(() => s.ping(300));
      expect(second.error).toBeInstanceOf(RedisUnavailableError);
      expect(second.ms).toBeLessThan(100);
    } finally {
      r.resume();
    }
  });
});
