import {
  Column,
  Entity,
  Generated,
  Index,
  JoinColumn,
  ManyToOne,
  OneToOne,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import { Course } from '#courses';
import { Enrollment } from '#enrollments';
import { User } from '#users';

/** Longest revocation reason kept (code points). */
export const REVOCATION_REASON_MAX = 500;
/** Longest snapshot of a name or title printed on a certificate (code points; the source columns are shorter). */
export const CERTIFICATE_TEXT_MAX = 500;

/**
 * A certificate of completion: exactly one per enrollment (unique enrollment_id), issued once the
 * enrollment is completed. The names printed on it are kept as issued (a later rename does not
 * change a certificate), so its PDF can be rebuilt byte for byte when the stored copy is lost.
 */
@Entity({ name: 'certificates' })
@Index('idx_certificates_student_issued', ['studentId', 'issuedAt'])
@Index('idx_certificates_course_issued', ['courseId', 'issuedAt'])
export class Certificate {
  @PrimaryGeneratedColumn('uuid') id!: string;
  /** CERT-YYYYMMDD-XXXXXX (UTC date of issue, 6 uppercase hex). */
  @Column({ name: 'certificate_number', type: 'varchar', length: 32, unique: true }) certificateNumber!: string;
  /** Unique: the one-to-one join column below carries the constraint. */
  @Column({ name: 'enrollment_id', type: 'uuid' }) enrollmentId!: string;
  @OneToOne(() => Enrollment, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'enrollment_id' })
  enrollment?: Relation<Enrollment>;
  @Column({ name: 'student_id', type: 'uuid' }) studentId!: string;
  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'student_id' })
  student?: Relation<User>;
  @Column({ name: 'course_id', type: 'uuid' }) courseId!: string;
  @ManyToOne(() => Course, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'course_id' })
  course?: Relation<Course>;
  @Column({ name: 'completion_date', type: 'timestamptz' }) completionDate!: Date;
  @Column({ name: 'issued_at', type: 'timestamptz', default: () => 'now()' }) issuedAt!: Date;
  @Column({ name: 'student_name', type: 'varchar', length: CERTIFICATE_TEXT_MAX }) studentName!: string;
  @Column({ name: 'course_title', type: 'varchar', length: CERTIFICATE_TEXT_MAX }) courseTitle!: string;
  @Column({ name: 'instructor_name', type: 'varchar', length: CERTIFICATE_TEXT_MAX }) instructorName!: string;
  /**
   * The certificate's bit in the revocation status list (Bitstring Status List): list
   * floor((n - 1) / STATUS_LIST_LENGTH), bit (n - 1) mod STATUS_LIST_LENGTH. Never reused.
   */
  @Column({ name: 'status_index', type: 'integer', unique: true })
  @Generated('increment')
  statusIndex!: number;
  /** Where the PDF lives in the files storage (`<CERTIFICATES_DIR>/<number>.pdf`). */
  @Column({ name: 'pdf_storage_key', type: 'varchar', length: 400, unique: true }) pdfStorageKey!: string;
  @Column({ name: 'pdf_sha256', type: 'char', length: 64 }) pdfSha256!: string;
  @Column({ name: 'pdf_size', type: 'integer' }) pdfSize!: number;
  @Column({ name: 'is_revoked', type: 'boolean', default: false }) isRevoked!: boolean;
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true }) revokedAt!: Date | null;
  @Column({ name: 'revocation_reason', type: 'varchar', length: REVOCATION_REASON_MAX, nullable: true })
  revocationReason!: string | null;
  @Column({ name: 'revoked_by', type: 'uuid', nullable: true }) revokedBy!: string | null;
  @ManyToOne(() => User, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'revoked_by' })
  revoker?: Relation<User>;
}
