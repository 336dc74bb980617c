import { jest } from '@jest/globals';
import pg from 'pg';
import { ReadinessService } from '#core';
import { createTestApp, requireTestEnv, TEST_ENV, type TestApp } from '#testing';

/** Runs SQL as the server's superuser (the app's own database may refuse connections). */
async function asAdmin(sql: string, params: unknown[] = []): Promise<void> {
  const client = new pg.Client({ connectionString: requireTestEnv(TEST_ENV.adminUrl) });
  await client.connect();
  try {
    await client.query(sql, params);
  } finally {
    await client.end();
  }
}

describe('health and readiness', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ workers: false });
  });
  afterAll(async () => {
    await t?.close();
  });
  afterEach(() => jest.restoreAllMocks());

  it('GET /api/v1/health is 200 {"status":"ok"}', async () => {
    const res = await t.request('/api/v1/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('GET /api/v1/ready is 200 with every dependency up', async () => {
    const res = await t.request('/api/v1/ready');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', database: 'up', queue: 'up', redis: 'not_configured' });
  });

  it('GET /api/v1/ready is 503 "degraded" with queue "down" when the queue backend does not answer', async () => {
    const readiness = t.app.get(ReadinessService);
    jest.spyOn(readiness, 'pingQueue').mockRejectedValue(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    const res = await t.request('/api/v1/ready');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'degraded', database: 'up', queue: 'down', redis: 'not_configured' });
  });

  it('GET /api/v1/ready is 503 "degraded" with database "down" while PostgreSQL refuses connections', async () => {
    const name = t.db.name;
    await asAdmin(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
    try {
      await asAdmin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
      const res = await t.request('/api/v1/ready');
      expect(res.status).toBe(503);
      // The queue runs on PostgreSQL here (no REDIS_URL), so it is down with the database.
      expect(await res.json()).toEqual({
        status: 'degraded',
        database: 'down',
        queue: 'down',
        redis: 'not_configured',
      });
      // Liveness does not depend on the database.
      expect((await t.request('/api/v1/health')).status).toBe(200);
    } finally {
      await asAdmin(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`);
    }
    // Ready again once the database accepts connections.
    const res = await t.request('/api/v1/ready');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', database: 'up' });
  });
});
