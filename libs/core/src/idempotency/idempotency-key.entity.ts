import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A stored response for an `Idempotency-Key` (per caller and route), replayed on retries. */
@Entity({ name: 'idempotency_keys' })
@Index('idx_idempotency_keys_expires', ['expiresAt'])
export class IdempotencyKey {
  /** Caller scope: the user id, or "anon". */
  @PrimaryColumn({ type: 'varchar', length: 64 }) scope!: string;
  /** "<METHOD> <route template>". */
  @PrimaryColumn({ type: 'varchar', length: 255 }) route!: string;
  @PrimaryColumn({ type: 'varchar', length: 255 }) key!: string;
  /** SHA-256 of the request body: the same key with another body is 422. */
  @Column({ name: 'request_hash', type: 'varchar', length: 64 }) requestHash!: string;
  /** Null while the first request is still running (a concurrent retry gets 409). */
  @Column({ name: 'status_code', type: 'integer', nullable: true }) statusCode!: number | null;
  @Column({ name: 'response_body', type: 'jsonb', nullable: true }) responseBody!: unknown;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
}
