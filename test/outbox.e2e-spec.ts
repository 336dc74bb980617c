import { jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { AppConfig, DATABASE_URL, JobProducer, OutboxRelay, OutboxService, QueueUnavailableError } from '#core';
import { EmailService } from '#notifications';
import { createTestApp, type TestApp } from '#testing';
import { mailFiles, queueBackends, uniqueSubject, until } from './queue-test-utils.js';

interface EventRow {
  id: string;
  published_at: Date | null;
  attempts: number;
  last_error: string | null;
}

describe.each(queueBackends())('transactional outbox on the $name queue backend', ({ env }) => {
  let t: TestApp;
  let relay: OutboxRelay;
  let producer: JobProducer;
  let emails: EmailService;

  beforeAll(async () => {
    // API with in-process workers: one relay, one processor per queue.
    t = await createTestApp({ workers: true, env });
    relay = t.app.get(OutboxRelay);
    producer = t.app.get(JobProducer);
    emails = t.app.get(EmailService);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  afterAll(async () => {
    await t?.close();
  });

  const event = async (id: string): Promise<EventRow> =>
    (
      await t.db.query<EventRow>('SELECT id, published_at, attempts, last_error FROM outbox_events WHERE id = $1', [id])
    )[0];
  const deliveries = async (subject: string): Promise<number> =>
    (await mailFiles(t.config)).filter((f) => f.content.includes(subject)).length;
  const jobsOf = async (eventId: string): Promise<string[]> =>
    (await producer.queue('emails').getJobs(['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized']))
      .map((j) => j.id ?? '')
      .filter((id) => id.startsWith(eventId));

  /** Records an event after `subject`'s and waits for its delivery: everything relayed before is done too. */
  async function barrier(): Promise<void> {
    const subject = uniqueSubject('Barrier');
    await emails.queue({ to: 'barrier@example.com', subject, text: '.' });
    await until('the barrier email', async () => (await deliveries(subject)) === 1);
  }

  it('turns a committed event into exactly one job, published once', async () => {
    const subject = uniqueSubject('Committed');
    const id = await t.app
      .get(DataSource)
      .transaction((m) =>
        t.app.get(OutboxService).record(m, 'email.requested', { to: 'a@example.com', subject, text: 'hi' }),
      );
    await until('the email', async () => (await deliveries(subject)) === 1);
    const row = await until('published_at', async () => ((await event(id)).published_at ? event(id) : undefined));
    expect(row.attempts).toBe(0);
    expect(await jobsOf(id)).toEqual([`${id}.emails.send-email`]);
  });

  it('never sends an event recorded in a rolled-back transaction', async () => {
    const subject = uniqueSubject('RolledBack');
    await expect(
      t.app.get(DataSource).transaction(async (m) => {
        await emails.queue({ to: 'b@example.com', subject, text: 'never' }, m);
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    await barrier();
    expect(await deliveries(subject)).toBe(0);
    expect(await t.db.query("SELECT 1 FROM outbox_events WHERE payload->>'subject' = $1", [subject])).toHaveLength(0);
  });

  it('re-sends with the same job id after a crash between enqueue and commit: one job, one delivery', async () => {
    const markPublished = jest.spyOn(relay, 'markPublished').mockRejectedValueOnce(new Error('process died'));
    const enqueue = jest.spyOn(producer, 'enqueueUnchecked');
    const subject = uniqueSubject('CrashAfterEnqueue');
    const id = await emails.queue({ to: 'c@example.com', subject, text: 'once' });

    await until('published_at', async () => (await event(id)).published_at);
    const sends = enqueue.mock.calls.filter(([, , , opts]) => opts?.jobId === `${id}.emails.send-email`);
    expect(sends.length).toBeGreaterThanOrEqual(2); // the "crashed" round enqueued, the next one re-sent
    expect(markPublished.mock.calls.filter(([, eventId]) => eventId === id).length).toBeGreaterThanOrEqual(2);
    await barrier();
    expect(await jobsOf(id)).toEqual([`${id}.emails.send-email`]);
    expect(await deliveries(subject)).toBe(1);
  });

  it('sends once, later, an event whose relay crashed before the enqueue (new relay instance)', async () => {
    await relay.stop(); // the relay process is gone before it enqueued anything
    const subject = uniqueSubject('CrashBeforeEnqueue');
    const id = await emails.queue({ to: 'd@example.com', subject, text: 'later' });
    await new Promise((r) => setTimeout(r, t.config.OUTBOX_POLL_INTERVAL_MS * 3));
    expect((await event(id)).published_at).toBeNull();
    expect(await jobsOf(id)).toEqual([]);

    const fresh = new OutboxRelay(t.app.get(DataSource), producer, t.app.get(AppConfig), t.app.get(DATABASE_URL));
    fresh.onApplicationBootstrap();
    try {
      await until('published_at', async () => (await event(id)).published_at);
      await until('the email', async () => (await deliveries(subject)) === 1);
      expect(await jobsOf(id)).toEqual([`${id}.emails.send-email`]);
    } finally {
      await fresh.stop();
      relay.onApplicationBootstrap(); // the app's relay runs again for the next tests
    }
  });

  it('keeps events during a broker outage (attempts, last_error) and delivers them after recovery', async () => {
    const enqueue = jest
      .spyOn(producer, 'enqueueUnchecked')
      .mockRejectedValue(new QueueUnavailableError('broker down (simulated)'));
    const subject = uniqueSubject('Outage');
    const id = await emails.queue({ to: 'e@example.com', subject, text: 'survives' });

    const failed = await until('two failed attempts', async () => {
      const row = await event(id);
      return row.attempts >= 2 ? row : undefined;
    });
    expect(failed.published_at).toBeNull();
    expect(failed.last_error).toContain('broker down');
    expect(await jobsOf(id)).toEqual([]);

    enqueue.mockRestore(); // broker back
    await until('the email after recovery', async () => (await deliveries(subject)) === 1);
    await until('published_at', async () => (await event(id)).published_at);
    expect(await jobsOf(id)).toEqual([`${id}.emails.send-email`]);
  });

  it('lets several relays run at once without double-publishing (SKIP LOCKED)', async () => {
    const second = new OutboxRelay(t.app.get(DataSource), producer, t.app.get(AppConfig), t.app.get(DATABASE_URL));
    const enqueue = jest.spyOn(producer, 'enqueueUnchecked');
    second.onApplicationBootstrap();
    try {
      const prefix = uniqueSubject('Parallel');
      const ids = await t.app.get(DataSource).transaction(async (m) => {
        const out: string[] = [];
        for (let i = 0; i < 20; i++)
          out.push(await emails.queue({ to: 'f@example.com', subject: `${prefix} #${i}`, text: '.' }, m));
        return out;
      });
      await until('all published', async () => {
        const rows = await t.db.query('SELECT 1 FROM outbox_events WHERE id = ANY($1) AND published_at IS NOT NULL', [
          ids,
        ]);
        return rows.length === ids.length;
      });
      const sentIds = enqueue.mock.calls.map(([, , , opts]) => opts?.jobId ?? '');
      for (const id of ids) expect(sentIds.filter((s) => s.startsWith(id))).toHaveLength(1);
      await until('all delivered', async () => (await deliveries(prefix)) === 20);
    } finally {
      await second.stop();
    }
  });
});
