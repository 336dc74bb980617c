import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AppConfig, CacheService, ProblemException, runSql, type AuthUser } from '#core';
import {
  QUESTIONS_PER_QUIZ_MAX,
  type CreateQuestionDto,
  type QuestionOptionInputDto,
  type ReorderQuestionsDto,
  type UpdateQuestionDto,
} from './dto/question.dto.js';
import { normalizeAnswer, questionViolation, type QuestionRuleInput, type RuleOption } from './question-rules.js';
import {
  toManagedQuestion,
  toPublicQuestion,
  type ManagedQuestionDto,
  type ManagedQuestionFields,
  type PublicQuestionDto,
} from './question-views.js';
import type { QuestionOption, QuestionType } from './quiz-question.entity.js';
import {
  QUIZ_CACHE_NS,
  canManageQuiz,
  cannotManageQuizzes,
  loadQuizAccess,
  loadViewableQuiz,
  lockManagedQuiz,
} from './quiz-access.js';

/** The manager view's columns, aliased to the entity's property names (see ManagedQuestionFields). */
const MANAGED_COLUMNS = `id, quiz_id AS "quizId", question_text AS "questionText", question_type AS "questionType", points,
  order_index AS "orderIndex", explanation, options, correct_answer AS "correctAnswer"`;
/** The student view's columns: no answer data is even read. */
const PUBLIC_COLUMNS = `id, question_text AS "questionText", question_type AS "questionType", points, options`;

const CHOICE_TYPES: ReadonlySet<QuestionType> = new Set(['multiple_choice', 'multiple_response']);

const questionNotFound = (): ProblemException => new ProblemException(404, 'not_found', 'Question not found');

/** 400 `invalid_question`: the type's first broken rule, as detail and as a field error. */
function assertValid(input: QuestionRuleInput): void {
  const violation = questionViolation(input);
  if (violation) {
    throw new ProblemException(400, 'invalid_question', violation.message, {
      errors: [{ field: violation.field, message: violation.message, code: 'invalid_question' }],
    });
  }
}

function invalidOrder(message: string): ProblemException {
  return new ProblemException(422, 'invalid_order', message, {
    errors: [{ field: 'question_ids', message, code: 'invalid_order' }],
  });
}

/** Options as sent → as stored before validation (a missing option_id gets a new UUID, is_correct defaults to false). */
function optionsFromInput(options: QuestionOptionInputDto[] | null | undefined): RuleOption[] | null {
  if (!options) return null;
  return options.map((o) => ({
    option_id: o.option_id ?? randomUUID(),
    option_text: o.option_text,
    is_correct: o.is_correct ?? false,
  }));
}

/** jsonb parameters go as JSON text (node-postgres would send an array as a PostgreSQL array). */
const jsonb = (value: unknown): string | null => (value === null ? null : JSON.stringify(value));

/**
 * Questions of a quiz. Every write runs in a transaction that first locks the quiz row
 * (lockManagedQuiz: FOR UPDATE), so writes to one quiz run one at a time: positions are max + 1
 * without collisions, publish sees a stable set, and the attempt check on delete cannot race a
 * starting attempt. Positions stay 1..n: a delete closes the gap, a reorder renumbers.
 *
 * Reads check the quiz's and course's visibility against the database every time; the lists are
 * cached per quiz (QUIZ_CACHE_NS, QUIZ_QUESTION_CACHE_TTL_SECONDS): one public entry (the same for
 * every viewer allowed to see it) and one manager entry. Every write clears the namespace.
 */
@Injectable()
export class QuestionsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(CacheService) private readonly cache: CacheService,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  async listPublic(courseId: string, quizId: string, user: AuthUser | undefined): Promise<PublicQuestionDto[]> {
    await loadViewableQuiz(this.dataSource.manager, courseId, quizId, user);
    return this.cached(`questions:${quizId}:public`, async () => {
      const { rows } = await runSql<Parameters<typeof toPublicQuestion>[0]>(
        this.dataSource.manager,
        `SELECT ${PUBLIC_COLUMNS} FROM quiz_questions WHERE quiz_id = $1 ORDER BY order_index`,
        [quizId],
      );
      return rows.map((q) => toPublicQuestion(q));
    });
  }

  async listManaged(courseId: string, quizId: string, user: AuthUser): Promise<ManagedQuestionDto[]> {
    const quiz = await loadQuizAccess(this.dataSource.manager, courseId, quizId);
    if (!canManageQuiz(user, quiz)) throw cannotManageQuizzes();
    return this.cached(`questions:${quizId}:managed`, () => this.managedRows(this.dataSource.manager, quizId));
  }

  async create(courseId: string, quizId: string, user: AuthUser, body: CreateQuestionDto): Promise<ManagedQuestionDto> {
    const input: QuestionRuleInput = {
      question_type: body.question_type,
      options: optionsFromInput(body.options),
      correct_answer: body.correct_answer ?? null,
    };
    const created = await this.dataSource.transaction(async (m) => {
      await lockManagedQuiz(m, courseId, quizId, user);
      assertValid(input);
      const answer = normalizeAnswer(input);
      const [{ next, n }] = (
        await runSql<{ next: number; n: number }>(
          m,
          'SELECT COALESCE(MAX(order_index), 0)::int + 1 AS next, count(*)::int AS n FROM quiz_questions WHERE quiz_id = $1',
          [quizId],
        )
      ).rows as [{ next: number; n: number }];
      if (n >= QUESTIONS_PER_QUIZ_MAX) {
        throw new ProblemException(
          409,
          'question_limit',
          `A quiz can have at most ${QUESTIONS_PER_QUIZ_MAX} questions`,
        );
      }
      const [row] = (
        await runSql<ManagedQuestionFields>(
          m,
          `INSERT INTO quiz_questions (quiz_id, question_text, question_type, points, order_index, explanation, options,
             correct_answer, metadata)
           VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9::jsonb)
           RETURNING ${MANAGED_COLUMNS}`,
          [
            quizId,
            body.question_text,
            body.question_type,
            body.points ?? 1,
            next,
            body.explanation ?? null,
            jsonb(answer.options),
            answer.correct_answer,
            jsonb(body.metadata ?? {}),
          ],
        )
      ).rows;
      return row!;
    });
    await this.invalidate();
    return toManagedQuestion(created);
  }

  /**
   * Absent fields stay. The resulting type, options and answer are validated together; changing
   * the type without sending options/correct_answer drops what the new type cannot have (options of
   * a non-choice type, the correct_answer of a choice type or an essay), as lessons drop video_url.
   */
  async update(
    courseId: string,
    quizId: string,
    questionId: string,
    user: AuthUser,
    body: UpdateQuestionDto,
  ): Promise<ManagedQuestionDto> {
    const updated = await this.dataSource.transaction(async (m) => {
      await lockManagedQuiz(m, courseId, quizId, user);
      const [current] = (
        await runSql<{ question_type: QuestionType; options: QuestionOption[] | null; correct_answer: string | null }>(
          m,
          'SELECT question_type, options, correct_answer FROM quiz_questions WHERE id = $1 AND quiz_id = $2',
          [questionId, quizId],
        )
      ).rows;
      if (!current) throw questionNotFound();

      const type = body.question_type ?? current.question_type;
      const typeChanged = type !== current.question_type;
      const keepOptions = !typeChanged || CHOICE_TYPES.has(type);
      const keepAnswer = !typeChanged || !(CHOICE_TYPES.has(type) || type === 'essay');
      const input: QuestionRuleInput = {
        question_type: type,
        options: body.options !== undefined ? optionsFromInput(body.options) : keepOptions ? current.options : null,
        correct_answer:
          body.correct_answer !== undefined ? body.correct_answer : keepAnswer ? current.correct_answer : null,
      };
      assertValid(input);
      const answer = normalizeAnswer(input);

      const params: unknown[] = [questionId, type, jsonb(answer.options), answer.correct_answer];
      const sets = ['question_type = $2', 'options = $3::jsonb', 'correct_answer = $4', 'updated_at = now()'];
      const set = (column: string, value: unknown, cast = ''): void => {
        params.push(value);
        sets.push(`${column} = $${params.length}${cast}`);
      };
      if (body.question_text !== undefined) set('question_text', body.question_text);
      if (body.points !== undefined) set('points', body.points);
      if (body.explanation !== undefined) set('explanation', body.explanation);
      if (body.metadata !== undefined) set('metadata', jsonb(body.metadata ?? {}), '::jsonb');
      const [row] = (
        await runSql<ManagedQuestionFields>(
          m,
          `UPDATE quiz_questions SET ${sets.join(', ')} WHERE id = $1 RETURNING ${MANAGED_COLUMNS}`,
          params,
        )
      ).rows;
      return row!;
    });
    await this.invalidate();
    return toManagedQuestion(updated);
  }

  /**
   * Deletes a question and closes the gap in the positions (questions after it move up one).
   * Refused (409) when the quiz has any attempt (`quiz_has_attempts`: their answers and scores refer
   * to the questions) or when it is the last question of a published quiz (`last_question`).
   */
  async remove(courseId: string, quizId: string, questionId: string, user: AuthUser): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const quiz = await lockManagedQuiz(m, courseId, quizId, user);
      const [question] = (
        await runSql<{ order_index: number; total: number; has_attempts: boolean }>(
          m,
          `SELECT qq.order_index,
                  (SELECT count(*)::int FROM quiz_questions WHERE quiz_id = $2) AS total,
                  EXISTS (SELECT 1 FROM quiz_attempts WHERE quiz_id = $2) AS has_attempts
             FROM quiz_questions qq WHERE qq.id = $1 AND qq.quiz_id = $2`,
          [questionId, quizId],
        )
      ).rows;
      if (!question) throw questionNotFound();
      if (question.has_attempts) {
        throw new ProblemException(409, 'quiz_has_attempts', 'Cannot delete a question of a quiz that has attempts');
      }
      if (quiz.quiz_is_published && question.total <= 1) {
        throw new ProblemException(409, 'last_question', 'Cannot delete the last question of a published quiz');
      }
      await runSql(m, 'DELETE FROM quiz_questions WHERE id = $1', [questionId]);
      await runSql(
        m,
        `UPDATE quiz_questions SET order_index = order_index - 1, updated_at = now()
          WHERE quiz_id = $1 AND order_index > $2`,
        [quizId, question.order_index],
      );
    });
    await this.invalidate();
  }

  /**
   * Sets positions 1..n in the order given. The list must hold every question of the quiz exactly
   * once (422 `invalid_order`). uq_quiz_questions_quiz_order is deferred, so the permutation is
   * checked at commit. Returns the manager view in the new order.
   */
  async reorder(
    courseId: string,
    quizId: string,
    user: AuthUser,
    body: ReorderQuestionsDto,
  ): Promise<ManagedQuestionDto[]> {
    const result = await this.dataSource.transaction(async (m) => {
      await lockManagedQuiz(m, courseId, quizId, user);
      const existing = new Set(
        (await runSql<{ id: string }>(m, 'SELECT id FROM quiz_questions WHERE quiz_id = $1', [quizId])).rows.map(
          (r) => r.id,
        ),
      );
      const ids = body.question_ids.map((id) => id.toLowerCase());
      const seen = new Set<string>();
      for (const id of ids) {
        if (seen.has(id)) throw invalidOrder(`question_ids lists question ${id} more than once`);
        if (!existing.has(id)) throw invalidOrder(`question_ids lists ${id}, which is not a question of this quiz`);
        seen.add(id);
      }
      const missing = [...existing].filter((id) => !seen.has(id));
      if (missing.length) {
        throw invalidOrder(`question_ids must list every question of the quiz; missing: ${missing.join(', ')}`);
      }
      if (ids.length) {
        await runSql(
          m,
          `UPDATE quiz_questions qq SET order_index = v.ord, updated_at = now()
             FROM unnest($2::uuid[]) WITH ORDINALITY AS v(id, ord)
            WHERE qq.id = v.id AND qq.quiz_id = $1 AND qq.order_index <> v.ord`,
          [quizId, ids],
        );
      }
      return this.managedRows(m, quizId);
    });
    await this.invalidate();
    return result;
  }

  private async managedRows(m: EntityManager, quizId: string): Promise<ManagedQuestionDto[]> {
    const { rows } = await runSql<ManagedQuestionFields>(
      m,
      `SELECT ${MANAGED_COLUMNS} FROM quiz_questions WHERE quiz_id = $1 ORDER BY order_index`,
      [quizId],
    );
    return rows.map(toManagedQuestion);
  }

  private cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    return this.cache.getOrLoad(QUIZ_CACHE_NS, key, this.config.QUIZ_QUESTION_CACHE_TTL_SECONDS, load);
  }

  private invalidate(): Promise<void> {
    return this.cache.invalidate(QUIZ_CACHE_NS);
  }
}
