import { Inject, Injectable } from '@nestjs/common';
import { JobHandler, type SendEmailPayload } from '#core';
import { EmailTransport, type EmailDelivery } from './email.transport.js';

/** Handles `emails` / `send-email` (registered only where workers run). */
@Injectable()
export class SendEmailHandler {
  constructor(@Inject(EmailTransport) private readonly transport: EmailTransport) {}

  @JobHandler('emails', 'send-email')
  async handle(payload: SendEmailPayload): Promise<EmailDelivery> {
    return this.transport.send(payload);
  }
}
