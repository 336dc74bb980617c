import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { OutboxService, type SendEmailPayload } from '#core';

/**
 * The way features send mail: records an `email.requested` outbox event, which the relay turns
 * into an `emails` / `send-email` job. Pass the caller's transaction manager so the mail goes out
 * only if the change that caused it commits; without one it is recorded in its own transaction.
 */
@Injectable()
export class EmailService {
  constructor(
    @Inject(OutboxService) private readonly outbox: OutboxService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** Returns the outbox event id. */
  queue(message: SendEmailPayload, manager?: EntityManager): Promise<string> {
    return this.outbox.record(manager ?? this.dataSource.manager, 'email.requested', message);
  }
}
