import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn, type Relation } from 'typeorm';
import { Enrollment } from './enrollment.entity.js';

/**
 * A certificate requested by an enrollment's completion (certificates / issue-certificate job).
 * Certificates themselves come with their own feature; until then the request is recorded here,
 * once per enrollment, so nothing asked for is lost.
 */
@Entity({ name: 'certificate_requests' })
export class CertificateRequest {
  @PrimaryColumn({ name: 'enrollment_id', type: 'uuid' }) enrollmentId!: string;
  @OneToOne(() => Enrollment, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'enrollment_id' })
  enrollment?: Relation<Enrollment>;
  @Column({ name: 'requested_at', type: 'timestamptz', default: () => 'now()' }) requestedAt!: Date;
  /** How many times the job ran for it (at-least-once delivery). */
  @Column({ type: 'integer', default: 1 }) requests!: number;
}
