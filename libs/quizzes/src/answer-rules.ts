import type { QuestionOption, QuestionType } from './quiz-question.entity.js';

/** What grading and answer validation need of a question (its answer key included). */
export interface QuestionKey {
  id: string;
  question_type: QuestionType;
  /** Decimal string, e.g. "1.50". */
  points: string;
  options: QuestionOption[] | null;
  correct_answer: string | null;
}

/** One answer as the student sends it (POST .../submit). */
export interface SubmittedAnswer {
  question_id: string;
  selected_option_id?: string | null;
  selected_option_ids?: string[] | null;
  answer_text?: string | null;
}

/** A submitted answer breaks a rule (400 `invalid_answer`); the message is the problem's detail. */
export class InvalidAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidAnswerError';
  }
}

export const ANSWER_MESSAGES = {
  duplicate: 'Duplicate answer for the same question is not allowed',
  foreignQuestion: 'Answer contains a question that does not belong to this quiz',
  choiceRequired: 'Multiple choice answers require selected_option_id',
  optionNotInQuestion: 'Selected option does not belong to the question',
  optionOnlyForChoice: 'selected_option_id is only valid for multiple choice questions',
  textRequired: 'Answer text is required for this question type',
  trueFalse: "True/false answers must be either 'true' or 'false'",
  responsesRequired: 'Multiple response answers require selected_option_ids',
  responsesUnique: 'selected_option_ids must not contain the same option twice',
  responsesOnlyForMultiple: 'selected_option_ids is only valid for multiple response questions',
} as const;

const present = <T>(value: T | null | undefined): value is T => value !== undefined && value !== null;

/**
 * Checks every answer against the quiz's questions (reference rules, in their order, plus the
 * multiple_response ones); throws InvalidAnswerError on the first violation. An answer is given
 * at most once per question; questions without an answer are simply unanswered.
 */
export function validateAnswers(questions: readonly QuestionKey[], answers: readonly SubmittedAnswer[]): void {
  const byId = new Map(questions.map((q) => [q.id, q]));
  const seen = new Set<string>();
  for (const answer of answers) {
    if (seen.has(answer.question_id)) throw new InvalidAnswerError(ANSWER_MESSAGES.duplicate);
    seen.add(answer.question_id);
    const question = byId.get(answer.question_id);
    if (!question) throw new InvalidAnswerError(ANSWER_MESSAGES.foreignQuestion);
    const optionIds = new Set((question.options ?? []).map((o) => o.option_id));

    if (question.question_type !== 'multiple_response' && present(answer.selected_option_ids)) {
      throw new InvalidAnswerError(ANSWER_MESSAGES.responsesOnlyForMultiple);
    }
    switch (question.question_type) {
      case 'multiple_choice':
        if (!present(answer.selected_option_id) || answer.selected_option_id === '') {
          throw new InvalidAnswerError(ANSWER_MESSAGES.choiceRequired);
        }
        if (!optionIds.has(answer.selected_option_id))
          throw new InvalidAnswerError(ANSWER_MESSAGES.optionNotInQuestion);
        break;
      case 'multiple_response': {
        if (present(answer.selected_option_id)) throw new InvalidAnswerError(ANSWER_MESSAGES.optionOnlyForChoice);
        const ids = answer.selected_option_ids;
        if (!present(ids) || ids.length === 0) throw new InvalidAnswerError(ANSWER_MESSAGES.responsesRequired);
        if (new Set(ids).size !== ids.length) throw new InvalidAnswerError(ANSWER_MESSAGES.responsesUnique);
        if (ids.some((id) => !optionIds.has(id))) throw new InvalidAnswerError(ANSWER_MESSAGES.optionNotInQuestion);
        break;
      }
      case 'true_false':
      case 'short_answer':
      case 'essay': {
        if (present(answer.selected_option_id)) throw new InvalidAnswerError(ANSWER_MESSAGES.optionOnlyForChoice);
        const text = (answer.answer_text ?? '').trim();
        if (!text) throw new InvalidAnswerError(ANSWER_MESSAGES.textRequired);
        if (question.question_type === 'true_false' && !['true', 'false'].includes(text.toLowerCase())) {
          throw new InvalidAnswerError(ANSWER_MESSAGES.trueFalse);
        }
        break;
      }
    }
  }
}
