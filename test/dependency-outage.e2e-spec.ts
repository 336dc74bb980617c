// PostgreSQL connections terminated mid-request: every affected request is a 503 problem with
// Retry-After (not a 500), the outage is logged once (not once per request), and the API serves
// again as soon as the database answers.
import { Controller, Get, Module } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Public } from '#core';
import { captureLogLines, createTestApp, type TestApp } from '#testing';
import { until } from './queue-test-utils.js';

@Controller('test-outage')
class SlowQueryController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Get('sleep')
  @Public()
  async sleep(): Promise<{ ok: true }> {
    await this.dataSource.query('SELECT pg_sleep(10)');
    return { ok: true };
  }
}

@Module({ controllers: [SlowQueryController] })
class SlowQueryModule {}

describe('a database outage during requests', () => {
  let t: TestApp;
  const logs = captureLogLines();

  beforeAll(async () => {
    t = await createTestApp({
      workers: false,
      extraModules: [SlowQueryModule],
      env: { LOG_LEVEL: 'info' },
      logDestination: logs.stream,
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('terminated connections give 503 service_unavailable with Retry-After, one log line, and no 500', async () => {
    const requests = Array.from({ length: 5 }, () => t.request('/api/v1/test-outage/sleep'));
    await until('five queries running', async () => {
      const [row] = await t.db.query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND query = 'SELECT pg_sleep(10)'",
        [t.db.name],
      );
      return Number(row!.n) === 5;
    });
    await t.db.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND query = 'SELECT pg_sleep(10)'",
      [t.db.name],
    );
    const responses = await Promise.all(requests);
    for (const res of responses) {
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await res.json()).toMatchObject({ status: 503, code: 'service_unavailable' });
    }
    const lines = logs.lines();
    expect(lines.filter((l) => l.msg === 'dependency unavailable: answering 503 until it is back')).toHaveLength(1);
    expect(lines.filter((l) => l.msg === 'Unhandled error')).toHaveLength(0);
    // The pool replaced the dead connections: the API answers again.
    expect((await t.request('/api/v1/ready')).status).toBe(200);
  });
});
