import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource, type EntityManager } from 'typeorm';
import { AppConfig, CacheService, ProblemException, runSql, type AuthUser, pgError } from '#core';
import { CACHE_NS, canManageCourse } from '#courses';
import type {
  CreateQuizDto,
  QuizListResponseDto,
  QuizResponseDto,
  QuizSummaryDto,
  UpdateQuizDto,
} from './dto/quiz.dto.js';
import { questionRuleMessage, type RuleOption } from './question-rules.js';
import type { QuestionType } from './quiz-question.entity.js';
import type { QuizType } from './quiz.entity.js';
import {
  QUIZ_CACHE_NS,
  cannotManageQuizzes,
  courseNotFound,
  loadViewableQuiz,
  lockManagedQuiz,
} from './quiz-access.js';

const LESSON_CONSTRAINT = 'uq_quizzes_lesson';

/** The columns of QuizResponse (course_id and is_published come with the access row). */
const QUIZ_COLUMNS = [
  'id',
  'lesson_id',
  'title',
  'description',
  'quiz_type',
  'time_limit_minutes',
  'passing_score',
  'max_attempts',
  'shuffle_questions',
  'shuffle_options',
  'show_correct_answers',
  'created_at',
  'updated_at',
];
const Q_COLS = QUIZ_COLUMNS.map((c) => `q.${c}`).join(', ');
const RETURNING = [...QUIZ_COLUMNS, 'course_id', 'is_published AS quiz_is_published'].join(', ');

/** A quiz row as read by raw SQL (numeric as string, timestamptz as Date). */
export interface QuizRow {
  id: string;
  course_id: string;
  lesson_id: string;
  title: string;
  description: string | null;
  quiz_type: QuizType;
  time_limit_minutes: number | null;
  passing_score: string;
  max_attempts: number | null;
  shuffle_questions: boolean;
  shuffle_options: boolean;
  show_correct_answers: boolean;
  quiz_is_published: boolean;
  created_at: Date;
  updated_at: Date;
}

export function toQuizResponse(row: QuizRow): QuizResponseDto {
  return {
    id: row.id,
    course_id: row.course_id,
    lesson_id: row.lesson_id,
    title: row.title,
    description: row.description,
    quiz_type: row.quiz_type,
    time_limit_minutes: row.time_limit_minutes,
    passing_score: row.passing_score,
    max_attempts: row.max_attempts,
    shuffle_questions: row.shuffle_questions,
    shuffle_options: row.shuffle_options,
    show_correct_answers: row.show_correct_answers,
    is_published: row.quiz_is_published,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

/**
 * A course's quizzes, newest first, with their question count and points. $1 course; $2 true for
 * managers (every quiz), false for the others (published quizzes only). Served by
 * idx_quizzes_course_created and, per quiz, uq_quiz_questions_quiz_order (quiz_id first).
 */
export const COURSE_QUIZZES_SQL = `SELECT q.id, q.title, q.description, q.quiz_type, q.time_limit_minutes, q.passing_score,
    q.max_attempts, COALESCE(s.n, 0)::int AS total_questions, COALESCE(s.points, 0)::numeric(12, 2)::text AS total_points,
    q.is_published
  FROM quizzes q
  LEFT JOIN LATERAL (SELECT count(*) AS n, sum(qq.points) AS points FROM quiz_questions qq WHERE qq.quiz_id = q.id) s ON true
  WHERE q.course_id = $1 AND ($2::boolean OR q.is_published)
  ORDER BY q.created_at DESC, q.id DESC`;

const lessonNotFound = (): ProblemException =>
  new ProblemException(404, 'not_found', 'Lesson not found in this course');
const quizExists = (): ProblemException => new ProblemException(409, 'quiz_exists', 'Lesson already has a quiz');
const notPublishable = (detail: string, extra: Record<string, unknown> = {}): ProblemException =>
  new ProblemException(400, 'quiz_not_publishable', detail, extra);

/** A second quiz for the lesson (unique violation of uq_quizzes_lesson) → 409; a vanished lesson (FK) → 404. */
function mapWriteError(err: unknown): unknown {
  const e = pgError(err);
  if (e?.code === '23505' && e.constraint === LESSON_CONSTRAINT) return quizExists();
  if (e?.code === '23503') return lessonNotFound();
  return err;
}

/**
 * Quizzes of a course (reference §7, API.md item 10). Reads check the course's and quiz's
 * visibility against the database every time; the course list is cached (QUIZ_CACHE_NS, one entry
 * per course and audience: managers or everyone else) and every quiz or question write clears the
 * namespace. GET of one quiz is not cached: its visibility check already reads the whole row.
 */
@Injectable()
export class QuizzesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(CacheService) private readonly cache: CacheService,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  async list(courseId: string, user: AuthUser | undefined): Promise<QuizListResponseDto> {
    const course = await this.findCourse(this.dataSource.manager, courseId);
    if (!course) throw courseNotFound();
    const manager = canManageCourse(user, { instructorId: course.instructor_id });
    if (!course.is_published && !manager) {
      throw new ProblemException(403, 'forbidden', 'Not authorized to view quizzes for this course');
    }
    return this.cache.getOrLoad(
      QUIZ_CACHE_NS,
      `list:${courseId}:${manager ? 'all' : 'published'}`,
      this.config.QUIZ_CACHE_TTL_SECONDS,
      async () => {
        const rows = (await runSql<QuizSummaryDto>(this.dataSource.manager, COURSE_QUIZZES_SQL, [courseId, manager]))
          .rows;
        return { quizzes: rows, total: rows.length };
      },
    );
  }

  async get(courseId: string, quizId: string, user: AuthUser | undefined): Promise<QuizResponseDto> {
    return toQuizResponse(await loadViewableQuiz<QuizRow>(this.dataSource.manager, courseId, quizId, user, Q_COLS));
  }

  /**
   * One INSERT ... SELECT from the lesson: no row means the lesson is not in this course (404); the
   * unique constraint decides a race between two creates for one lesson (409 for the loser).
   */
  async create(courseId: string, user: AuthUser, body: CreateQuizDto): Promise<QuizResponseDto> {
    const course = await this.findCourse(this.dataSource.manager, courseId);
    if (!course) throw courseNotFound();
    if (!canManageCourse(user, { instructorId: course.instructor_id })) throw cannotManageQuizzes();
    let row: QuizRow | undefined;
    try {
      [row] = (
        await runSql<QuizRow>(
          this.dataSource.manager,
          `INSERT INTO quizzes (course_id, lesson_id, title, description, quiz_type, time_limit_minutes, passing_score,
             max_attempts, shuffle_questions, shuffle_options, show_correct_answers, is_published)
           SELECT l.course_id, l.id, $3::varchar, $4::text, $5::varchar, $6::int, $7::numeric, $8::int, $9::boolean,
                  $10::boolean, $11::boolean, false
             FROM lessons l WHERE l.id = $2 AND l.course_id = $1
           RETURNING ${RETURNING}`,
          [
            courseId,
            body.lesson_id,
            body.title,
            body.description ?? null,
            body.quiz_type ?? 'graded',
            body.time_limit_minutes ?? null,
            body.passing_score ?? 70,
            body.max_attempts ?? null,
            body.shuffle_questions ?? true,
            body.shuffle_options ?? true,
            body.show_correct_answers ?? true,
          ],
        )
      ).rows;
    } catch (err) {
      throw mapWriteError(err);
    }
    if (!row) throw lessonNotFound();
    await this.invalidate();
    return toQuizResponse(row);
  }

  async update(courseId: string, quizId: string, user: AuthUser, body: UpdateQuizDto): Promise<QuizResponseDto> {
    const sets: string[] = [];
    const params: unknown[] = [quizId];
    const set = (column: string, value: unknown): void => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (body.lesson_id !== undefined) set('lesson_id', body.lesson_id);
    if (body.title !== undefined) set('title', body.title);
    if (body.description !== undefined) set('description', body.description);
    if (body.quiz_type !== undefined) set('quiz_type', body.quiz_type);
    if (body.time_limit_minutes !== undefined) set('time_limit_minutes', body.time_limit_minutes);
    if (body.passing_score !== undefined) set('passing_score', body.passing_score);
    if (body.max_attempts !== undefined) set('max_attempts', body.max_attempts);
    if (body.shuffle_questions !== undefined) set('shuffle_questions', body.shuffle_questions);
    if (body.shuffle_options !== undefined) set('shuffle_options', body.shuffle_options);
    if (body.show_correct_answers !== undefined) set('show_correct_answers', body.show_correct_answers);

    let row: QuizRow;
    try {
      row = await this.dataSource.transaction(async (m) => {
        await lockManagedQuiz(m, courseId, quizId, user);
        if (body.lesson_id !== undefined) await this.checkLesson(m, courseId, body.lesson_id);
        return this.updateRow(m, quizId, [...sets, 'updated_at = now()'], params.slice(1));
      });
    } catch (err) {
      throw mapWriteError(err);
    }
    await this.invalidate();
    return toQuizResponse(row);
  }

  /**
   * Publishes after checking, with the quiz row locked (so no question write interleaves), that
   * it has questions and that every one passes its type's rules (400 `quiz_not_publishable`,
   * naming the first bad question's position). Publishing a published quiz checks again.
   */
  async publish(courseId: string, quizId: string, user: AuthUser): Promise<QuizResponseDto> {
    const row = await this.dataSource.transaction(async (m) => {
      await lockManagedQuiz(m, courseId, quizId, user);
      const questions = (
        await runSql<{
          id: string;
          question_type: QuestionType;
          options: RuleOption[] | null;
          correct_answer: string | null;
        }>(
          m,
          `SELECT id, question_type, options, correct_answer FROM quiz_questions
            WHERE quiz_id = $1 ORDER BY order_index`,
          [quizId],
        )
      ).rows;
      if (questions.length === 0) throw notPublishable('Cannot publish quiz without questions');
      for (const [i, q] of questions.entries()) {
        const message = questionRuleMessage(q);
        if (message) {
          throw notPublishable(`Cannot publish quiz with an invalid question at position ${i + 1}: ${message}`, {
            question_id: q.id,
            position: i + 1,
          });
        }
      }
      return this.updateRow(m, quizId, ['is_published = true', 'updated_at = now()'], []);
    });
    // courses.total_quizzes changed (a trigger maintains it), so the course reads are stale too.
    await this.invalidate(CACHE_NS.courses);
    return toQuizResponse(row);
  }

  /** Unpublishes (also when already unpublished); attempts in progress are not touched. */
  async unpublish(courseId: string, quizId: string, user: AuthUser): Promise<QuizResponseDto> {
    const row = await this.dataSource.transaction(async (m) => {
      await lockManagedQuiz(m, courseId, quizId, user);
      return this.updateRow(m, quizId, ['is_published = false', 'updated_at = now()'], []);
    });
    await this.invalidate(CACHE_NS.courses);
    return toQuizResponse(row);
  }

  private async updateRow(m: EntityManager, quizId: string, sets: string[], params: unknown[]): Promise<QuizRow> {
    const [row] = (
      await runSql<QuizRow>(m, `UPDATE quizzes SET ${sets.join(', ')} WHERE id = $1 RETURNING ${RETURNING}`, [
        quizId,
        ...params,
      ])
    ).rows;
    return row!; // the row is locked by this transaction
  }

  private async findCourse(
    m: EntityManager,
    courseId: string,
  ): Promise<{ instructor_id: string; is_published: boolean } | undefined> {
    const { rows } = await runSql<{ instructor_id: string; is_published: boolean }>(
      m,
      'SELECT instructor_id, is_published FROM courses WHERE id = $1',
      [courseId],
    );
    return rows[0];
  }

  /** The lesson belongs to the course (and stays until commit: FOR KEY SHARE). */
  private async checkLesson(m: EntityManager, courseId: string, lessonId: string): Promise<void> {
    const { rows } = await runSql(m, 'SELECT 1 FROM lessons WHERE id = $1 AND course_id = $2 FOR KEY SHARE', [
      lessonId,
      courseId,
    ]);
    if (!rows.length) throw lessonNotFound();
  }

  private invalidate(...also: string[]): Promise<void> {
    return this.cache.invalidate(QUIZ_CACHE_NS, ...also);
  }
}
