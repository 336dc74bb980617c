import {
  Check,
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
  type Relation,
} from 'typeorm';
import { Course, Lesson } from '#courses';
import { User } from '#users';

export const ENROLLMENT_STATUSES = ['active', 'completed', 'dropped', 'expired'] as const;
export type EnrollmentStatus = (typeof ENROLLMENT_STATUSES)[number];
export const PROGRESS_STATUSES = ['not_started', 'in_progress', 'completed'] as const;
export type ProgressStatus = (typeof PROGRESS_STATUSES)[number];

@Entity({ name: 'enrollments' })
@Check('chk_enrollments_status', "status IN ('active', 'completed', 'dropped', 'expired')")
@Check('chk_enrollments_rating', 'rating IS NULL OR rating BETWEEN 1 AND 5')
// Exactly one enrollment per student and course, whatever the concurrency.
@Unique('uq_enrollments_student_course', ['studentId', 'courseId'])
// my-courses (student, newest first) and a course's enrollments (manager, newest first).
@Index('idx_enrollments_student_enrolled', ['studentId', 'enrolledAt'])
@Index('idx_enrollments_course_enrolled', ['courseId', 'enrolledAt'])
export class Enrollment {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'student_id', type: 'uuid' }) studentId!: string;
  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'student_id' })
  student?: Relation<User>;
  @Column({ name: 'course_id', type: 'uuid' }) courseId!: string;
  @ManyToOne(() => Course, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'course_id' })
  course?: Relation<Course>;
  @Column({ name: 'enrolled_at', type: 'timestamptz', default: () => 'now()' }) enrolledAt!: Date;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt!: Date | null;
  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true }) completedAt!: Date | null;
  @Column({ type: 'varchar', length: 20, default: 'active' }) status!: EnrollmentStatus;
  @Column({ name: 'progress_percentage', type: 'numeric', precision: 5, scale: 2, default: 0 })
  progressPercentage!: string;
  @Column({ name: 'completed_lessons_count', type: 'integer', default: 0 }) completedLessonsCount!: number;
  @Column({ name: 'total_lessons_count', type: 'integer', default: 0 }) totalLessonsCount!: number;
  @Column({ name: 'total_time_spent_seconds', type: 'integer', default: 0 }) totalTimeSpentSeconds!: number;
  @Column({ name: 'last_accessed_at', type: 'timestamptz', nullable: true }) lastAccessedAt!: Date | null;
  @Column({ name: 'certificate_issued_at', type: 'timestamptz', nullable: true }) certificateIssuedAt!: Date | null;
  @Column({ type: 'smallint', nullable: true }) rating!: number | null;
  @Column({ type: 'text', nullable: true }) review!: string | null;
  @Column({ name: 'reviewed_at', type: 'timestamptz', nullable: true }) reviewedAt!: Date | null;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity({ name: 'lesson_progress' })
@Check('chk_lesson_progress_status', "status IN ('not_started', 'in_progress', 'completed')")
@Unique('uq_lesson_progress_enrollment_lesson', ['enrollmentId', 'lessonId'])
@Index('idx_lesson_progress_lesson', ['lessonId'])
export class LessonProgress {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'enrollment_id', type: 'uuid' }) enrollmentId!: string;
  @ManyToOne(() => Enrollment, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'enrollment_id' })
  enrollment?: Relation<Enrollment>;
  @Column({ name: 'lesson_id', type: 'uuid' }) lessonId!: string;
  @ManyToOne(() => Lesson, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'lesson_id' })
  lesson?: Relation<Lesson>;
  @Column({ type: 'varchar', length: 20, default: 'not_started' }) status!: ProgressStatus;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt!: Date | null;
  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true }) completedAt!: Date | null;
  @Column({ name: 'time_spent_seconds', type: 'integer', default: 0 }) timeSpentSeconds!: number;
  @Column({ name: 'last_position_seconds', type: 'integer', default: 0 }) lastPositionSeconds!: number;
  @Column({ name: 'completion_percentage', type: 'numeric', precision: 5, scale: 2, default: 0 })
  completionPercentage!: string;
  /** Stored, never returned (as in the original). */
  @Column({ type: 'text', nullable: true }) notes!: string | null;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
