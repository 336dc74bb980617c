import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'bullmq';
import {
  JobHandler,
  JobSchedules,
  type ResumeWebhookDeliveriesPayload,
  type WebhookDeliverPayload,
  type WebhookFanOutPayload,
} from '#core';
import { WebhookDispatcher, type AttemptResult } from './webhook-dispatcher.js';

/** The BullMQ job scheduler id of the overdue-delivery sweep (every replica upserts the same one). */
export const RESUME_DELIVERIES_SCHEDULER_ID = 'resume-webhook-deliveries';
const RESUME_EVERY_MS = 60_000;

/**
 * The webhooks queue: fan-out (one per domain event, from the outbox; the event id is the first part
 * of its job id `<eventId>.webhooks.fan-out`), deliver (one attempt of one delivery) and the
 * scheduled resume-deliveries sweep.
 */
@Injectable()
export class WebhookJobsHandler implements OnApplicationBootstrap {
  private readonly logger = new Logger(WebhookJobsHandler.name);

  constructor(
    @Inject(WebhookDispatcher) private readonly dispatcher: WebhookDispatcher,
    @Inject(JobSchedules) private readonly schedules: JobSchedules,
  ) {}

  onApplicationBootstrap(): void {
    this.schedules.register({
      queue: 'webhooks',
      id: RESUME_DELIVERIES_SCHEDULER_ID,
      everyMs: RESUME_EVERY_MS,
      name: 'resume-deliveries',
      data: {} satisfies ResumeWebhookDeliveriesPayload,
      opts: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
    });
  }

  @JobHandler('webhooks', 'fan-out')
  async fanOut(_payload: WebhookFanOutPayload, job: Job): Promise<{ deliveries: number }> {
    const eventId = String(job.id ?? '').split('.')[0] ?? '';
    if (!/^[0-9a-f-]{36}$/i.test(eventId)) {
      this.logger.warn(`webhooks/fan-out job ${String(job.id)} does not name an outbox event; dropped`);
      return { deliveries: 0 };
    }
    return this.dispatcher.fanOut(eventId);
  }

  @JobHandler('webhooks', 'deliver')
  async deliver(payload: WebhookDeliverPayload): Promise<Omit<AttemptResult, 'outcome'> & { status?: number | null }> {
    const result = await this.dispatcher.attempt(payload.delivery_id, payload.endpoint_id);
    return { state: result.state, status: result.outcome?.status, retryInMs: result.retryInMs };
  }

  @JobHandler('webhooks', 'resume-deliveries')
  async resume(_payload: ResumeWebhookDeliveriesPayload): Promise<{ resumed: number }> {
    return { resumed: await this.dispatcher.resumeOverdue() };
  }
}
