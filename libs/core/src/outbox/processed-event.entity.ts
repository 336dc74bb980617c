import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * That the job `handler` (`<queue>.<jobName>`) finished its work for outbox event `eventId`: written
 * by the queue processor after the handler succeeded, or by the handler itself inside its own
 * transaction (ProcessedEvents.claim). Redelivered jobs of a recorded pair are skipped; the outbox
 * relay re-enqueues the jobs of published events that still lack a row (the broker lost them).
 */
@Entity({ name: 'processed_events' })
@Index('IDX_processed_events_processed_at', ['processedAt'])
export class ProcessedEvent {
  @PrimaryColumn({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @PrimaryColumn({ type: 'varchar', length: 100 })
  handler!: string;

  @Column({ name: 'processed_at', type: 'timestamptz', default: () => 'now()' })
  processedAt!: Date;
}
