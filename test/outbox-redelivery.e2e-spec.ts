import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { JobProducer, OutboxRelay, OutboxService, routeEvent, type QueueName } from '#core';
import {
  createTestApp,
  freePort,
  startTestSmtpServer,
  testRedisUrl,
  type TestApp,
  type TestSmtpServer,
} from '#testing';
import { uniqueSubject, until } from './queue-test-utils.js';

/** The queues the test's events are routed to (paused while the broker "loses" their jobs). */
const QUEUES: QueueName[] = ['emails', 'certificates', 'webhooks'];
const EMAILS = 10;
/** enrollment.completed → certificates/issue-certificate + webhooks/fan-out: two handlers per event. */
const COMPLETIONS = 3;

/** A redis-server of the test's own on a free port, without persistence: a restart or FLUSHDB loses everything. */
interface PrivateRedis {
  url: string;
  flush(): Promise<void>;
  stop(): Promise<void>;
}

async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await until(
    'the private redis-server',
    async () => {
      try {
        if (client.status !== 'ready') await client.connect();
        return (await client.ping()) === 'PONG';
      } catch {
        client.disconnect();
        return false;
      }
    },
    10_000,
    100,
  );
  return {
    url,
    flush: async () => {
      await client.flushdb();
    },
    stop: async () => {
      client.disconnect();
      if (child.exitCode === null && child.pid !== undefined) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(child.pid, 'SIGTERM');
        await exited;
      }
    },
  };
}

interface Backend {
  name: string;
  /** Starts what the backend needs; returns the app's env and the way to lose the broker's jobs. */
  setUp(): Promise<{ env: Record<string, string>; wipe(producer: JobProducer): Promise<void>; stop(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'PostgreSQL queue backend (jobs obliterated)',
    setUp: async () => ({
      env: {},
      wipe: async (producer) => {
        for (const q of QUEUES) await producer.queue(q).obliterate({ force: true });
      },
      stop: async () => undefined,
    }),
  },
  ...(testRedisUrl()
    ? [
        {
          name: 'Redis (a private redis-server, FLUSHDB)',
          setUp: async () => {
            const redis = await startPrivateRedis();
            return { env: { REDIS_URL: redis.url }, wipe: () => redis.flush(), stop: () => redis.stop() };
          },
        },
      ]
    : []),
];

describe.each(backends)('outbox delivery end to end on $name', (backend) => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let producer: JobProducer;
  let wipe: (producer: JobProducer) => Promise<void>;
  let stopBackend: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    const set = await backend.setUp();
    wipe = set.wipe;
    stopBackend = set.stop;
    t = await createTestApp({
      workers: true,
      env: { ...set.env, ...smtp.env, EMAIL_FROM: 'lms@example.org', OUTBOX_REDELIVER_AFTER_SECONDS: '1' },
    });
    producer = t.app.get(JobProducer);
  });

  afterAll(async () => {
    await t?.close();
    await stopBackend();
    await smtp?.close();
  });

  const received = (subject: string) => smtp.messages.filter((m) => m.raw.includes(subject));
  const processedCount = async (ids: string[]): Promise<number> =>
    Number(
      (await t.db.query<{ n: string }>('SELECT count(*) AS n FROM processed_events WHERE event_id = ANY($1)', [ids]))[0]
        .n,
    );

  it('handles every published event exactly once per handler after the broker lost its jobs', async () => {
    for (const q of QUEUES) await producer.queue(q).pause();
    const subjects = Array.from({ length: EMAILS }, (_, i) => uniqueSubject(`Registered #${i}`));
    const outbox = t.app.get(OutboxService);
    const { emailIds, completionIds } = await t.app.get(DataSource).transaction(async (m) => {
      const emailIds: string[] = [];
      for (const subject of subjects)
        emailIds.push(await outbox.record(m, 'email.requested', { to: 'ada@example.com', subject, text: 'Welcome' }));
      const completionIds: string[] = [];
      for (let i = 0; i < COMPLETIONS; i++)
        completionIds.push(
          // No such enrollment: the certificate handler logs and completes; the fan-out has no endpoints.
          await outbox.record(m, 'enrollment.completed', {
            enrollment_id: randomUUID(),
            student_id: randomUUID(),
            course_id: randomUUID(),
            completed_at: new Date().toISOString(),
          }),
        );
      return { emailIds, completionIds };
    });
    const ids = [...emailIds, ...completionIds];
    const jobs = [
      ...emailIds.flatMap((id) => routeEvent(id, 'email.requested')),
      ...completionIds.flatMap((id) => routeEvent(id, 'enrollment.completed')),
    ];
    expect(jobs).toHaveLength(EMAILS + 2 * COMPLETIONS);

    // Acknowledged: published, and the broker holds every job (the queues are paused).
    await until('every event published', async () => {
      const rows = await t.db.query('SELECT 1 FROM outbox_events WHERE id = ANY($1) AND published_at IS NOT NULL', [
        ids,
      ]);
      return rows.length === ids.length;
    });
    for (const job of jobs) expect(await producer.queue(job.queue).getJob(job.jobId)).toBeDefined();
    expect(await processedCount(ids)).toBe(0);
    // Unprocessed but still held by the broker: a sweep leaves the jobs alone.
    const relay = t.app.get(OutboxRelay);
    expect((await relay.redeliverOnce(new Date(Date.now() + 1500))).reenqueued).toBe(0);

    // The broker loses its data (the relay is held meanwhile, so that the loss can be checked).
    await relay.stop();
    try {
      await wipe(producer);
      for (const job of jobs) expect(await producer.queue(job.queue).getJob(job.jobId)).toBeUndefined();
      for (const q of QUEUES) await producer.queue(q).resume();
    } finally {
      relay.onApplicationBootstrap();
    }

    // The relay re-enqueues with the same job ids; every handler runs once and records it.
    await until(
      'every handler to process every event',
      async () => (await processedCount(ids)) === jobs.length,
      30_000,
    );
    await until('every email', () => subjects.every((s) => received(s).length === 1), 10_000);
    await until('every event settled', async () => {
      const rows = await t.db.query('SELECT 1 FROM outbox_events WHERE id = ANY($1) AND redeliver_at IS NULL', [ids]);
      return rows.length === ids.length;
    });

    // Exactly once: a later sweep has nothing to re-enqueue, and no email arrives twice.
    const later = await relay.redeliverOnce(new Date(Date.now() + 3_600_000));
    expect(later.reenqueued).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    for (const [i, subject] of subjects.entries()) {
      const [mail, ...more] = received(subject);
      expect(more).toHaveLength(0);
      // Item 7: the Message-ID names the event and the handler, the same for every delivery.
      expect(mail.raw).toMatch(
        new RegExp(`^Message-ID:\\s+<${emailIds[i]}\\.emails\\.send-email@example\\.org>\\r?$`, 'mi'),
      );
    }
    const pairs = await t.db.query<{ event_id: string; handler: string }>(
      'SELECT event_id, handler FROM processed_events WHERE event_id = ANY($1) ORDER BY event_id, handler',
      [ids],
    );
    expect(pairs.map((p) => `${p.event_id}.${p.handler}`).sort()).toEqual(jobs.map((j) => j.jobId).sort());
  });

  it('skips a redelivered job whose event its handler already processed', async () => {
    const subject = uniqueSubject('Once only');
    const id = await t.app
      .get(DataSource)
      .transaction((m) =>
        t.app.get(OutboxService).record(m, 'email.requested', { to: 'grace@example.com', subject, text: 'Hi' }),
      );
    const [job] = routeEvent(id, 'email.requested');
    await until('the email', () => received(subject).length === 1);
    await until('the processed row', async () => (await processedCount([id])) === 1);
    const first = await until('the completed job', async () => {
      const j = await producer.queue('emails').getJob(job.jobId);
      return j?.finishedOn ? j : undefined;
    });
    await first.remove(); // as if the broker forgot it: the same job id can be added again
    await producer.enqueueUnchecked('emails', 'send-email', first.data, { jobId: job.jobId });
    const again = await until('the re-added job to complete', async () => {
      const j = await producer.queue('emails').getJob(job.jobId);
      return j?.finishedOn ? j : undefined;
    });
    expect(again.returnvalue).toEqual({ skipped: 'already processed' });
    expect(received(subject)).toHaveLength(1);
  });
});
