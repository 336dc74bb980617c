import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import { User } from '#users';

/** A persisted refresh token: rotated on every use; reuse of a rotated one revokes its family. */
@Entity({ name: 'refresh_tokens' })
@Index('idx_refresh_tokens_user', ['userId'])
@Index('idx_refresh_tokens_family', ['familyId'])
export class RefreshToken {
  @PrimaryColumn('uuid') jti!: string;
  @Column({ name: 'user_id', type: 'uuid' }) userId!: string;
  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<User>;
  /** All tokens descending from one login share a family. */
  @Column({ name: 'family_id', type: 'uuid' }) familyId!: string;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true }) revokedAt!: Date | null;
  /** The token this one was rotated into (set on rotation; a second use is reuse). */
  @Column({ name: 'replaced_by', type: 'uuid', nullable: true }) replacedBy!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

/** Blacklisted access tokens until they expire (the only store, Redis or not: AccessTokenBlacklist). */
@Entity({ name: 'revoked_access_tokens' })
@Index('idx_revoked_access_tokens_expires', ['expiresAt'])
export class RevokedAccessToken {
  @PrimaryColumn('uuid') jti!: string;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
}

/** Single-use tokens already spent (password reset, email verification). */
@Entity({ name: 'consumed_tokens' })
@Index('idx_consumed_tokens_expires', ['expiresAt'])
export class ConsumedToken {
  @PrimaryColumn('uuid') jti!: string;
  @Column({ type: 'varchar', length: 40 }) purpose!: string;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
}

/** MFA recovery codes, bcrypt-hashed; each usable once. */
@Entity({ name: 'mfa_recovery_codes' })
@Index('idx_mfa_recovery_codes_user', ['userId'])
export class MfaRecoveryCode {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'user_id', type: 'uuid' }) userId!: string;
  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<User>;
  @Column({ name: 'code_hash', type: 'varchar', length: 255 }) codeHash!: string;
  @Column({ name: 'used_at', type: 'timestamptz', nullable: true }) usedAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

/** A login waiting for its second factor; five wrong codes burn it. */
@Entity({ name: 'mfa_challenges' })
export class MfaChallenge {
  @PrimaryColumn('uuid') jti!: string;
  @Column({ name: 'user_id', type: 'uuid' }) userId!: string;
  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<User>;
  @Column({ name: 'failed_attempts', type: 'integer', default: 0 }) failedAttempts!: number;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
  @Column({ name: 'consumed_at', type: 'timestamptz', nullable: true }) consumedAt!: Date | null;
}

/**
 * Login lockout counters (LockoutService's PostgreSQL store; Redis hashes when REDIS_URL is set):
 * one row per account (`user:<normalized email>`) and per client IP (`ip:<address>`).
 */
@Entity({ name: 'login_attempt_counters' })
@Index('idx_login_attempt_counters_expires', ['expiresAt'])
export class LoginAttemptCounter {
  @PrimaryColumn({ type: 'text' }) key!: string;
  /** Failed logins since the last success, within the window. */
  @Column({ type: 'integer', default: 0 }) failures!: number;
  /** Attempts reserved whose password check has not finished. */
  @Column({ type: 'integer', default: 0 }) pending!: number;
  /** The counters read as zero from then on. */
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
}
