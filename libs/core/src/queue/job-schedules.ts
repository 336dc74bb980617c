import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { JobsOptions } from 'bullmq';
import { AppConfig } from '../config/app-config.js';
import { JobProducer } from './job.producer.js';
import type { JobName, JobPayload, QueueName } from './queue.definitions.js';

/** A repeating job: BullMQ job scheduler `id` on `queue`, adding job `name` every `everyMs`. */
export interface JobSchedule<Q extends QueueName = QueueName, N extends JobName<Q> = JobName<Q>> {
  queue: Q;
  id: string;
  everyMs: number;
  name: N;
  data: JobPayload<Q, N>;
  opts?: JobsOptions;
}

/**
 * The job schedulers of this process, asserted (upserted: idempotent across replicas) when
 * registered, again every JOB_SCHEDULER_REASSERT_SECONDS, and whenever a queue's Redis connection
 * is ready again: a broker that lost its data (restarted without persistence, flushed, failed over)
 * gets them back without a restart. A broker that is down does not block start-up; the next
 * assertion brings the schedule back.
 */
@Injectable()
export class JobSchedules implements OnApplicationShutdown {
  private readonly logger = new Logger(JobSchedules.name);
  private readonly schedules = new Map<string, JobSchedule>();
  private readonly watched = new Set<QueueName>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(JobProducer) private readonly producer: JobProducer,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  /** Keeps `schedule` asserted from now on (call from onApplicationBootstrap of the owning handler). */
  register<Q extends QueueName, N extends JobName<Q>>(schedule: JobSchedule<Q, N>): void {
    this.schedules.set(`${schedule.queue}:${schedule.id}`, schedule as unknown as JobSchedule);
    void this.assert(schedule as unknown as JobSchedule);
    this.watchReconnects(schedule.queue);
    if (!this.timer) {
      this.timer = setInterval(() => void this.assertAll(), this.config.JOB_SCHEDULER_REASSERT_SECONDS * 1000);
      this.timer.unref();
    }
  }

  /** Upserts every registered scheduler (what the timer and reconnects do). */
  async assertAll(): Promise<void> {
    await Promise.all([...this.schedules.values()].map((s) => this.assert(s)));
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async assert(s: JobSchedule): Promise<void> {
    try {
      await this.producer.queue(s.queue).upsertJobScheduler(
        s.id,
        { every: s.everyMs },
        {
          name: s.name,
          data: s.data,
          opts: s.opts,
        },
      );
    } catch (err) {
      this.logger.warn(
        `could not assert job scheduler ${s.queue}/${s.id}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  /** Redis backend: re-assert this queue's schedulers each time its connection is ready again. */
  private watchReconnects(queue: QueueName): void {
    if (this.watched.has(queue) || this.config.queueBackend !== 'redis') return;
    this.watched.add(queue);
    // The Redis backend owns an ioredis connection (BullMQ 6: backend.connection.client).
    const connection = (this.producer.queue(queue).backend as { connection?: { client?: Promise<unknown> } })
      .connection;
    if (!connection?.client) return;
    connection.client
      .then((client) => {
        (client as { on(event: 'ready', listener: () => void): unknown }).on('ready', () => {
          for (const s of this.schedules.values()) if (s.queue === queue) void this.assert(s);
        });
      })
      .catch(() => undefined);
  }
}
