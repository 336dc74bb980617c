import type { EnrollmentStatus, ProgressStatus } from './enrollment.entity.js';

/**
 * Pure progress rules (reference section 6), kept free of I/O so they are unit-tested one by one.
 * Percentages travel as numbers here and leave as 2-decimal strings ("70.00").
 */

/** What a lesson's progress row holds (before the update). */
export interface StoredLessonProgress {
  status: ProgressStatus;
  completionPercentage: number;
  timeSpentSeconds: number;
  lastPositionSeconds: number;
  startedAt: Date | null;
  completedAt: Date | null;
  notes: string | null;
}

/** The request body of PUT .../progress: every field optional (null counts as missing). */
export interface LessonProgressInput {
  status?: ProgressStatus | null;
  time_spent_seconds?: number | null;
  last_position_seconds?: number | null;
  completion_percentage?: number | null;
  notes?: string | null;
}

export interface ComputedLessonProgress {
  status: ProgressStatus;
  /** Two decimals, e.g. "100.00". */
  completionPercentage: string;
  timeSpentSeconds: number;
  lastPositionSeconds: number;
  startedAt: Date | null;
  completedAt: Date | null;
  notes: string | null;
}

/** Rule 1: a completed lesson cannot go back (the API answers 422 `progress_downgrade`). */
export class ProgressDowngradeError extends Error {
  constructor() {
    super('Completed lesson progress cannot be downgraded');
    this.name = 'ProgressDowngradeError';
  }
}

/** Rounds to 2 decimals (half away from zero) and formats as "12.34". */
export function toDecimal2(value: number): string {
  // toPrecision(12) drops binary noise first (1.005 * 100 = 100.49999999999999 → 100.5).
  const cents = Math.round(Number((Math.abs(value) * 100).toPrecision(12)));
  return ((Math.sign(value) * cents) / 100).toFixed(2);
}

const pick = <T>(value: T | null | undefined, fallback: T): T =>
  value === undefined || value === null ? fallback : value;

/**
 * One lesson's new progress from the stored row (or none) and the payload.
 * Missing fields fall back to the stored values; with no stored row: in_progress, 0%, 0 s, position 0.
 */
export function computeLessonProgress(
  stored: StoredLessonProgress | null,
  input: LessonProgressInput,
  now: Date,
): ComputedLessonProgress {
  const base: StoredLessonProgress = stored ?? {
    status: 'in_progress',
    completionPercentage: 0,
    timeSpentSeconds: 0,
    lastPositionSeconds: 0,
    startedAt: null,
    completedAt: null,
    notes: null,
  };
  let status = pick(input.status, base.status);
  let pct = pick(input.completion_percentage, base.completionPercentage);
  // Rule 6: the time spent replaces the stored value (it does not add).
  const time = pick(input.time_spent_seconds, base.timeSpentSeconds);
  const position = pick(input.last_position_seconds, base.lastPositionSeconds);
  // Rule 7: notes are stored (never returned).
  const notes = pick(input.notes, base.notes);

  // Rule 1.
  if (stored?.status === 'completed' && status !== 'completed') throw new ProgressDowngradeError();
  // Rule 2.
  if (status === 'not_started' && (pct > 0 || time > 0 || position > 0)) status = 'in_progress';

  let startedAt: Date | null;
  let completedAt: Date | null;
  if (status === 'completed' || pct >= 100) {
    // Rule 3.
    status = 'completed';
    pct = 100;
    completedAt = base.completedAt ?? now;
    startedAt = base.startedAt ?? now;
  } else if (status === 'not_started') {
    // Rule 4.
    pct = 0;
    startedAt = null;
    completedAt = null;
  } else {
    // Rule 5.
    startedAt = base.startedAt ?? now;
    completedAt = null;
  }
  return {
    status,
    completionPercentage: toDecimal2(pct),
    timeSpentSeconds: time,
    lastPositionSeconds: position,
    startedAt,
    completedAt,
    notes,
  };
}

/** The enrollment fields the summary reads. */
export interface EnrollmentSummaryInput {
  status: EnrollmentStatus;
  completedAt: Date | null;
  totalLessons: number;
  completedLessons: number;
  totalTimeSpentSeconds: number;
}

export interface EnrollmentSummary {
  status: EnrollmentStatus;
  completedAt: Date | null;
  progressPercentage: string;
  totalLessonsCount: number;
  completedLessonsCount: number;
  totalTimeSpentSeconds: number;
  lastAccessedAt: Date;
  /** 'completed': emit enrollment.completed; 'reopened': it no longer qualifies (back to active). */
  transition: 'completed' | 'reopened' | null;
}

/** The integer column's ceiling (a sum of many lessons' time must not overflow it). */
export const MAX_INT32 = 2_147_483_647;

/** Enrollment summary, recomputed on every progress update (reference section 6). */
export function summarizeEnrollment(input: EnrollmentSummaryInput, now: Date): EnrollmentSummary {
  const { totalLessons: total, completedLessons: completed } = input;
  const progress = total > 0 ? toDecimal2(Math.round((completed * 10000) / total) / 100) : '0.00';
  let status = input.status;
  let completedAt = input.completedAt;
  let transition: EnrollmentSummary['transition'] = null;
  if (total > 0 && completed >= total) {
    if (status !== 'completed') {
      status = 'completed';
      completedAt = now;
      transition = 'completed';
    } else {
      completedAt = completedAt ?? now;
    }
  } else if (status === 'completed') {
    status = 'active';
    completedAt = null;
    transition = 'reopened';
  }
  return {
    status,
    completedAt,
    progressPercentage: progress,
    totalLessonsCount: total,
    completedLessonsCount: completed,
    totalTimeSpentSeconds: Math.min(input.totalTimeSpentSeconds, MAX_INT32),
    lastAccessedAt: now,
    transition,
  };
}
