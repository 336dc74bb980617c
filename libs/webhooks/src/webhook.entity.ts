import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
  type Relation,
} from 'typeorm';
import { User } from '#users';

/** Longest endpoint URL accepted (characters). */
export const WEBHOOK_URL_MAX = 2048;
/** Longest endpoint description (code points). */
export const WEBHOOK_DESCRIPTION_MAX = 500;
/** Most event names one endpoint may subscribe to. */
export const WEBHOOK_EVENTS_MAX = 50;
/** Characters of a response body kept with an attempt. */
export const RESPONSE_EXCERPT_MAX = 1024;

export const WEBHOOK_SOURCES = ['managed', 'env'] as const;
export type WebhookSource = (typeof WEBHOOK_SOURCES)[number];
export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * A webhook endpoint: managed by admins through /webhooks, or one of WEBHOOK_TARGET_URLS (source
 * `env`, kept in step with the configuration at start, signed with WEBHOOK_SIGNING_SECRET).
 * Secrets are sealed with the secret box (AES-256-GCM, key derived from SECRET_KEY, the row id as
 * associated data) and shown once, when created or rotated.
 */
@Entity({ name: 'webhook_endpoints' })
@Check('chk_webhook_endpoints_source', "source IN ('managed', 'env')")
export class WebhookEndpoint {
  @PrimaryColumn('uuid') id!: string;
  @Column({ type: 'varchar', length: 10, default: 'managed' }) source!: WebhookSource;
  @Column({ type: 'varchar', length: WEBHOOK_URL_MAX }) url!: string;
  @Column({ type: 'varchar', length: WEBHOOK_DESCRIPTION_MAX, nullable: true }) description!: string | null;
  /** Event names, or ["*"] for every event. */
  @Column({ type: 'jsonb', default: () => `'["*"]'` }) events!: string[];
  @Column({ name: 'is_active', type: 'boolean', default: true }) isActive!: boolean;
  /** Sealed `whsec_…` secret (null for env endpoints: they sign with WEBHOOK_SIGNING_SECRET). */
  @Column({ name: 'secret_sealed', type: 'text', nullable: true }) secretSealed!: string | null;
  /** The secret before the last rotation, still signing until previous_secret_expires_at. */
  @Column({ name: 'previous_secret_sealed', type: 'text', nullable: true }) previousSecretSealed!: string | null;
  @Column({ name: 'previous_secret_expires_at', type: 'timestamptz', nullable: true })
  previousSecretExpiresAt!: Date | null;
  /** Why it was switched off by the system (410 Gone, failing for 5 days); null when an admin did it or it is on. */
  @Column({ name: 'disabled_reason', type: 'varchar', length: 200, nullable: true }) disabledReason!: string | null;
  @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true }) disabledAt!: Date | null;
  /** Start of the current run of failed attempts (null after a success). */
  @Column({ name: 'failing_since', type: 'timestamptz', nullable: true }) failingSince!: Date | null;
  @Column({ name: 'last_success_at', type: 'timestamptz', nullable: true }) lastSuccessAt!: Date | null;
  @Column({ name: 'created_by', type: 'uuid', nullable: true }) createdBy!: string | null;
  @ManyToOne(() => User, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'created_by' })
  creator?: Relation<User>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

/**
 * One event for one endpoint: created once (unique endpoint × event) when the event fans out, then
 * attempted until a 2xx, the retry schedule runs out, or the endpoint is gone. Its id is the
 * Standard Webhooks `webhook-id` (`msg_<id>`), the same on every attempt.
 */
@Entity({ name: 'webhook_deliveries' })
@Check('chk_webhook_deliveries_status', "status IN ('pending', 'succeeded', 'failed')")
@Unique('uq_webhook_deliveries_endpoint_event', ['endpointId', 'eventId'])
@Index('idx_webhook_deliveries_endpoint_created', ['endpointId', 'createdAt'])
export class WebhookDelivery {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'endpoint_id', type: 'uuid' }) endpointId!: string;
  @ManyToOne(() => WebhookEndpoint, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'endpoint_id' })
  endpoint?: Relation<WebhookEndpoint>;
  /** The outbox event (or, for webhook.test, a fresh id). */
  @Column({ name: 'event_id', type: 'uuid' }) eventId!: string;
  @Column({ name: 'event_type', type: 'varchar', length: 100 }) eventType!: string;
  /** The exact body sent on every attempt (compact JSON `{event, timestamp, data}`). */
  @Column({ type: 'text' }) body!: string;
  /** The body's `timestamp` (the event's time), also X-Webhook-Timestamp. */
  @Column({ name: 'event_timestamp', type: 'varchar', length: 40 }) eventTimestamp!: string;
  @Column({ type: 'varchar', length: 20, default: 'pending' }) status!: DeliveryStatus;
  @Column({ type: 'integer', default: 0 }) attempts!: number;
  @Column({ name: 'last_status_code', type: 'integer', nullable: true }) lastStatusCode!: number | null;
  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true }) lastError!: string | null;
  @Column({ name: 'last_duration_ms', type: 'integer', nullable: true }) lastDurationMs!: number | null;
  @Column({ name: 'last_response_excerpt', type: 'text', nullable: true }) lastResponseExcerpt!: string | null;
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true }) nextAttemptAt!: Date | null;
  /** While an attempt runs: until when it holds the delivery (a crashed sender's claim runs out). */
  @Column({ name: 'claimed_until', type: 'timestamptz', nullable: true }) claimedUntil!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true }) completedAt!: Date | null;
}

/** One HTTP attempt of a delivery (the delivery log's detail). */
@Entity({ name: 'webhook_delivery_attempts' })
@Unique('uq_webhook_delivery_attempts_number', ['deliveryId', 'attempt'])
export class WebhookDeliveryAttempt {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'delivery_id', type: 'uuid' }) deliveryId!: string;
  @ManyToOne(() => WebhookDelivery, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'delivery_id' })
  delivery?: Relation<WebhookDelivery>;
  @Column({ type: 'integer' }) attempt!: number;
  @Column({ name: 'attempted_at', type: 'timestamptz' }) attemptedAt!: Date;
  @Column({ name: 'duration_ms', type: 'integer' }) durationMs!: number;
  @Column({ name: 'status_code', type: 'integer', nullable: true }) statusCode!: number | null;
  @Column({ type: 'varchar', length: 500, nullable: true }) error!: string | null;
  @Column({ name: 'response_excerpt', type: 'text', nullable: true }) responseExcerpt!: string | null;
}
