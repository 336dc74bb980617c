import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource, type EntityManager } from 'typeorm';
import {
  AppConfig,
  Clock,
  OutboxService,
  ProblemException,
  offset,
  paginate,
  runSql,
  type AuthUser,
  type Page,
  pgError,
} from '#core';
import { canManageCourse } from '#courses';
import { EnrollmentsService } from '#enrollments';
import { InvalidAnswerError, validateAnswers, type QuestionKey, type SubmittedAnswer } from './answer-rules.js';
import {
  AttemptListItemDto,
  AttemptResponseDto,
  type AttemptAnswerDto,
  type AttemptResultDto,
  type AttemptRow,
  type AttemptStartViewDto,
  type EssayGradeDto,
  type ListAttemptsQueryDto,
  type ManagedAttemptResultDto,
  type StartAttemptResponseDto,
} from './dto/attempt.dto.js';
import { shuffled, toPublicQuestion } from './question-views.js';
import type { StoredAnswer } from './quiz-attempt.entity.js';
import type { QuestionOption, QuestionType } from './quiz-question.entity.js';
import { finalizeExpiredAttempt, isOverdue } from './quiz-expiry.service.js';
import {
  applyEssayGrades,
  centsToDecimal,
  gradeAnswers,
  InvalidGradeError,
  isPassing,
  percentageOf,
  toCents,
} from './scoring.js';

const ATTEMPT_COLUMNS = [
  'id',
  'quiz_id',
  'enrollment_id',
  'student_id',
  'attempt_number',
  'status',
  'started_at',
  'deadline_at',
  'submitted_at',
  'graded_at',
  'graded_by',
  'score',
  'max_score',
  'percentage',
  'is_passed',
  'time_taken_seconds',
  'expired',
  'answers',
].join(', ');

const ONE_IN_PROGRESS = 'uq_quiz_attempts_one_in_progress';
const UNIQUE_NUMBER = 'uq_quiz_attempts_quiz_enrollment_number';

/** Enrollment statuses that may start attempts. */
const ATTEMPTABLE = new Set(['active', 'completed']);

interface QuizRow {
  id: string;
  course_id: string;
  lesson_id: string;
  title: string;
  time_limit_minutes: number | null;
  passing_score: string;
  max_attempts: number | null;
  shuffle_questions: boolean;
  shuffle_options: boolean;
  show_correct_answers: boolean;
  /** The quiz and its course are both published. */
  is_published: boolean;
  instructor_id: string;
}

interface QuestionRow extends QuestionKey {
  question_text: string;
  explanation: string | null;
}

const quizNotFound = (): ProblemException => new ProblemException(404, 'not_found', 'Quiz not found');
const attemptNotFound = (): ProblemException => new ProblemException(404, 'not_found', 'Attempt not found');
const notPublished = (): ProblemException => new ProblemException(403, 'quiz_not_published', 'Quiz is not published');
const notEnrolled = (): ProblemException =>
  new ProblemException(403, 'not_enrolled', 'You must enroll in course before attempting quiz');
const inProgress = (attemptId: string): ProblemException =>
  new ProblemException(403, 'attempt_in_progress', 'You already have an in-progress attempt', {
    attempt_id: attemptId,
  });
const maxAttemptsReached = (): ProblemException =>
  new ProblemException(403, 'max_attempts_reached', 'Maximum attempts reached');
const notManager = (detail: string): ProblemException => new ProblemException(403, 'forbidden', detail);

function uniqueViolation(err: unknown): string | undefined {
  const e = pgError(err);
  return e?.code === '23505' ? e.constraint : undefined;
}

const questionKind = (type: QuestionType): 'choice' | 'multiple' | 'text' =>
  type === 'multiple_choice' ? 'choice' : type === 'multiple_response' ? 'multiple' : 'text';

/**
 * The answers as a viewer may see them. `reveal`: correctness, points and the answer key
 * (managers always; students once graded and only when the quiz shows correct answers).
 */
function answerViews(answers: readonly StoredAnswer[], questions: readonly QuestionRow[], reveal: boolean) {
  const byId = new Map(questions.map((q) => [q.id, q]));
  return answers.map((a): AttemptAnswerDto => {
    const view: AttemptAnswerDto = {
      question_id: a.question_id,
      selected_option_id: a.selected_option_id ?? null,
      selected_option_ids: a.selected_option_ids ?? null,
      answer_text: a.answer_text ?? null,
      feedback: a.feedback ?? null,
    };
    if (!reveal) return view;
    view.is_correct = a.is_correct;
    view.points_earned = a.points_earned;
    const q = byId.get(a.question_id);
    if (!q) return view;
    const options: QuestionOption[] = q.options ?? [];
    if (q.question_type === 'multiple_choice') {
      view.correct_option_id = options.find((o) => o.is_correct)?.option_id ?? null;
    } else if (q.question_type === 'multiple_response') {
      view.correct_option_ids = options.filter((o) => o.is_correct).map((o) => o.option_id);
    } else if (q.question_type !== 'essay') {
      view.correct_answer = q.correct_answer;
    }
    view.explanation = q.explanation;
    return view;
  });
}

/**
 * Quiz attempts (reference section 7; API.md item 10): start, submit, manual essay grading and
 * the views of students and course managers. The server owns time (Clock); every transaction that
 * locks an attempt locks its enrollment first, the order EnrollmentsService also uses.
 */
@Injectable()
export class AttemptsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(OutboxService) private readonly outbox: OutboxService,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(EnrollmentsService) private readonly enrollments: EnrollmentsService,
  ) {}

  /**
   * Starts an attempt: one transaction that locks the student's enrollment, so concurrent starts
   * run one after the other (the unique indexes are the backstop). An in-progress attempt past
   * deadline + grace is finalized first (committed even when the new start is then refused).
   */
  async start(caller: AuthUser, quizId: string): Promise<StartAttemptResponseDto> {
    if (caller.role !== 'student') {
      throw new ProblemException(403, 'forbidden', 'Only students can start quiz attempts');
    }
    const now = this.clock.now();
    let enrollmentId: string | undefined;
    let quiz: QuizRow | undefined;
    let outcome: AttemptRow | ProblemException;
    try {
      outcome = await this.dataSource.transaction(async (m): Promise<AttemptRow | ProblemException> => {
        quiz = await this.findQuiz(m, quizId);
        if (!quiz) throw quizNotFound();
        if (!quiz.is_published) throw notPublished();
        const [enrollment] = (
          await runSql<{ id: string; status: string }>(
            m,
            'SELECT id, status FROM enrollments WHERE student_id = $1 AND course_id = $2 FOR UPDATE',
            [caller.id, quiz.course_id],
          )
        ).rows;
        if (!enrollment) throw notEnrolled();
        enrollmentId = enrollment.id;
        if (!ATTEMPTABLE.has(enrollment.status)) {
          throw new ProblemException(403, 'enrollment_not_active', 'Enrollment status does not allow quiz attempts');
        }
        const [current] = (
          await runSql<{ id: string; deadline_at: Date | null }>(
            m,
            `SELECT id, deadline_at FROM quiz_attempts
             WHERE quiz_id = $1 AND enrollment_id = $2 AND status = 'in_progress' FOR UPDATE`,
            [quizId, enrollment.id],
          )
        ).rows;
        let finalized = false;
        if (current) {
          if (!isOverdue(current.deadline_at, now, this.config.QUIZ_SUBMIT_GRACE_SECONDS)) throw inProgress(current.id);
          finalized = await finalizeExpiredAttempt(m, this.outbox, current.id, now);
        }
        const [{ n, last }] = (
          await runSql<{ n: number; last: number }>(
            m,
            `SELECT count(*)::int AS n, coalesce(max(attempt_number), 0)::int AS last
             FROM quiz_attempts WHERE quiz_id = $1 AND enrollment_id = $2`,
            [quizId, enrollment.id],
          )
        ).rows as [{ n: number; last: number }];
        if (quiz.max_attempts !== null && n >= quiz.max_attempts) {
          if (finalized) return maxAttemptsReached(); // keep the finalization
          throw maxAttemptsReached();
        }
        const deadline = quiz.time_limit_minutes ? new Date(now.getTime() + quiz.time_limit_minutes * 60_000) : null;
        const [row] = (
          await runSql<AttemptRow>(
            m,
            `INSERT INTO quiz_attempts (quiz_id, enrollment_id, student_id, attempt_number, status, started_at,
               deadline_at, max_score)
             VALUES ($1, $2, $3, $4, 'in_progress', $5, $6,
               (SELECT round(coalesce(sum(points), 0), 2) FROM quiz_questions WHERE quiz_id = $1))
             RETURNING ${ATTEMPT_COLUMNS}`,
            [quizId, enrollment.id, caller.id, last + 1, now, deadline],
          )
        ).rows;
        return row!;
      });
    } catch (err) {
      const constraint = uniqueViolation(err);
      if ((constraint === ONE_IN_PROGRESS || constraint === UNIQUE_NUMBER) && quiz && enrollmentId) {
        throw await this.startConflict(quiz, enrollmentId);
      }
      throw err;
    }
    if (outcome instanceof ProblemException) throw outcome;
    return {
      id: outcome.id,
      quiz_id: outcome.quiz_id,
      attempt_number: Number(outcome.attempt_number),
      status: 'in_progress',
      started_at: new Date(outcome.started_at).toISOString(),
      deadline_at: outcome.deadline_at ? new Date(outcome.deadline_at).toISOString() : null,
      time_limit_minutes: quiz!.time_limit_minutes,
      max_score: outcome.max_score,
    };
  }

  /** The 403 for a start that lost a race on a unique index (only possible without the enrollment lock). */
  private async startConflict(quiz: QuizRow, enrollmentId: string): Promise<ProblemException> {
    const m = this.dataSource.manager;
    const [current] = (
      await runSql<{ id: string }>(
        m,
        "SELECT id FROM quiz_attempts WHERE quiz_id = $1 AND enrollment_id = $2 AND status = 'in_progress'",
        [quiz.id, enrollmentId],
      )
    ).rows;
    if (current) return inProgress(current.id);
    const [{ n }] = (
      await runSql<{ n: number }>(
        m,
        'SELECT count(*)::int AS n FROM quiz_attempts WHERE quiz_id = $1 AND enrollment_id = $2',
        [quiz.id, enrollmentId],
      )
    ).rows as [{ n: number }];
    if (quiz.max_attempts !== null && n >= quiz.max_attempts) return maxAttemptsReached();
    return new ProblemException(409, 'conflict', 'Another attempt was started at the same time; try again');
  }

  /**
   * The quiz and its public questions (no answer data), shuffled per the quiz's settings afresh on
   * each call. Enrolled students of a published quiz, and the course's managers.
   */
  async startView(caller: AuthUser, quizId: string): Promise<AttemptStartViewDto> {
    const m = this.dataSource.manager;
    const quiz = await this.findQuiz(m, quizId);
    if (!quiz) throw quizNotFound();
    if (!canManageCourse(caller, { instructorId: quiz.instructor_id })) {
      if (caller.role !== 'student') throw notManager('Not authorized to access this quiz');
      if (!quiz.is_published) throw notPublished();
      if (!(await this.findEnrollment(m, caller.id, quiz.course_id))) throw notEnrolled();
    }
    const questions = await this.loadQuestions(m, quizId);
    const ordered = quiz.shuffle_questions ? shuffled(questions) : questions;
    const total = questions.reduce((sum, q) => sum + toCents(q.points), 0);
    return {
      quiz: {
        id: quiz.id,
        title: quiz.title,
        time_limit_minutes: quiz.time_limit_minutes,
        total_questions: questions.length,
        total_points: centsToDecimal(total),
      },
      questions: ordered.map((q) =>
        toPublicQuestion(
          {
            id: q.id,
            questionText: q.question_text,
            questionType: q.question_type,
            points: q.points,
            options: q.options,
          },
          quiz.shuffle_options,
        ),
      ),
    };
  }

  /**
   * Submits the caller's in-progress attempt. Answers are validated first (400, nothing changes);
   * past deadline + grace the attempt is finalized (score 0, expired) and that is committed before
   * the 403; otherwise it is graded (or left `submitted` for essays), a pass completes the quiz's
   * lesson, and `quiz.submitted` is recorded — all in one transaction.
   */
  async submit(
    caller: AuthUser,
    quizId: string,
    attemptId: string,
    answers: readonly SubmittedAnswer[],
  ): Promise<AttemptResultDto> {
    if (caller.role !== 'student') throw new ProblemException(403, 'forbidden', 'Only students can submit attempts');
    const now = this.clock.now();
    const outcome = await this.dataSource.transaction(async (m): Promise<AttemptResultDto | ProblemException> => {
      const [ref] = (
        await runSql<{ enrollment_id: string }>(
          m,
          'SELECT enrollment_id FROM quiz_attempts WHERE id = $1 AND quiz_id = $2 AND student_id = $3',
          [attemptId, quizId, caller.id],
        )
      ).rows;
      if (!ref) throw attemptNotFound();
      // Enrollment first, then the attempt (the order of every transaction touching both).
      await m.query('SELECT id FROM enrollments WHERE id = $1 FOR UPDATE', [ref.enrollment_id]);
      const attempt = await this.lockAttempt(m, attemptId);
      if (attempt.status !== 'in_progress') {
        throw new ProblemException(403, 'attempt_already_submitted', 'Attempt is already submitted');
      }
      const quiz = (await this.findQuiz(m, quizId))!;
      const questions = await this.loadQuestions(m, quizId);
      try {
        validateAnswers(questions, answers);
      } catch (err) {
        if (err instanceof InvalidAnswerError) throw new ProblemException(400, 'invalid_answer', err.message);
        throw err;
      }
      if (isOverdue(attempt.deadline_at, now, this.config.QUIZ_SUBMIT_GRACE_SECONDS)) {
        await finalizeExpiredAttempt(m, this.outbox, attempt.id, now);
        return new ProblemException(403, 'time_limit_exceeded', 'Time limit exceeded for this attempt');
      }

      const grading = gradeAnswers(questions, answers);
      const graded = !grading.pending;
      const score = graded ? centsToDecimal(grading.scoreCents) : null;
      const maxScore = centsToDecimal(grading.maxCents);
      const percentage = graded ? percentageOf(grading.scoreCents, grading.maxCents) : null;
      const passed = percentage === null ? null : isPassing(percentage, quiz.passing_score);
      const timeTaken = Math.max(0, Math.floor((now.getTime() - new Date(attempt.started_at).getTime()) / 1000));
      const [row] = (
        await runSql<AttemptRow>(
          m,
          `UPDATE quiz_attempts SET status = $2, submitted_at = $3, graded_at = $4, score = $5, max_score = $6,
             percentage = $7, is_passed = $8, time_taken_seconds = $9, answers = $10::jsonb, updated_at = now()
           WHERE id = $1 RETURNING ${ATTEMPT_COLUMNS}`,
          [
            attempt.id,
            graded ? 'graded' : 'submitted',
            now,
            graded ? now : null,
            score,
            maxScore,
            percentage,
            passed,
            timeTaken,
            JSON.stringify(grading.answers),
          ],
        )
      ).rows;
      if (passed) await this.enrollments.completeLessonInTransaction(m, attempt.enrollment_id, quiz.lesson_id);
      await this.outbox.record(m, 'quiz.submitted', {
        attempt_id: attempt.id,
        quiz_id: quiz.id,
        course_id: quiz.course_id,
        lesson_id: quiz.lesson_id,
        enrollment_id: attempt.enrollment_id,
        student_id: attempt.student_id,
        attempt_number: Number(attempt.attempt_number),
        status: row!.status,
        score,
        max_score: maxScore,
        percentage,
        is_passed: passed,
        expired: false,
        submitted_at: now.toISOString(),
      });
      return this.result(row!, questions, this.revealToStudent(row!, quiz));
    });
    if (outcome instanceof ProblemException) throw outcome;
    return outcome;
  }

  /** The caller's attempts at a quiz, by attempt_number. */
  async myAttempts(caller: AuthUser, quizId: string): Promise<AttemptResponseDto[]> {
    if (caller.role !== 'student') {
      throw new ProblemException(403, 'forbidden', 'Only students can access own attempts');
    }
    const m = this.dataSource.manager;
    const quiz = await this.findQuiz(m, quizId);
    if (!quiz) throw quizNotFound();
    const enrollment = await this.findEnrollment(m, caller.id, quiz.course_id);
    if (!enrollment) throw notEnrolled();
    const rows = (
      await runSql<AttemptRow>(
        m,
        `SELECT ${ATTEMPT_COLUMNS} FROM quiz_attempts WHERE quiz_id = $1 AND enrollment_id = $2
         ORDER BY attempt_number`,
        [quizId, enrollment.id],
      )
    ).rows;
    return rows.map(AttemptResponseDto.from);
  }

  /** One attempt: its student (student view) or the course's managers (everything). */
  async get(caller: AuthUser, quizId: string, attemptId: string): Promise<AttemptResultDto | ManagedAttemptResultDto> {
    const m = this.dataSource.manager;
    const quiz = await this.findQuiz(m, quizId);
    if (!quiz) throw quizNotFound();
    if (canManageCourse(caller, { instructorId: quiz.instructor_id })) {
      const row = await this.findAttempt(m, quizId, attemptId);
      if (!row) throw attemptNotFound();
      return this.managedResult(row, await this.loadQuestions(m, quizId));
    }
    if (caller.role !== 'student') throw notManager('Not authorized to view attempts of this quiz');
    const row = await this.findAttempt(m, quizId, attemptId);
    if (!row || row.student_id !== caller.id) throw attemptNotFound();
    return this.result(row, await this.loadQuestions(m, quizId), this.revealToStudent(row, quiz));
  }

  /** A quiz's attempts, newest first, optionally by status (the course's managers). */
  async list(caller: AuthUser, quizId: string, query: ListAttemptsQueryDto): Promise<Page<AttemptListItemDto>> {
    const m = this.dataSource.manager;
    const quiz = await this.findQuiz(m, quizId);
    if (!quiz) throw quizNotFound();
    if (!canManageCourse(caller, { instructorId: quiz.instructor_id })) {
      throw notManager('Not authorized to view attempts of this quiz');
    }
    const status = query.status ?? null;
    const rows = (
      await runSql<AttemptRow>(
        m,
        `SELECT ${ATTEMPT_COLUMNS} FROM quiz_attempts
         WHERE quiz_id = $1 AND ($2::varchar IS NULL OR status = $2)
         ORDER BY started_at DESC, id DESC LIMIT $3 OFFSET $4`,
        [quizId, status, query.page_size, offset(query)],
      )
    ).rows;
    const [{ n }] = (
      await runSql<{ n: number }>(
        m,
        'SELECT count(*)::int AS n FROM quiz_attempts WHERE quiz_id = $1 AND ($2::varchar IS NULL OR status = $2)',
        [quizId, status],
      )
    ).rows as [{ n: number }];
    return paginate(
      rows.map((r) => ({ ...AttemptResponseDto.from(r), student_id: r.student_id })),
      n,
      query,
    );
  }

  /**
   * Grades the pending essay answers of a `submitted` attempt (the course's managers): every
   * pending answer exactly once, 0 ≤ points ≤ the question's points. The attempt becomes graded;
   * a pass completes the quiz's lesson; `quiz.graded` is recorded.
   */
  async grade(
    caller: AuthUser,
    quizId: string,
    attemptId: string,
    grades: readonly EssayGradeDto[],
  ): Promise<ManagedAttemptResultDto> {
    const now = this.clock.now();
    return this.dataSource.transaction(async (m) => {
      const quiz = await this.findQuiz(m, quizId);
      if (!quiz) throw quizNotFound();
      if (!canManageCourse(caller, { instructorId: quiz.instructor_id })) {
        throw notManager('Not authorized to grade attempts of this quiz');
      }
      const found = await this.findAttempt(m, quizId, attemptId);
      if (!found) throw attemptNotFound();
      await m.query('SELECT id FROM enrollments WHERE id = $1 FOR UPDATE', [found.enrollment_id]);
      const attempt = await this.lockAttempt(m, attemptId);
      if (attempt.status !== 'submitted') {
        throw new ProblemException(409, 'attempt_not_awaiting_grading', 'Attempt is not awaiting grading');
      }
      const questions = await this.loadQuestions(m, quizId);
      let applied: ReturnType<typeof applyEssayGrades>;
      try {
        applied = applyEssayGrades(attempt.answers ?? [], questions, grades);
      } catch (err) {
        if (err instanceof InvalidGradeError) throw new ProblemException(400, 'invalid_grade', err.message);
        throw err;
      }
      const score = centsToDecimal(applied.scoreCents);
      const percentage = percentageOf(applied.scoreCents, toCents(attempt.max_score));
      const passed = isPassing(percentage, quiz.passing_score);
      const [row] = (
        await runSql<AttemptRow>(
          m,
          `UPDATE quiz_attempts SET status = 'graded', graded_at = $2, graded_by = $3, score = $4, percentage = $5,
             is_passed = $6, answers = $7::jsonb, updated_at = now()
           WHERE id = $1 RETURNING ${ATTEMPT_COLUMNS}`,
          [attempt.id, now, caller.id, score, percentage, passed, JSON.stringify(applied.answers)],
        )
      ).rows;
      if (passed) await this.enrollments.completeLessonInTransaction(m, attempt.enrollment_id, quiz.lesson_id);
      await this.outbox.record(m, 'quiz.graded', {
        attempt_id: attempt.id,
        quiz_id: quiz.id,
        course_id: quiz.course_id,
        enrollment_id: attempt.enrollment_id,
        student_id: attempt.student_id,
        graded_by: caller.id,
        score,
        max_score: attempt.max_score,
        percentage,
        is_passed: passed,
        graded_at: now.toISOString(),
      });
      return this.managedResult(row!, questions);
    });
  }

  private revealToStudent(row: AttemptRow, quiz: QuizRow): boolean {
    return row.status === 'graded' && quiz.show_correct_answers;
  }

  private result(row: AttemptRow, questions: readonly QuestionRow[], reveal: boolean): AttemptResultDto {
    return { ...AttemptResponseDto.from(row), answers: answerViews(row.answers ?? [], questions, reveal) };
  }

  private managedResult(row: AttemptRow, questions: readonly QuestionRow[]): ManagedAttemptResultDto {
    return { ...this.result(row, questions, true), student_id: row.student_id };
  }

  private async findQuiz(m: EntityManager, quizId: string): Promise<QuizRow | undefined> {
    const [quiz] = (
      await runSql<QuizRow>(
        m,
        `SELECT q.id, q.course_id, q.lesson_id, q.title, q.time_limit_minutes, q.passing_score, q.max_attempts,
                q.shuffle_questions, q.shuffle_options, q.show_correct_answers,
                -- A quiz of an unpublished course is as closed to students as its lessons are.
                (q.is_published AND c.is_published) AS is_published, c.instructor_id
         FROM quizzes q JOIN courses c ON c.id = q.course_id WHERE q.id = $1`,
        [quizId],
      )
    ).rows;
    return quiz;
  }

  private async loadQuestions(m: EntityManager, quizId: string): Promise<QuestionRow[]> {
    const rows = (
      await runSql<QuestionRow>(
        m,
        `SELECT id, question_text, question_type, points, options, correct_answer, explanation
         FROM quiz_questions WHERE quiz_id = $1 ORDER BY order_index, id`,
        [quizId],
      )
    ).rows;
    // Only choice questions carry options.
    return rows.map((q) => (questionKind(q.question_type) === 'text' ? { ...q, options: null } : q));
  }

  private async findEnrollment(
    m: EntityManager,
    studentId: string,
    courseId: string,
  ): Promise<{ id: string } | undefined> {
    const [row] = (
      await runSql<{ id: string }>(m, 'SELECT id FROM enrollments WHERE student_id = $1 AND course_id = $2', [
        studentId,
        courseId,
      ])
    ).rows;
    return row;
  }

  private async findAttempt(m: EntityManager, quizId: string, attemptId: string): Promise<AttemptRow | undefined> {
    const [row] = (
      await runSql<AttemptRow>(m, `SELECT ${ATTEMPT_COLUMNS} FROM quiz_attempts WHERE id = $1 AND quiz_id = $2`, [
        attemptId,
        quizId,
      ])
    ).rows;
    return row;
  }

  private async lockAttempt(m: EntityManager, attemptId: string): Promise<AttemptRow> {
    const [row] = (
      await runSql<AttemptRow>(m, `SELECT ${ATTEMPT_COLUMNS} FROM quiz_attempts WHERE id = $1 FOR UPDATE`, [attemptId])
    ).rows;
    if (!row) throw attemptNotFound();
    return row;
  }
}
