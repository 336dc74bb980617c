import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { CacheService, Clock, ProblemException, runSql, type AuthUser } from '#core';
import { canManageCourse } from '#courses';
import { csvRow } from './csv.js';
import {
  COURSE_ACTIVITY_SQL,
  COURSE_ANALYTICS_SQL,
  COURSE_ENROLLMENTS_SQL,
  COURSE_SQL,
  GRADEBOOK_PAGE_SQL,
  GRADEBOOK_QUIZZES_SQL,
  GRADEBOOK_SCORES_SQL,
  INSTRUCTOR_OVERVIEW_SQL,
  LESSON_FUNNEL_SQL,
  MY_ACTIVITY_SQL,
  MY_COURSES_SQL,
  MY_ENROLLMENT_SUMMARY_SQL,
  MY_QUIZ_SUMMARY_SQL,
  QUIZ_ATTEMPT_COUNT_SQL,
  QUIZ_ITEM_STATS_SQL,
  QUIZ_OPTION_PICKS_SQL,
  QUIZ_SQL,
  SYSTEM_OVERVIEW_SQL,
} from './analytics-sql.js';
import type {
  ActivityDayDto,
  CourseActivityDto,
  CourseAnalyticsDto,
  DashboardCourseDto,
  InstructorOverviewDto,
  LessonFunnelDto,
  LessonFunnelItemDto,
  MyDashboardDto,
  MyProgressDto,
  QuizItemDto,
  QuizItemsDto,
  SystemOverviewDto,
} from './dto/analytics.dto.js';

/** Cache namespace of the analytics reads (bounded by TTL, never invalidated). */
export const ANALYTICS_CACHE_NS = 'analytics';
/** Course analytics, as the reference: 300 s. */
export const COURSE_ANALYTICS_TTL_SECONDS = 300;
/** Quiz item analysis (computed from the quiz's graded attempts): 60 s. */
export const QUIZ_ITEMS_TTL_SECONDS = 60;
/** The my-dashboard activity window. */
export const RECENT_ACTIVITY_DAYS = 30;
/** Gradebook rows fetched per query while streaming. */
export const GRADEBOOK_PAGE_SIZE = 500;

const DAY_MS = 86_400_000;
/** The smallest (enrolled_at, id) key: the gradebook's first page starts after it. */
const KEYSET_START = ['-infinity', '00000000-0000-0000-0000-000000000000'] as const;

interface CourseRow {
  id: string;
  title: string;
  instructor_id: string;
}

interface QuestionOptionRow {
  option_id: string;
  option_text: string;
  is_correct: boolean;
}

type ItemRow = Omit<QuizItemDto, 'options'> & { options: QuestionOptionRow[] | null };

/** The cache key part of a viewer: their role and id (no viewer ever reads another's entry). */
const viewer = (caller: AuthUser): string => `${caller.role}:${caller.id}`;

const forbidden = (detail: string): ProblemException => new ProblemException(403, 'forbidden', detail);

/** Reference §10 analytics and the instructor insights (funnel, item analysis, activity, gradebook). */
@Injectable()
export class AnalyticsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(CacheService) private readonly cache: CacheService,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  private async rows<T>(sql: string, params: unknown[]): Promise<T[]> {
    return (await runSql<T>(this.dataSource.manager, sql, params)).rows;
  }

  // ── The caller's own figures (live, index-bounded) ────────────────────────

  async myProgress(caller: AuthUser): Promise<MyProgressDto> {
    const [[e], [q]] = await Promise.all([
      this.rows<{
        total: number;
        active: number;
        completed: number;
        average_progress: string;
        total_time_hours: string;
        lessons_completed: number;
      }>(MY_ENROLLMENT_SUMMARY_SQL, [caller.id]),
      this.rows<{ taken: number; passed: number; average_score: string }>(MY_QUIZ_SUMMARY_SQL, [caller.id]),
    ]);
    return {
      student_id: caller.id,
      total_enrollments: e!.total,
      active_enrollments: e!.active,
      completed_enrollments: e!.completed,
      average_progress: e!.average_progress,
      total_time_hours: e!.total_time_hours,
      total_lessons_completed: e!.lessons_completed,
      quizzes_taken: q!.taken,
      quizzes_passed: q!.passed,
      average_quiz_score: q!.average_score,
    };
  }

  async myDashboard(caller: AuthUser): Promise<MyDashboardDto> {
    const now = this.clock.now();
    const since = new Date(now.getTime() - RECENT_ACTIVITY_DAYS * DAY_MS);
    const [summary, courses, activity] = await Promise.all([
      this.myProgress(caller),
      this.rows<DashboardCourseDto & { average_score: string }>(MY_COURSES_SQL, [caller.id]),
      this.rows<ActivityDayDto>(MY_ACTIVITY_SQL, [caller.id, since, now]),
    ]);
    return {
      student_id: caller.id,
      summary,
      courses: courses.map((c) => ({
        course_id: c.course_id,
        course_title: c.course_title,
        progress_percentage: c.progress_percentage,
        completed_lessons: c.completed_lessons,
        total_lessons: c.total_lessons,
        time_spent_hours: c.time_spent_hours,
        quizzes_completed: c.quizzes_completed,
        average_quiz_score: c.average_score,
      })),
      recent_activity: activity,
    };
  }

  // ── Managers' figures ──────────────────────────────────────────────────────

  /** The course, for an admin or its instructor (reference messages; the role check comes first). */
  async managedCourse(caller: AuthUser, courseId: string): Promise<CourseRow> {
    if (caller.role === 'student') throw forbidden('Insufficient permissions');
    const [course] = await this.rows<CourseRow>(COURSE_SQL, [courseId]);
    if (!course) throw new ProblemException(404, 'not_found', 'Course not found');
    if (!canManageCourse(caller, { instructorId: course.instructor_id })) {
      throw forbidden('Not authorized to view analytics for this course');
    }
    return course;
  }

  async courseAnalytics(caller: AuthUser, courseId: string): Promise<CourseAnalyticsDto> {
    await this.managedCourse(caller, courseId);
    return this.cache.getOrLoad(
      ANALYTICS_CACHE_NS,
      `course:${courseId}:${viewer(caller)}`,
      COURSE_ANALYTICS_TTL_SECONDS,
      async () => (await this.rows<CourseAnalyticsDto>(COURSE_ANALYTICS_SQL, [courseId]))[0]!,
    );
  }

  async instructorOverview(caller: AuthUser, instructorId: string): Promise<InstructorOverviewDto> {
    if (caller.role === 'student') throw forbidden('Insufficient permissions');
    if (caller.role === 'instructor' && caller.id !== instructorId) {
      throw forbidden('Not authorized to view this instructor overview');
    }
    const [row] = await this.rows<Omit<InstructorOverviewDto, 'instructor_id'>>(INSTRUCTOR_OVERVIEW_SQL, [
      instructorId,
    ]);
    return { instructor_id: instructorId, ...row! };
  }

  async systemOverview(caller: AuthUser): Promise<SystemOverviewDto> {
    if (caller.role !== 'admin') throw forbidden('Only admins can access system overview');
    const counters = new Map(
      (await this.rows<{ metric: string; value: string }>(SYSTEM_OVERVIEW_SQL, [])).map((r) => [
        r.metric,
        Number(r.value),
      ]),
    );
    const get = (metric: string): number => counters.get(metric) ?? 0;
    return {
      total_users: get('users_total'),
      total_students: get('users_student'),
      total_instructors: get('users_instructor'),
      total_courses: get('courses_total'),
      published_courses: get('courses_published'),
      total_enrollments: get('enrollments_total'),
      active_enrollments: get('enrollments_active'),
    };
  }

  async lessonFunnel(caller: AuthUser, courseId: string): Promise<LessonFunnelDto> {
    await this.managedCourse(caller, courseId);
    const rows = await this.rows<LessonFunnelItemDto & { total_enrollments: number }>(LESSON_FUNNEL_SQL, [courseId]);
    const total = rows.length
      ? rows[0]!.total_enrollments
      : (await this.rows<{ n: number }>(COURSE_ENROLLMENTS_SQL, [courseId]))[0]!.n;
    return {
      course_id: courseId,
      total_enrollments: total,
      lessons: rows.map((r) => ({
        lesson_id: r.lesson_id,
        lesson_title: r.lesson_title,
        order_index: r.order_index,
        students_started: r.students_started,
        students_completed: r.students_completed,
        completion_rate: r.completion_rate,
        median_time_spent_seconds: r.median_time_spent_seconds,
      })),
    };
  }

  async courseActivity(caller: AuthUser, courseId: string, days: number): Promise<CourseActivityDto> {
    await this.managedCourse(caller, courseId);
    const today = this.clock.now().toISOString().slice(0, 10);
    const from = new Date(Date.parse(today) - (days - 1) * DAY_MS).toISOString().slice(0, 10);
    const daily = await this.rows<CourseActivityDto['daily'][number]>(COURSE_ACTIVITY_SQL, [courseId, from, today]);
    return { course_id: courseId, days, daily };
  }

  async quizItems(caller: AuthUser, quizId: string): Promise<QuizItemsDto> {
    if (caller.role === 'student') throw forbidden('Insufficient permissions');
    const [quiz] = await this.rows<{ id: string; title: string; instructor_id: string }>(QUIZ_SQL, [quizId]);
    if (!quiz) throw new ProblemException(404, 'not_found', 'Quiz not found');
    if (!canManageCourse(caller, { instructorId: quiz.instructor_id })) {
      throw forbidden('Not authorized to view analytics for this quiz');
    }
    return this.cache.getOrLoad(ANALYTICS_CACHE_NS, `quiz:${quizId}:${viewer(caller)}`, QUIZ_ITEMS_TTL_SECONDS, () =>
      this.computeQuizItems(quiz),
    );
  }

  private async computeQuizItems(quiz: { id: string; title: string }): Promise<QuizItemsDto> {
    const [[count], items, picks] = await Promise.all([
      this.rows<{ n: number }>(QUIZ_ATTEMPT_COUNT_SQL, [quiz.id]),
      this.rows<ItemRow>(QUIZ_ITEM_STATS_SQL, [quiz.id]),
      this.rows<{ question_id: string; pick: string; n: number }>(QUIZ_OPTION_PICKS_SQL, [quiz.id]),
    ]);
    const picked = new Map(picks.map((p) => [`${p.question_id}:${p.pick}`, p.n]));
    const n = count!.n;
    return {
      quiz_id: quiz.id,
      quiz_title: quiz.title,
      graded_attempts: n,
      group_size: Math.round(n * 0.27),
      items: items.map((r) => {
        const essay = r.question_type === 'essay';
        const choices: QuestionOptionRow[] | null =
          r.question_type === 'multiple_choice' || r.question_type === 'multiple_response'
            ? (r.options ?? [])
            : r.question_type === 'true_false'
              ? [
                  { option_id: 'true', option_text: 'True', is_correct: false },
                  { option_id: 'false', option_text: 'False', is_correct: false },
                ]
              : null;
        return {
          question_id: r.question_id,
          question_text: r.question_text,
          question_type: r.question_type,
          points: r.points,
          order_index: r.order_index,
          attempts: r.attempts,
          mean_points: r.mean_points,
          facility_index: essay ? null : r.facility_index,
          discrimination_index: essay ? null : r.discrimination_index,
          options:
            choices?.map((o) => {
              const k = picked.get(`${r.question_id}:${o.option_id}`) ?? 0;
              return {
                option_id: o.option_id,
                option_text: o.option_text,
                is_correct: o.is_correct,
                picked: k,
                pick_rate: r.attempts ? (k / r.attempts).toFixed(2) : '0.00',
              };
            }) ?? null,
        };
      }),
    };
  }

  // ── Gradebook ─────────────────────────────────────────────────────────────

  /**
   * The gradebook as CSV lines: the header, then one line per enrollment, read GRADEBOOK_PAGE_SIZE at
   * a time by keyset, so memory stays constant whatever the course's size (the consumer pulls).
   */
  async *gradebook(courseId: string): AsyncGenerator<string> {
    const quizzes = await this.rows<{ id: string; title: string }>(GRADEBOOK_QUIZZES_SQL, [courseId]);
    yield csvRow([
      'student_name',
      'student_email',
      'progress_percentage',
      'completed_lessons',
      ...quizzes.map((q) => `best_score: ${q.title}`),
      'completion_date',
      'certificate_number',
    ]);
    let after: readonly [string, string] = KEYSET_START;
    for (;;) {
      const page = await this.rows<{
        id: string;
        cursor: string;
        full_name: string;
        email: string;
        progress: string;
        completed_lessons: number;
        completed_at: Date | null;
        certificate_number: string | null;
      }>(GRADEBOOK_PAGE_SQL, [courseId, after[0], after[1], GRADEBOOK_PAGE_SIZE]);
      if (!page.length) return;
      const best = new Map<string, string>();
      if (quizzes.length) {
        const scores = await this.rows<{ enrollment_id: string; quiz_id: string; best: string }>(GRADEBOOK_SCORES_SQL, [
          page.map((r) => r.id),
        ]);
        for (const s of scores) best.set(`${s.enrollment_id}:${s.quiz_id}`, s.best);
      }
      let chunk = '';
      for (const r of page) {
        chunk += csvRow([
          r.full_name,
          r.email,
          r.progress,
          r.completed_lessons,
          ...quizzes.map((q) => best.get(`${r.id}:${q.id}`) ?? ''),
          r.completed_at ? new Date(r.completed_at).toISOString() : '',
          r.certificate_number ?? '',
        ]);
      }
      yield chunk;
      const last = page[page.length - 1]!;
      after = [last.cursor, last.id];
      if (page.length < GRADEBOOK_PAGE_SIZE) return;
    }
  }
}
