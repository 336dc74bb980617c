import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import pg from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { DATABASE_URL } from '../database/database.module.js';
import { recordDomainEvent } from '../observability/app-metrics.js';
import { JobProducer } from '../queue/job.producer.js';
import { runSql } from '../database/sql.js';
import { OutboxEvent } from './outbox-event.entity.js';
import { routeEvent } from './outbox.routes.js';
import { OUTBOX_NOTIFY_CHANNEL } from './outbox.service.js';
import { outboxHandlerName } from './processed-events.js';

const MAX_BACKOFF_MS = 30_000;
/** Events published longer ago than this are no longer re-enqueued (logged as an error instead). */
export const OUTBOX_REDELIVER_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;
/** processed_events rows are kept this long (longer than the redelivery window), then swept. */
export const PROCESSED_EVENTS_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
const RETENTION_BATCH = 1000;

export interface RedeliverResult {
  /** Events whose redelivery check was due. */
  checked: number;
  /** Jobs the broker no longer held, added again (same job id: a job it still holds is never duplicated). */
  reenqueued: number;
  /** Events now known to be processed by every routed job. */
  settled: number;
  /** Events past OUTBOX_REDELIVER_MAX_AGE_MS still missing a job: no longer re-enqueued. */
  abandoned: number;
  /** An enqueue failed (broker down): the rest waits for the next sweep. */
  failed: boolean;
}

interface DueEvent {
  id: string;
  event_type: string;
  payload: unknown;
  expired: boolean;
}

export interface RelayResult {
  published: number;
  /** An enqueue failed (broker down): the rest of the batch waits for the next, backed-off, round. */
  failed: boolean;
}

interface PendingEvent {
  id: string;
  event_type: string;
  payload: unknown;
}

/**
 * Moves committed outbox events into queue jobs. Each round locks a batch of unpublished events
 * (FOR UPDATE SKIP LOCKED, so any number of relays can run), enqueues one job per route with the
 * deterministic id `<eventId>.<queue>.<jobName>` (BullMQ ignores an add whose id exists, so a
 * resend after a crash is a no-op) and marks the event published in the same transaction. If an
 * enqueue fails, the event stays unpublished with attempts/last_error updated and the relay backs
 * off exponentially. Polls every OUTBOX_POLL_INTERVAL_MS and wakes early on NOTIFY lms_outbox.
 *
 * Delivery is end to end, not "the broker accepted it": publishing sets redeliver_at (now +
 * OUTBOX_REDELIVER_AFTER_SECONDS), and a sweep (redeliverOnce) re-adds, with the same job ids, the
 * jobs of due events that have no processed_events row yet and that the broker no longer holds — a
 * broker that lost its data (restart without persistence, failover to a lagging replica, flush,
 * eviction) gets them again, while a job it still holds (even one that failed for good) is left alone. Events all of whose jobs are processed leave the sweep (NULL);
 * others are checked again after the same interval, for at most OUTBOX_REDELIVER_MAX_AGE_MS.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private wakeOnNotify = false;
  private listener?: pg.Client;
  private nextRedeliverAt = 0;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(JobProducer) private readonly producer: JobProducer,
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(DATABASE_URL) private readonly databaseUrl: string,
  ) {}

  onApplicationBootstrap(): void {
    this.running = true;
    void this.listen();
    this.loop = this.run();
  }

  /** Stops before the queues close (they close in onApplicationShutdown). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
  }

  /** One round: relays up to OUTBOX_BATCH_SIZE events. Public for tests and tooling. */
  relayOnce(): Promise<RelayResult> {
    return this.dataSource.transaction(async (manager) => {
      const events = (await manager.query(
        `SELECT id, event_type, payload FROM outbox_events
          WHERE published_at IS NULL ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.config.OUTBOX_BATCH_SIZE],
      )) as PendingEvent[];
      let published = 0;
      for (const event of events) {
        try {
          for (const job of routeEvent(event.id, event.event_type)) {
            await this.producer.enqueueUnchecked(job.queue, job.jobName, event.payload, { jobId: job.jobId });
          }
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          await manager.update(OutboxEvent, { id: event.id }, { attempts: () => 'attempts + 1', lastError: message });
          this.logger.warn(`outbox event ${event.id} (${event.event_type}) not relayed: ${message}`);
          return { published, failed: true };
        }
        await this.markPublished(manager, event.id);
        recordDomainEvent(event.event_type, event.payload);
        published += 1;
      }
      return { published, failed: false };
    });
  }

  /**
   * Separate step so tests can simulate a crash between the enqueue and the commit. A routed event
   * is due for its first redelivery check OUTBOX_REDELIVER_AFTER_SECONDS later.
   */
  async markPublished(manager: EntityManager, id: string, routed = true): Promise<void> {
    const after = this.config.OUTBOX_REDELIVER_AFTER_SECONDS;
    await manager.update(
      OutboxEvent,
      { id },
      { publishedAt: () => 'now()', redeliverAt: routed ? () => `now() + interval '${after} seconds'` : null },
    );
  }

  /**
   * One redelivery sweep: up to OUTBOX_BATCH_SIZE events whose check is due at `at` (default: the
   * database's now()), locked with SKIP LOCKED. Each routed job without a processed_events row that
   * the broker no longer holds is added again with its deterministic id; the event is then checked again after
   * OUTBOX_REDELIVER_AFTER_SECONDS, settled once every job is processed, or abandoned (error log)
   * when it was published more than OUTBOX_REDELIVER_MAX_AGE_MS ago. Also deletes processed_events
   * rows older than PROCESSED_EVENTS_RETENTION_MS (a bounded batch). Public for tests and tooling.
   */
  async redeliverOnce(at?: Date): Promise<RedeliverResult> {
    const result = await this.dataSource.transaction(async (manager) => {
      const { rows: due } = await runSql<DueEvent>(
        manager,
        `SELECT id, event_type, payload,
                published_at < COALESCE($1::timestamptz, now()) - $3 * interval '1 millisecond' AS expired
           FROM outbox_events
          WHERE redeliver_at <= COALESCE($1::timestamptz, now())
          ORDER BY redeliver_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [at ?? null, this.config.OUTBOX_BATCH_SIZE, OUTBOX_REDELIVER_MAX_AGE_MS],
      );
      const out: RedeliverResult = { checked: due.length, reenqueued: 0, settled: 0, abandoned: 0, failed: false };
      if (due.length === 0) return out;
      const { rows: done } = await runSql<{ event_id: string; handler: string }>(
        manager,
        'SELECT event_id, handler FROM processed_events WHERE event_id = ANY($1::uuid[])',
        [due.map((e) => e.id)],
      );
      const processed = new Set(done.map((d) => `${d.event_id}/${d.handler}`));
      const settled: string[] = [];
      const again: string[] = [];
      for (const event of due) {
        const missing = routeEvent(event.id, event.event_type).filter(
          (job) => !processed.has(`${event.id}/${outboxHandlerName(job.queue, job.jobName)}`),
        );
        if (missing.length === 0) {
          settled.push(event.id);
          continue;
        }
        if (event.expired) {
          this.logger.error(
            `outbox event ${event.id} (${event.event_type}) still not processed by ${missing.map((j) => `${j.queue}/${j.jobName}`).join(', ')} ` +
              `after ${OUTBOX_REDELIVER_MAX_AGE_MS / 3_600_000} h: no longer re-enqueued`,
          );
          settled.push(event.id);
          out.abandoned += 1;
          continue;
        }
        try {
          for (const job of missing) {
            // Still held (waiting, active, retrying, or failed for good and kept for inspection): not lost.
            if (await this.producer.hasJob(job.queue, job.jobId)) continue;
            await this.producer.enqueueUnchecked(job.queue, job.jobName, event.payload, { jobId: job.jobId });
            out.reenqueued += 1;
          }
        } catch (err) {
          this.logger.warn(
            `outbox event ${event.id} (${event.event_type}) not re-enqueued: ${err instanceof Error ? err.message : String(err)}`,
          );
          out.failed = true;
          break;
        }
        again.push(event.id);
      }
      if (settled.length > 0) {
        await runSql(manager, 'UPDATE outbox_events SET redeliver_at = NULL WHERE id = ANY($1::uuid[])', [settled]);
      }
      if (again.length > 0) {
        await runSql(
          manager,
          `UPDATE outbox_events SET redeliver_at = COALESCE($2::timestamptz, now()) + $3 * interval '1 second'
            WHERE id = ANY($1::uuid[])`,
          [again, at ?? null, this.config.OUTBOX_REDELIVER_AFTER_SECONDS],
        );
      }
      out.settled = settled.length - out.abandoned;
      return out;
    });
    if (result.reenqueued > 0) {
      this.logger.warn(
        `re-enqueued ${result.reenqueued} job(s) of published outbox events that the queue broker no longer held`,
      );
    }
    await runSql(
      this.dataSource.manager,
      `DELETE FROM processed_events WHERE (event_id, handler) IN (
         SELECT event_id, handler FROM processed_events
          WHERE processed_at < COALESCE($1::timestamptz, now()) - $2 * interval '1 millisecond' LIMIT $3)`,
      [at ?? null, PROCESSED_EVENTS_RETENTION_MS, RETENTION_BATCH],
    );
    return result;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let delay = this.config.OUTBOX_POLL_INTERVAL_MS;
      try {
        const result = await this.relayOnce();
        failures = result.failed ? failures + 1 : 0;
        if (!result.failed && result.published >= this.config.OUTBOX_BATCH_SIZE) delay = 0;
      } catch (err) {
        failures += 1;
        if (this.running)
          this.logger.error(`outbox relay round failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (failures === 0 && Date.now() >= this.nextRedeliverAt) await this.redeliverDue();
      if (failures > 0) delay = Math.min(MAX_BACKOFF_MS, this.config.OUTBOX_POLL_INTERVAL_MS * 2 ** failures);
      if (this.running && delay > 0) await this.sleep(delay, failures === 0);
    }
  }

  /**
   * Runs the redelivery sweep every quarter of OUTBOX_REDELIVER_AFTER_SECONDS (250 ms to 60 s), at
   * once again while it finds full batches.
   */
  private async redeliverDue(): Promise<void> {
    const interval = Math.min(60_000, Math.max(250, (this.config.OUTBOX_REDELIVER_AFTER_SECONDS * 1000) / 4));
    try {
      const result = await this.redeliverOnce();
      const full = !result.failed && result.checked >= this.config.OUTBOX_BATCH_SIZE;
      this.nextRedeliverAt = full ? 0 : Date.now() + interval;
    } catch (err) {
      this.nextRedeliverAt = Date.now() + interval;
      if (this.running)
        this.logger.error(`outbox redelivery sweep failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Waits `ms`; a NOTIFY cuts the wait short unless the relay is backing off after failures. */
  private sleep(ms: number, wakeOnNotify: boolean): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
      this.wakeOnNotify = wakeOnNotify;
    });
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: 'lms-outbox-listen' });
    client.on('error', () => undefined); // polling continues without notifications
    client.on('notification', () => {
      if (this.wakeOnNotify) this.wake?.();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_NOTIFY_CHANNEL}`);
      if (this.running) this.listener = client;
      else await client.end();
    } catch (err) {
      this.logger.warn(`outbox LISTEN unavailable, polling only: ${err instanceof Error ? err.message : String(err)}`);
      await client.end().catch(() => undefined);
    }
  }
}
