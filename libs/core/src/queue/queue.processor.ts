import { Inject, Injectable, Logger, type OnApplicationBootstrap, type Type } from '@nestjs/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { AppConfig } from '../config/app-config.js';
import { reportError } from '../observability/error-reporter.js';
import { outboxJobRef, ProcessedEvents } from '../outbox/processed-events.js';
import { JobHandlerRegistry } from './job-handler.registry.js';
import { jobDuration, jobFailures } from './queue.metrics.js';
import type { QueueName } from './queue.definitions.js';

/**
 * Builds the one @nestjs/bullmq processor of `queue`: it dispatches each job by name to its
 * @JobHandler and records duration/failure metrics. Its worker is created paused (autorun false)
 * and started in onApplicationBootstrap, i.e. only after the handler registry validated every job
 * name (onModuleInit); it is closed by @nestjs/bullmq on shutdown, which waits for active jobs.
 *
 * A job made from an outbox event (id `<eventId>.<queue>.<jobName>`) is skipped when
 * processed_events already records the pair (a redelivery: the relay re-enqueues what a broker may
 * have lost), and the pair is recorded when the handler succeeds (a no-op if the handler recorded it
 * in its own transaction with ProcessedEvents.claim).
 */
export function createQueueProcessor(
  queue: QueueName,
  workerOptions: { lockDuration?: number; stalledInterval?: number } = {},
): Type<WorkerHost> {
  @Processor(queue, { autorun: false, ...workerOptions })
  @Injectable()
  class QueueProcessor extends WorkerHost implements OnApplicationBootstrap {
    private readonly logger = new Logger(`QueueProcessor:${queue}`);

    constructor(
      @Inject(JobHandlerRegistry) private readonly registry: JobHandlerRegistry,
      @Inject(AppConfig) private readonly config: AppConfig,
      @Inject(ProcessedEvents) private readonly processed: ProcessedEvents,
    ) {
      super();
    }

    onApplicationBootstrap(): void {
      // Webhook deliveries mostly wait on remote servers: their queue runs many at once (bounded per endpoint).
      this.worker.concurrency =
        queue === 'webhooks' ? this.config.WEBHOOK_DELIVERY_CONCURRENCY : this.config.QUEUE_CONCURRENCY;
      this.worker.on('error', (err: Error) => this.logger.warn(`worker "${queue}" error: ${err.message}`));
      this.worker.run().catch((err: unknown) => this.logger.error(`worker for "${queue}" stopped: ${String(err)}`));
    }

    async process(job: Job): Promise<unknown> {
      const end = jobDuration.startTimer({ queue, job_name: job.name });
      const outboxJob = outboxJobRef(queue, job);
      try {
        if (outboxJob && (await this.processed.isProcessed(outboxJob))) {
          end({ status: 'skipped' });
          this.logger.log(`job ${queue}/${job.name} ${job.id ?? ''} skipped: its event was already processed`);
          return { skipped: 'already processed' };
        }
        const result = await this.registry.dispatch(queue, job);
        if (outboxJob) await this.processed.record(outboxJob);
        end({ status: 'completed' });
        return result;
      } catch (err) {
        end({ status: 'failed' });
        jobFailures.inc({ queue, job_name: job.name });
        this.logger.warn(
          `job ${queue}/${job.name} ${job.id ?? ''} failed (attempt ${job.attemptsMade + 1}): ${err instanceof Error ? err.message : String(err)}`,
        );
        // Only the final failure is an incident; earlier ones are retried with backoff.
        if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
          reportError(err, { route: `job ${queue}/${job.name}`, requestId: job.id });
        }
        throw err;
      }
    }
  }
  Object.defineProperty(QueueProcessor, 'name', {
    value: `${queue[0].toUpperCase()}${queue.slice(1)}QueueProcessor`,
  });
  return QueueProcessor;
}
