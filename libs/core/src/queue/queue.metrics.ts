import { counter, gauge, histogram } from '../observability/metrics.js';

export const QUEUE_DEPTH_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
export type QueueDepthState = (typeof QUEUE_DEPTH_STATES)[number];

/** Anything that can report per-queue job counts (the JobProducer of each running app). */
export interface QueueDepthSource {
  depths(): Promise<Array<{ queue: string; counts: Record<QueueDepthState, number> }>>;
}

const depthSources = new Set<QueueDepthSource>();

export function addQueueDepthSource(source: QueueDepthSource): void {
  depthSources.add(source);
}

export function removeQueueDepthSource(source: QueueDepthSource): void {
  depthSources.delete(source);
}

export const jobDuration = histogram({
  name: 'lms_job_duration_seconds',
  help: 'Time spent processing a queue job (every attempt), by queue and job name',
  labelNames: ['queue', 'job_name', 'status'] as const,
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
});

export const jobFailures = counter({
  name: 'lms_job_failures_total',
  help: 'Failed queue job attempts, by queue and job name',
  labelNames: ['queue', 'job_name'] as const,
});

/** Read at scrape time from the live queues of this process (registered by JobProducer). */
gauge({
  name: 'lms_queue_jobs',
  help: 'Jobs per queue and state (waiting, active, delayed, failed)',
  labelNames: ['queue', 'state'] as const,
  async collect() {
    for (const source of depthSources) {
      try {
        for (const { queue, counts } of await source.depths()) {
          for (const state of QUEUE_DEPTH_STATES) this.set({ queue, state }, counts[state]);
        }
      } catch {
        // Broker unreachable: keep the last values; readiness reports the outage.
      }
    }
  },
});
