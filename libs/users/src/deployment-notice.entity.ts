import { CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * Notices logged once per deployment (per database) rather than by every process start, such as
 * the "no admin account exists yet" hint: a row records that one was shown.
 */
@Entity({ name: 'deployment_notices' })
export class DeploymentNotice {
  @PrimaryColumn({ type: 'varchar', length: 100 }) key!: string;
  @CreateDateColumn({ name: 'shown_at', type: 'timestamptz' }) shownAt!: Date;
}
