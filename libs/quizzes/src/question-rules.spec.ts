import {
  essayViolation,
  isBlank,
  multipleChoiceViolation,
  multipleResponseViolation,
  normalizeAnswer,
  questionRuleMessage,
  questionViolation,
  shortAnswerViolation,
  trueFalseViolation,
  type RuleOption,
} from './question-rules.js';
import type { QuestionType } from './quiz-question.entity.js';

const opt = (id: string, text: string, correct = false): RuleOption => ({
  option_id: id,
  option_text: text,
  is_correct: correct,
});

const twoOptions = (aCorrect: boolean, bCorrect: boolean): RuleOption[] => [
  opt('a', 'Alpha', aCorrect),
  opt('b', 'Beta', bCorrect),
];

describe('isBlank', () => {
  it('treats null, undefined and whitespace as blank', () => {
    expect(isBlank(null)).toBe(true);
    expect(isBlank(undefined)).toBe(true);
    expect(isBlank('  \t')).toBe(true);
    expect(isBlank(' x ')).toBe(false);
  });
});

describe('multipleChoiceViolation', () => {
  it('accepts two options with exactly one correct', () => {
    expect(multipleChoiceViolation(twoOptions(true, false), null)).toBeNull();
    expect(multipleChoiceViolation(twoOptions(false, true), undefined)).toBeNull();
    expect(multipleChoiceViolation(twoOptions(false, true), '  ')).toBeNull(); // blank is empty
  });

  it.each([
    ['no options', null],
    ['an empty list', []],
    ['one option', [opt('a', 'Alpha', true)]],
  ])('needs at least 2 options: %s', (_name, options) => {
    expect(multipleChoiceViolation(options, null)).toEqual({
      field: 'options',
      message: 'Multiple choice questions must have at least 2 options',
    });
  });

  it('needs an option_id on every option', () => {
    for (const id of [undefined, null, '', '   ']) {
      const v = multipleChoiceViolation([opt('a', 'Alpha', true), { option_id: id, option_text: 'Beta' }], null);
      expect(v).toEqual({ field: 'options', message: 'Multiple choice question options must each have an option_id' });
    }
  });

  it('needs a non-empty option_text on every option', () => {
    for (const text of [undefined, null, '', '  ']) {
      const v = multipleChoiceViolation([opt('a', 'Alpha', true), { option_id: 'b', option_text: text }], null);
      expect(v).toEqual({
        field: 'options',
        message: 'Multiple choice question options must each have a non-empty option_text',
      });
    }
  });

  it('needs unique option ids', () => {
    expect(multipleChoiceViolation([opt('a', 'Alpha', true), opt('a', 'Beta')], null)?.message).toBe(
      'Multiple choice question options must have unique option_id values',
    );
  });

  it('needs unique option texts, case-insensitively and ignoring surrounding spaces', () => {
    for (const other of ['Alpha', 'ALPHA', ' alpha ']) {
      expect(multipleChoiceViolation([opt('a', 'Alpha', true), opt('b', other)], null)?.message).toBe(
        'Multiple choice question options must have unique option_text values (case-insensitive)',
      );
    }
  });

  it.each([
    ['none', twoOptions(false, false)],
    ['two', twoOptions(true, true)],
  ])('needs exactly 1 correct option (%s correct)', (_name, options) => {
    expect(multipleChoiceViolation(options, null)).toEqual({
      field: 'options',
      message: 'Multiple choice questions must have exactly 1 correct option',
    });
  });

  it('counts only is_correct === true as correct', () => {
    const options = [{ ...opt('a', 'Alpha'), is_correct: null }, opt('b', 'Beta', true)];
    expect(multipleChoiceViolation(options, null)).toBeNull();
  });

  it('refuses a correct_answer', () => {
    expect(multipleChoiceViolation(twoOptions(true, false), 'a')).toEqual({
      field: 'correct_answer',
      message: 'Multiple choice questions must not set correct_answer directly',
    });
  });

  it('reports the first violation in rule order (count before correctness)', () => {
    expect(multipleChoiceViolation([opt('a', 'Alpha')], 'x')?.message).toBe(
      'Multiple choice questions must have at least 2 options',
    );
  });
});

describe('multipleResponseViolation', () => {
  it('accepts one or several correct options', () => {
    expect(multipleResponseViolation(twoOptions(true, false), null)).toBeNull();
    expect(multipleResponseViolation(twoOptions(true, true), null)).toBeNull();
  });

  it('needs at least 2 options', () => {
    expect(multipleResponseViolation([opt('a', 'Alpha', true)], null)?.message).toBe(
      'Multiple response questions must have at least 2 options',
    );
  });

  it('needs ids, texts and uniqueness like multiple choice', () => {
    expect(multipleResponseViolation([opt('a', 'Alpha', true), opt('a', 'Beta')], null)?.message).toBe(
      'Multiple response question options must have unique option_id values',
    );
    expect(multipleResponseViolation([opt('a', 'Alpha', true), opt('b', 'alpha')], null)?.message).toBe(
      'Multiple response question options must have unique option_text values (case-insensitive)',
    );
    expect(
      multipleResponseViolation([opt('a', 'Alpha', true), { option_id: 'b', option_text: '' }], null)?.message,
    ).toBe('Multiple response question options must each have a non-empty option_text');
  });

  it('needs at least 1 correct option', () => {
    expect(multipleResponseViolation(twoOptions(false, false), null)).toEqual({
      field: 'options',
      message: 'Multiple response questions must have at least 1 correct option',
    });
  });

  it('refuses a correct_answer', () => {
    expect(multipleResponseViolation(twoOptions(true, true), 'a,b')).toEqual({
      field: 'correct_answer',
      message: 'Multiple response questions must not set correct_answer directly',
    });
  });
});

describe('trueFalseViolation', () => {
  it.each(['true', 'false', 'TRUE', ' False '])('accepts %j', (answer) => {
    expect(trueFalseViolation(null, answer)).toBeNull();
    expect(trueFalseViolation([], answer)).toBeNull(); // an empty list is no options
  });

  it('refuses options', () => {
    expect(trueFalseViolation(twoOptions(true, false), 'true')).toEqual({
      field: 'options',
      message: 'True/false questions must not have options',
    });
  });

  it.each([null, undefined, '', 'yes', 't', '1', 'truee'])('refuses the answer %j', (answer) => {
    expect(trueFalseViolation(null, answer)).toEqual({
      field: 'correct_answer',
      message: "True/false questions must have correct_answer 'true' or 'false'",
    });
  });
});

describe('shortAnswerViolation', () => {
  it('accepts a non-blank answer', () => {
    expect(shortAnswerViolation(null, 'Paris')).toBeNull();
  });

  it('refuses options', () => {
    expect(shortAnswerViolation([opt('a', 'Paris', true)], 'Paris')?.message).toBe(
      'Short answer questions must not have options',
    );
  });

  it.each([null, undefined, '', '   '])('refuses the blank answer %j', (answer) => {
    expect(shortAnswerViolation(null, answer)).toEqual({
      field: 'correct_answer',
      message: 'Short answer questions must have a correct_answer',
    });
  });
});

describe('essayViolation', () => {
  it('accepts no options and no answer (blank counts as none)', () => {
    expect(essayViolation(null, null)).toBeNull();
    expect(essayViolation(undefined, undefined)).toBeNull();
    expect(essayViolation([], ' ')).toBeNull();
  });

  it('refuses options', () => {
    expect(essayViolation([opt('a', 'x')], null)?.message).toBe('Essay questions must not have options');
  });

  it('refuses a correct_answer', () => {
    expect(essayViolation(null, 'model answer')).toEqual({
      field: 'correct_answer',
      message: 'Essay questions must not have a correct_answer',
    });
  });
});

describe('questionViolation / questionRuleMessage', () => {
  it('dispatches by question_type', () => {
    expect(questionViolation({ question_type: 'true_false', options: null, correct_answer: 'true' })).toBeNull();
    expect(questionRuleMessage({ question_type: 'essay', options: null, correct_answer: 'x' })).toBe(
      'Essay questions must not have a correct_answer',
    );
    expect(questionRuleMessage({ question_type: 'multiple_choice', options: twoOptions(true, false) })).toBeNull();
  });

  it('names an unknown type (a stored row the CHECK constraint would refuse)', () => {
    expect(questionViolation({ question_type: 'matching' as QuestionType })).toEqual({
      field: 'question_type',
      message: 'Unsupported question type: matching',
    });
    expect(questionViolation({ question_type: 'toString' as QuestionType })?.field).toBe('question_type');
  });
});

describe('normalizeAnswer', () => {
  it('keeps choice options (is_correct as a boolean) and drops correct_answer', () => {
    expect(
      normalizeAnswer({
        question_type: 'multiple_response',
        options: [{ option_id: 'a', option_text: 'Alpha', is_correct: null }, opt('b', 'Beta', true)],
        correct_answer: ' ',
      }),
    ).toEqual({
      options: [opt('a', 'Alpha', false), opt('b', 'Beta', true)],
      correct_answer: null,
    });
  });

  it('lowercases true/false, trims short answers, and stores no options (empty list → null)', () => {
    expect(normalizeAnswer({ question_type: 'true_false', options: [], correct_answer: ' TRUE ' })).toEqual({
      options: null,
      correct_answer: 'true',
    });
    expect(normalizeAnswer({ question_type: 'short_answer', options: null, correct_answer: '  Paris ' })).toEqual({
      options: null,
      correct_answer: 'Paris',
    });
    expect(normalizeAnswer({ question_type: 'essay', options: [], correct_answer: '' })).toEqual({
      options: null,
      correct_answer: null,
    });
  });
});
