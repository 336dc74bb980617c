import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createDataSourceOptions, RedisService } from '#core';
import { createTestDatabase, ManualClock, testConfig, testRedisUrl, type TestDatabase } from '#testing';
import { LockoutService, type LoginAttempt } from './lockout.service.js';

const LIMIT = 5;
const WINDOW_SECONDS = 60;

/** One API process's LockoutService: its own pool and Redis connection, sharing the stores. */
interface Process {
  lockout: LockoutService;
  close(): Promise<void>;
}

async function startProcess(db: TestDatabase, env: Record<string, string>, clock: ManualClock): Promise<Process> {
  const config = testConfig({
    MAX_FAILED_LOGIN_ATTEMPTS: String(LIMIT),
    ACCOUNT_LOCKOUT_DURATION_SECONDS: String(WINDOW_SECONDS),
    ...env,
  });
  const dataSource = new DataSource(createDataSourceOptions(config, db.url, { poolSize: 10 }));
  await dataSource.initialize();
  const redis = new RedisService(config);
  return {
    lockout: new LockoutService(config, redis, dataSource, clock),
    async close() {
      await redis.onApplicationShutdown();
      await dataSource.destroy();
    },
  };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

let unique = 0;
const account = (): string => `user-${randomBytes(4).toString('hex')}-${++unique}@example.com`;
/** A client IP no other test of this file uses. */
const address = (): string => {
  const n = ++unique;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
};

type Result = 'locked' | 'failed' | 'ok';

/**
 * What AuthService.verifyCredentials does around the password check, with the check held at a
 * gate: every attempt of a burst reserves (or is refused) before any password is judged, the
 * interleaving that let 6–19 wrong passwords through when the counter was read, then written.
 */
async function login(
  lockout: LockoutService,
  email: string,
  ip: string,
  correct: boolean,
  burst: Burst,
): Promise<Result> {
  let attempt: LoginAttempt;
  try {
    attempt = await lockout.reserve(email, ip);
  } catch (err) {
    burst.decided();
    if ((err as { code?: string }).code === 'account_locked') return 'locked';
    throw err;
  }
  burst.checks += 1; // the password is checked
  burst.decided();
  await burst.gate;
  try {
    if (correct) {
      await attempt.succeed();
      return 'ok';
    }
    await attempt.fail();
    return 'failed';
  } finally {
    await attempt.release();
  }
}

interface Burst {
  /** Passwords checked so far. */
  checks: number;
  /** Called by each attempt once reserved or refused. */
  decided: () => void;
  /** Resolves once `n` attempts were decided. */
  whenDecided: (n: number) => Promise<void>;
  /** Password checks wait for this. */
  gate: Promise<void>;
  openGate: () => void;
}

function gatedBurst(): Burst {
  const gate = deferred();
  let count = 0;
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  return {
    checks: 0,
    gate: gate.promise,
    openGate: gate.resolve,
    decided: () => {
      count += 1;
      for (const w of waiters) if (count >= w.n) w.resolve();
    },
    whenDecided: (n) => {
      if (count >= n) return Promise.resolve();
      const d = deferred();
      waiters.push({ n, resolve: d.resolve });
      return d.promise;
    },
  };
}

const redisUrl = testRedisUrl();
const stores: Array<{ name: string; env: () => Record<string, string> }> = [{ name: 'postgres', env: () => ({}) }];
if (redisUrl) {
  stores.push({
    name: 'redis',
    env: () => ({ REDIS_URL: redisUrl, CACHE_KEY_PREFIX: `lms-test-lockout-${randomBytes(4).toString('hex')}` }),
  });
}

beforeAll(() => Logger.overrideLogger(false));

describe.each(stores)('LockoutService ($name store)', ({ name, env }) => {
  let db: TestDatabase;
  let clock: ManualClock;
  let a: Process;
  let b: Process;

  beforeAll(async () => {
    db = await createTestDatabase();
    clock = new ManualClock();
    const shared = env();
    [a, b] = await Promise.all([startProcess(db, shared, clock), startProcess(db, shared, clock)]);
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  it('a burst of 20 logins (19 wrong, then the right one) over two processes checks at most 5 passwords', async () => {
    const email = account();
    const ip = address();
    const burst = gatedBurst();
    const wrong = Array.from({ length: 19 }, (_, i) => login(i % 2 ? a.lockout : b.lockout, email, ip, false, burst));
    await burst.whenDecided(19);
    // The right password arrives while the reserved attempts are still being checked.
    const right = login(a.lockout, email, ip, true, burst);
    await burst.whenDecided(20);
    burst.openGate();
    const results = await Promise.all(wrong);

    expect(burst.checks).toBe(LIMIT);
    expect(await right).toBe('locked');
    expect(results.filter((r) => r === 'failed')).toHaveLength(LIMIT);
    expect(results.filter((r) => r === 'locked')).toHaveLength(19 - LIMIT);
    expect(await a.lockout.isLocked(email, address())).toBe(true); // the account, from anywhere
    expect(await b.lockout.isLocked(account(), ip)).toBe(true); // the IP, for any account
  });

  it('a concurrent burst against many accounts from one IP checks at most 5 passwords', async () => {
    const ip = address();
    const burst = gatedBurst();
    const all = Promise.all(
      Array.from({ length: 20 }, (_, i) => login(i % 2 ? a.lockout : b.lockout, account(), ip, false, burst)),
    );
    await burst.whenDecided(20);
    burst.openGate();
    const results = await all;
    expect(burst.checks).toBe(LIMIT);
    expect(results.filter((r) => r === 'locked')).toHaveLength(20 - LIMIT);
    expect(await a.lockout.isLocked(account(), ip)).toBe(true);
    expect(await a.lockout.isLocked(account(), address())).toBe(false);
  });

  it('a success clears the failures but keeps the reservations of attempts still being checked', async () => {
    const email = account();
    const ip = address();
    for (let i = 0; i < 3; i++) await (await a.lockout.reserve(email, ip)).fail();
    const right = await a.lockout.reserve(email, ip); // 3 failures + 1 pending
    const inFlight = await b.lockout.reserve(email, ip); // + 1 pending = the limit
    await expect(a.lockout.reserve(email, ip)).rejects.toMatchObject({ code: 'account_locked' });
    await right.succeed(); // failures cleared; the other attempt still holds its slot
    await right.release(); // no-op once settled
    const more = await Promise.all(Array.from({ length: LIMIT - 1 }, () => b.lockout.reserve(email, ip)));
    await expect(a.lockout.reserve(email, ip)).rejects.toMatchObject({ code: 'account_locked' });
    await inFlight.fail();
    for (const attempt of more) await attempt.release(); // errors, no verdict: given back
    // 1 failure now: four more attempts, then locked.
    for (let i = 0; i < LIMIT - 1; i++) await (await b.lockout.reserve(email, ip)).fail();
    await expect(a.lockout.reserve(email, ip)).rejects.toMatchObject({ code: 'account_locked' });
  });

  it('counts per normalized email across IPs, and a success resets', async () => {
    const email = account();
    for (let i = 0; i < LIMIT - 1; i++) await (await a.lockout.reserve(email.toUpperCase(), address())).fail();
    expect(await a.lockout.isLocked(` ${email} `, address())).toBe(false);
    await (await b.lockout.reserve(email, address())).succeed();
    for (let i = 0; i < LIMIT - 1; i++) await (await a.lockout.reserve(email, address())).fail();
    expect(await b.lockout.isLocked(email, address())).toBe(false);
    await (await a.lockout.reserve(email, address())).fail();
    expect(await b.lockout.isLocked(email, address())).toBe(true);
  });

  if (name === 'postgres') {
    it('ends the lock ACCOUNT_LOCKOUT_DURATION_SECONDS after the last failure; refused attempts do not extend it', async () => {
      const email = account();
      const ip = address();
      for (let i = 0; i < LIMIT; i++) await (await a.lockout.reserve(email, ip)).fail();
      clock.advance((WINDOW_SECONDS - 1) * 1000);
      await expect(b.lockout.reserve(email, ip)).rejects.toMatchObject({ code: 'account_locked' });
      clock.advance(2000);
      const attempt = await b.lockout.reserve(email, ip);
      await attempt.fail(); // a new window with one failure
      expect(await a.lockout.isLocked(email, ip)).toBe(false);
      const [row] = await db.query<{ failures: number; pending: number }>(
        'SELECT failures, pending FROM login_attempt_counters WHERE key = $1',
        [`user:${email}`],
      );
      expect(row).toEqual({ failures: 1, pending: 0 });
    });

    it('deletes expired counters as it goes', async () => {
      const stale = account();
      await (await a.lockout.reserve(stale, address())).fail();
      clock.advance((WINDOW_SECONDS + 1) * 1000);
      await (await a.lockout.reserve(account(), address())).release();
      expect(await db.query('SELECT 1 FROM login_attempt_counters WHERE key = $1', [`user:${stale}`])).toEqual([]);
    });
  }
});

describe('LockoutService with Redis unreachable', () => {
  let db: TestDatabase;
  let p: Process;
  beforeAll(async () => {
    db = await createTestDatabase();
    // Each reservation waits for Redis to fail first: a limit of 2 keeps this short.
    p = await startProcess(db, { REDIS_URL: 'redis://127.0.0.1:1', MAX_FAILED_LOGIN_ATTEMPTS: '2' }, new ManualClock());
  });
  afterAll(async () => {
    await p?.close();
    await db?.drop();
  });

  it('falls back to the PostgreSQL counters', async () => {
    const email = account();
    const ip = address();
    for (let i = 0; i < 2; i++) await (await p.lockout.reserve(email, ip)).fail();
    await expect(p.lockout.reserve(email, ip)).rejects.toMatchObject({ code: 'account_locked' });
    const rows = await db.query<{ key: string; failures: number }>(
      'SELECT key, failures FROM login_attempt_counters ORDER BY key',
    );
    expect(rows).toEqual([
      { key: `ip:${ip}`, failures: 2 },
      { key: `user:${email}`, failures: 2 },
    ]);
  });
});
