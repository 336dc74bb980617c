import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { OutboxEvent } from './outbox-event.entity.js';
import type { OutboxEventPayloads, OutboxEventType } from './outbox.routes.js';

/** PostgreSQL NOTIFY channel the relay listens on to pick up new events without waiting for a poll. */
export const OUTBOX_NOTIFY_CHANNEL = 'lms_outbox';

@Injectable()
export class OutboxService {
  /**
   * Records an event inside the caller's transaction (`manager` from DataSource.transaction): it is
   * published only if that transaction commits. Returns the event id.
   */
  async record<E extends OutboxEventType>(
    manager: EntityManager,
    type: E,
    payload: OutboxEventPayloads[E],
  ): Promise<string> {
    const result = await manager
      .createQueryBuilder()
      .insert()
      .into(OutboxEvent)
      .values({ eventType: type, payload })
      .returning(['id'])
      .execute();
    const id = (result.raw as Array<{ id: string }>)[0]?.id;
    if (!id) throw new Error('outbox insert returned no id');
    // Delivered at commit (never for a rolled-back transaction): wakes the relays.
    await manager.query('SELECT pg_notify($1, $2)', [OUTBOX_NOTIFY_CHANNEL, id]);
    return id;
  }
}
