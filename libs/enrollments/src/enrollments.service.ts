import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import {
  CacheService,
  OutboxService,
  ProblemException,
  offset,
  paginate,
  type AuthUser,
  type Page,
  type PageQuery,
  runSql,
} from '#core';
import { CACHE_NS, canManageCourse } from '#courses';
import {
  EnrollmentResponseDto,
  LessonProgressResponseDto,
  type CourseEnrollmentStatsDto,
  type EnrollmentRow,
  type LessonProgressRow,
} from './dto/enrollment.dto.js';
import {
  computeLessonProgress,
  ProgressDowngradeError,
  summarizeEnrollment,
  type LessonProgressInput,
} from './progress.js';

/** The columns EnrollmentResponse reads (qualified by `e.`). */
const ENROLLMENT_COLUMNS = [
  'id',
  'student_id',
  'course_id',
  'enrolled_at',
  'started_at',
  'completed_at',
  'status',
  'progress_percentage',
  'completed_lessons_count',
  'total_lessons_count',
  'total_time_spent_seconds',
  'last_accessed_at',
  'certificate_issued_at',
  'rating',
  'review',
];
const E_COLS = ENROLLMENT_COLUMNS.map((c) => `e.${c}`).join(', ');

/**
 * A student's enrollments, newest first (GET /enrollments/my-courses): served by
 * idx_enrollments_student_enrolled (student_id, enrolled_at). $1 student, $2 limit, $3 offset.
 */
export const MY_COURSES_SQL = `SELECT ${E_COLS} FROM enrollments e WHERE e.student_id = $1 ORDER BY e.enrolled_at DESC, e.id DESC LIMIT $2 OFFSET $3`;

/** A course's enrollments, newest first (idx_enrollments_course_enrolled). $1 course, $2 limit, $3 offset. */
export const COURSE_ENROLLMENTS_SQL = `SELECT ${E_COLS} FROM enrollments e WHERE e.course_id = $1 ORDER BY e.enrolled_at DESC, e.id DESC LIMIT $2 OFFSET $3`;

interface CourseRow {
  id: string;
  instructor_id: string;
  is_published: boolean;
}

type LockedEnrollment = EnrollmentRow & { instructor_id: string };

const notFound = (what: string): ProblemException => new ProblemException(404, 'not_found', `${what} not found`);

/** Enrollment, progress and review rules (reference section 6; API.md items 7, 9). */
@Injectable()
export class EnrollmentsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(OutboxService) private readonly outbox: OutboxService,
    @Inject(CacheService) private readonly cache: CacheService,
  ) {}

  /**
   * Enrolls the caller exactly once: INSERT ... ON CONFLICT DO NOTHING, so concurrent requests make
   * one row; the one that inserted gets `created: true` and records enrollment.created.
   */
  async enroll(caller: AuthUser, courseId: string): Promise<{ created: boolean; enrollment: EnrollmentResponseDto }> {
    const result = await this.dataSource.transaction(async (m) => {
      const course = await this.findCourse(m, courseId);
      if (!course) throw notFound('Course');
      if (!course.is_published) {
        throw new ProblemException(403, 'course_not_published', 'Cannot enroll in unpublished course');
      }
      const missing = (
        await runSql<{ id: string }>(
          m,
          `SELECT p.prerequisite_course_id AS id FROM course_prerequisites p
           WHERE p.course_id = $1 AND NOT EXISTS (
             SELECT 1 FROM enrollments e
             WHERE e.course_id = p.prerequisite_course_id AND e.student_id = $2 AND e.status = 'completed')
           ORDER BY p.prerequisite_course_id`,
          [courseId, caller.id],
        )
      ).rows.map((r) => r.id);
      if (missing.length) {
        throw new ProblemException(403, 'prerequisites_not_met', 'Complete the prerequisite courses before enrolling', {
          missing_course_ids: missing,
        });
      }
      const [inserted] = (
        await runSql<EnrollmentRow>(
          m,
          `INSERT INTO enrollments (student_id, course_id, status, progress_percentage, enrolled_at, started_at, total_lessons_count)
           VALUES ($1, $2, 'active', 0, now(), now(), (SELECT count(*) FROM lessons WHERE course_id = $2))
           ON CONFLICT (student_id, course_id) DO NOTHING
           RETURNING ${ENROLLMENT_COLUMNS.join(', ')}`,
          [caller.id, courseId],
        )
      ).rows;
      if (inserted) {
        await m.query('UPDATE courses SET enrollment_count = enrollment_count + 1 WHERE id = $1', [courseId]);
        await this.outbox.record(m, 'enrollment.created', {
          enrollment_id: inserted.id,
          student_id: inserted.student_id,
          course_id: inserted.course_id,
          status: inserted.status,
          enrolled_at: new Date(inserted.enrolled_at).toISOString(),
        });
        return { created: true, enrollment: EnrollmentResponseDto.from(inserted) };
      }
      // The conflicting row is committed (ON CONFLICT waited for it): this statement's snapshot sees it.
      const [existing] = (
        await runSql<EnrollmentRow>(
          m,
          `SELECT ${E_COLS} FROM enrollments e WHERE e.student_id = $1 AND e.course_id = $2`,
          [caller.id, courseId],
        )
      ).rows;
      if (!existing) throw new Error('enrollment conflict without a row');
      return { created: false, enrollment: EnrollmentResponseDto.from(existing) };
    });
    // The course's enrollment_count changed.
    if (result.created) await this.cache.invalidate(CACHE_NS.courses);
    return result;
  }

  async myCourses(caller: AuthUser, query: PageQuery): Promise<Page<EnrollmentResponseDto>> {
    const rows = (
      await runSql<EnrollmentRow>(this.dataSource.manager, MY_COURSES_SQL, [caller.id, query.page_size, offset(query)])
    ).rows;
    const [{ n }] = (
      await runSql<{ n: string }>(
        this.dataSource.manager,
        'SELECT count(*) AS n FROM enrollments WHERE student_id = $1',
        [caller.id],
      )
    ).rows;
    return paginate(rows.map(EnrollmentResponseDto.from), Number(n), query);
  }

  async get(caller: AuthUser, id: string): Promise<EnrollmentResponseDto> {
    const row = await this.loadEnrollment(this.dataSource.manager, id, false);
    this.assertViewer(caller, row);
    return EnrollmentResponseDto.from(row);
  }

  /**
   * Updates one lesson's progress and recomputes the enrollment summary in one transaction, with the
   * enrollment row locked: concurrent updates of the same enrollment run one after the other, so each
   * summary counts every committed lesson and the completion transition happens (and is recorded) once.
   */
  async updateProgress(
    caller: AuthUser,
    enrollmentId: string,
    lessonId: string,
    input: LessonProgressInput,
  ): Promise<LessonProgressResponseDto> {
    return this.dataSource.transaction(async (m) => {
      const enrollment = await this.loadEnrollment(m, enrollmentId, true);
      this.assertViewer(caller, enrollment);
      if (!(caller.role === 'admin' || caller.id === enrollment.student_id)) {
        throw new ProblemException(403, 'forbidden', 'Not authorized to update this enrollment progress');
      }
      const lesson = (
        await runSql<{ id: string }>(m, 'SELECT id FROM lessons WHERE id = $1 AND course_id = $2', [
          lessonId,
          enrollment.course_id,
        ])
      ).rows;
      if (!lesson.length) {
        throw new ProblemException(404, 'not_found', "Lesson not found in this enrollment's course");
      }
      return this.applyLessonProgress(m, enrollment, lessonId, input);
    });
  }

  /**
   * Marks a lesson of the enrollment's course completed inside the caller's transaction (a passed
   * quiz) and recomputes the summary, which may complete the enrollment (enrollment.completed is
   * recorded in the same transaction). Locks the enrollment row: callers that also lock rows of
   * their own (quiz attempts) must lock the enrollment first, or concurrent calls can deadlock.
   * A lesson that is already completed stays as it is.
   */
  async completeLessonInTransaction(m: EntityManager, enrollmentId: string, lessonId: string): Promise<void> {
    const enrollment = await this.loadEnrollment(m, enrollmentId, true);
    await this.applyLessonProgress(m, enrollment, lessonId, { status: 'completed' });
  }

  /** Upserts one lesson's progress of the locked enrollment and recomputes its summary. */
  private async applyLessonProgress(
    m: EntityManager,
    enrollment: LockedEnrollment,
    lessonId: string,
    input: LessonProgressInput,
  ): Promise<LessonProgressResponseDto> {
    const enrollmentId = enrollment.id;
    const [stored] = (
      await runSql<LessonProgressRow>(m, 'SELECT * FROM lesson_progress WHERE enrollment_id = $1 AND lesson_id = $2', [
        enrollmentId,
        lessonId,
      ])
    ).rows;
    const [{ now }] = (await runSql<{ now: Date }>(m, 'SELECT now() AS now')).rows;
    let next;
    try {
      next = computeLessonProgress(
        stored
          ? {
              status: stored.status,
              completionPercentage: Number(stored.completion_percentage),
              timeSpentSeconds: Number(stored.time_spent_seconds),
              lastPositionSeconds: Number(stored.last_position_seconds),
              startedAt: stored.started_at,
              completedAt: stored.completed_at,
              notes: stored.notes,
            }
          : null,
        input,
        now,
      );
    } catch (err) {
      if (err instanceof ProgressDowngradeError) {
        throw new ProblemException(422, 'progress_downgrade', err.message);
      }
      throw err;
    }
    const [progress] = (
      await runSql<LessonProgressRow>(
        m,
        `INSERT INTO lesson_progress (enrollment_id, lesson_id, status, completion_percentage, time_spent_seconds,
           last_position_seconds, started_at, completed_at, notes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (enrollment_id, lesson_id) DO UPDATE SET
           status = EXCLUDED.status, completion_percentage = EXCLUDED.completion_percentage,
           time_spent_seconds = EXCLUDED.time_spent_seconds, last_position_seconds = EXCLUDED.last_position_seconds,
           started_at = EXCLUDED.started_at, completed_at = EXCLUDED.completed_at, notes = EXCLUDED.notes,
           updated_at = now()
         RETURNING *`,
        [
          enrollmentId,
          lessonId,
          next.status,
          next.completionPercentage,
          next.timeSpentSeconds,
          next.lastPositionSeconds,
          next.startedAt,
          next.completedAt,
          next.notes,
        ],
      )
    ).rows;
    await this.recomputeSummary(m, enrollment, now);
    return LessonProgressResponseDto.from(progress!);
  }

  /** Recomputes the locked enrollment's summary; records enrollment.completed on the transition to completed. */
  private async recomputeSummary(m: EntityManager, enrollment: LockedEnrollment, now: Date): Promise<void> {
    const [counts] = (
      await runSql<{ total: string; completed: string; time: string }>(
        m,
        `SELECT (SELECT count(*) FROM lessons WHERE course_id = $2) AS total,
                count(*) FILTER (WHERE lp.status = 'completed') AS completed,
                coalesce(sum(lp.time_spent_seconds), 0) AS time
         FROM lesson_progress lp JOIN lessons l ON l.id = lp.lesson_id AND l.course_id = $2
         WHERE lp.enrollment_id = $1`,
        [enrollment.id, enrollment.course_id],
      )
    ).rows;
    const summary = summarizeEnrollment(
      {
        status: enrollment.status,
        completedAt: enrollment.completed_at,
        totalLessons: Number(counts!.total),
        completedLessons: Number(counts!.completed),
        totalTimeSpentSeconds: Number(counts!.time),
      },
      now,
    );
    await m.query(
      `UPDATE enrollments SET status = $2, completed_at = $3, progress_percentage = $4, total_lessons_count = $5,
         completed_lessons_count = $6, total_time_spent_seconds = $7, last_accessed_at = $8, updated_at = now()
       WHERE id = $1`,
      [
        enrollment.id,
        summary.status,
        summary.completedAt,
        summary.progressPercentage,
        summary.totalLessonsCount,
        summary.completedLessonsCount,
        summary.totalTimeSpentSeconds,
        summary.lastAccessedAt,
      ],
    );
    if (summary.transition === 'completed') {
      // Becomes the certificates / issue-certificate job (at-least-once, idempotent handler).
      await this.outbox.record(m, 'enrollment.completed', {
        enrollment_id: enrollment.id,
        student_id: enrollment.student_id,
        course_id: enrollment.course_id,
        completed_at: summary.completedAt!.toISOString(),
      });
    }
  }

  /** Rates and reviews (overwrites) and refreshes the course's average_rating/total_reviews. */
  async review(caller: AuthUser, enrollmentId: string, rating: number, review: string): Promise<EnrollmentResponseDto> {
    const result = await this.dataSource.transaction(async (m) => {
      const enrollment = await this.loadEnrollment(m, enrollmentId, true);
      this.assertViewer(caller, enrollment);
      if (!(caller.role === 'admin' || caller.id === enrollment.student_id)) {
        throw new ProblemException(403, 'forbidden', 'You can only review your own enrollments');
      }
      if (Number(enrollment.progress_percentage) < 20) {
        throw new ProblemException(403, 'review_not_allowed', 'Complete at least 20% before reviewing');
      }
      const [updated] = (
        await runSql<EnrollmentRow>(
          m,
          `UPDATE enrollments SET rating = $2, review = $3, reviewed_at = now(), updated_at = now()
           WHERE id = $1 RETURNING ${ENROLLMENT_COLUMNS.join(', ')}`,
          [enrollmentId, rating, review],
        )
      ).rows;
      // Lock the course first, then aggregate in a new statement: its snapshot sees every review
      // committed by a concurrent transaction that held the lock before us (no lost update).
      await m.query('SELECT id FROM courses WHERE id = $1 FOR UPDATE', [enrollment.course_id]);
      await m.query(
        `UPDATE courses c SET average_rating = coalesce(a.avg, 0), total_reviews = a.n
         FROM (SELECT round(avg(rating)::numeric, 2) AS avg, count(*) AS n
               FROM enrollments WHERE course_id = $1 AND rating IS NOT NULL) a
         WHERE c.id = $1`,
        [enrollment.course_id],
      );
      return EnrollmentResponseDto.from(updated!);
    });
    // The course's average_rating/total_reviews changed.
    await this.cache.invalidate(CACHE_NS.courses);
    return result;
  }

  async courseEnrollments(caller: AuthUser, courseId: string, query: PageQuery): Promise<Page<EnrollmentResponseDto>> {
    await this.assertCourseManager(caller, courseId, 'Not authorized to view course enrollments');
    const rows = (
      await runSql<EnrollmentRow>(this.dataSource.manager, COURSE_ENROLLMENTS_SQL, [
        courseId,
        query.page_size,
        offset(query),
      ])
    ).rows;
    const [{ n }] = (
      await runSql<{ n: string }>(
        this.dataSource.manager,
        'SELECT count(*) AS n FROM enrollments WHERE course_id = $1',
        [courseId],
      )
    ).rows;
    return paginate(rows.map(EnrollmentResponseDto.from), Number(n), query);
  }

  async courseStats(caller: AuthUser, courseId: string): Promise<CourseEnrollmentStatsDto> {
    await this.assertCourseManager(caller, courseId, 'Not authorized to view course stats');
    const [s] = (
      await runSql<{ total: string; active: string; completed: string; avg: string }>(
        this.dataSource.manager,
        `SELECT count(*) AS total,
                count(*) FILTER (WHERE status = 'active') AS active,
                count(*) FILTER (WHERE status = 'completed') AS completed,
                round(coalesce(avg(progress_percentage), 0), 2)::text AS avg
         FROM enrollments WHERE course_id = $1`,
        [courseId],
      )
    ).rows;
    return {
      course_id: courseId,
      total_enrollments: Number(s!.total),
      active_enrollments: Number(s!.active),
      completed_enrollments: Number(s!.completed),
      average_progress: s!.avg,
    };
  }

  private async findCourse(m: EntityManager, courseId: string): Promise<CourseRow | undefined> {
    const [course] = (
      await runSql<CourseRow>(m, 'SELECT id, instructor_id, is_published FROM courses WHERE id = $1', [courseId])
    ).rows;
    return course;
  }

  private async assertCourseManager(caller: AuthUser, courseId: string, detail: string): Promise<void> {
    const course = await this.findCourse(this.dataSource.manager, courseId);
    if (!course) throw notFound('Course');
    if (!canManageCourse(caller, { instructorId: course.instructor_id })) {
      throw new ProblemException(403, 'forbidden', detail);
    }
  }

  private async loadEnrollment(m: EntityManager, id: string, lock: boolean): Promise<LockedEnrollment> {
    const [row] = (
      await runSql<LockedEnrollment>(
        m,
        `SELECT ${E_COLS}, c.instructor_id FROM enrollments e JOIN courses c ON c.id = e.course_id
         WHERE e.id = $1${lock ? ' FOR UPDATE OF e' : ''}`,
        [id],
      )
    ).rows;
    if (!row) throw notFound('Enrollment');
    return row;
  }

  /** Admin, the owning student, or the instructor who owns the course. */
  private assertViewer(caller: AuthUser, enrollment: LockedEnrollment): void {
    const allowed =
      caller.role === 'admin' ||
      caller.id === enrollment.student_id ||
      (caller.role === 'instructor' && caller.id === enrollment.instructor_id);
    if (!allowed) throw new ProblemException(403, 'forbidden', 'Not authorized to access this enrollment');
  }
}
