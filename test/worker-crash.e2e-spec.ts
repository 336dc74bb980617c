// A worker process killed (SIGKILL) in the middle of a job: another worker finishes it, and nothing
// is done twice that must not be. Real worker processes, from a private build of the application,
// on this file's database; the successor runs in-process with a short job lock so that it takes the
// stalled job over within seconds (JOB_LOCK_DURATION_MS / JOB_STALLED_INTERVAL_MS).
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { JobProducer, OutboxService, dataPath } from '#core';
import {
  buildPrivateDist,
  createActor,
  createTestApp,
  createTestWorker,
  spawnWorkerProcess,
  type PrivateBuild,
  type TestApp,
  type WorkerProcess,
} from '#testing';
import { WebhookSecrets, generateWebhookSecret } from '#webhooks';
import { until } from './queue-test-utils.js';
import { WebhookReceiver } from './webhook-receiver.js';

const SHORT_LOCKS = { JOB_LOCK_DURATION_MS: '2000', JOB_STALLED_INTERVAL_MS: '1000' };

describe('a worker killed mid-job', () => {
  let t: TestApp;
  let build: PrivateBuild;
  let receiver: WebhookReceiver;
  let worker: WorkerProcess | undefined;

  const workerEnv = (): Record<string, string> => ({
    ENVIRONMENT: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: t.db.url,
    DATA_DIR: t.config.DATA_DIR,
    SECRET_KEY: t.config.SECRET_KEY!,
    FILE_STORAGE_PROVIDER: 'local',
    WORKER_HTTP_PORT: '0',
    OUTBOX_POLL_INTERVAL_MS: '50',
    JOB_BACKOFF_MS: '50',
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    WEBHOOK_TIMEOUT_SECONDS: '3',
    ...SHORT_LOCKS,
  });
  const successor = (): ReturnType<typeof createTestWorker> =>
    createTestWorker(t.db, {
      DATA_DIR: t.config.DATA_DIR,
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      WEBHOOK_TIMEOUT_SECONDS: '3',
      ...SHORT_LOCKS,
    });
  const jobState = async (queue: 'certificates' | 'webhooks', jobId: string): Promise<string | undefined> => {
    const job = await t.app.get(JobProducer).queue(queue).getJob(jobId);
    return job ? job.getState() : undefined;
  };

  beforeAll(async () => {
    build = buildPrivateDist();
    receiver = await new WebhookReceiver().start();
    // No in-process workers: the killed process and its successor are the only consumers.
    t = await createTestApp({ workers: false });
  }, 120_000);
  afterEach(async () => {
    await worker?.kill();
    worker = undefined;
  });
  afterAll(async () => {
    await receiver?.stop();
    await t?.close();
    build?.remove();
  });

  it('certificate issue: the killed worker left nothing; the successor issues exactly one certificate and PDF', async () => {
    const owner = await createActor(t, 'instructor', 'crash');
    const student = await createActor(t, 'student', 'crash');
    const [{ id: courseId }] = await t.db.query<{ id: string }>(
      `INSERT INTO courses (title, slug, instructor_id, is_published) VALUES ('Crash course', $1, $2, true) RETURNING id`,
      [`crash-${randomUUID()}`, owner.user.id],
    );
    const [{ id: enrollmentId }] = await t.db.query<{ id: string }>(
      `INSERT INTO enrollments (student_id, course_id, status, completed_at) VALUES ($1, $2, 'completed', now()) RETURNING id`,
      [student.user.id, courseId],
    );
    // Hold the enrollment row: the worker's issue blocks inside its transaction, mid-job.
    const holder = new pg.Client({ connectionString: t.db.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM enrollments WHERE id = $1 FOR UPDATE', [enrollmentId]);
      const eventId = await t.app.get(DataSource).transaction((m) =>
        t.app.get(OutboxService).record(m, 'enrollment.completed', {
          enrollment_id: enrollmentId,
          student_id: student.user.id,
          course_id: courseId,
          completed_at: new Date().toISOString(),
        }),
      );
      const jobId = `${eventId}.certificates.issue-certificate`;
      worker = spawnWorkerProcess(build, workerEnv());
      await until(
        'the job running in the worker process',
        async () => (await jobState('certificates', jobId)) === 'active',
        30_000,
      );
      await until('the worker waiting on the enrollment lock', async () => {
        const [row] = await t.db.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`,
          [t.db.name],
        );
        return Number(row!.n) > 0;
      });
      await worker.kill();
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
    expect(await t.db.query('SELECT 1 FROM certificates WHERE enrollment_id = $1', [enrollmentId])).toHaveLength(0);

    const next = await successor();
    try {
      await until(
        'the certificate',
        async () =>
          (await t.db.query('SELECT 1 FROM certificates WHERE enrollment_id = $1', [enrollmentId])).length > 0,
        30_000,
      );
    } finally {
      await next.close();
    }
    const rows = await t.db.query<{ certificate_number: string }>(
      'SELECT certificate_number FROM certificates WHERE enrollment_id = $1',
      [enrollmentId],
    );
    expect(rows).toHaveLength(1);
    const pdfs = readdirSync(dataPath(t.config, t.config.UPLOAD_DIR, t.config.CERTIFICATES_DIR));
    expect(pdfs).toEqual([`${rows[0]!.certificate_number}.pdf`]);
  }, 90_000);

  it('webhook delivery: the receiver gets the event again with the same webhook-id, one delivery row', async () => {
    receiver.on('/crash', { hang: true });
    const id = randomUUID();
    const secret = generateWebhookSecret();
    await t.db.query(
      `INSERT INTO webhook_endpoints (id, source, url, events, is_active, secret_sealed)
       VALUES ($1, 'managed', $2, '["course.published"]'::jsonb, true, $3)`,
      [id, receiver.url('/crash'), t.app.get(WebhookSecrets).seal(secret, id)],
    );
    worker = spawnWorkerProcess(build, workerEnv());
    const eventId = await t.app.get(DataSource).transaction((m) =>
      t.app.get(OutboxService).record(m, 'course.published', {
        course_id: randomUUID(),
        instructor_id: randomUUID(),
        published_at: new Date().toISOString(),
      }),
    );
    const [first] = await receiver.waitFor('/crash', 1, 30_000);
    await worker.kill(); // mid-request: the attempt was never recorded
    receiver.on('/crash', { status: 200 });

    const next = await successor();
    try {
      const [, second] = await receiver.waitFor('/crash', 2, 30_000);
      expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
      expect(second!.body).toBe(first!.body);
      await until('the delivery recorded', async () => {
        const [d] = await t.db.query<{ status: string }>('SELECT status FROM webhook_deliveries WHERE event_id = $1', [
          eventId,
        ]);
        return d?.status === 'succeeded';
      });
    } finally {
      await next.close();
    }
    expect(await t.db.query('SELECT 1 FROM webhook_deliveries WHERE event_id = $1', [eventId])).toHaveLength(1);
  }, 90_000);
});
