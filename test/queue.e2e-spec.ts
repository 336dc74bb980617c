import { jest } from '@jest/globals';
import { register } from 'prom-client';
import { EmailTransport } from '#notifications';
import { JobProducer, type AppConfig } from '#core';
import { createTestApp, createTestDatabase, createTestWorker, type TestApp, type TestDatabase } from '#testing';
import { startWorkerHttpServer } from '../apps/worker/src/worker-http.js';
import { mailFiles, queueBackends, uniqueSubject, until } from './queue-test-utils.js';

type Worker = Awaited<ReturnType<typeof createTestWorker>>;

describe.each(queueBackends())('queues on $name', ({ env }) => {
  let db: TestDatabase;
  let api: TestApp;
  let worker: Worker;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await createTestApp({ workers: false, db, env });
    worker = await createTestWorker(db, env);
  });

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await db?.drop();
  });

  it('processes in the worker app a job the API enqueued', async () => {
    const producer = api.app.get(JobProducer);
    await producer.ping();
    const subject = uniqueSubject('Welcome');
    const id = await producer.enqueue('emails', 'send-email', { to: 'ada@example.com', subject, text: 'Hello Ada' });

    const file = await until('the worker to write the .eml', async () =>
      (await mailFiles(worker.config)).find((f) => f.content.includes(subject)),
    );
    expect(file.content).toContain('To: ada@example.com');
    expect(file.content).toContain('Hello Ada');
    // The API runs no processors (workers: false): nothing was delivered there.
    expect(await mailFiles(api.config)).toEqual([]);
    const job = await until('the job to complete', async () => {
      const j = await producer.queue('emails').getJob(id);
      return j && (await j.getState()) === 'completed' ? j : undefined;
    });
    expect(job.attemptsMade).toBeLessThanOrEqual(1);
    expect(job.opts.attempts).toBe(api.config.JOB_ATTEMPTS);
    expect(job.opts.backoff).toEqual({ type: 'exponential', delay: api.config.JOB_BACKOFF_MS });
  });

  it('ignores a second add with the same job id', async () => {
    const producer = api.app.get(JobProducer);
    const subject = uniqueSubject('Dedup');
    const payload = { to: 'bob@example.com', subject, text: 'once' };
    const jobId = 'dedup-test.emails.send-email';
    await producer.enqueue('emails', 'send-email', payload, { jobId });
    await until('the first delivery', async () =>
      (await mailFiles(worker.config)).some((f) => f.content.includes(subject)),
    );
    await until('the job to complete', async () => (await producer.queue('emails').getJob(jobId))?.finishedOn);
    await producer.enqueue('emails', 'send-email', payload, { jobId });
    // A barrier job enqueued after the duplicate: once it is done, the duplicate would have run too.
    const barrier = uniqueSubject('Barrier');
    await producer.enqueue('emails', 'send-email', { to: 'bob@example.com', subject: barrier, text: '.' });
    await until('the barrier', async () => (await mailFiles(worker.config)).some((f) => f.content.includes(barrier)));
    expect((await mailFiles(worker.config)).filter((f) => f.content.includes(subject))).toHaveLength(1);
  });

  it('rejects unknown job names and wrong payloads at compile time', () => {
    const producer = api.app.get(JobProducer);
    const check = (): void => {
      // @ts-expect-error unknown job name on "emails"
      void producer.enqueue('emails', 'send-sms', { to: 'x', subject: 'y', text: 'z' });
      // @ts-expect-error payload lacks "text"
      void producer.enqueue('emails', 'send-email', { to: 'x', subject: 'y' });
    };
    expect(typeof check).toBe('function');
  });

  it('serves /health and /metrics (job duration, queue depth) on the worker HTTP port', async () => {
    const http = await startWorkerHttpServer(0, '127.0.0.1');
    try {
      const health = await fetch(`http://127.0.0.1:${http.port}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      const res = await fetch(`http://127.0.0.1:${http.port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(register.contentType);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const metrics = await res.text();
      expect(metrics).toMatch(/lms_job_duration_seconds_count\{[^}]*queue="emails",job_name="send-email"[^}]*\} [1-9]/);
      expect(metrics).toMatch(/lms_queue_jobs\{queue="emails",state="failed"\} 0/);
      expect(metrics).toMatch(/lms_queue_jobs\{queue="webhooks",state="waiting"\} 0/);
      expect((await fetch(`http://127.0.0.1:${http.port}/nope`)).status).toBe(404);
    } finally {
      await http.close();
    }
  });

  it('drains the active job before the worker app closes', async () => {
    // A second worker whose send takes ~500 ms; the first one stops consuming first.
    await worker.close();
    const slow = await createTestWorker(db, env);
    worker = slow;
    let finishedAt = 0;
    const transport = slow.app.get(EmailTransport);
    const send = transport.send.bind(transport);
    jest.spyOn(transport, 'send').mockImplementation(async (message) => {
      await new Promise((r) => setTimeout(r, 500));
      const delivery = await send(message);
      finishedAt = Date.now();
      return delivery;
    });
    const producer = api.app.get(JobProducer);
    const id = await producer.enqueue('emails', 'send-email', { to: 'c@example.com', subject: 'slow', text: '.' });
    await until('the job to be active', async () => (await producer.queue('emails').getJob(id))?.processedOn);

    await slow.close();
    const closedAt = Date.now();
    expect(finishedAt).toBeGreaterThan(0);
    expect(closedAt).toBeGreaterThanOrEqual(finishedAt);
    const job = await producer.queue('emails').getJob(id);
    expect(await job?.getState()).toBe('completed');
    worker = await createTestWorker(db, env);
  });
});

export type { AppConfig };

describe('queue backend outage', () => {
  it('JobProducer.ping() rejects when Redis is unreachable', async () => {
    const t = await createTestApp({ workers: false, env: { REDIS_URL: 'redis://127.0.0.1:1' } });
    try {
      await expect(t.app.get(JobProducer).ping()).rejects.toThrow();
    } finally {
      await t.close();
    }
  });
});
