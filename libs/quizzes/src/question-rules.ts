import type { QuestionOption, QuestionType } from './quiz-question.entity.js';

/**
 * Per-type rules of a question's answer data (reference §7, API.md item 10), as pure functions:
 * each returns the first violation or null. The API answers a violation with 400
 * `invalid_question` (create, patch) or 400 `quiz_not_publishable` (publish, for stored rows).
 */

/** An option as sent or stored; the rules do not trust any field to be present. */
export interface RuleOption {
  option_id?: string | null;
  option_text?: string | null;
  is_correct?: boolean | null;
}

export interface QuestionRuleInput {
  question_type: QuestionType;
  options?: readonly RuleOption[] | null;
  correct_answer?: string | null;
}

/** The first rule a question breaks: the field it concerns and a human-readable message. */
export interface QuestionRuleViolation {
  field: 'options' | 'correct_answer' | 'question_type';
  message: string;
}

/** At least this many options on choice questions. */
export const MIN_CHOICE_OPTIONS = 2;

const CHOICE_LABELS = { multiple_choice: 'Multiple choice', multiple_response: 'Multiple response' } as const;
const OPEN_LABELS = { true_false: 'True/false', short_answer: 'Short answer', essay: 'Essay' } as const;

const violation = (field: QuestionRuleViolation['field'], message: string): QuestionRuleViolation => ({
  field,
  message,
});

/** null, undefined and blank strings count as "no correct_answer". */
export function isBlank(value: string | null | undefined): boolean {
  return value === null || value === undefined || value.trim() === '';
}

const hasOptions = (options: readonly RuleOption[] | null | undefined): boolean => !!options && options.length > 0;

/** The option checks shared by multiple_choice and multiple_response (count, ids, texts, uniqueness). */
function choiceOptionsViolation(
  type: keyof typeof CHOICE_LABELS,
  options: readonly RuleOption[] | null | undefined,
): QuestionRuleViolation | null {
  const label = CHOICE_LABELS[type];
  if (!options || options.length < MIN_CHOICE_OPTIONS) {
    return violation('options', `${label} questions must have at least ${MIN_CHOICE_OPTIONS} options`);
  }
  for (const option of options) {
    if (typeof option.option_id !== 'string' || option.option_id.trim() === '') {
      return violation('options', `${label} question options must each have an option_id`);
    }
    if (typeof option.option_text !== 'string' || option.option_text.trim() === '') {
      return violation('options', `${label} question options must each have a non-empty option_text`);
    }
  }
  const ids = new Set(options.map((o) => o.option_id));
  if (ids.size !== options.length) {
    return violation('options', `${label} question options must have unique option_id values`);
  }
  const texts = new Set(options.map((o) => o.option_text!.trim().toLowerCase()));
  if (texts.size !== options.length) {
    return violation('options', `${label} question options must have unique option_text values (case-insensitive)`);
  }
  return null;
}

const correctCount = (options: readonly RuleOption[]): number => options.filter((o) => o.is_correct === true).length;

/** ≥2 options with ids and unique texts, exactly one correct, no correct_answer. */
export function multipleChoiceViolation(
  options: readonly RuleOption[] | null | undefined,
  correctAnswer: string | null | undefined,
): QuestionRuleViolation | null {
  const optionProblem = choiceOptionsViolation('multiple_choice', options);
  if (optionProblem) return optionProblem;
  if (correctCount(options!) !== 1) {
    return violation('options', 'Multiple choice questions must have exactly 1 correct option');
  }
  if (!isBlank(correctAnswer)) {
    return violation('correct_answer', 'Multiple choice questions must not set correct_answer directly');
  }
  return null;
}

/** ≥2 options with ids and unique texts, at least one correct, no correct_answer. */
export function multipleResponseViolation(
  options: readonly RuleOption[] | null | undefined,
  correctAnswer: string | null | undefined,
): QuestionRuleViolation | null {
  const optionProblem = choiceOptionsViolation('multiple_response', options);
  if (optionProblem) return optionProblem;
  if (correctCount(options!) < 1) {
    return violation('options', 'Multiple response questions must have at least 1 correct option');
  }
  if (!isBlank(correctAnswer)) {
    return violation('correct_answer', 'Multiple response questions must not set correct_answer directly');
  }
  return null;
}

/** No options; correct_answer "true" or "false" (case-insensitive, surrounding spaces ignored). */
export function trueFalseViolation(
  options: readonly RuleOption[] | null | undefined,
  correctAnswer: string | null | undefined,
): QuestionRuleViolation | null {
  if (hasOptions(options)) return violation('options', `${OPEN_LABELS.true_false} questions must not have options`);
  const answer = correctAnswer?.trim().toLowerCase();
  if (answer !== 'true' && answer !== 'false') {
    return violation('correct_answer', "True/false questions must have correct_answer 'true' or 'false'");
  }
  return null;
}

/** No options; a non-blank correct_answer. */
export function shortAnswerViolation(
  options: readonly RuleOption[] | null | undefined,
  correctAnswer: string | null | undefined,
): QuestionRuleViolation | null {
  if (hasOptions(options)) return violation('options', `${OPEN_LABELS.short_answer} questions must not have options`);
  if (isBlank(correctAnswer)) return violation('correct_answer', 'Short answer questions must have a correct_answer');
  return null;
}

/** No options; no correct_answer (essays are graded by the course's manager). */
export function essayViolation(
  options: readonly RuleOption[] | null | undefined,
  correctAnswer: string | null | undefined,
): QuestionRuleViolation | null {
  if (hasOptions(options)) return violation('options', `${OPEN_LABELS.essay} questions must not have options`);
  if (!isBlank(correctAnswer)) return violation('correct_answer', 'Essay questions must not have a correct_answer');
  return null;
}

const RULES: Readonly<
  Record<
    QuestionType,
    (
      options: readonly RuleOption[] | null | undefined,
      correctAnswer: string | null | undefined,
    ) => QuestionRuleViolation | null
  >
> = {
  multiple_choice: multipleChoiceViolation,
  multiple_response: multipleResponseViolation,
  true_false: trueFalseViolation,
  short_answer: shortAnswerViolation,
  essay: essayViolation,
};

/** The first rule the question breaks for its type, or null. */
export function questionViolation(q: QuestionRuleInput): QuestionRuleViolation | null {
  const rule = Object.hasOwn(RULES, q.question_type) ? RULES[q.question_type] : undefined;
  if (!rule) return violation('question_type', `Unsupported question type: ${String(q.question_type)}`);
  return rule(q.options, q.correct_answer);
}

/** The message of the first violation, or null when the question is valid. */
export function questionRuleMessage(q: QuestionRuleInput): string | null {
  return questionViolation(q)?.message ?? null;
}

/** The answer data as stored, for a question that passed questionViolation. */
export interface NormalizedAnswer {
  options: QuestionOption[] | null;
  correct_answer: string | null;
}

/**
 * The stored form of valid answer data: choice options with `is_correct` as a boolean and no
 * correct_answer; no options on the other types (an empty list is none); true/false answers
 * lowercased; short answers trimmed; essays without an answer.
 */
export function normalizeAnswer(q: QuestionRuleInput): NormalizedAnswer {
  switch (q.question_type) {
    case 'multiple_choice':
    case 'multiple_response':
      return {
        options: (q.options ?? []).map((o) => ({
          option_id: o.option_id!,
          option_text: o.option_text!,
          is_correct: o.is_correct === true,
        })),
        correct_answer: null,
      };
    case 'true_false':
      return { options: null, correct_answer: q.correct_answer!.trim().toLowerCase() };
    case 'short_answer':
      return { options: null, correct_answer: q.correct_answer!.trim() };
    default:
      return { options: null, correct_answer: null };
  }
}
