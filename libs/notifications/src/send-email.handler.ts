import { Inject, Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import { JobHandler, outboxJobRef, type SendEmailPayload } from '#core';
import { EmailTransport, type EmailDelivery } from './email.transport.js';

/**
 * Handles `emails` / `send-email` (registered only where workers run). A message from an outbox
 * event carries the Message-ID `<{event_id}.emails.send-email@{EMAIL_FROM's domain}>`: the same for
 * every delivery of the event, so a copy sent again after a crash is recognisable (and dropped by
 * clients and servers that deduplicate by Message-ID).
 */
@Injectable()
export class SendEmailHandler {
  constructor(@Inject(EmailTransport) private readonly transport: EmailTransport) {}

  @JobHandler('emails', 'send-email')
  async handle(payload: SendEmailPayload, job: Job<SendEmailPayload>): Promise<EmailDelivery> {
    const event = outboxJobRef('emails', job);
    return this.transport.send(payload, event ? { messageId: this.transport.messageIdOf(event) } : {});
  }
}
