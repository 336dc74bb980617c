/** What readiness needs from the queue backend: resolves when it is reachable, rejects otherwise. */
export interface QueueHealth {
  ping(): Promise<void>;
}

/**
 * Injection token for the queue backend's health probe. The queue module provides it
 * (`{ provide: QUEUE_HEALTH, useExisting: JobProducer }`, exported); readiness resolves it
 * optionally, so the app boots without it.
 */
export const QUEUE_HEALTH = Symbol('QUEUE_HEALTH');
