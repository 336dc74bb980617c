import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { AppConfig, Clock, OutboxService, runSql } from '#core';

/** How many overdue attempts one sweep transaction finalizes. */
export const SWEEP_BATCH_SIZE = 500;

interface FinalizedRow {
  id: string;
  quiz_id: string;
  course_id: string;
  lesson_id: string;
  enrollment_id: string;
  student_id: string;
  attempt_number: number;
  max_score: string;
  submitted_at: Date;
}

/**
 * Finalizes the in-progress attempts chosen by `selector` (a SELECT of ids that locks its rows):
 * graded, score/percentage 0, not passed, no answers, expired; time_taken_seconds is the time the
 * student had (deadline − start). $1 is `now` (the Clock's time), the finalization time.
 */
const finalizeSql = (selector: string): string => `
  WITH due AS (${selector})
  UPDATE quiz_attempts a
  SET status = 'graded', score = 0, percentage = 0, is_passed = false, answers = '[]'::jsonb, expired = true,
      submitted_at = $1::timestamptz, graded_at = $1::timestamptz,
      time_taken_seconds = GREATEST(0, floor(extract(epoch FROM
        (LEAST(coalesce(a.deadline_at, $1::timestamptz), $1::timestamptz) - a.started_at))))::int,
      updated_at = now()
  FROM due, quizzes q
  WHERE a.id = due.id AND a.status = 'in_progress' AND q.id = a.quiz_id
  RETURNING a.id, a.quiz_id, q.course_id, q.lesson_id, a.enrollment_id, a.student_id, a.attempt_number,
            a.max_score, a.submitted_at`;

/** One attempt (the caller holds its enrollment's lock). $2 attempt id. */
const FINALIZE_ONE_SQL = finalizeSql(
  `SELECT id FROM quiz_attempts WHERE id = $2 AND status = 'in_progress' FOR UPDATE`,
);

/**
 * The sweep's batch: overdue attempts (deadline_at < $2 = now − grace), oldest deadline first,
 * skipping rows a request is finalizing or submitting right now (they are handled there). It
 * waits for no lock, so it cannot deadlock with requests (which lock enrollment, then attempt).
 */
const FINALIZE_BATCH_SQL = finalizeSql(
  `SELECT id FROM quiz_attempts WHERE status = 'in_progress' AND deadline_at < $2::timestamptz
   ORDER BY deadline_at LIMIT ${SWEEP_BATCH_SIZE} FOR UPDATE SKIP LOCKED`,
);

async function recordFinalized(m: EntityManager, outbox: OutboxService, rows: FinalizedRow[]): Promise<void> {
  for (const row of rows) {
    await outbox.record(m, 'quiz.submitted', {
      attempt_id: row.id,
      quiz_id: row.quiz_id,
      course_id: row.course_id,
      lesson_id: row.lesson_id,
      enrollment_id: row.enrollment_id,
      student_id: row.student_id,
      attempt_number: Number(row.attempt_number),
      status: 'graded',
      score: '0.00',
      max_score: row.max_score,
      percentage: '0.00',
      is_passed: false,
      expired: true,
      submitted_at: new Date(row.submitted_at).toISOString(),
    });
  }
}

/**
 * Finalizes one overdue in-progress attempt inside the caller's transaction (start and submit,
 * which lock the enrollment first) and records `quiz.submitted` (expired: true). Returns false when
 * the attempt was no longer in progress.
 */
export async function finalizeExpiredAttempt(
  m: EntityManager,
  outbox: OutboxService,
  attemptId: string,
  now: Date,
): Promise<boolean> {
  const { rows } = await runSql<FinalizedRow>(m, FINALIZE_ONE_SQL, [now, attemptId]);
  await recordFinalized(m, outbox, rows);
  return rows.length > 0;
}

/** Whether an attempt with this deadline is past deadline + grace at `now` (no deadline: never). */
export function isOverdue(deadline: Date | null, now: Date, graceSeconds: number): boolean {
  return deadline !== null && now.getTime() > new Date(deadline).getTime() + graceSeconds * 1000;
}

/**
 * The expiry of in-progress attempts: single attempts (start, submit) and the scheduled sweep
 * (progress / expire-quiz-attempts) over every attempt past deadline + QUIZ_SUBMIT_GRACE_SECONDS.
 */
@Injectable()
export class QuizExpiryService {
  private readonly logger = new Logger(QuizExpiryService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(OutboxService) private readonly outbox: OutboxService,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  /**
   * Finalizes every in-progress attempt whose deadline + grace is before `now`, in batches of
   * SWEEP_BATCH_SIZE (one transaction each, outbox events included); returns how many.
   */
  async sweep(now: Date = this.clock.now()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.QUIZ_SUBMIT_GRACE_SECONDS * 1000);
    let total = 0;
    for (;;) {
      const count = await this.dataSource.transaction(async (m) => {
        const { rows } = await runSql<FinalizedRow>(m, FINALIZE_BATCH_SQL, [now, cutoff]);
        await recordFinalized(m, this.outbox, rows);
        return rows.length;
      });
      total += count;
      if (count < SWEEP_BATCH_SIZE) break;
    }
    if (total > 0) this.logger.log(`finalized ${total} expired quiz attempt(s)`);
    return total;
  }
}
