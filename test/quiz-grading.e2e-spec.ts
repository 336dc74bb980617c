import { callApi, createTestApp, type JsonResponse, type TestActor, type TestApp } from '#testing';
import {
  countOf,
  insertQuestion,
  makeStaff,
  NO_ID,
  outboxEvents,
  secretKeysIn,
  seedQuizCourse,
  type QuestionSpec,
  type SeededQuestion,
  type SeededQuizCourse,
} from './quiz-fixtures.js';

/** Every question type: 10.50 points, 3 of them for the essay. */
const ALL_TYPES: QuestionSpec[] = [
  { type: 'multiple_choice', points: 2, options: [{ text: 'A', correct: true }, { text: 'B' }, { text: 'C' }] },
  {
    type: 'multiple_response',
    points: 3,
    options: [{ text: 'X', correct: true }, { text: 'Y', correct: true }, { text: 'Z' }],
  },
  { type: 'true_false', points: 1, correct_answer: 'true' },
  { type: 'short_answer', points: 1.5, correct_answer: 'Paris' },
  { type: 'essay', points: 3 },
];

describe('quiz scoring and essay grading', () => {
  let t: TestApp;
  let admin: TestActor;
  let owner: TestActor;
  let otherInstructor: TestActor;

  const api = (method: string, path: string, who?: TestActor, body?: unknown): Promise<JsonResponse> =>
    callApi(t, method, path, body, who?.token);
  const count = (sql: string, params?: unknown[]): Promise<number> => countOf(t, sql, params);

  /** Every question here is stored with the explanation 'Why'. */
  const withWhy = (spec: QuestionSpec): QuestionSpec => ({ ...spec, explanation: 'Why' });
  const addQuestion = (quizId: string, spec: QuestionSpec, order: number): Promise<SeededQuestion> =>
    insertQuestion(t, quizId, withWhy(spec), order);

  /** A published one-lesson course, a quiz of `specs` on it, and an enrolled student. */
  const setup = (
    settings: { passing_score?: number; show_correct_answers?: boolean } = {},
    specs: QuestionSpec[] = ALL_TYPES,
  ): Promise<SeededQuizCourse> =>
    seedQuizCourse(t, 'grade', owner, { settings, specs: specs.map(withWhy), title: 'Graded quiz' });

  const startAttempt = async (who: TestActor, quizId: string): Promise<string> => {
    const res = await api('POST', `/quizzes/${quizId}/attempts`, who);
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const submit = (who: TestActor, quizId: string, attemptId: string, answers: unknown[]): Promise<JsonResponse> =>
    api('POST', `/quizzes/${quizId}/attempts/${attemptId}/submit`, who, { answers });
  const grade = (who: TestActor, quizId: string, attemptId: string, grades: unknown[]): Promise<JsonResponse> =>
    api('POST', `/quizzes/${quizId}/attempts/${attemptId}/grade`, who, { grades });
  const attemptRow = async (id: string): Promise<Record<string, unknown>> =>
    (
      await t.db.query(
        `SELECT status, score, max_score, percentage, is_passed, expired, answers, graded_at, graded_by
         FROM quiz_attempts WHERE id = $1`,
        [id],
      )
    )[0]!;
  const events = (type: string, attemptId: string): Promise<Array<{ payload: Record<string, unknown> }>> =>
    outboxEvents(t, type, attemptId);
  const lessonCompleted = async (enrollmentId: string, lessonId: string): Promise<boolean> =>
    (
      await t.db.query(
        "SELECT 1 FROM lesson_progress WHERE enrollment_id = $1 AND lesson_id = $2 AND status = 'completed'",
        [enrollmentId, lessonId],
      )
    ).length === 1;

  beforeAll(async () => {
    t = await createTestApp({ workers: false });
    ({ admin, owner, other: otherInstructor } = await makeStaff(t, 'grade'));
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('automatic scoring', () => {
    it('every type at once: exact score, percentage, is_passed (≥ passing) and stored answers', async () => {
      const { quizId, questions, student, enrollmentId, lessonId } = await setup({ passing_score: 33.33 });
      const [mc, mr, tf, sa, essay] = questions as [
        SeededQuestion,
        SeededQuestion,
        SeededQuestion,
        SeededQuestion,
        SeededQuestion,
      ];
      const attemptId = await startAttempt(student, quizId);
      const res = await submit(student, quizId, attemptId, [
        { question_id: sa.id, answer_text: '  PARIS ' }, // right: 1.5
        { question_id: mc.id, selected_option_id: mc.correctOptionIds[0] }, // right: 2
        { question_id: mr.id, selected_option_ids: [...mr.optionIds] }, // superset: 0
        { question_id: tf.id, answer_text: 'False' }, // wrong: 0
        // the essay is left unanswered: 0, nothing to grade
      ]);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        status: 'graded',
        score: '3.50',
        max_score: '10.50',
        percentage: '33.33',
        is_passed: true,
      });
      const row = await attemptRow(attemptId);
      expect(row).toMatchObject({
        status: 'graded',
        score: '3.50',
        max_score: '10.50',
        percentage: '33.33',
        is_passed: true,
        expired: false,
        graded_by: null,
      });
      expect(row.answers).toEqual([
        {
          question_id: mc.id,
          selected_option_id: mc.correctOptionIds[0],
          selected_option_ids: null,
          answer_text: null,
          is_correct: true,
          points_earned: 2,
          feedback: null,
        },
        {
          question_id: mr.id,
          selected_option_id: null,
          selected_option_ids: mr.optionIds,
          answer_text: null,
          is_correct: false,
          points_earned: 0,
          feedback: null,
        },
        {
          question_id: tf.id,
          selected_option_id: null,
          selected_option_ids: null,
          answer_text: 'False',
          is_correct: false,
          points_earned: 0,
          feedback: null,
        },
        {
          question_id: sa.id,
          selected_option_id: null,
          selected_option_ids: null,
          answer_text: 'PARIS',
          is_correct: true,
          points_earned: 1.5,
          feedback: null,
        },
        {
          question_id: essay.id,
          selected_option_id: null,
          selected_option_ids: null,
          answer_text: null,
          is_correct: false,
          points_earned: 0,
          feedback: null,
        },
      ]);
      expect(await lessonCompleted(enrollmentId, lessonId)).toBe(true);
    });

    it('just below the passing score fails; multiple_response needs exactly the correct set', async () => {
      const { quizId, questions, student, enrollmentId, lessonId } = await setup({ passing_score: 50 }, [
        ALL_TYPES[1]!,
        { type: 'true_false', points: 3.01, correct_answer: 'false' },
      ]);
      const [mr] = questions;
      const attemptId = await startAttempt(student, quizId);
      const res = await submit(student, quizId, attemptId, [
        { question_id: mr!.id, selected_option_ids: [mr!.correctOptionIds[1], mr!.correctOptionIds[0]] },
      ]);
      // 3 of 6.01 = 49.92 %
      expect(res.body).toMatchObject({ score: '3.00', max_score: '6.01', percentage: '49.92', is_passed: false });
      expect(await lessonCompleted(enrollmentId, lessonId)).toBe(false);
    });

    it('max_score is recomputed from the questions at submit; a quiz worth 0 points scores 0 %', async () => {
      const { quizId, questions, student } = await setup({ passing_score: 0 }, [
        { type: 'true_false', points: 0, correct_answer: 'true' },
      ]);
      const attemptId = await startAttempt(student, quizId);
      const zero = await submit(student, quizId, attemptId, [{ question_id: questions[0]!.id, answer_text: 'true' }]);
      expect(zero.body).toMatchObject({ score: '0.00', max_score: '0.00', percentage: '0.00', is_passed: true });

      const second = await startAttempt(student, quizId);
      await addQuestion(quizId, { type: 'short_answer', points: 2, correct_answer: 'x' }, 1);
      const res = await submit(student, quizId, second, []);
      expect(res.body).toMatchObject({ score: '0.00', max_score: '2.00', percentage: '0.00' });
    });
  });

  describe('essay grading', () => {
    it('submitted → graded by the owner: score, quiz.graded, lesson completed; the student then sees the result', async () => {
      const { quizId, questions, student, enrollmentId, lessonId, courseId } = await setup({ passing_score: 60 });
      const [mc, mr, tf, sa, essay] = questions as [
        SeededQuestion,
        SeededQuestion,
        SeededQuestion,
        SeededQuestion,
        SeededQuestion,
      ];
      const attemptId = await startAttempt(student, quizId);
      const submitted = await submit(student, quizId, attemptId, [
        { question_id: mc.id, selected_option_id: mc.correctOptionIds[0] }, // 2
        { question_id: mr.id, selected_option_ids: mr.correctOptionIds }, // 3
        { question_id: tf.id, answer_text: 'false' }, // 0
        { question_id: sa.id, answer_text: 'Lyon' }, // 0
        { question_id: essay.id, answer_text: '  A thoughtful essay.  ' },
      ]);
      expect(submitted.status).toBe(200);
      expect(submitted.body).toMatchObject({
        status: 'submitted',
        score: null,
        percentage: null,
        is_passed: null,
        graded_at: null,
        max_score: '10.50',
      });
      expect(submitted.body.submitted_at).toEqual(expect.any(String));
      expect(secretKeysIn(submitted.body)).toEqual([]);
      const studentView = await api('GET', `/quizzes/${quizId}/attempts/${attemptId}`, student);
      expect(secretKeysIn(studentView.body)).toEqual([]);
      expect((studentView.body.answers as Array<Record<string, unknown>>)[4]).toEqual({
        question_id: essay.id,
        selected_option_id: null,
        selected_option_ids: null,
        answer_text: 'A thoughtful essay.',
        feedback: null,
      });
      const stored = (await attemptRow(attemptId)).answers as Array<Record<string, unknown>>;
      expect(stored[4]).toMatchObject({ is_correct: null, points_earned: null, answer_text: 'A thoughtful essay.' });
      expect((await events('quiz.submitted', attemptId))[0]!.payload).toMatchObject({
        status: 'submitted',
        score: null,
        percentage: null,
        is_passed: null,
        expired: false,
      });
      expect(await lessonCompleted(enrollmentId, lessonId)).toBe(false);

      // Graders find it.
      const waiting = await api('GET', `/quizzes/${quizId}/attempts?status=submitted`, owner);
      expect(waiting.body).toMatchObject({ total: 1 });
      expect((waiting.body.items as Array<Record<string, unknown>>)[0]).toMatchObject({
        id: attemptId,
        student_id: student.user.id,
        status: 'submitted',
      });

      // 5 + 1.5 of 10.50 = 61.90 % ≥ 60.
      const res = await grade(owner, quizId, attemptId, [
        { question_id: essay.id, points_earned: 1.5, feedback: 'Good start' },
      ]);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id: attemptId,
        student_id: student.user.id,
        status: 'graded',
        score: '6.50',
        max_score: '10.50',
        percentage: '61.90',
        is_passed: true,
      });
      expect((res.body.answers as Array<Record<string, unknown>>)[4]).toMatchObject({
        question_id: essay.id,
        is_correct: false,
        points_earned: 1.5,
        feedback: 'Good start',
      });
      const row = await attemptRow(attemptId);
      expect(row).toMatchObject({
        status: 'graded',
        score: '6.50',
        percentage: '61.90',
        is_passed: true,
        graded_by: owner.user.id,
      });
      expect((row.graded_at as Date).toISOString()).toBe(res.body.graded_at);
      const graded = await events('quiz.graded', attemptId);
      expect(graded).toHaveLength(1);
      expect(graded[0]!.payload).toEqual({
        attempt_id: attemptId,
        quiz_id: quizId,
        course_id: courseId,
        enrollment_id: enrollmentId,
        student_id: student.user.id,
        graded_by: owner.user.id,
        score: '6.50',
        max_score: '10.50',
        percentage: '61.90',
        is_passed: true,
        graded_at: res.body.graded_at,
      });
      expect(await lessonCompleted(enrollmentId, lessonId)).toBe(true);

      // The student now sees the result (show_correct_answers is on).
      const after = await api('GET', `/quizzes/${quizId}/attempts/${attemptId}`, student);
      expect(after.body).toMatchObject({ status: 'graded', score: '6.50', is_passed: true });
      expect((after.body.answers as Array<Record<string, unknown>>)[4]).toMatchObject({
        is_correct: false,
        points_earned: 1.5,
        feedback: 'Good start',
        explanation: 'Why',
      });

      // Grading twice: 409, nothing changes.
      const twice = await grade(owner, quizId, attemptId, [{ question_id: essay.id, points_earned: 3 }]);
      expect(twice.status).toBe(409);
      expect(twice.body).toMatchObject({ code: 'attempt_not_awaiting_grading' });
      expect((await attemptRow(attemptId)).score).toBe('6.50');
      expect(await events('quiz.graded', attemptId)).toHaveLength(1);
    });

    it('students and other instructors get 403; an admin may grade; a fail leaves the lesson open', async () => {
      const { quizId, questions, student, enrollmentId, lessonId } = await setup({ show_correct_answers: false }, [
        { type: 'essay', points: 4 },
        { type: 'essay', points: 2 },
      ]);
      const attemptId = await startAttempt(student, quizId);
      await submit(student, quizId, attemptId, [
        { question_id: questions[0]!.id, answer_text: 'One' },
        { question_id: questions[1]!.id, answer_text: 'Two' },
      ]);
      const grades = [
        { question_id: questions[0]!.id, points_earned: 1 },
        { question_id: questions[1]!.id, points_earned: 2, feedback: 'Spot on' },
      ];
      for (const who of [student, otherInstructor]) {
        const res = await grade(who, quizId, attemptId, grades);
        expect(res.status).toBe(403);
      }
      expect((await grade(student, NO_ID, attemptId, grades)).status).toBe(404);
      expect((await grade(owner, quizId, NO_ID, grades)).status).toBe(404);
      expect((await attemptRow(attemptId)).status).toBe('submitted');

      const res = await grade(admin, quizId, attemptId, grades);
      expect(res.body).toMatchObject({ status: 'graded', score: '3.00', percentage: '50.00', is_passed: false });
      expect((res.body.answers as Array<Record<string, unknown>>)[1]).toMatchObject({
        is_correct: true,
        points_earned: 2,
      });
      expect((await attemptRow(attemptId)).graded_by).toBe(admin.user.id);
      expect(await lessonCompleted(enrollmentId, lessonId)).toBe(false);

      // show_correct_answers off: feedback but no correctness for the student.
      const view = await api('GET', `/quizzes/${quizId}/attempts/${attemptId}`, student);
      expect(view.body).toMatchObject({ score: '3.00', is_passed: false });
      expect(secretKeysIn(view.body)).toEqual([]);
      expect((view.body.answers as Array<Record<string, unknown>>)[1]).toEqual({
        question_id: questions[1]!.id,
        selected_option_id: null,
        selected_option_ids: null,
        answer_text: 'Two',
        feedback: 'Spot on',
      });
    });

    describe('bad grades (400 invalid_grade / 422 / 409, nothing changes)', () => {
      let ctx: Awaited<ReturnType<typeof setup>>;
      let attemptId: string;
      let inProgressId: string;
      let otherQuizId: string;
      beforeAll(async () => {
        ctx = await setup({}, [
          { type: 'essay', points: 2 },
          { type: 'essay', points: 3 },
          { type: 'essay', points: 1 }, // left unanswered: not pending
          { type: 'true_false', points: 1, correct_answer: 'true' },
        ]);
        attemptId = await startAttempt(ctx.student, ctx.quizId);
        await submit(ctx.student, ctx.quizId, attemptId, [
          { question_id: ctx.questions[0]!.id, answer_text: 'A' },
          { question_id: ctx.questions[1]!.id, answer_text: 'B' },
          { question_id: ctx.questions[3]!.id, answer_text: 'true' },
        ]);
        const other = await setup({}, [{ type: 'essay', points: 2 }]);
        inProgressId = await startAttempt(other.student, other.quizId);
        otherQuizId = other.quizId;
      });

      const e = (i: number): string => ctx.questions[i]!.id;
      it.each<[string, () => unknown[], number, string]>([
        [
          'points above the question',
          () => [
            { question_id: e(0), points_earned: 2.01 },
            { question_id: e(1), points_earned: 0 },
          ],
          400,
          "points_earned cannot exceed the question's points",
        ],
        [
          'a pending essay left out',
          () => [{ question_id: e(0), points_earned: 2 }],
          400,
          'Every pending essay answer must be graded',
        ],
        ['no grades at all', () => [], 400, 'Every pending essay answer must be graded'],
        [
          'a duplicate',
          () => [
            { question_id: e(0), points_earned: 1 },
            { question_id: e(0), points_earned: 1 },
            { question_id: e(1), points_earned: 1 },
          ],
          400,
          'Duplicate grade for the same question is not allowed',
        ],
        [
          'a non-essay question',
          () => [
            { question_id: e(0), points_earned: 1 },
            { question_id: e(1), points_earned: 1 },
            { question_id: e(3), points_earned: 1 },
          ],
          400,
          'Grade contains a question without a pending essay answer in this attempt',
        ],
        [
          'an unanswered essay',
          () => [
            { question_id: e(0), points_earned: 1 },
            { question_id: e(1), points_earned: 1 },
            { question_id: e(2), points_earned: 1 },
          ],
          400,
          'Grade contains a question without a pending essay answer in this attempt',
        ],
        [
          'an unknown question',
          () => [{ question_id: NO_ID, points_earned: 1 }],
          400,
          'Grade contains a question without a pending essay answer in this attempt',
        ],
        ['negative points', () => [{ question_id: e(0), points_earned: -1 }], 422, ''],
        ['points with 3 decimals', () => [{ question_id: e(0), points_earned: 1.005 }], 422, ''],
        ['points as a non-numeric string', () => [{ question_id: e(0), points_earned: 'one' }], 422, ''],
        [
          'feedback over 5000 characters',
          () => [{ question_id: e(0), points_earned: 1, feedback: 'f'.repeat(5001) }],
          422,
          '',
        ],
      ])('%s', async (_label, grades, status, detail) => {
        const res = await grade(owner, ctx.quizId, attemptId, grades());
        expect(res.status).toBe(status);
        if (status === 400) expect(res.body).toMatchObject({ code: 'invalid_grade', detail });
        else expect(res.body.code).toBe('validation_failed');
        expect(await attemptRow(attemptId)).toMatchObject({ status: 'submitted', score: null, graded_by: null });
        expect(await events('quiz.graded', attemptId)).toHaveLength(0);
      });

      it('an attempt still in progress is not awaiting grading (409)', async () => {
        const res = await grade(owner, otherQuizId, inProgressId, [{ question_id: NO_ID, points_earned: 1 }]);
        expect(res.status).toBe(409);
        expect(res.body.code).toBe('attempt_not_awaiting_grading');
      });

      it('concurrent grades: one 200, one 409, one quiz.graded', async () => {
        const grades = [
          { question_id: e(0), points_earned: 2 },
          { question_id: e(1), points_earned: 3 },
        ];
        const results = await Promise.all([
          grade(owner, ctx.quizId, attemptId, grades),
          grade(admin, ctx.quizId, attemptId, grades),
        ]);
        expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
        expect(await attemptRow(attemptId)).toMatchObject({
          status: 'graded',
          score: '6.00',
          percentage: '85.71',
          is_passed: true,
        });
        expect(await events('quiz.graded', attemptId)).toHaveLength(1);
        expect(
          await count('SELECT count(*) AS n FROM lesson_progress WHERE enrollment_id = $1', [ctx.enrollmentId]),
        ).toBe(1);
      });
    });
  });
});
