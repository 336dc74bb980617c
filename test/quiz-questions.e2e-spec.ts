import { randomUUID } from 'node:crypto';
import { createTestApp, type JsonResponse, type TestApp } from '#testing';
import {
  callAs,
  countOf,
  EVERYONE,
  makeActors,
  makeCourseWithStudent,
  makeLesson,
  NON_MANAGERS,
  secretPaths,
  WRITE_STATUS,
  type Actors,
  type Who,
} from './quiz-fixtures.js';

type Body = Record<string, unknown>;
interface Question extends Body {
  id: string;
  order_index: number;
  options: Array<{ option_id: string; option_text: string; is_correct?: boolean }> | null;
}

const MANAGED_KEYS = [
  'id',
  'quiz_id',
  'question_text',
  'question_type',
  'points',
  'order_index',
  'explanation',
  'options',
  'correct_answer',
].sort();
const PUBLIC_KEYS = ['id', 'question_text', 'question_type', 'points', 'options'].sort();

/** Valid bodies of each type. */
const VALID: Record<string, Body> = {
  multiple_choice: {
    question_text: 'Capital of France?',
    question_type: 'multiple_choice',
    options: [
      { option_id: 'paris', option_text: 'Paris', is_correct: true },
      { option_id: 'rome', option_text: 'Rome' },
    ],
    explanation: 'Paris has been the capital since 987.',
  },
  multiple_response: {
    question_text: 'Prime numbers?',
    question_type: 'multiple_response',
    points: 2,
    options: [
      { option_text: 'Two', is_correct: true },
      { option_text: 'Three', is_correct: true },
      { option_text: 'Four', is_correct: false },
    ],
    explanation: 'Four is 2 × 2.',
  },
  true_false: { question_text: 'The earth is round.', question_type: 'true_false', correct_answer: 'TRUE' },
  short_answer: {
    question_text: 'Chemical symbol of gold?',
    question_type: 'short_answer',
    correct_answer: '  Au ',
    explanation: 'From the Latin aurum.',
  },
  essay: { question_text: 'Discuss the French revolution.', question_type: 'essay', points: 10 },
};

describe('quiz questions', () => {
  let t: TestApp;
  let seq = 0;
  let actors: Actors;
  const api = (method: string, path: string, who: Who, body?: unknown): Promise<JsonResponse> =>
    callAs(t, actors, method, path, who, body);

  const makeCourse = (published: boolean, instructorId = actors.owner.user.id): Promise<string> =>
    makeCourseWithStudent(t, 'questions', { published, instructorId, studentId: actors.student.user.id });

  /** A quiz (made through the API) with `questions` valid true/false questions, published on request. */
  async function makeQuiz(courseId: string, opts: { published?: boolean; questions?: number } = {}): Promise<string> {
    const res = await api('POST', `/courses/${courseId}/quizzes`, 'admin', {
      lesson_id: await makeLesson(t, courseId, 'quiz'),
      title: `Quiz ${++seq}`,
    });
    expect(res.status).toBe(201);
    const quizId = res.body.id as string;
    for (let i = 0; i < (opts.questions ?? (opts.published ? 1 : 0)); i++) {
      await addQuestion(courseId, quizId, { question_text: `Question ${i + 1}` });
    }
    if (opts.published) {
      expect((await api('POST', `/courses/${courseId}/quizzes/${quizId}/publish`, 'admin')).status).toBe(200);
    }
    return quizId;
  }

  const qPath = (courseId: string, quizId: string): string => `/courses/${courseId}/quizzes/${quizId}/questions`;

  async function addQuestion(courseId: string, quizId: string, body: Body = {}, who: Who = 'admin'): Promise<Question> {
    // Another type's body replaces the true/false defaults instead of being merged into them.
    const res = await api(
      'POST',
      qPath(courseId, quizId),
      who,
      body.question_type ? body : { ...VALID.true_false, ...body },
    );
    expect(res.status).toBe(201);
    return res.body as Question;
  }

  const count = (quizId?: string): Promise<number> =>
    quizId
      ? countOf(t, 'SELECT count(*)::int AS n FROM quiz_questions WHERE quiz_id = $1', [quizId])
      : countOf(t, 'SELECT count(*)::int AS n FROM quiz_questions');

  async function dbQuestion(id: string): Promise<Body | undefined> {
    const [row] = await t.db.query('SELECT * FROM quiz_questions WHERE id = $1', [id]);
    return row;
  }

  /** [id, order_index] of the quiz's questions, by position. */
  async function positions(quizId: string): Promise<Array<[string, number]>> {
    const rows = await t.db.query<{ id: string; order_index: number }>(
      'SELECT id, order_index FROM quiz_questions WHERE quiz_id = $1 ORDER BY order_index',
      [quizId],
    );
    return rows.map((r) => [r.id, r.order_index]);
  }

  async function addAttempt(courseId: string, quizId: string): Promise<void> {
    await t.db.query(
      `INSERT INTO quiz_attempts (quiz_id, enrollment_id, student_id, attempt_number, started_at, max_score)
       SELECT $1, e.id, e.student_id, 1, now(), 1 FROM enrollments e WHERE e.course_id = $2 AND e.student_id = $3`,
      [quizId, courseId, actors.student.user.id],
    );
  }

  beforeAll(async () => {
    t = await createTestApp({ workers: false });
    actors = await makeActors(t, 'questions');
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('route × role matrix', () => {
    const quizzes = {} as Record<'pp' | 'pu' | 'up' | 'uu', { course: string; quiz: string }>;
    beforeAll(async () => {
      const pub = await makeCourse(true);
      const draft = await makeCourse(false);
      quizzes.pp = { course: pub, quiz: await makeQuiz(pub, { published: true, questions: 2 }) };
      quizzes.pu = { course: pub, quiz: await makeQuiz(pub, { questions: 2 }) };
      quizzes.up = { course: draft, quiz: await makeQuiz(draft, { published: true, questions: 2 }) };
      quizzes.uu = { course: draft, quiz: await makeQuiz(draft, { questions: 2 }) };
    });
    const KEYS = ['pp', 'pu', 'up', 'uu'] as const;

    it.each(EVERYONE)('GET questions (course/quiz published or not): %s', async (who) => {
      for (const key of KEYS) {
        const { course, quiz } = quizzes[key];
        const res = await api('GET', qPath(course, quiz), who);
        if (key === 'pp' || !NON_MANAGERS.includes(who)) {
          expect({ key, status: res.status }).toEqual({ key, status: 200 });
          expect(res.body).toHaveLength(2);
        } else {
          expect({ key, status: res.status }).toEqual({ key, status: 403 });
          expect(res.body).toMatchObject({ code: 'forbidden', detail: 'Not authorized to access this quiz' });
        }
      }
    });

    it.each(EVERYONE)('GET questions/manage: %s', async (who) => {
      for (const key of KEYS) {
        const { course, quiz } = quizzes[key];
        const res = await api('GET', `${qPath(course, quiz)}/manage`, who);
        if (WRITE_STATUS[who]) {
          expect(res.status).toBe(WRITE_STATUS[who]);
          if (res.status === 403) expect(res.body.detail).toBe('Not authorized to manage quizzes for this course');
          expect(Array.isArray(res.body)).toBe(false);
        } else {
          expect(res.status).toBe(200);
          expect((res.body as unknown as Question[]).map((q) => q.correct_answer)).toEqual(['true', 'true']);
        }
      }
    });

    it.each(EVERYONE)('POST a question: %s', async (who) => {
      for (const key of KEYS) {
        const { course, quiz } = quizzes[key];
        const before = await count(quiz);
        const res = await api('POST', qPath(course, quiz), who, VALID.short_answer);
        if (WRITE_STATUS[who]) {
          expect(res.status).toBe(WRITE_STATUS[who]);
          if (res.status === 403) expect(res.body.detail).toBe('Not authorized to manage quizzes for this course');
          expect(await count(quiz)).toBe(before);
        } else {
          expect(res.status).toBe(201); // published quizzes included
          expect(await count(quiz)).toBe(before + 1);
        }
      }
    });

    it.each(EVERYONE)('PATCH a question: %s', async (who) => {
      for (const key of KEYS) {
        const { course, quiz } = quizzes[key];
        const q = await addQuestion(course, quiz);
        const res = await api('PATCH', `${qPath(course, quiz)}/${q.id}`, who, { question_text: 'Patched text' });
        const row = await dbQuestion(q.id);
        if (WRITE_STATUS[who]) {
          expect(res.status).toBe(WRITE_STATUS[who]);
          expect(row!.question_text).toBe(q.question_text);
        } else {
          expect(res.status).toBe(200);
          expect(row!.question_text).toBe('Patched text');
        }
      }
    });

    it.each(EVERYONE)('DELETE a question: %s', async (who) => {
      for (const key of KEYS) {
        const { course, quiz } = quizzes[key];
        const q = await addQuestion(course, quiz);
        const res = await api('DELETE', `${qPath(course, quiz)}/${q.id}`, who);
        if (WRITE_STATUS[who]) {
          expect(res.status).toBe(WRITE_STATUS[who]);
          expect(await dbQuestion(q.id)).toBeDefined();
        } else {
          expect(res.status).toBe(204);
          expect(await dbQuestion(q.id)).toBeUndefined();
        }
      }
    });

    it.each(EVERYONE)('PUT questions/order: %s', async (who) => {
      for (const key of KEYS) {
        const { course, quiz } = quizzes[key];
        const before = await positions(quiz);
        const reversed = before.map(([id]) => id).reverse();
        const res = await api('PUT', `${qPath(course, quiz)}/order`, who, { question_ids: reversed });
        if (WRITE_STATUS[who]) {
          expect(res.status).toBe(WRITE_STATUS[who]);
          expect(await positions(quiz)).toEqual(before);
        } else {
          expect(res.status).toBe(200);
          expect((res.body as unknown as Question[]).map((q) => q.id)).toEqual(reversed);
        }
      }
    });

    it('another instructor of another course gets 403 on every manager route', async () => {
      const theirs = await makeCourse(true, actors.other.user.id);
      const quiz = await makeQuiz(theirs, { questions: 1 });
      const [[questionId]] = (await positions(quiz)) as [[string, number]];
      for (const [method, path, body] of [
        ['GET', `${qPath(theirs, quiz)}/manage`, undefined],
        ['PATCH', `${qPath(theirs, quiz)}/${questionId}`, { points: 3 }],
        ['PUT', `${qPath(theirs, quiz)}/order`, { question_ids: [questionId] }],
        ['DELETE', `${qPath(theirs, quiz)}/${questionId}`, undefined],
        ['POST', qPath(theirs, quiz), VALID.essay],
      ] as Array<[string, string, unknown]>) {
        expect({ method, status: (await api(method, path, 'owner', body)).status }).toEqual({ method, status: 403 });
        expect((await api(method, path, 'other', body)).status).toBeLessThan(300);
      }
    });
  });

  describe('not found and non-UUID ids', () => {
    const missing = randomUUID();
    let course: string;
    let quiz: string;
    let question: Question;
    let elsewhere: string;
    let otherQuizQuestion: Question;
    beforeAll(async () => {
      course = await makeCourse(true);
      quiz = await makeQuiz(course, { questions: 1 });
      [question] = (await api('GET', `${qPath(course, quiz)}/manage`, 'admin')).body as unknown as Question[];
      elsewhere = await makeCourse(true);
      otherQuizQuestion = await addQuestion(course, await makeQuiz(course));
    });

    const routes = (c: string, q: string, questionId: string): Array<[string, string, unknown]> => [
      ['GET', qPath(c, q), undefined],
      ['GET', `${qPath(c, q)}/manage`, undefined],
      ['POST', qPath(c, q), VALID.essay],
      ['PATCH', `${qPath(c, q)}/${questionId}`, { points: 5 }],
      ['DELETE', `${qPath(c, q)}/${questionId}`, undefined],
      ['PUT', `${qPath(c, q)}/order`, { question_ids: [questionId] }],
    ];

    it('unknown quiz → 404 "Quiz not found" on every route', async () => {
      for (const [method, path, body] of routes(course, missing, question!.id)) {
        const res = await api(method, path, 'admin', body);
        expect({ method, status: res.status, detail: res.body.detail }).toEqual({
          method,
          status: 404,
          detail: 'Quiz not found',
        });
      }
    });

    it('a quiz of another course → 404 "Quiz not found in this course" on every route; nothing changes', async () => {
      const before = await count();
      for (const [method, path, body] of routes(elsewhere, quiz, question!.id)) {
        const res = await api(method, path, 'admin', body);
        expect({ method, status: res.status, detail: res.body.detail }).toEqual({
          method,
          status: 404,
          detail: 'Quiz not found in this course',
        });
      }
      expect(await count()).toBe(before);
      expect(await dbQuestion(question!.id)).toMatchObject({ points: '1.00' });
    });

    it.each(['PATCH', 'DELETE'])(
      '%s an unknown question, or one of another quiz → 404 "Question not found"',
      async (method) => {
        for (const id of [missing, otherQuizQuestion.id]) {
          const res = await api(
            method,
            `${qPath(course, quiz)}/${id}`,
            'admin',
            method === 'PATCH' ? { points: 7 } : undefined,
          );
          expect(res.status).toBe(404);
          expect(res.body).toMatchObject({ code: 'not_found', detail: 'Question not found' });
        }
        expect(await dbQuestion(otherQuizQuestion.id)).toMatchObject({ points: '1.00' });
      },
    );

    it.each([
      ['GET', `/courses/not-a-uuid/quizzes/${randomUUID()}/questions`, undefined],
      ['GET', `/courses/${randomUUID()}/quizzes/not-a-uuid/questions`, undefined],
      ['GET', `/courses/${randomUUID()}/quizzes/not-a-uuid/questions/manage`, undefined],
      ['POST', `/courses/${randomUUID()}/quizzes/not-a-uuid/questions`, VALID.essay],
      ['PATCH', `/courses/${randomUUID()}/quizzes/${randomUUID()}/questions/not-a-uuid`, { points: 1 }],
      ['DELETE', `/courses/${randomUUID()}/quizzes/${randomUUID()}/questions/not-a-uuid`, undefined],
      ['PUT', `/courses/${randomUUID()}/quizzes/not-a-uuid/questions/order`, { question_ids: [] }],
    ])('%s %s → 422', async (method, path, body) => {
      const before = await count();
      const res = await api(method, path, 'admin', body);
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('validation_failed');
      expect(await count()).toBe(before);
    });
  });

  describe('POST: per-type rules (400 invalid_question) and DTO validation (422); nothing written', () => {
    let course: string;
    let quiz: string;
    beforeAll(async () => {
      course = await makeCourse(true);
      quiz = await makeQuiz(course);
    });

    const opts = (...specs: Array<[string, boolean?]>): Body[] =>
      specs.map(([text, correct]) => ({ option_text: text, is_correct: correct ?? false }));

    const rules: Array<[string, Body, string, string]> = [
      [
        'MC without options',
        { ...VALID.multiple_choice, options: undefined },
        'options',
        'Multiple choice questions must have at least 2 options',
      ],
      [
        'MC with an empty list',
        { ...VALID.multiple_choice, options: [] },
        'options',
        'Multiple choice questions must have at least 2 options',
      ],
      [
        'MC with one option',
        { ...VALID.multiple_choice, options: opts(['A', true]) },
        'options',
        'Multiple choice questions must have at least 2 options',
      ],
      [
        'MC with duplicate option ids',
        {
          ...VALID.multiple_choice,
          options: [
            { option_id: 'x', option_text: 'A', is_correct: true },
            { option_id: 'x', option_text: 'B' },
          ],
        },
        'options',
        'Multiple choice question options must have unique option_id values',
      ],
      [
        'MC with duplicate texts (case-insensitive)',
        { ...VALID.multiple_choice, options: opts(['Paris', true], ['  PARIS ']) },
        'options',
        'Multiple choice question options must have unique option_text values (case-insensitive)',
      ],
      [
        'MC with no correct option',
        { ...VALID.multiple_choice, options: opts(['A'], ['B']) },
        'options',
        'Multiple choice questions must have exactly 1 correct option',
      ],
      [
        'MC with two correct options',
        { ...VALID.multiple_choice, options: opts(['A', true], ['B', true]) },
        'options',
        'Multiple choice questions must have exactly 1 correct option',
      ],
      [
        'MC with a correct_answer',
        { ...VALID.multiple_choice, correct_answer: 'paris' },
        'correct_answer',
        'Multiple choice questions must not set correct_answer directly',
      ],
      [
        'MR with one option',
        { ...VALID.multiple_response, options: opts(['A', true]) },
        'options',
        'Multiple response questions must have at least 2 options',
      ],
      [
        'MR with duplicate texts',
        { ...VALID.multiple_response, options: opts(['Two', true], ['two']) },
        'options',
        'Multiple response question options must have unique option_text values (case-insensitive)',
      ],
      [
        'MR with no correct option',
        { ...VALID.multiple_response, options: opts(['A'], ['B']) },
        'options',
        'Multiple response questions must have at least 1 correct option',
      ],
      [
        'MR with a correct_answer',
        { ...VALID.multiple_response, correct_answer: 'Two' },
        'correct_answer',
        'Multiple response questions must not set correct_answer directly',
      ],
      [
        'TF with options',
        { ...VALID.true_false, options: opts(['True', true], ['False']) },
        'options',
        'True/false questions must not have options',
      ],
      [
        'TF without an answer',
        { ...VALID.true_false, correct_answer: undefined },
        'correct_answer',
        "True/false questions must have correct_answer 'true' or 'false'",
      ],
      [
        'TF with "yes"',
        { ...VALID.true_false, correct_answer: 'yes' },
        'correct_answer',
        "True/false questions must have correct_answer 'true' or 'false'",
      ],
      [
        'SA with options',
        { ...VALID.short_answer, options: opts(['Au', true], ['Ag']) },
        'options',
        'Short answer questions must not have options',
      ],
      [
        'SA without an answer',
        { ...VALID.short_answer, correct_answer: null },
        'correct_answer',
        'Short answer questions must have a correct_answer',
      ],
      [
        'SA with a blank answer',
        { ...VALID.short_answer, correct_answer: '   ' },
        'correct_answer',
        'Short answer questions must have a correct_answer',
      ],
      [
        'essay with options',
        { ...VALID.essay, options: opts(['A', true], ['B']) },
        'options',
        'Essay questions must not have options',
      ],
      [
        'essay with an answer',
        { ...VALID.essay, correct_answer: 'model answer' },
        'correct_answer',
        'Essay questions must not have a correct_answer',
      ],
    ];

    it.each(rules)('%s → 400', async (_name, body, field, message) => {
      const before = await count();
      const res = await api('POST', qPath(course, quiz), 'owner', body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'invalid_question', detail: message, status: 400 });
      expect(res.body.errors).toEqual([{ field, message, code: 'invalid_question' }]);
      expect(await count()).toBe(before);
    });

    const tooMany = Array.from({ length: 51 }, (_, i) => ({ option_text: `Option ${i}`, is_correct: i === 0 }));
    const invalid: Array<[string, Body]> = [
      ['question_text missing', { question_text: undefined }],
      ['question_text null', { question_text: null }],
      ['question_text too short', { question_text: 'ab' }],
      ['question_text short after trim', { question_text: '   ab    ' }],
      ['question_text too long', { question_text: 'q'.repeat(10_001) }],
      ['question_text not a string', { question_text: 42 }],
      ['question_type missing', { question_type: undefined }],
      ['question_type unknown', { question_type: 'matching' }],
      ['points negative', { points: -1 }],
      ['points over 10000', { points: 10_000.01 }],
      ['points 3 decimals', { points: 1.005 }],
      ['points a non-numeric string', { points: 'one' }],
      ['explanation too long', { explanation: 'e'.repeat(10_001) }],
      ['explanation not a string', { explanation: 1 }],
      ['options not an array', { options: { option_text: 'A' } }],
      ['options over 50', { options: tooMany }],
      ['an option that is not an object', { options: ['Paris', 'Rome'] }],
      ['option_text missing', { options: [{ is_correct: true }, { option_text: 'B' }] }],
      ['option_text empty', { options: [{ option_text: '', is_correct: true }, { option_text: 'B' }] }],
      ['option_text blank', { options: [{ option_text: '   ', is_correct: true }, { option_text: 'B' }] }],
      [
        'option_text too long',
        { options: [{ option_text: 'o'.repeat(1001), is_correct: true }, { option_text: 'B' }] },
      ],
      ['option_id empty', { options: [{ option_id: '', option_text: 'A', is_correct: true }, { option_text: 'B' }] }],
      [
        'option_id too long',
        { options: [{ option_id: 'i'.repeat(101), option_text: 'A', is_correct: true }, { option_text: 'B' }] },
      ],
      ['option_id a number', { options: [{ option_id: 1, option_text: 'A', is_correct: true }, { option_text: 'B' }] }],
      ['is_correct a string', { options: [{ option_text: 'A', is_correct: 'true' }, { option_text: 'B' }] }],
      [
        'an unknown option field',
        { options: [{ option_text: 'A', is_correct: true, weight: 2 }, { option_text: 'B' }] },
      ],
      [
        'correct_answer too long',
        { question_type: 'short_answer', options: undefined, correct_answer: 'a'.repeat(1001) },
      ],
      ['correct_answer a boolean', { question_type: 'true_false', options: undefined, correct_answer: true }],
      ['metadata a string', { metadata: 'x' }],
      ['metadata an array', { metadata: [1] }],
      ['order_index (automatic)', { order_index: 1 }],
      ['quiz_id (from the path)', { quiz_id: randomUUID() }],
      ['an unknown field', { foo: 'bar' }],
    ];

    it.each(invalid)('%s → 422 validation_failed', async (_name, patch) => {
      const before = await count();
      const res = await api('POST', qPath(course, quiz), 'owner', { ...VALID.multiple_choice, ...patch });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('validation_failed');
      expect(Array.isArray(res.body.errors)).toBe(true);
      expect(await count()).toBe(before);
    });

    it('defaults and normalization; response is the manager view; metadata stored, never returned', async () => {
      const c = await makeCourse(true);
      const qz = await makeQuiz(c);
      const mc = await api('POST', qPath(c, qz), 'owner', {
        question_text: '  Pick one  ',
        question_type: 'multiple_choice',
        options: [
          { option_text: '  Alpha ', is_correct: true },
          { option_text: 'Beta', option_id: ' b ' },
        ],
        metadata: { difficulty: 'easy' },
      });
      expect(mc.status).toBe(201);
      expect(Object.keys(mc.body).sort()).toEqual(MANAGED_KEYS);
      const options = mc.body.options as Question['options'];
      expect(mc.body).toMatchObject({
        quiz_id: qz,
        question_text: 'Pick one',
        question_type: 'multiple_choice',
        points: '1.00',
        order_index: 1,
        explanation: null,
        correct_answer: null,
      });
      expect(options).toEqual([
        { option_id: expect.stringMatching(/^[0-9a-f-]{36}$/), option_text: 'Alpha', is_correct: true },
        { option_id: 'b', option_text: 'Beta', is_correct: false },
      ]);
      expect((await dbQuestion(mc.body.id as string))!.metadata).toEqual({ difficulty: 'easy' });

      const tf = await addQuestion(c, qz, { correct_answer: ' FALSE ', points: 2.5, options: [] }, 'owner');
      expect(tf).toMatchObject({ correct_answer: 'false', points: '2.50', order_index: 2, options: null });
      const sa = await addQuestion(c, qz, VALID.short_answer, 'owner');
      expect(sa).toMatchObject({ correct_answer: 'Au', order_index: 3, explanation: 'From the Latin aurum.' });
      const essay = await addQuestion(c, qz, { ...VALID.essay, correct_answer: '  ', points: 0 }, 'owner');
      expect(essay).toMatchObject({ correct_answer: null, points: '0.00', order_index: 4 });
      const mr = await addQuestion(c, qz, { ...VALID.multiple_response, correct_answer: '' }, 'owner');
      expect(mr).toMatchObject({ correct_answer: null, points: '2.00', order_index: 5 });
      expect(mr.options!.map((o) => o.is_correct)).toEqual([true, true, false]);
      const max = await addQuestion(c, qz, { points: 10_000 }, 'owner');
      expect(max.points).toBe('10000.00');

      const managed = (await api('GET', `${qPath(c, qz)}/manage`, 'owner')).body as unknown as Question[];
      expect(managed.map((q) => q.id)).toEqual([mc.body.id, tf.id, sa.id, essay.id, mr.id, max.id]);
      expect(managed[0]).toEqual(mc.body);
    });

    it('questions may be added to a published quiz', async () => {
      const qz = await makeQuiz(course, { published: true });
      const q = await addQuestion(course, qz, VALID.essay, 'owner');
      expect(q.order_index).toBe(2);
    });

    it('concurrent creates get distinct positions 1..n', async () => {
      const c = await makeCourse(true);
      const qz = await makeQuiz(c);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          api('POST', qPath(c, qz), i % 2 ? 'owner' : 'admin', { ...VALID.true_false, question_text: `Parallel ${i}` }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
      expect(results.map((r) => r.body.order_index as number).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 10 }, (_, i) => i + 1),
      );
    });

    it('Idempotency-Key on create: the retry replays the stored question; one row exists', async () => {
      const qz = await makeQuiz(course);
      const post = (): Promise<Response> =>
        t.request(`/api/v1${qPath(course, qz)}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${actors.owner.token}`,
            'idempotency-key': 'question-key-1',
          },
          body: JSON.stringify(VALID.multiple_choice),
        });
      const first = await post();
      expect(first.status).toBe(201);
      const retry = await post();
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(((await retry.json()) as Body).id).toBe(((await first.json()) as Body).id);
      expect(await count(qz)).toBe(1);
    });
  });

  describe('PATCH', () => {
    let course: string;
    let quiz: string;
    beforeAll(async () => {
      course = await makeCourse(true);
      quiz = await makeQuiz(course);
    });
    const patch = (id: string, body: unknown, who: Who = 'owner'): Promise<JsonResponse> =>
      api('PATCH', `${qPath(course, quiz)}/${id}`, who, body);

    it.each(['question_text', 'question_type', 'points'])('%s: null → 422 not_null, nothing changes', async (field) => {
      const q = await addQuestion(course, quiz);
      const before = await dbQuestion(q.id);
      const res = await patch(q.id, { [field]: null, explanation: 'changed' });
      expect(res.status).toBe(422);
      expect(res.body.errors).toEqual(
        expect.arrayContaining([{ field, message: `'${field}' cannot be null`, code: 'not_null' }]),
      );
      expect(await dbQuestion(q.id)).toEqual(before);
    });

    it.each([
      ['question_text too short', { question_text: 'ab' }],
      ['question_text too long', { question_text: 'q'.repeat(10_001) }],
      ['question_type unknown', { question_type: 'matching' }],
      ['points negative', { points: -0.5 }],
      ['points over 10000', { points: 10_001 }],
      ['explanation too long', { explanation: 'e'.repeat(10_001) }],
      ['options over 50', { options: Array.from({ length: 51 }, (_, i) => ({ option_text: `O${i}` })) }],
      ['option_text too long', { options: [{ option_text: 'o'.repeat(1001) }] }],
      ['correct_answer too long', { correct_answer: 'a'.repeat(1001) }],
      ['metadata an array', { metadata: [] }],
      ['order_index', { order_index: 3 }],
      ['unknown field', { quiz_id: randomUUID() }],
    ])('%s → 422, nothing changes', async (_name, body) => {
      const q = await addQuestion(course, quiz);
      const before = await dbQuestion(q.id);
      const res = await patch(q.id, body);
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('validation_failed');
      expect(await dbQuestion(q.id)).toEqual(before);
    });

    it('the resulting type, options and answer are validated together (400 invalid_question); nothing changes', async () => {
      const mc = await addQuestion(course, quiz, VALID.multiple_choice);
      const tf = await addQuestion(course, quiz);
      const cases: Array<[string, Body, string]> = [
        [
          mc.id,
          {
            options: [
              { option_text: 'A', is_correct: true },
              { option_text: 'B', is_correct: true },
            ],
          },
          'Multiple choice questions must have exactly 1 correct option',
        ],
        [mc.id, { options: null }, 'Multiple choice questions must have at least 2 options'],
        [
          mc.id,
          { correct_answer: 'paris', question_text: 'Changed?' },
          'Multiple choice questions must not set correct_answer directly',
        ],
        [mc.id, { question_type: 'short_answer' }, 'Short answer questions must have a correct_answer'],
        [tf.id, { correct_answer: 'maybe' }, "True/false questions must have correct_answer 'true' or 'false'"],
        [tf.id, { correct_answer: null }, "True/false questions must have correct_answer 'true' or 'false'"],
        [
          tf.id,
          { options: [{ option_text: 'A', is_correct: true }, { option_text: 'B' }] },
          'True/false questions must not have options',
        ],
        [tf.id, { question_type: 'multiple_choice' }, 'Multiple choice questions must have at least 2 options'],
        [tf.id, { question_type: 'essay', correct_answer: 'true' }, 'Essay questions must not have a correct_answer'],
      ];
      for (const [id, body, message] of cases) {
        const before = await dbQuestion(id);
        const res = await patch(id, body);
        expect({ body, status: res.status, detail: res.body.detail }).toEqual({ body, status: 400, detail: message });
        expect(res.body.code).toBe('invalid_question');
        expect(await dbQuestion(id)).toEqual(before);
      }
    });

    it('partial updates keep the other fields; null clears explanation; metadata null → {}', async () => {
      const mc = await addQuestion(course, quiz, { ...VALID.multiple_choice, metadata: { a: 1 } });
      const res = await patch(mc.id, { question_text: '  New text ', points: 4.25, explanation: null, metadata: null });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ...mc, question_text: 'New text', points: '4.25', explanation: null });
      expect((await dbQuestion(mc.id))!.metadata).toEqual({});
      const switched = await patch(mc.id, {
        options: [
          { option_id: 'paris', option_text: 'Paris' },
          { option_id: 'rome', option_text: 'Rome', is_correct: true },
        ],
      });
      expect(switched.status).toBe(200);
      expect(switched.body.options).toEqual([
        { option_id: 'paris', option_text: 'Paris', is_correct: false },
        { option_id: 'rome', option_text: 'Rome', is_correct: true },
      ]);
      const empty = await patch(mc.id, {});
      expect(empty.status).toBe(200);
      expect(empty.body).toEqual(switched.body);
    });

    it('changing the type drops what the new type cannot have, unless it is sent', async () => {
      const q = await addQuestion(course, quiz, VALID.multiple_choice);
      const toTf = await patch(q.id, { question_type: 'true_false', correct_answer: 'FALSE' });
      expect(toTf.status).toBe(200);
      expect(toTf.body).toMatchObject({ question_type: 'true_false', options: null, correct_answer: 'false' });
      const toSa = await patch(q.id, { question_type: 'short_answer' }); // keeps "false"
      expect(toSa.body).toMatchObject({ question_type: 'short_answer', correct_answer: 'false' });
      const toEssay = await patch(q.id, { question_type: 'essay' });
      expect(toEssay.body).toMatchObject({ question_type: 'essay', correct_answer: null, options: null });
      const toMr = await patch(q.id, {
        question_type: 'multiple_response',
        options: [
          { option_text: 'A', is_correct: true },
          { option_text: 'B', is_correct: true },
        ],
      });
      expect(toMr.status).toBe(200);
      expect(toMr.body).toMatchObject({ question_type: 'multiple_response', correct_answer: null });
      const backToMc = await patch(q.id, { question_type: 'multiple_choice' }); // keeps both correct options
      expect(backToMc.status).toBe(400);
      const toTfAgain = await patch(q.id, { question_type: 'true_false', correct_answer: 'true' }); // options dropped
      expect(toTfAgain.body).toMatchObject({ options: null, correct_answer: 'true' });
      expect(await dbQuestion(q.id)).toMatchObject({
        question_type: 'true_false',
        options: null,
        correct_answer: 'true',
      });
    });
  });

  describe('DELETE', () => {
    let course: string;
    beforeAll(async () => {
      course = await makeCourse(true);
    });

    it('204; the questions after it move up (positions stay 1..n)', async () => {
      const quiz = await makeQuiz(course, { questions: 4 });
      const before = await positions(quiz);
      expect((await api('DELETE', `${qPath(course, quiz)}/${before[1]![0]}`, 'owner')).status).toBe(204);
      expect(await positions(quiz)).toEqual([
        [before[0]![0], 1],
        [before[2]![0], 2],
        [before[3]![0], 3],
      ]);
      const next = await addQuestion(course, quiz);
      expect(next.order_index).toBe(4);
    });

    it('a quiz with an attempt → 409 quiz_has_attempts; nothing is deleted', async () => {
      const quiz = await makeQuiz(course, { published: true, questions: 2 });
      await addAttempt(course, quiz);
      const [[id]] = (await positions(quiz)) as [[string, number]];
      const res = await api('DELETE', `${qPath(course, quiz)}/${id}`, 'admin');
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({
        code: 'quiz_has_attempts',
        detail: 'Cannot delete a question of a quiz that has attempts',
      });
      expect(await count(quiz)).toBe(2);
    });

    it('the last question of a published quiz → 409 last_question; of an unpublished quiz → 204', async () => {
      const quiz = await makeQuiz(course, { published: true, questions: 1 });
      const [[only]] = (await positions(quiz)) as [[string, number]];
      const res = await api('DELETE', `${qPath(course, quiz)}/${only}`, 'owner');
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({
        code: 'last_question',
        detail: 'Cannot delete the last question of a published quiz',
      });
      expect(await count(quiz)).toBe(1);
      const second = await addQuestion(course, quiz);
      expect((await api('DELETE', `${qPath(course, quiz)}/${only}`, 'owner')).status).toBe(204);
      expect(await positions(quiz)).toEqual([[second.id, 1]]);
      expect((await api('POST', `/courses/${course}/quizzes/${quiz}/unpublish`, 'owner')).status).toBe(200);
      expect((await api('DELETE', `${qPath(course, quiz)}/${second.id}`, 'owner')).status).toBe(204);
      expect(await count(quiz)).toBe(0);
    });
  });

  describe('PUT order', () => {
    let course: string;
    beforeAll(async () => {
      course = await makeCourse(true);
    });
    const reorder = (quiz: string, body: unknown): Promise<JsonResponse> =>
      api('PUT', `${qPath(course, quiz)}/order`, 'owner', body);

    it('a permutation sets positions 1..n and returns the manager view; public and manage lists follow', async () => {
      const quiz = await makeQuiz(course, { published: true, questions: 4 });
      const ids = (await positions(quiz)).map(([id]) => id);
      const order = [ids[2]!, ids[0]!, ids[3]!, ids[1]!];
      const res = await reorder(quiz, { question_ids: order });
      expect(res.status).toBe(200);
      const body = res.body as unknown as Question[];
      expect(body.map((q) => [q.id, q.order_index])).toEqual(order.map((id, i) => [id, i + 1]));
      for (const q of body) expect(Object.keys(q).sort()).toEqual(MANAGED_KEYS);
      expect(await positions(quiz)).toEqual(order.map((id, i) => [id, i + 1]));
      const pub = (await api('GET', qPath(course, quiz), 'student')).body as unknown as Question[];
      expect(pub.map((q) => q.id)).toEqual(order);
      const managed = (await api('GET', `${qPath(course, quiz)}/manage`, 'admin')).body as unknown as Question[];
      expect(managed.map((q) => q.id)).toEqual(order);
      // the same order again, and upper-case ids, are fine
      expect((await reorder(quiz, { question_ids: order.map((id) => id.toUpperCase()) })).status).toBe(200);
      expect(await positions(quiz)).toEqual(order.map((id, i) => [id, i + 1]));
    });

    it('after a delete (positions compacted) a reorder still works', async () => {
      const quiz = await makeQuiz(course, { questions: 3 });
      const ids = (await positions(quiz)).map(([id]) => id);
      expect((await api('DELETE', `${qPath(course, quiz)}/${ids[0]}`, 'owner')).status).toBe(204);
      const res = await reorder(quiz, { question_ids: [ids[2], ids[1]] });
      expect(res.status).toBe(200);
      expect(await positions(quiz)).toEqual([
        [ids[2], 1],
        [ids[1], 2],
      ]);
    });

    it('an empty quiz accepts an empty list', async () => {
      const quiz = await makeQuiz(course);
      const res = await reorder(quiz, { question_ids: [] });
      expect(res.status).toBe(200);
      expect(res.body).toEqual([]);
    });

    it('missing, repeated or foreign ids → 422 invalid_order; bad bodies → 422 validation_failed; nothing changes', async () => {
      const quiz = await makeQuiz(course, { questions: 3 });
      const ids = (await positions(quiz)).map(([id]) => id);
      const foreign = (await addQuestion(course, await makeQuiz(course))).id;
      const before = await positions(quiz);
      const orderCases: Array<[string, string[]]> = [
        ['a missing id', [ids[1]!, ids[0]!]],
        ['a duplicate id (right length)', [ids[0]!, ids[0]!, ids[1]!]],
        ['a duplicate id (extra)', [ids[0]!, ids[1]!, ids[2]!, ids[2]!]],
        ["another quiz's question", [ids[0]!, ids[1]!, foreign]],
        ['an unknown id', [ids[0]!, ids[1]!, ids[2]!, randomUUID()]],
        ['nothing', []],
      ];
      for (const [name, questionIds] of orderCases) {
        const res = await reorder(quiz, { question_ids: questionIds });
        expect({ name, status: res.status, code: res.body.code }).toEqual({ name, status: 422, code: 'invalid_order' });
        expect(res.body.errors).toEqual([{ field: 'question_ids', message: res.body.detail, code: 'invalid_order' }]);
      }
      for (const body of [
        {},
        { question_ids: null },
        { question_ids: 'abc' },
        { question_ids: [...ids.slice(0, 2), 'not-a-uuid'] },
        { question_ids: ids, extra: true },
        { question_ids: Array.from({ length: 1001 }, () => randomUUID()) },
      ]) {
        const res = await reorder(quiz, body);
        expect(res.status).toBe(422);
        expect(res.body.code).toBe('validation_failed');
      }
      expect(await positions(quiz)).toEqual(before);
    });
  });

  describe('answer secrecy', () => {
    it('the public list never carries answer data, for any viewer; options are {option_id, option_text}', async () => {
      const c = await makeCourse(true);
      const quiz = await makeQuiz(c);
      for (const body of Object.values(VALID)) await addQuestion(c, quiz, body);
      expect((await api('POST', `/courses/${c}/quizzes/${quiz}/publish`, 'owner')).status).toBe(200);
      for (const who of EVERYONE) {
        const res = await api('GET', qPath(c, quiz), who);
        expect(res.status).toBe(200);
        expect(secretPaths(res.body)).toEqual([]);
        const list = res.body as unknown as Question[];
        expect(list.map((q) => q.question_type)).toEqual(Object.keys(VALID));
        for (const q of list) {
          expect(Object.keys(q).sort()).toEqual(PUBLIC_KEYS);
          if (q.options) for (const o of q.options) expect(Object.keys(o).sort()).toEqual(['option_id', 'option_text']);
        }
        expect(list[0]!.options).toEqual([
          { option_id: 'paris', option_text: 'Paris' },
          { option_id: 'rome', option_text: 'Rome' },
        ]);
        expect(list[2]!.options).toBeNull();
        expect(list[4]!.points).toBe('10.00');
      }
      // ... while the manager view has them
      const managed = (await api('GET', `${qPath(c, quiz)}/manage`, 'owner')).body as unknown as Question[];
      expect(secretPaths(managed).length).toBeGreaterThan(0);
      expect(managed[2]!.correct_answer).toBe('true');
    });
  });

  describe('caching', () => {
    it('both lists are cached (a direct database change is not seen until a write)', async () => {
      const c = await makeCourse(true);
      const quiz = await makeQuiz(c, { published: true });
      const [[id]] = (await positions(quiz)) as [[string, number]];
      const text = async (path: string, who: Who): Promise<unknown> =>
        ((await api('GET', path, who)).body as unknown as Question[])[0]!.question_text;
      expect(await text(qPath(c, quiz), 'student')).toBe('Question 1');
      expect(await text(`${qPath(c, quiz)}/manage`, 'owner')).toBe('Question 1');
      await t.db.query("UPDATE quiz_questions SET question_text = 'Behind the cache' WHERE id = $1", [id]);
      expect(await text(qPath(c, quiz), 'student')).toBe('Question 1');
      expect(await text(`${qPath(c, quiz)}/manage`, 'owner')).toBe('Question 1');
    });

    it('create, patch, reorder and delete invalidate both lists for every viewer', async () => {
      const c = await makeCourse(true);
      const quiz = await makeQuiz(c, { published: true, questions: 1 });
      const texts = async (who: Who, manage = false): Promise<string[]> =>
        ((await api('GET', `${qPath(c, quiz)}${manage ? '/manage' : ''}`, who)).body as unknown as Question[]).map(
          (q) => q.question_text as string,
        );
      const expectEverywhere = async (expected: string[]): Promise<void> => {
        for (const who of EVERYONE) expect(await texts(who)).toEqual(expected);
        for (const who of ['owner', 'admin'] as Who[]) expect(await texts(who, true)).toEqual(expected);
      };
      await expectEverywhere(['Question 1']);

      const created = await addQuestion(c, quiz, { question_text: 'Fresh question' }, 'owner');
      await expectEverywhere(['Question 1', 'Fresh question']);

      expect(
        (await api('PATCH', `${qPath(c, quiz)}/${created.id}`, 'owner', { question_text: 'Patched' })).status,
      ).toBe(200);
      await expectEverywhere(['Question 1', 'Patched']);

      const ids = (await positions(quiz)).map(([id]) => id);
      expect((await api('PUT', `${qPath(c, quiz)}/order`, 'admin', { question_ids: [...ids].reverse() })).status).toBe(
        200,
      );
      await expectEverywhere(['Patched', 'Question 1']);

      expect((await api('DELETE', `${qPath(c, quiz)}/${created.id}`, 'owner')).status).toBe(204);
      await expectEverywhere(['Question 1']);
    });

    it('visibility is checked on every read: unpublishing the quiz or the course hides a cached list at once', async () => {
      const c = await makeCourse(true);
      const quiz = await makeQuiz(c, { published: true });
      expect((await api('GET', qPath(c, quiz), 'student')).status).toBe(200);
      await t.db.query('UPDATE quizzes SET is_published = false WHERE id = $1', [quiz]);
      expect((await api('GET', qPath(c, quiz), 'student')).status).toBe(403);
      expect((await api('GET', qPath(c, quiz), 'owner')).status).toBe(200);
      await t.db.query('UPDATE quizzes SET is_published = true WHERE id = $1', [quiz]);
      expect((await api('GET', qPath(c, quiz), 'anonymous')).status).toBe(200);
      await t.db.query('UPDATE courses SET is_published = false WHERE id = $1', [c]);
      expect((await api('GET', qPath(c, quiz), 'anonymous')).status).toBe(403);
      await t.db.query('DELETE FROM quizzes WHERE id = $1', [quiz]);
      expect((await api('GET', qPath(c, quiz), 'owner')).status).toBe(404);
      expect((await api('GET', `${qPath(c, quiz)}/manage`, 'owner')).status).toBe(404);
    });
  });

  it('documents the routes in OpenAPI under the quizzes tag', async () => {
    const res = await t.request('/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      paths: Record<string, Record<string, { tags?: string[]; responses?: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown> };
    };
    const base = '/api/v1/courses/{course_id}/quizzes/{quiz_id}/questions';
    for (const [path, methods] of [
      [base, ['get', 'post']],
      [`${base}/manage`, ['get']],
      [`${base}/order`, ['put']],
      [`${base}/{question_id}`, ['patch', 'delete']],
    ] as const) {
      for (const m of methods) {
        expect(doc.paths[path]?.[m]?.tags).toEqual(['quizzes']);
        expect(Object.keys(doc.paths[path]![m]!.responses ?? {})).toEqual(expect.arrayContaining(['404', '422']));
      }
    }
    expect(Object.keys(doc.paths[base]!.post!.responses!)).toEqual(
      expect.arrayContaining(['201', '400', '401', '403']),
    );
    for (const schema of [
      'PublicQuestionDto',
      'ManagedQuestionDto',
      'CreateQuestionDto',
      'UpdateQuestionDto',
      'ReorderQuestionsDto',
      'QuestionOptionInputDto',
    ]) {
      expect(doc.components.schemas).toHaveProperty(schema);
    }
  });
});
