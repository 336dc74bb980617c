import { register } from 'prom-client';
import type { DataSource } from 'typeorm';
import { loadConfig } from '../config/load-config.js';
import { recordDomainEvent, recordLogin, recordMfaChallenge, registerAppMetrics } from './app-metrics.js';
import { DatabaseMetrics, OUTBOX_BACKLOG_SQL } from './database-metrics.js';

/** The value of one sample of the default registry (undefined when the series does not exist). */
async function sample(series: string): Promise<number | undefined> {
  const text = await register.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('business and security counters', () => {
  beforeAll(() => registerAppMetrics());

  it('starts every series at 0', async () => {
    expect(await sample('lms_auth_logins_total{outcome="success"}')).toBe(0);
    expect(await sample('lms_auth_logins_total{outcome="locked"}')).toBe(0);
    expect(await sample('lms_auth_mfa_challenges_total{outcome="failed"}')).toBe(0);
    expect(await sample('lms_domain_events_total{event_type="enrollment.completed"}')).toBe(0);
    expect(await sample('lms_domain_events_total{event_type="other"}')).toBe(0);
    expect(await sample('lms_quiz_attempts_graded_total{result="failed"}')).toBe(0);
  });

  it('counts logins and MFA challenges by outcome', async () => {
    recordLogin('failure');
    recordLogin('failure');
    recordMfaChallenge('issued');
    expect(await sample('lms_auth_logins_total{outcome="failure"}')).toBe(2);
    expect(await sample('lms_auth_mfa_challenges_total{outcome="issued"}')).toBe(1);
    // registerAppMetrics again (another app in the same process) keeps the counts.
    registerAppMetrics();
    expect(await sample('lms_auth_logins_total{outcome="failure"}')).toBe(2);
  });

  it('counts domain events by type (unknown ones as "other") and graded quiz results', async () => {
    recordDomainEvent('enrollment.created', { enrollment_id: 'e1' });
    recordDomainEvent('email.requested', { to: 'a@example.com' });
    recordDomainEvent('quiz.submitted', { is_passed: true });
    recordDomainEvent('quiz.submitted', { is_passed: null }); // awaiting manual grading
    recordDomainEvent('quiz.graded', { is_passed: false });
    expect(await sample('lms_domain_events_total{event_type="enrollment.created"}')).toBe(1);
    expect(await sample('lms_domain_events_total{event_type="other"}')).toBe(1);
    expect(await sample('lms_domain_events_total{event_type="quiz.submitted"}')).toBe(2);
    expect(await sample('lms_quiz_attempts_graded_total{result="passed"}')).toBe(1);
    expect(await sample('lms_quiz_attempts_graded_total{result="failed"}')).toBe(1);
    expect((await register.metrics()).includes('email.requested')).toBe(false);
  });
});

describe('DatabaseMetrics', () => {
  const config = loadConfig({ ENVIRONMENT: 'test', DB_POOL_SIZE: '7' });
  let queries = 0;
  let backlog = { pending: 3, oldest_age_seconds: 42.5 };
  const dataSource = {
    isInitialized: true,
    driver: { master: { totalCount: 4, idleCount: 3, waitingCount: 1 } },
    query: (sql: string) => {
      expect(sql).toBe(OUTBOX_BACKLOG_SQL);
      queries += 1;
      return Promise.resolve([backlog]);
    },
  } as unknown as DataSource;
  const metrics = new DatabaseMetrics(dataSource, config);

  beforeAll(() => metrics.onModuleInit());
  afterAll(() => metrics.onModuleDestroy());

  it('reports the pool and the outbox backlog at scrape time, one query for both gauges', async () => {
    const text = await register.metrics();
    expect(text).toContain('lms_db_pool_connections{state="total"} 4');
    expect(text).toContain('lms_db_pool_connections{state="idle"} 3');
    expect(text).toContain('lms_db_pool_connections{state="waiting"} 1');
    expect(text).toContain('lms_db_pool_max_connections 7');
    expect(text).toContain('lms_outbox_pending_events 3');
    expect(text).toContain('lms_outbox_oldest_pending_age_seconds 42.5');
    expect(queries).toBe(1);
  });

  it('shares a result between scrapes less than 5 s apart, then queries again', async () => {
    const before = queries;
    backlog = { pending: 0, oldest_age_seconds: 0 };
    await metrics.outboxBacklog();
    expect(queries).toBe(before);
    await expect(metrics.outboxBacklog(Date.now() + 6_000)).resolves.toEqual({ pending: 0, oldestAgeSeconds: 0 });
    expect(queries).toBe(before + 1);
  });

  it('keeps the values of the last scrape when the database cannot be reached', async () => {
    const failing = new DatabaseMetrics(
      { ...dataSource, query: () => Promise.reject(new Error('connection refused')) } as unknown as DataSource,
      config,
    );
    metrics.onModuleDestroy();
    failing.onModuleInit();
    try {
      await expect(register.metrics()).resolves.toContain('lms_outbox_pending_events 3');
    } finally {
      failing.onModuleDestroy();
      metrics.onModuleInit();
    }
  });
});
