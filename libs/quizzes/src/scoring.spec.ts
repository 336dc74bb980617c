import type { QuestionKey } from './answer-rules.js';
import type { StoredAnswer } from './quiz-attempt.entity.js';
import {
  applyEssayGrades,
  centsToDecimal,
  GRADE_MESSAGES,
  gradeAnswers,
  InvalidGradeError,
  isCorrect,
  isPassing,
  percentageOf,
  toCents,
} from './scoring.js';

const opt = (option_id: string, is_correct = false) => ({ option_id, option_text: option_id, is_correct });

const MC: QuestionKey = {
  id: 'mc',
  question_type: 'multiple_choice',
  points: '1.50',
  options: [opt('a'), opt('b', true), opt('c')],
  correct_answer: null,
};
const MR: QuestionKey = {
  id: 'mr',
  question_type: 'multiple_response',
  points: '2.00',
  options: [opt('x', true), opt('y', true), opt('z')],
  correct_answer: null,
};
const TF: QuestionKey = {
  id: 'tf',
  question_type: 'true_false',
  points: '1.00',
  options: null,
  correct_answer: 'False',
};
const SA: QuestionKey = {
  id: 'sa',
  question_type: 'short_answer',
  points: '0.25',
  options: null,
  correct_answer: ' Paris ',
};
const ES: QuestionKey = { id: 'es', question_type: 'essay', points: '5.00', options: null, correct_answer: null };

describe('decimals', () => {
  it('converts points to cents and back exactly', () => {
    expect(toCents('1.50')).toBe(150);
    expect(toCents('0.29')).toBe(29);
    expect(toCents(1.005)).toBe(101);
    expect(toCents('999999.99')).toBe(99_999_999);
    expect(centsToDecimal(0)).toBe('0.00');
    expect(centsToDecimal(7)).toBe('0.07');
    expect(centsToDecimal(1234)).toBe('12.34');
  });

  it('percentage to 2 places (half up), 0 when the maximum is 0', () => {
    expect(percentageOf(100, 300)).toBe('33.33');
    expect(percentageOf(200, 300)).toBe('66.67');
    expect(percentageOf(300, 300)).toBe('100.00');
    expect(percentageOf(0, 300)).toBe('0.00');
    expect(percentageOf(0, 0)).toBe('0.00');
    expect(percentageOf(1, 8)).toBe('12.50');
    expect(percentageOf(1, 16)).toBe('6.25');
  });

  it('passes at percentage ≥ passing score', () => {
    expect(isPassing('70.00', '70.00')).toBe(true);
    expect(isPassing('69.99', '70.00')).toBe(false);
    expect(isPassing('0.00', '0.00')).toBe(true);
    expect(isPassing('100.00', '100')).toBe(true);
  });
});

describe('isCorrect', () => {
  it('multiple_choice: the id of the correct option', () => {
    expect(isCorrect(MC, { question_id: 'mc', selected_option_id: 'b' })).toBe(true);
    expect(isCorrect(MC, { question_id: 'mc', selected_option_id: 'a' })).toBe(false);
    expect(isCorrect({ ...MC, options: [opt('a'), opt('b')] }, { question_id: 'mc', selected_option_id: 'a' })).toBe(
      false,
    );
  });

  it('multiple_response: exactly the correct set (order free; subset and superset are wrong)', () => {
    expect(isCorrect(MR, { question_id: 'mr', selected_option_ids: ['y', 'x'] })).toBe(true);
    expect(isCorrect(MR, { question_id: 'mr', selected_option_ids: ['x'] })).toBe(false);
    expect(isCorrect(MR, { question_id: 'mr', selected_option_ids: ['x', 'y', 'z'] })).toBe(false);
    expect(isCorrect(MR, { question_id: 'mr', selected_option_ids: ['z'] })).toBe(false);
  });

  it('true_false and short_answer: trimmed, case-insensitive', () => {
    expect(isCorrect(TF, { question_id: 'tf', answer_text: '  false ' })).toBe(true);
    expect(isCorrect(TF, { question_id: 'tf', answer_text: 'FALSE' })).toBe(true);
    expect(isCorrect(TF, { question_id: 'tf', answer_text: 'true' })).toBe(false);
    expect(isCorrect(SA, { question_id: 'sa', answer_text: 'paris' })).toBe(true);
    expect(isCorrect(SA, { question_id: 'sa', answer_text: 'PARIS  ' })).toBe(true);
    expect(isCorrect(SA, { question_id: 'sa', answer_text: 'Pari' })).toBe(false);
    expect(isCorrect({ ...SA, correct_answer: null }, { question_id: 'sa', answer_text: '' })).toBe(false);
  });

  it('essay: pending (null) when answered', () => {
    expect(isCorrect(ES, { question_id: 'es', answer_text: 'My essay' })).toBeNull();
    expect(isCorrect(ES, { question_id: 'es', answer_text: '  ' })).toBe(false);
  });
});

describe('gradeAnswers', () => {
  const questions = [MC, MR, TF, SA, ES];

  it('all right (no essay answer): full score, one stored answer per question in question order', () => {
    const result = gradeAnswers(questions, [
      { question_id: 'sa', answer_text: ' paris ' },
      { question_id: 'mc', selected_option_id: 'b' },
      { question_id: 'mr', selected_option_ids: ['x', 'y'] },
      { question_id: 'tf', answer_text: 'false' },
    ]);
    expect(result.maxCents).toBe(975);
    expect(result.scoreCents).toBe(475); // the unanswered essay earns 0
    expect(result.pending).toBe(false);
    expect(result.answers.map((a) => a.question_id)).toEqual(['mc', 'mr', 'tf', 'sa', 'es']);
    expect(result.answers[0]).toEqual({
      question_id: 'mc',
      selected_option_id: 'b',
      selected_option_ids: null,
      answer_text: null,
      is_correct: true,
      points_earned: 1.5,
      feedback: null,
    });
    expect(result.answers[1]).toMatchObject({ selected_option_ids: ['x', 'y'], is_correct: true, points_earned: 2 });
    expect(result.answers[3]).toMatchObject({ answer_text: 'paris', is_correct: true, points_earned: 0.25 });
    expect(result.answers[4]).toEqual({
      question_id: 'es',
      selected_option_id: null,
      selected_option_ids: null,
      answer_text: null,
      is_correct: false,
      points_earned: 0,
      feedback: null,
    });
  });

  it('wrong and unanswered earn 0; an answered essay is pending and excluded from the score', () => {
    const result = gradeAnswers(questions, [
      { question_id: 'mc', selected_option_id: 'a' },
      { question_id: 'mr', selected_option_ids: ['x'] },
      { question_id: 'es', answer_text: '  An essay.  ' },
    ]);
    expect(result.scoreCents).toBe(0);
    expect(result.pending).toBe(true);
    expect(result.answers[0]).toMatchObject({ is_correct: false, points_earned: 0 });
    expect(result.answers[1]).toMatchObject({ is_correct: false, points_earned: 0 });
    expect(result.answers[2]).toMatchObject({ answer_text: null, is_correct: false, points_earned: 0 });
    expect(result.answers[4]).toMatchObject({ answer_text: 'An essay.', is_correct: null, points_earned: null });
  });

  it('a quiz worth 0 points and no questions', () => {
    const zero = gradeAnswers([{ ...TF, points: '0.00' }], [{ question_id: 'tf', answer_text: 'false' }]);
    expect(zero).toMatchObject({ scoreCents: 0, maxCents: 0, pending: false });
    expect(zero.answers[0]).toMatchObject({ is_correct: true, points_earned: 0 });
    expect(percentageOf(zero.scoreCents, zero.maxCents)).toBe('0.00');
    expect(gradeAnswers([], [])).toEqual({ answers: [], scoreCents: 0, maxCents: 0, pending: false });
  });
});

describe('applyEssayGrades', () => {
  const ES2: QuestionKey = { ...ES, id: 'es2', points: '2.00' };
  const questions = [MC, ES, ES2];
  const stored: StoredAnswer[] = gradeAnswers(questions, [
    { question_id: 'mc', selected_option_id: 'b' },
    { question_id: 'es', answer_text: 'one' },
    { question_id: 'es2', answer_text: 'two' },
  ]).answers;

  const failure = (grades: Parameters<typeof applyEssayGrades>[2]): string => {
    try {
      applyEssayGrades(stored, questions, grades);
    } catch (err) {
      if (err instanceof InvalidGradeError) return err.message;
      throw err;
    }
    throw new Error('expected an InvalidGradeError');
  };

  it('adds the grades to the auto-graded score; full points are correct', () => {
    const { answers, scoreCents } = applyEssayGrades(stored, questions, [
      { question_id: 'es', points_earned: 3.5, feedback: 'Good' },
      { question_id: 'es2', points_earned: 2 },
    ]);
    expect(scoreCents).toBe(150 + 350 + 200);
    expect(answers[1]).toMatchObject({ is_correct: false, points_earned: 3.5, feedback: 'Good', answer_text: 'one' });
    expect(answers[2]).toMatchObject({ is_correct: true, points_earned: 2, feedback: null });
    expect(answers[0]).toEqual(stored[0]);
  });

  it.each<[string, Parameters<typeof applyEssayGrades>[2], string]>([
    [
      'a duplicate',
      [
        { question_id: 'es', points_earned: 1 },
        { question_id: 'es', points_earned: 1 },
        { question_id: 'es2', points_earned: 1 },
      ],
      GRADE_MESSAGES.duplicate,
    ],
    ['a non-essay question', [{ question_id: 'mc', points_earned: 1 }], GRADE_MESSAGES.notPending],
    ['an unknown question', [{ question_id: 'nope', points_earned: 1 }], GRADE_MESSAGES.notPending],
    [
      'points above the question',
      [
        { question_id: 'es', points_earned: 5.01 },
        { question_id: 'es2', points_earned: 0 },
      ],
      GRADE_MESSAGES.tooMany,
    ],
    ['a missing pending answer', [{ question_id: 'es', points_earned: 5 }], GRADE_MESSAGES.missing],
    ['no grades', [], GRADE_MESSAGES.missing],
  ])('rejects %s', (_label, grades, message) => {
    expect(failure(grades)).toBe(message);
  });

  it('a graded (not pending) essay cannot be graded again', () => {
    const unanswered = gradeAnswers([ES], []).answers;
    expect(() => applyEssayGrades(unanswered, [ES], [{ question_id: 'es', points_earned: 1 }])).toThrow(
      GRADE_MESSAGES.notPending,
    );
    expect(applyEssayGrades(unanswered, [ES], [])).toEqual({ answers: unanswered, scoreCents: 0 });
  });
});
