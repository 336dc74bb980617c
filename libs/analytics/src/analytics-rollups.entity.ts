import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { Course, Lesson } from '#courses';

/**
 * Read models of the analytics routes. Every table here is written only by the triggers of the
 * AnalyticsRollups migration (statement-level, with transition tables), in the same transaction as
 * the row change they summarise; `lms_analytics_rebuild()` recomputes all of them from the source
 * tables (the migration's backfill, and after a TRUNCATE of a source table).
 *
 * Rows that many concurrent writers touch are split in ANALYTICS_SHARDS shards chosen by a hash of
 * the source row's id, so writers of different rows rarely wait on one counter row; readers sum the shards.
 */
export const ANALYTICS_SHARDS = 8;

/** Global counts (system overview): metric name × shard. */
@Entity({ name: 'analytics_counters' })
export class AnalyticsCounter {
  @PrimaryColumn({ type: 'varchar', length: 40 }) metric!: string;
  @PrimaryColumn({ type: 'smallint' }) shard!: number;
  @Column({ type: 'bigint', default: 0 }) value!: string;
}

/** Per-course enrollment summary (course analytics), sharded. */
@Entity({ name: 'analytics_course_stats' })
@ForeignKey(() => Course, ['courseId'], ['id'], { onDelete: 'CASCADE' })
export class AnalyticsCourseStats {
  @PrimaryColumn({ name: 'course_id', type: 'uuid' }) courseId!: string;
  @PrimaryColumn({ type: 'smallint' }) shard!: number;
  @Column({ type: 'integer', default: 0 }) enrollments!: number;
  @Column({ type: 'integer', default: 0 }) active!: number;
  @Column({ type: 'integer', default: 0 }) completed!: number;
  @Column({ name: 'progress_sum', type: 'numeric', precision: 14, scale: 2, default: 0 }) progressSum!: string;
  @Column({ name: 'time_seconds', type: 'bigint', default: 0 }) timeSeconds!: string;
}

/** Per-course, per-UTC-day event counts (course activity). */
@Entity({ name: 'analytics_course_daily' })
@ForeignKey(() => Course, ['courseId'], ['id'], { onDelete: 'CASCADE' })
export class AnalyticsCourseDaily {
  @PrimaryColumn({ name: 'course_id', type: 'uuid' }) courseId!: string;
  @PrimaryColumn({ type: 'date' }) day!: string;
  @Column({ type: 'integer', default: 0 }) enrollments!: number;
  @Column({ type: 'integer', default: 0 }) completions!: number;
  @Column({ name: 'quiz_submissions', type: 'integer', default: 0 }) quizSubmissions!: number;
}

/** Enrollments per (instructor, student): the instructor overview's distinct students are its row count. */
@Entity({ name: 'analytics_instructor_students' })
// The rows a change brought to zero, deleted right after (the index stays nearly empty).
@Index('idx_analytics_instructor_students_empty', ['instructorId'], { where: 'enrollments <= 0' })
export class AnalyticsInstructorStudent {
  @PrimaryColumn({ name: 'instructor_id', type: 'uuid' }) instructorId!: string;
  @PrimaryColumn({ name: 'student_id', type: 'uuid' }) studentId!: string;
  @Column({ type: 'integer', default: 0 }) enrollments!: number;
}

/** Per-lesson funnel counts (students who started / completed), sharded. */
@Entity({ name: 'analytics_lesson_stats' })
@ForeignKey(() => Lesson, ['lessonId'], ['id'], { onDelete: 'CASCADE' })
export class AnalyticsLessonStats {
  @PrimaryColumn({ name: 'lesson_id', type: 'uuid' }) lessonId!: string;
  @PrimaryColumn({ type: 'smallint' }) shard!: number;
  @Column({ type: 'integer', default: 0 }) started!: number;
  @Column({ type: 'integer', default: 0 }) completed!: number;
}

/**
 * Histogram of the time spent on a lesson by the students who started it (for its median):
 * exact seconds below 10 minutes, 10-second buckets below an hour, minute buckets below a day, then one bucket.
 */
@Entity({ name: 'analytics_lesson_time' })
@ForeignKey(() => Lesson, ['lessonId'], ['id'], { onDelete: 'CASCADE' })
export class AnalyticsLessonTime {
  @PrimaryColumn({ name: 'lesson_id', type: 'uuid' }) lessonId!: string;
  @PrimaryColumn({ type: 'integer' }) seconds!: number;
  @Column({ type: 'integer', default: 0 }) students!: number;
}
