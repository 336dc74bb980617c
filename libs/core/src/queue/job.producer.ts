import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { getQueueToken } from '@nestjs/bullmq';
import type { JobsOptions, Queue } from 'bullmq';
import { QUEUE_NAMES, type JobName, type JobPayload, type QueueName } from './queue.definitions.js';
import {
  addQueueDepthSource,
  QUEUE_DEPTH_STATES,
  removeQueueDepthSource,
  type QueueDepthSource,
  type QueueDepthState,
} from './queue.metrics.js';

/** A broker that does not answer within this time counts as down (ioredis would queue commands forever). */
export const QUEUE_OPERATION_TIMEOUT_MS = 3000;

export class QueueUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QueueUnavailableError';
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new QueueUnavailableError(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The one way to put jobs on the queues: names and payloads are type-checked against JobPayloads. */
@Injectable()
export class JobProducer implements QueueDepthSource, OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(JobProducer.name);
  private readonly queues: ReadonlyMap<QueueName, Queue>;

  constructor(
    @Inject(getQueueToken('emails')) emails: Queue,
    @Inject(getQueueToken('progress')) progress: Queue,
    @Inject(getQueueToken('certificates')) certificates: Queue,
    @Inject(getQueueToken('webhooks')) webhooks: Queue,
    @Inject(getQueueToken('files')) files: Queue,
  ) {
    const byName: Record<QueueName, Queue> = { emails, progress, certificates, webhooks, files };
    this.queues = new Map(QUEUE_NAMES.map((q) => [q, byName[q]]));
  }

  onModuleInit(): void {
    // Without a listener, a connection error (broker or database restart) is reported as "Unhandled error".
    for (const [name, q] of this.queues) {
      q.on('error', (err: Error) => this.logger.warn(`queue "${name}" connection error: ${err.message}`));
    }
  }

  onApplicationBootstrap(): void {
    addQueueDepthSource(this);
  }

  onApplicationShutdown(): void {
    removeQueueDepthSource(this);
  }

  /** Adds a job; resolves to its id. With `opts.jobId`, adding an id that exists is a no-op. */
  enqueue<Q extends QueueName, N extends JobName<Q>>(
    queue: Q,
    name: N,
    payload: JobPayload<Q, N>,
    opts?: JobsOptions,
  ): Promise<string> {
    return this.enqueueUnchecked(queue, name, payload, opts);
  }

  /** Untyped variant for payloads checked elsewhere (the outbox relay's stored events). */
  async enqueueUnchecked(queue: QueueName, name: string, payload: unknown, opts?: JobsOptions): Promise<string> {
    const job = await withTimeout(
      this.queue(queue).add(name, payload, opts),
      QUEUE_OPERATION_TIMEOUT_MS,
      `enqueue ${queue}/${name}`,
    );
    if (!job.id) throw new Error(`enqueue ${queue}/${name}: no job id returned`);
    return job.id;
  }

  /** Whether the broker holds job `jobId` of `queue` in any state (waiting, active, delayed, completed, failed, ...). */
  async hasJob(queue: QueueName, jobId: string): Promise<boolean> {
    const state = await withTimeout(
      this.queue(queue).getJobState(jobId),
      QUEUE_OPERATION_TIMEOUT_MS,
      `job state ${queue}/${jobId}`,
    );
    return state !== 'unknown';
  }

  /** Throws when the queue backend (Redis, or PostgreSQL in embedded mode) cannot be reached. */
  async ping(): Promise<void> {
    await withTimeout(this.queue('emails').getJobCounts('waiting'), QUEUE_OPERATION_TIMEOUT_MS, 'queue backend ping');
  }

  /** The underlying BullMQ queue (inspection and tests). */
  queue(name: QueueName): Queue {
    const q = this.queues.get(name);
    if (!q) throw new Error(`unknown queue "${name}"`);
    return q;
  }

  async depths(): Promise<Array<{ queue: string; counts: Record<QueueDepthState, number> }>> {
    return Promise.all(
      [...this.queues].map(async ([queue, q]) => {
        const raw = await withTimeout(q.getJobCounts(...QUEUE_DEPTH_STATES), QUEUE_OPERATION_TIMEOUT_MS, 'job counts');
        const counts = Object.fromEntries(QUEUE_DEPTH_STATES.map((s) => [s, raw[s] ?? 0])) as Record<
          QueueDepthState,
          number
        >;
        return { queue, counts };
      }),
    );
  }
}
