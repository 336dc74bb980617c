import type { Job } from 'bullmq';
import type { JobName, JobPayload, QueueName } from './queue.definitions.js';

export const JOB_HANDLER_METADATA = 'lms:job-handler';

export interface JobHandlerMetadata {
  queue: QueueName;
  jobName: string;
}

/** What a handler method receives: the typed payload and the BullMQ job (id, attempts, ...). */
export type JobHandlerFn<Q extends QueueName, N extends JobName<Q>> = (
  payload: JobPayload<Q, N>,
  job: Job<JobPayload<Q, N>>,
) => Promise<unknown>;

/**
 * Marks a provider method as THE handler of one job. The provider must be registered only where
 * workers run (e.g. `workers ? [MyHandler] : []`); start-up fails unless every job name of
 * QUEUE_JOBS has exactly one handler.
 */
export function JobHandler<Q extends QueueName, N extends JobName<Q>>(
  queue: Q,
  jobName: N,
): <F extends JobHandlerFn<Q, N>>(
  target: object,
  key: string | symbol,
  descriptor: TypedPropertyDescriptor<F>,
) => void {
  return (_target, _key, descriptor) => {
    if (!descriptor.value) throw new Error(`@JobHandler('${queue}', '${jobName}') must decorate a method`);
    const meta: JobHandlerMetadata = { queue, jobName };
    Reflect.defineMetadata(JOB_HANDLER_METADATA, meta, descriptor.value);
  };
}
