import {
  ANSWER_MESSAGES,
  InvalidAnswerError,
  validateAnswers,
  type QuestionKey,
  type SubmittedAnswer,
} from './answer-rules.js';

const opt = (option_id: string, is_correct = false) => ({ option_id, option_text: option_id, is_correct });

const QUESTIONS: QuestionKey[] = [
  {
    id: 'mc',
    question_type: 'multiple_choice',
    points: '1.00',
    options: [opt('a', true), opt('b')],
    correct_answer: null,
  },
  {
    id: 'mr',
    question_type: 'multiple_response',
    points: '2.00',
    options: [opt('x', true), opt('y', true), opt('z')],
    correct_answer: null,
  },
  { id: 'tf', question_type: 'true_false', points: '1.00', options: null, correct_answer: 'true' },
  { id: 'sa', question_type: 'short_answer', points: '1.00', options: null, correct_answer: 'Paris' },
  { id: 'es', question_type: 'essay', points: '5.00', options: null, correct_answer: null },
];

function failure(answers: SubmittedAnswer[]): string {
  try {
    validateAnswers(QUESTIONS, answers);
  } catch (err) {
    if (err instanceof InvalidAnswerError) return err.message;
    throw err;
  }
  throw new Error('expected an InvalidAnswerError');
}

describe('validateAnswers', () => {
  it('accepts valid answers of every type, and none at all', () => {
    expect(() =>
      validateAnswers(QUESTIONS, [
        { question_id: 'mc', selected_option_id: 'b' },
        { question_id: 'mr', selected_option_ids: ['z'] },
        { question_id: 'tf', answer_text: ' FALSE ' },
        { question_id: 'sa', answer_text: 'anything' },
        { question_id: 'es', answer_text: 'An essay', selected_option_id: null, selected_option_ids: null },
      ]),
    ).not.toThrow();
    expect(() => validateAnswers(QUESTIONS, [])).not.toThrow();
  });

  it.each<[string, SubmittedAnswer[], string]>([
    [
      'duplicate question',
      [
        { question_id: 'tf', answer_text: 'true' },
        { question_id: 'tf', answer_text: 'false' },
      ],
      ANSWER_MESSAGES.duplicate,
    ],
    ['foreign question', [{ question_id: 'other', answer_text: 'x' }], ANSWER_MESSAGES.foreignQuestion],
    ['MC without option', [{ question_id: 'mc' }], ANSWER_MESSAGES.choiceRequired],
    ['MC with empty option', [{ question_id: 'mc', selected_option_id: '' }], ANSWER_MESSAGES.choiceRequired],
    ['MC with text only', [{ question_id: 'mc', answer_text: 'a' }], ANSWER_MESSAGES.choiceRequired],
    ['MC foreign option', [{ question_id: 'mc', selected_option_id: 'x' }], ANSWER_MESSAGES.optionNotInQuestion],
    [
      'MC with selected_option_ids',
      [{ question_id: 'mc', selected_option_id: 'a', selected_option_ids: ['a'] }],
      ANSWER_MESSAGES.responsesOnlyForMultiple,
    ],
    ['MR without ids', [{ question_id: 'mr' }], ANSWER_MESSAGES.responsesRequired],
    ['MR with empty ids', [{ question_id: 'mr', selected_option_ids: [] }], ANSWER_MESSAGES.responsesRequired],
    ['MR repeated id', [{ question_id: 'mr', selected_option_ids: ['x', 'x'] }], ANSWER_MESSAGES.responsesUnique],
    ['MR foreign id', [{ question_id: 'mr', selected_option_ids: ['x', 'a'] }], ANSWER_MESSAGES.optionNotInQuestion],
    [
      'MR with selected_option_id',
      [{ question_id: 'mr', selected_option_id: 'x', selected_option_ids: ['x'] }],
      ANSWER_MESSAGES.optionOnlyForChoice,
    ],
    ['TF with option', [{ question_id: 'tf', selected_option_id: 'a' }], ANSWER_MESSAGES.optionOnlyForChoice],
    [
      'SA with option ids',
      [{ question_id: 'sa', selected_option_ids: ['a'] }],
      ANSWER_MESSAGES.responsesOnlyForMultiple,
    ],
    ['TF without text', [{ question_id: 'tf' }], ANSWER_MESSAGES.textRequired],
    ['SA blank text', [{ question_id: 'sa', answer_text: '   ' }], ANSWER_MESSAGES.textRequired],
    ['essay blank text', [{ question_id: 'es', answer_text: '' }], ANSWER_MESSAGES.textRequired],
    ['TF not a boolean', [{ question_id: 'tf', answer_text: 'yes' }], ANSWER_MESSAGES.trueFalse],
  ])('rejects %s', (_label, answers, message) => {
    expect(failure(answers)).toBe(message);
  });

  it('reports the first violation in answer order', () => {
    expect(
      failure([
        { question_id: 'tf', answer_text: 'maybe' },
        { question_id: 'other', answer_text: 'x' },
      ]),
    ).toBe(ANSWER_MESSAGES.trueFalse);
  });
});
