import { Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { BullModule } from '@nestjs/bullmq';
import { AppConfig } from '../config/app-config.js';
import { DATABASE_URL } from '../database/database.module.js';
import { QUEUE_HEALTH } from '../health/queue-health.js';
import { JobHandlerRegistry } from './job-handler.registry.js';
import { JobProducer } from './job.producer.js';
import { JobSchedules } from './job-schedules.js';
import { defaultJobOptions, LmsQueue, LmsWorker, queueConnection } from './queue.connection.js';
import { QUEUE_NAMES } from './queue.definitions.js';
import { createQueueProcessor } from './queue.processor.js';

/**
 * BullMQ queues (emails, progress, certificates, webhooks) on Redis or PostgreSQL, the typed
 * JobProducer, and — with `workers: true` — one processor per queue plus the handler registry
 * that refuses to start unless each job name has exactly one @JobHandler.
 */
@Module({})
export class QueueModule {
  /**
   * `config` sets the workers' lock duration and stalled-job check (JOB_LOCK_DURATION_MS,
   * JOB_STALLED_INTERVAL_MS): how soon the job of a worker that died is taken up by another.
   */
  static forRoot(opts: { workers: boolean; config?: AppConfig }): DynamicModule {
    const workerOptions = opts.config
      ? { lockDuration: opts.config.JOB_LOCK_DURATION_MS, stalledInterval: opts.config.JOB_STALLED_INTERVAL_MS }
      : {};
    // Backend-aware classes (see queue.connection.ts); must be set before registerQueue().
    BullModule.queueClass = LmsQueue;
    BullModule.workerClass = LmsWorker;
    return {
      module: QueueModule,
      global: true,
      imports: [
        DiscoveryModule,
        BullModule.forRootAsync({
          inject: [AppConfig, DATABASE_URL],
          useFactory: (config: AppConfig, databaseUrl: string) => ({
            ...queueConnection(config, databaseUrl),
            defaultJobOptions: defaultJobOptions(config),
          }),
        }),
        BullModule.registerQueue(...QUEUE_NAMES.map((name) => ({ name }))),
      ],
      providers: [
        JobProducer,
        // The readiness check pings the queue backend through this token.
        { provide: QUEUE_HEALTH, useExisting: JobProducer },
        ...(opts.workers
          ? [JobHandlerRegistry, JobSchedules, ...QUEUE_NAMES.map((q) => createQueueProcessor(q, workerOptions))]
          : []),
      ],
      exports: [JobProducer, QUEUE_HEALTH, ...(opts.workers ? [JobSchedules] : [])],
    };
  }
}
