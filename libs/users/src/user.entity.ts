import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { Role } from '#core';

@Entity({ name: 'users' })
@Check('chk_users_role', "role IN ('admin', 'instructor', 'student')")
@Index('idx_users_created_at', ['createdAt'])
export class User {
  @PrimaryGeneratedColumn('uuid') id!: string;

  /** Stored lowercased; unique. */
  @Index('uq_users_email', { unique: true })
  @Column({ type: 'varchar', length: 255 })
  email!: string;

  @Column({ name: 'password_hash', type: 'varchar', length: 255, select: false })
  passwordHash!: string;

  @Column({ name: 'full_name', type: 'varchar', length: 255 })
  fullName!: string;

  @Column({ type: 'varchar', length: 20, default: 'student' })
  role!: Role;

  @Column({ name: 'is_active', type: 'boolean', default: true })
  isActive!: boolean;

  @Column({ name: 'mfa_enabled', type: 'boolean', default: false })
  mfaEnabled!: boolean;

  /** TOTP secret, AES-256-GCM encrypted with a key derived from SECRET_KEY (never returned). */
  @Column({ name: 'mfa_secret', type: 'text', nullable: true, select: false })
  mfaSecret!: string | null;

  /** Secret being set up (between enable/request and enable/confirm), encrypted like mfa_secret. */
  @Column({ name: 'mfa_pending_secret', type: 'text', nullable: true, select: false })
  mfaPendingSecret!: string | null;

  /** Last accepted TOTP time step: a code is accepted once only. */
  @Column({ name: 'mfa_last_step', type: 'bigint', nullable: true, select: false })
  mfaLastStep!: string | null;

  @Column({ name: 'email_verified_at', type: 'timestamptz', nullable: true })
  emailVerifiedAt!: Date | null;

  @Column({ name: 'last_login_at', type: 'timestamptz', nullable: true })
  lastLoginAt!: Date | null;

  /**
   * Bumped to revoke every outstanding access and refresh token of the user at once (password reset
   * or change, deactivation): tokens carry the version they were issued under (claim `ver`).
   */
  @Column({ name: 'token_version', type: 'integer', default: 0 })
  tokenVersion!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
