import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A domain event written in the same transaction as the change it describes; the relay publishes it. */
@Entity({ name: 'outbox_events' })
@Index('IDX_outbox_events_unpublished', ['createdAt'], { where: '"published_at" IS NULL' })
@Index('IDX_outbox_events_redeliver', ['redeliverAt'], { where: '"redeliver_at" IS NOT NULL' })
export class OutboxEvent {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'event_type', type: 'varchar', length: 100 })
  eventType!: string;

  @Column({ type: 'jsonb' })
  payload!: unknown;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;

  /**
   * Published, not yet known to be processed by every routed job: when the relay next checks
   * processed_events and re-enqueues the missing jobs (NULL once all are processed, or given up).
   */
  @Column({ name: 'redeliver_at', type: 'timestamptz', nullable: true })
  redeliverAt!: Date | null;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;
}
