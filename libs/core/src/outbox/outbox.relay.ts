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
import { JobProducer } from '../queue/job.producer.js';
import { OutboxEvent } from './outbox-event.entity.js';
import { routeEvent } from './outbox.routes.js';
import { OUTBOX_NOTIFY_CHANNEL } from './outbox.service.js';

const MAX_BACKOFF_MS = 30_000;

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
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private wakeOnNotify = false;
  private listener?: pg.Client;

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
        published += 1;
      }
      return { published, failed: false };
    });
  }

  /** Separate step so tests can simulate a crash between the enqueue and the commit. */
  async markPublished(manager: EntityManager, id: string): Promise<void> {
    await manager.update(OutboxEvent, { id }, { publishedAt: () => 'now()' });
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
      if (failures > 0) delay = Math.min(MAX_BACKOFF_MS, this.config.OUTBOX_POLL_INTERVAL_MS * 2 ** failures);
      if (this.running && delay > 0) await this.sleep(delay, failures === 0);
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
