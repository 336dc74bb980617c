import type { QuestionKey, SubmittedAnswer } from './answer-rules.js';
import type { StoredAnswer } from './quiz-attempt.entity.js';

/*
 * Scoring works in integer hundredths ("cents") of a point: points are numeric(8,2), so sums and
 * comparisons are exact; decimals leave as 2-place strings, points_earned as a JSON number.
 */

/** "1.50" (or 1.5) → 150. */
export function toCents(value: string | number): number {
  return Math.round(Number((Number(value) * 100).toPrecision(15)));
}

/** 150 → "1.50". */
export function centsToDecimal(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** score/max*100 to 2 places (half up), "0.00" when max is 0. */
export function percentageOf(scoreCents: number, maxCents: number): string {
  if (maxCents <= 0) return '0.00';
  // In hundredths of a percent: score * 100 (%) * 100 (hundredths) / max.
  return centsToDecimal(Math.round((scoreCents * 10_000) / maxCents));
}

/** percentage ≥ passing_score (both decimal strings). */
export function isPassing(percentage: string, passingScore: string): boolean {
  return toCents(percentage) >= toCents(passingScore);
}

export interface GradingResult {
  /** One per quiz question, in the given question order. */
  answers: StoredAnswer[];
  /** Sum of points earned (pending essays excluded). */
  scoreCents: number;
  /** Sum of every question's points. */
  maxCents: number;
  /** Some essay answers await manual grading. */
  pending: boolean;
}

const normalized = (text: string | null | undefined): string => (text ?? '').trim().toLowerCase();

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((x) => right.has(x));
}

/** Whether a (validated) answer is right; null when it needs a person (an answered essay). */
export function isCorrect(question: QuestionKey, answer: SubmittedAnswer): boolean | null {
  const options = question.options ?? [];
  switch (question.question_type) {
    case 'multiple_choice': {
      const correct = options.find((o) => o.is_correct);
      return !!correct && answer.selected_option_id === correct.option_id;
    }
    case 'multiple_response': {
      const correct = options.filter((o) => o.is_correct).map((o) => o.option_id);
      return correct.length > 0 && sameSet(answer.selected_option_ids ?? [], correct);
    }
    case 'true_false':
    case 'short_answer':
      return question.correct_answer !== null && normalized(answer.answer_text) === normalized(question.correct_answer);
    case 'essay':
      return normalized(answer.answer_text) ? null : false;
  }
}

/**
 * Grades validated answers all-or-nothing per question: a right answer earns the question's points,
 * anything else (unanswered included) 0; an answered essay stays pending (is_correct and
 * points_earned null) until a manager grades it.
 */
export function gradeAnswers(questions: readonly QuestionKey[], answers: readonly SubmittedAnswer[]): GradingResult {
  const byQuestion = new Map(answers.map((a) => [a.question_id, a]));
  let scoreCents = 0;
  let maxCents = 0;
  let pending = false;
  const stored = questions.map((question): StoredAnswer => {
    const points = toCents(question.points);
    maxCents += points;
    const answer = byQuestion.get(question.id);
    if (!answer) {
      return {
        question_id: question.id,
        selected_option_id: null,
        selected_option_ids: null,
        answer_text: null,
        is_correct: false,
        points_earned: 0,
        feedback: null,
      };
    }
    const textual = !['multiple_choice', 'multiple_response'].includes(question.question_type);
    const correct = isCorrect(question, answer);
    if (correct === null) pending = true;
    const earned = correct ? points : 0;
    if (correct !== null) scoreCents += earned;
    return {
      question_id: question.id,
      selected_option_id: question.question_type === 'multiple_choice' ? (answer.selected_option_id ?? null) : null,
      selected_option_ids:
        question.question_type === 'multiple_response' ? [...(answer.selected_option_ids ?? [])] : null,
      answer_text: textual ? (answer.answer_text ?? '').trim() || null : null,
      is_correct: correct,
      points_earned: correct === null ? null : earned / 100,
      feedback: null,
    };
  });
  return { answers: stored, scoreCents, maxCents, pending };
}

/** One manager grade of a pending essay answer (POST .../grade). */
export interface EssayGrade {
  question_id: string;
  points_earned: number;
  feedback?: string | null;
}

/** A grade breaks a rule (400 `invalid_grade`). */
export class InvalidGradeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidGradeError';
  }
}

export const GRADE_MESSAGES = {
  duplicate: 'Duplicate grade for the same question is not allowed',
  notPending: 'Grade contains a question without a pending essay answer in this attempt',
  tooMany: "points_earned cannot exceed the question's points",
  missing: 'Every pending essay answer must be graded',
} as const;

/**
 * Applies grades to the pending essay answers of a submitted attempt: each pending answer must be
 * graded exactly once, with 0 ≤ points ≤ the question's points (is_correct = full points). A
 * pending answer whose question no longer exists earns 0. Returns the answers and the new score.
 */
export function applyEssayGrades(
  stored: readonly StoredAnswer[],
  questions: readonly QuestionKey[],
  grades: readonly EssayGrade[],
): { answers: StoredAnswer[]; scoreCents: number } {
  const questionById = new Map(questions.map((q) => [q.id, q]));
  const pendingIds = new Set(
    stored
      .filter((a) => a.is_correct === null && questionById.get(a.question_id)?.question_type === 'essay')
      .map((a) => a.question_id),
  );
  const gradeById = new Map<string, EssayGrade>();
  for (const grade of grades) {
    if (gradeById.has(grade.question_id)) throw new InvalidGradeError(GRADE_MESSAGES.duplicate);
    if (!pendingIds.has(grade.question_id)) throw new InvalidGradeError(GRADE_MESSAGES.notPending);
    const max = toCents(questionById.get(grade.question_id)!.points);
    if (grade.points_earned < 0 || toCents(grade.points_earned) > max)
      throw new InvalidGradeError(GRADE_MESSAGES.tooMany);
    gradeById.set(grade.question_id, grade);
  }
  if ([...pendingIds].some((id) => !gradeById.has(id))) throw new InvalidGradeError(GRADE_MESSAGES.missing);

  let scoreCents = 0;
  const answers = stored.map((answer): StoredAnswer => {
    const grade = gradeById.get(answer.question_id);
    if (grade) {
      const earned = toCents(grade.points_earned);
      scoreCents += earned;
      return {
        ...answer,
        is_correct: earned === toCents(questionById.get(answer.question_id)!.points),
        points_earned: earned / 100,
        feedback: grade.feedback ?? null,
      };
    }
    if (answer.is_correct === null) return { ...answer, is_correct: false, points_earned: 0 };
    scoreCents += toCents(answer.points_earned ?? 0);
    return { ...answer };
  });
  return { answers, scoreCents };
}
