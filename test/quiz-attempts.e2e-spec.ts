import type { Role } from '#core';
import { callApi, createActor, createTestApp, type JsonResponse, type TestActor, type TestApp } from '#testing';
import {
  countOf,
  makeStaff,
  NO_ID,
  secretKeysIn,
  seedEnrollment as insertEnrollment,
  seedQuiz as insertQuiz,
  seedQuizCourse,
  submittedEvents,
  type QuestionSpec,
  type QuizSettings,
  type SeededQuestion,
  type SeededQuizCourse,
} from './quiz-fixtures.js';

/** Every auto-graded type, 7.50 points in all. */
const FULL: QuestionSpec[] = [
  {
    type: 'multiple_choice',
    points: 2,
    options: [{ text: 'A', correct: true }, { text: 'B' }, { text: 'C' }],
    explanation: 'A it is',
  },
  {
    type: 'multiple_response',
    points: 3,
    options: [{ text: 'X', correct: true }, { text: 'Y', correct: true }, { text: 'Z' }],
    explanation: 'X and Y',
  },
  { type: 'true_false', points: 1, correct_answer: 'true', explanation: 'It is true' },
  { type: 'short_answer', points: 1.5, correct_answer: 'Paris', explanation: 'Capital of France' },
];

/** Right answers to seeded questions (essays: a text). */
function rightAnswers(questions: SeededQuestion[]): Array<Record<string, unknown>> {
  return questions.map((q) => {
    switch (q.type) {
      case 'multiple_choice':
        return { question_id: q.id, selected_option_id: q.correctOptionIds[0] };
      case 'multiple_response':
        return { question_id: q.id, selected_option_ids: [...q.correctOptionIds].reverse() };
      case 'essay':
        return { question_id: q.id, answer_text: 'My essay' };
      default:
        return { question_id: q.id, answer_text: ` ${q.correctAnswer!.toUpperCase()} ` };
    }
  });
}

describe('/quizzes/{quiz_id}/attempts', () => {
  let t: TestApp;
  let admin: TestActor;
  let owner: TestActor;
  let otherInstructor: TestActor;

  const makeUser = (role: Role): Promise<TestActor> => createActor(t, role, 'att');
  const api = (method: string, path: string, who?: TestActor, body?: unknown): Promise<JsonResponse> =>
    callApi(t, method, path, body, who?.token);
  const count = (sql: string, params?: unknown[]): Promise<number> => countOf(t, sql, params);

  const seedQuiz = (
    courseId: string,
    lessonId: string,
    settings: QuizSettings = {},
    specs: QuestionSpec[] = FULL,
  ): Promise<{ quizId: string; questions: SeededQuestion[] }> => insertQuiz(t, courseId, lessonId, settings, specs);
  const seedEnrollment = (studentId: string, courseId: string, status?: string): Promise<string> =>
    insertEnrollment(t, studentId, courseId, status);

  /** A course of `lessons` lessons, a quiz on the first one, and an enrolled student. */
  const setup = (settings: QuizSettings = {}, specs: QuestionSpec[] = FULL, lessons = 2): Promise<SeededQuizCourse> =>
    seedQuizCourse(t, 'att', owner, { settings, specs, lessons });

  const start = (who: TestActor | undefined, quizId: string): Promise<JsonResponse> =>
    api('POST', `/quizzes/${quizId}/attempts`, who);
  const submit = (
    who: TestActor | undefined,
    quizId: string,
    attemptId: string,
    answers: unknown[] = [],
  ): Promise<JsonResponse> => api('POST', `/quizzes/${quizId}/attempts/${attemptId}/submit`, who, { answers });
  const attemptRow = async (id: string): Promise<Record<string, unknown>> =>
    (
      await t.db.query(
        `SELECT status, score, max_score, percentage, is_passed, expired, answers, submitted_at, graded_at,
                attempt_number FROM quiz_attempts WHERE id = $1`,
        [id],
      )
    )[0]!;

  beforeAll(async () => {
    t = await createTestApp({ workers: false });
    ({ admin, owner, other: otherInstructor } = await makeStaff(t, 'att'));
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('POST "" (start)', () => {
    it('201 with the server-owned times and max_score; one in-progress row', async () => {
      const { quizId, student, enrollmentId } = await setup({ time_limit_minutes: 15 });
      const before = Date.now();
      const res = await start(student, quizId);
      expect(res.status).toBe(201);
      expect(Object.keys(res.body).sort()).toEqual(
        [
          'id',
          'quiz_id',
          'attempt_number',
          'status',
          'started_at',
          'deadline_at',
          'time_limit_minutes',
          'max_score',
        ].sort(),
      );
      expect(res.body).toMatchObject({
        quiz_id: quizId,
        attempt_number: 1,
        status: 'in_progress',
        time_limit_minutes: 15,
        max_score: '7.50',
      });
      const startedAt = Date.parse(res.body.started_at as string);
      expect(startedAt).toBeGreaterThanOrEqual(before - 1000);
      expect(Date.parse(res.body.deadline_at as string) - startedAt).toBe(15 * 60_000);
      const [row] = await t.db.query(
        'SELECT enrollment_id, student_id, status, started_at, max_score, expired, answers FROM quiz_attempts WHERE id = $1',
        [res.body.id],
      );
      expect(row).toMatchObject({
        enrollment_id: enrollmentId,
        student_id: student.user.id,
        status: 'in_progress',
        max_score: '7.50',
        expired: false,
        answers: [],
      });
      expect((row!.started_at as Date).toISOString()).toBe(res.body.started_at);
      expect(secretKeysIn(res.body)).toEqual([]);
    });

    it('honours Idempotency-Key: a retry replays the 201 instead of 403 attempt_in_progress', async () => {
      const { quizId, student } = await setup();
      const send = (): Promise<Response> =>
        t.request(`/api/v1/quizzes/${quizId}/attempts`, {
          method: 'POST',
          headers: { authorization: `Bearer ${student.token}`, 'idempotency-key': 'start-once' },
        });
      const first = await send();
      const retry = await send();
      expect([first.status, retry.status]).toEqual([201, 201]);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(((await retry.json()) as { id: string }).id).toBe(((await first.json()) as { id: string }).id);
      expect(await count('SELECT count(*) AS n FROM quiz_attempts WHERE quiz_id = $1', [quizId])).toBe(1);
    });

    it('no time limit → deadline_at null', async () => {
      const { quizId, student } = await setup();
      const res = await start(student, quizId);
      expect(res.body).toMatchObject({ deadline_at: null, time_limit_minutes: null });
    });

    it('404 unknown quiz; 403 unpublished, not enrolled, or enrollment neither active nor completed', async () => {
      const { quizId, courseId, lessonIds } = await setup();
      const stranger = await makeUser('student');
      expect((await start(stranger, NO_ID)).body).toMatchObject({ status: 404, detail: 'Quiz not found' });

      const notEnrolled = await start(stranger, quizId);
      expect(notEnrolled.status).toBe(403);
      expect(notEnrolled.body).toMatchObject({
        code: 'not_enrolled',
        detail: 'You must enroll in course before attempting quiz',
      });

      const { quizId: draftId } = await seedQuiz(courseId, lessonIds[1]!, { is_published: false });
      await seedEnrollment(stranger.user.id, courseId);
      const draft = await start(stranger, draftId);
      expect(draft.status).toBe(403);
      expect(draft.body).toMatchObject({ code: 'quiz_not_published', detail: 'Quiz is not published' });

      for (const status of ['dropped', 'expired']) {
        const s = await makeUser('student');
        await seedEnrollment(s.user.id, courseId, status);
        const res = await start(s, quizId);
        expect(res.status).toBe(403);
        expect(res.body.detail).toBe('Enrollment status does not allow quiz attempts');
      }
      const done = await makeUser('student');
      await seedEnrollment(done.user.id, courseId, 'completed');
      expect((await start(done, quizId)).status).toBe(201);
      expect(await count('SELECT count(*) AS n FROM quiz_attempts WHERE quiz_id = $1', [quizId])).toBe(1);
    });

    it('a published quiz of an unpublished course is closed to students (start and GET /start), not to its manager', async () => {
      const { quizId, courseId, student } = await setup();
      await t.db.query('UPDATE courses SET is_published = false WHERE id = $1', [courseId]);
      const res = await start(student, quizId);
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ code: 'quiz_not_published' });
      expect((await api('GET', `/quizzes/${quizId}/attempts/start`, student)).status).toBe(403);
      expect((await api('GET', `/quizzes/${quizId}/attempts/start`, owner)).status).toBe(200);
      expect(await count('SELECT count(*) AS n FROM quiz_attempts WHERE quiz_id = $1', [quizId])).toBe(0);
    });

    it('403 attempt_in_progress (with attempt_id) while one is in progress; max_attempts counts every attempt', async () => {
      const { quizId, student } = await setup({ max_attempts: 2 });
      const first = await start(student, quizId);
      const again = await start(student, quizId);
      expect(again.status).toBe(403);
      expect(again.body).toMatchObject({
        code: 'attempt_in_progress',
        detail: 'You already have an in-progress attempt',
        attempt_id: first.body.id,
      });
      expect((await submit(student, quizId, first.body.id as string)).status).toBe(200);
      const second = await start(student, quizId);
      expect(second.body).toMatchObject({ attempt_number: 2 });
      expect((await submit(student, quizId, second.body.id as string)).status).toBe(200);
      const third = await start(student, quizId);
      expect(third.status).toBe(403);
      expect(third.body).toMatchObject({ code: 'max_attempts_reached', detail: 'Maximum attempts reached' });
      expect(await count('SELECT count(*) AS n FROM quiz_attempts WHERE quiz_id = $1', [quizId])).toBe(2);
    });

    it('10 concurrent starts → one 201, nine 403 attempt_in_progress, one row', async () => {
      const { quizId, student } = await setup();
      const results = await Promise.all(Array.from({ length: 10 }, () => start(student, quizId)));
      const created = results.filter((r) => r.status === 201);
      expect(created).toHaveLength(1);
      const refused = results.filter((r) => r.status === 403);
      expect(refused).toHaveLength(9);
      for (const r of refused)
        expect(r.body).toMatchObject({ code: 'attempt_in_progress', attempt_id: created[0]!.body.id });
      expect(await count('SELECT count(*) AS n FROM quiz_attempts WHERE quiz_id = $1', [quizId])).toBe(1);
    });

    it('max_attempts=2 holds under racing start+submit loops', async () => {
      const { quizId, student } = await setup({ max_attempts: 2 });
      const loop = async (): Promise<number> => {
        let made = 0;
        for (let i = 0; i < 30; i += 1) {
          const res = await start(student, quizId);
          if (res.status === 201) {
            made += 1;
            await submit(student, quizId, res.body.id as string);
          } else if (res.body.code === 'max_attempts_reached') {
            return made;
          } else {
            expect(res.body.code).toBe('attempt_in_progress');
          }
        }
        return made;
      };
      const made = await Promise.all(Array.from({ length: 5 }, loop));
      expect(made.reduce((a, b) => a + b, 0)).toBe(2);
      const rows = await t.db.query<{ attempt_number: number }>(
        'SELECT attempt_number FROM quiz_attempts WHERE quiz_id = $1 ORDER BY attempt_number',
        [quizId],
      );
      expect(rows.map((r) => r.attempt_number)).toEqual([1, 2]);
    });
  });

  describe('GET /start', () => {
    it('the public questions (no answer data) and the quiz summary', async () => {
      const { quizId, questions, student } = await setup();
      const res = await api('GET', `/quizzes/${quizId}/attempts/start`, student);
      expect(res.status).toBe(200);
      expect(res.body.quiz).toEqual({
        id: quizId,
        title: 'A quiz',
        time_limit_minutes: null,
        total_questions: 4,
        total_points: '7.50',
      });
      const list = res.body.questions as Array<Record<string, unknown>>;
      expect(list.map((q) => q.id)).toEqual(questions.map((q) => q.id));
      expect(Object.keys(list[0]!).sort()).toEqual(['id', 'options', 'points', 'question_text', 'question_type']);
      expect(list[0]!.options).toEqual([
        { option_id: questions[0]!.optionIds[0], option_text: 'A' },
        { option_id: questions[0]!.optionIds[1], option_text: 'B' },
        { option_id: questions[0]!.optionIds[2], option_text: 'C' },
      ]);
      expect(list[2]).toMatchObject({ question_type: 'true_false', options: null, points: '1.00' });
      expect(secretKeysIn(res.body)).toEqual([]);
      // No in-progress attempt is needed, and none is created.
      expect(await count('SELECT count(*) AS n FROM quiz_attempts WHERE quiz_id = $1', [quizId])).toBe(0);
    });

    it('shuffles question order and options afresh per call when the quiz says so', async () => {
      const many: QuestionSpec[] = Array.from({ length: 8 }, () => ({
        type: 'multiple_choice' as const,
        options: Array.from({ length: 6 }, (_, i) => ({ text: `o${i}`, correct: i === 0 })),
      }));
      const { quizId, questions, student } = await setup({ shuffle_questions: true, shuffle_options: true }, many);
      const orders = new Set<string>();
      const optionOrders = new Set<string>();
      for (let i = 0; i < 6; i += 1) {
        const res = await api('GET', `/quizzes/${quizId}/attempts/start`, student);
        const list = res.body.questions as Array<{ id: string; options: Array<{ option_id: string }> }>;
        expect(list.map((q) => q.id).sort()).toEqual(questions.map((q) => q.id).sort());
        orders.add(list.map((q) => q.id).join());
        const first = list.find((q) => q.id === questions[0]!.id)!;
        expect(first.options.map((o) => o.option_id).sort()).toEqual([...questions[0]!.optionIds].sort());
        optionOrders.add(first.options.map((o) => o.option_id).join());
      }
      // 8! and 6! orders: six calls all alike would be a (practically impossible) coincidence.
      expect(orders.size).toBeGreaterThan(1);
      expect(optionOrders.size).toBeGreaterThan(1);
    });
  });

  describe('roles', () => {
    it('anonymous: 401 on every route', async () => {
      const { quizId } = await setup();
      const routes: Array<[string, string]> = [
        ['POST', ''],
        ['GET', ''],
        ['GET', '/start'],
        ['GET', '/my-attempts'],
        ['GET', `/${NO_ID}`],
        ['POST', `/${NO_ID}/submit`],
        ['POST', `/${NO_ID}/grade`],
      ];
      for (const [method, suffix] of routes) {
        const res = await api(
          method,
          `/quizzes/${quizId}/attempts${suffix}`,
          undefined,
          method === 'POST' ? {} : undefined,
        );
        expect([method, suffix, res.status]).toEqual([method, suffix, 401]);
      }
    });

    it('the matrix: enrolled student, other students, owner, other instructor, admin', async () => {
      const { quizId, questions, student } = await setup();
      const outsider = await makeUser('student'); // not enrolled
      const started = await start(student, quizId);
      const attemptId = started.body.id as string;
      const base = `/quizzes/${quizId}/attempts`;

      // start: students only (enrolled).
      for (const who of [admin, owner, otherInstructor]) {
        const res = await start(who, quizId);
        expect(res.status).toBe(403);
        expect(res.body.detail).toBe('Only students can start quiz attempts');
      }
      expect((await start(outsider, quizId)).body.code).toBe('not_enrolled');

      // GET /start: enrolled students and the course's managers; others 403.
      for (const who of [student, owner, admin]) expect((await api('GET', `${base}/start`, who)).status).toBe(200);
      expect((await api('GET', `${base}/start`, outsider)).body).toMatchObject({ status: 403, code: 'not_enrolled' });
      expect((await api('GET', `${base}/start`, otherInstructor)).status).toBe(403);

      // my-attempts: enrolled students only.
      const mine = await api('GET', `${base}/my-attempts`, student);
      expect(mine.status).toBe(200);
      expect((mine.body as unknown as unknown[]).length).toBe(1);
      for (const who of [admin, owner, otherInstructor]) {
        const res = await api('GET', `${base}/my-attempts`, who);
        expect(res.status).toBe(403);
        expect(res.body.detail).toBe('Only students can access own attempts');
      }
      expect((await api('GET', `${base}/my-attempts`, outsider)).body).toMatchObject({
        status: 403,
        code: 'not_enrolled',
      });

      // GET one: its student; other students 404; other instructors 403; managers see everything.
      expect((await api('GET', `${base}/${attemptId}`, student)).status).toBe(200);
      expect((await api('GET', `${base}/${attemptId}`, outsider)).body).toMatchObject({
        status: 404,
        detail: 'Attempt not found',
      });
      expect((await api('GET', `${base}/${attemptId}`, otherInstructor)).status).toBe(403);
      for (const who of [owner, admin]) {
        const res = await api('GET', `${base}/${attemptId}`, who);
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ id: attemptId, student_id: student.user.id, status: 'in_progress' });
      }

      // list: managers only.
      for (const who of [student, outsider, otherInstructor]) expect((await api('GET', base, who)).status).toBe(403);
      for (const who of [owner, admin]) {
        const res = await api('GET', base, who);
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ total: 1, page: 1, page_size: 20, total_pages: 1 });
      }

      // grade: managers only (the attempt is not awaiting grading: 409 for them).
      const grades = { grades: [{ question_id: questions[0]!.id, points_earned: 1 }] };
      for (const who of [student, outsider, otherInstructor]) {
        expect((await api('POST', `${base}/${attemptId}/grade`, who, grades)).status).toBe(403);
      }
      expect((await api('POST', `${base}/${attemptId}/grade`, owner, grades)).body).toMatchObject({
        status: 409,
        code: 'attempt_not_awaiting_grading',
      });

      // submit: students only; someone else's attempt is 404.
      for (const who of [admin, owner, otherInstructor]) {
        const res = await submit(who, quizId, attemptId);
        expect(res.status).toBe(403);
        expect(res.body.detail).toBe('Only students can submit attempts');
      }
      expect((await submit(outsider, quizId, attemptId)).body).toMatchObject({
        status: 404,
        detail: 'Attempt not found',
      });
      expect((await attemptRow(attemptId)).status).toBe('in_progress');
      expect((await submit(student, quizId, attemptId, rightAnswers(questions))).status).toBe(200);
    });

    it('404 for an unknown quiz or attempt, and for an attempt addressed through another quiz', async () => {
      const a = await setup();
      const { quizId: otherQuiz } = await seedQuiz(a.courseId, a.lessonIds[1]!);
      const attemptId = (await start(a.student, a.quizId)).body.id as string;
      expect((await submit(a.student, otherQuiz, attemptId)).status).toBe(404);
      expect((await api('GET', `/quizzes/${otherQuiz}/attempts/${attemptId}`, a.student)).status).toBe(404);
      expect((await api('GET', `/quizzes/${otherQuiz}/attempts/${attemptId}`, owner)).status).toBe(404);
      expect((await submit(a.student, a.quizId, NO_ID)).status).toBe(404);
      expect((await api('GET', `/quizzes/${NO_ID}/attempts/start`, a.student)).status).toBe(404);
      expect((await api('GET', `/quizzes/${NO_ID}/attempts/my-attempts`, a.student)).status).toBe(404);
      expect((await api('GET', `/quizzes/${NO_ID}/attempts`, owner)).status).toBe(404);
      expect((await api('GET', `/quizzes/not-a-uuid/attempts/start`, a.student)).status).toBe(422);
      expect((await attemptRow(attemptId)).status).toBe('in_progress');
    });
  });

  describe('POST /{attempt_id}/submit', () => {
    it('grades all-or-nothing; records quiz.submitted; my-attempts lists by attempt_number', async () => {
      const { quizId, questions, student, enrollmentId, courseId, lessonIds } = await setup();
      const attemptId = (await start(student, quizId)).body.id as string;
      const [mc, mr, tf, sa] = questions;
      const res = await submit(student, quizId, attemptId, [
        { question_id: mc!.id, selected_option_id: mc!.correctOptionIds[0] }, // 2
        { question_id: mr!.id, selected_option_ids: [mr!.correctOptionIds[0]] }, // subset: 0
        { question_id: tf!.id, answer_text: 'TRUE' }, // 1
        { question_id: sa!.id, answer_text: '  paris ' }, // 1.5
      ]);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id: attemptId,
        status: 'graded',
        score: '4.50',
        max_score: '7.50',
        percentage: '60.00',
        is_passed: false,
        expired: false,
        enrollment_id: enrollmentId,
      });
      expect(res.body.time_taken_seconds).toEqual(expect.any(Number));
      expect(res.body.submitted_at).toBe(res.body.graded_at);
      const answers = res.body.answers as Array<Record<string, unknown>>;
      expect(answers.map((a) => a.question_id)).toEqual(questions.map((q) => q.id));
      expect(answers[1]).toMatchObject({
        is_correct: false,
        points_earned: 0,
        correct_option_ids: mr!.correctOptionIds,
      });
      expect(answers[3]).toMatchObject({ answer_text: 'paris', is_correct: true, points_earned: 1.5 });

      const events = await submittedEvents(t, attemptId);
      expect(events).toHaveLength(1);
      expect(events[0]!.payload).toEqual({
        attempt_id: attemptId,
        quiz_id: quizId,
        course_id: courseId,
        lesson_id: lessonIds[0],
        enrollment_id: enrollmentId,
        student_id: student.user.id,
        attempt_number: 1,
        status: 'graded',
        score: '4.50',
        max_score: '7.50',
        percentage: '60.00',
        is_passed: false,
        expired: false,
        submitted_at: res.body.submitted_at,
      });

      const second = (await start(student, quizId)).body.id as string;
      const mine = await api('GET', `/quizzes/${quizId}/attempts/my-attempts`, student);
      const list = mine.body as unknown as Array<Record<string, unknown>>;
      expect(list.map((a) => [a.id, a.attempt_number, a.status])).toEqual([
        [attemptId, 1, 'graded'],
        [second, 2, 'in_progress'],
      ]);
      expect(Object.keys(list[0]!).sort()).toEqual(
        [
          'id',
          'quiz_id',
          'enrollment_id',
          'attempt_number',
          'status',
          'started_at',
          'deadline_at',
          'submitted_at',
          'graded_at',
          'score',
          'max_score',
          'percentage',
          'is_passed',
          'time_taken_seconds',
          'expired',
        ].sort(),
      );
    });

    it('submitting twice → 403 attempt_already_submitted, score unchanged; concurrently → one 200, one 403', async () => {
      const { quizId, questions, student } = await setup();
      const attemptId = (await start(student, quizId)).body.id as string;
      expect((await submit(student, quizId, attemptId, rightAnswers(questions))).body.score).toBe('7.50');
      const again = await submit(student, quizId, attemptId, []);
      expect(again.status).toBe(403);
      expect(again.body).toMatchObject({ code: 'attempt_already_submitted', detail: 'Attempt is already submitted' });
      expect((await attemptRow(attemptId)).score).toBe('7.50');

      const next = (await start(student, quizId)).body.id as string;
      const results = await Promise.all([
        submit(student, quizId, next, rightAnswers(questions)),
        submit(student, quizId, next, []),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 403]);
      const winner = results.find((r) => r.status === 200)!;
      expect((await attemptRow(next)).score).toBe(winner.body.score);
      expect(results.find((r) => r.status === 403)!.body.code).toBe('attempt_already_submitted');
      expect(await submittedEvents(t, next)).toHaveLength(1);
    });

    it('a pass completes the lesson and (single-lesson course) the enrollment; a fail does not', async () => {
      const pass = await setup({}, FULL, 1);
      const attemptId = (await start(pass.student, pass.quizId)).body.id as string;
      const res = await submit(pass.student, pass.quizId, attemptId, rightAnswers(pass.questions));
      expect(res.body).toMatchObject({ is_passed: true, percentage: '100.00' });
      const [progress] = await t.db.query(
        'SELECT status FROM lesson_progress WHERE enrollment_id = $1 AND lesson_id = $2',
        [pass.enrollmentId, pass.lessonIds[0]],
      );
      expect(progress).toEqual({ status: 'completed' });
      const [enrollment] = await t.db.query('SELECT status, progress_percentage FROM enrollments WHERE id = $1', [
        pass.enrollmentId,
      ]);
      expect(enrollment).toEqual({ status: 'completed', progress_percentage: '100.00' });
      expect(
        await count(
          "SELECT count(*) AS n FROM outbox_events WHERE event_type = 'enrollment.completed' AND payload->>'enrollment_id' = $1",
          [pass.enrollmentId],
        ),
      ).toBe(1);

      const fail = await setup({}, FULL, 1);
      const failedId = (await start(fail.student, fail.quizId)).body.id as string;
      const failed = await submit(fail.student, fail.quizId, failedId, []);
      expect(failed.body).toMatchObject({ status: 'graded', score: '0.00', percentage: '0.00', is_passed: false });
      expect(
        await count('SELECT count(*) AS n FROM lesson_progress WHERE enrollment_id = $1', [fail.enrollmentId]),
      ).toBe(0);
      const [still] = await t.db.query('SELECT status FROM enrollments WHERE id = $1', [fail.enrollmentId]);
      expect(still).toEqual({ status: 'active' });
      expect(
        await count(
          "SELECT count(*) AS n FROM outbox_events WHERE event_type = 'enrollment.completed' AND payload->>'enrollment_id' = $1",
          [fail.enrollmentId],
        ),
      ).toBe(0);
    });

    describe('answer validation (400 invalid_answer, nothing changes)', () => {
      let ctx: Awaited<ReturnType<typeof setup>>;
      let attemptId: string;
      let foreignQuestion: string;
      beforeAll(async () => {
        ctx = await setup({}, [...FULL, { type: 'essay', points: 2 }]);
        attemptId = (await start(ctx.student, ctx.quizId)).body.id as string;
        const other = await setup();
        foreignQuestion = other.questions[2]!.id;
      });

      const q = (i: number): SeededQuestion => ctx.questions[i]!;
      const cases: Array<[string, () => unknown[], string]> = [
        [
          'duplicate question',
          () => [
            { question_id: q(2).id, answer_text: 'true' },
            { question_id: q(2).id, answer_text: 'false' },
          ],
          'Duplicate answer for the same question is not allowed',
        ],
        [
          "another quiz's question",
          () => [{ question_id: foreignQuestion, answer_text: 'true' }],
          'Answer contains a question that does not belong to this quiz',
        ],
        [
          'unknown question',
          () => [{ question_id: NO_ID, answer_text: 'x' }],
          'Answer contains a question that does not belong to this quiz',
        ],
        ['MC without option', () => [{ question_id: q(0).id }], 'Multiple choice answers require selected_option_id'],
        [
          'MC with an option of another question',
          () => [{ question_id: q(0).id, selected_option_id: q(1).optionIds[0] }],
          'Selected option does not belong to the question',
        ],
        [
          'TF with selected_option_id',
          () => [{ question_id: q(2).id, selected_option_id: q(0).optionIds[0], answer_text: 'true' }],
          'selected_option_id is only valid for multiple choice questions',
        ],
        ['SA without text', () => [{ question_id: q(3).id }], 'Answer text is required for this question type'],
        [
          'essay with blank text',
          () => [{ question_id: q(4).id, answer_text: '  ' }],
          'Answer text is required for this question type',
        ],
        [
          'TF not a boolean',
          () => [{ question_id: q(2).id, answer_text: 'yes' }],
          "True/false answers must be either 'true' or 'false'",
        ],
        ['MR without ids', () => [{ question_id: q(1).id }], 'Multiple response answers require selected_option_ids'],
        [
          'MR with empty ids',
          () => [{ question_id: q(1).id, selected_option_ids: [] }],
          'Multiple response answers require selected_option_ids',
        ],
        [
          'MR with a repeated id',
          () => [{ question_id: q(1).id, selected_option_ids: [q(1).optionIds[0], q(1).optionIds[0]] }],
          'selected_option_ids must not contain the same option twice',
        ],
        [
          'MR with a foreign option',
          () => [{ question_id: q(1).id, selected_option_ids: [q(1).optionIds[0], q(0).optionIds[0]] }],
          'Selected option does not belong to the question',
        ],
        [
          'MC with selected_option_ids',
          () => [{ question_id: q(0).id, selected_option_ids: [q(0).optionIds[0]] }],
          'selected_option_ids is only valid for multiple response questions',
        ],
        [
          'MR with selected_option_id',
          () => [
            { question_id: q(1).id, selected_option_id: q(1).optionIds[0], selected_option_ids: [q(1).optionIds[0]] },
          ],
          'selected_option_id is only valid for multiple choice questions',
        ],
      ];

      it.each(cases)('%s', async (_label, answers, detail) => {
        const res = await submit(ctx.student, ctx.quizId, attemptId, answers());
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ code: 'invalid_answer', detail });
        expect(await attemptRow(attemptId)).toMatchObject({ status: 'in_progress', score: null, answers: [] });
        expect(await submittedEvents(t, attemptId)).toHaveLength(0);
      });

      it.each<[string, unknown]>([
        ['question_id not a UUID', { answers: [{ question_id: 'q1', answer_text: 'x' }] }],
        ['an unknown field', { answers: [{ question_id: NO_ID, answer_text: 'x', score: 5 }] }],
        ['answers not an array', { answers: 'all right' }],
        ['answer_text too long', { answers: [{ question_id: NO_ID, answer_text: 'x'.repeat(20_001) }] }],
      ])('422 for a malformed body: %s', async (_label, body) => {
        const res = await api('POST', `/quizzes/${ctx.quizId}/attempts/${attemptId}/submit`, ctx.student, body);
        expect(res.status).toBe(422);
        expect(res.body.code).toBe('validation_failed');
        expect((await attemptRow(attemptId)).status).toBe('in_progress');
      });
    });
  });

  describe('answer secrecy', () => {
    const studentViews = async (
      who: TestActor,
      quizId: string,
      attemptId: string,
    ): Promise<Array<[string, unknown]>> => [
      ['GET /start', (await api('GET', `/quizzes/${quizId}/attempts/start`, who)).body],
      ['my-attempts', (await api('GET', `/quizzes/${quizId}/attempts/my-attempts`, who)).body],
      ['get one', (await api('GET', `/quizzes/${quizId}/attempts/${attemptId}`, who)).body],
    ];

    it('before grading, no student-facing body holds a secret key (the manager view does)', async () => {
      const { quizId, questions, student } = await setup({ show_correct_answers: true }, [
        ...FULL,
        { type: 'essay', points: 2, explanation: 'Essay rubric' },
      ]);
      const started = await start(student, quizId);
      const attemptId = started.body.id as string;
      const bodies: Array<[string, unknown]> = [
        ['start', started.body],
        ...(await studentViews(student, quizId, attemptId)),
      ];
      // Submitted with an essay: awaiting grading, auto-graded answers included.
      const submitted = await submit(student, quizId, attemptId, rightAnswers(questions));
      expect(submitted.body).toMatchObject({ status: 'submitted', score: null, percentage: null, is_passed: null });
      bodies.push(['submit', submitted.body], ...(await studentViews(student, quizId, attemptId)));
      for (const [label, body] of bodies) expect([label, secretKeysIn(body)]).toEqual([label, []]);
      expect(JSON.stringify(bodies)).not.toContain('Essay rubric');

      const managed = await api('GET', `/quizzes/${quizId}/attempts/${attemptId}`, owner);
      expect(secretKeysIn(managed.body).length).toBeGreaterThan(0);
      expect((managed.body.answers as Array<Record<string, unknown>>)[0]).toMatchObject({
        is_correct: true,
        correct_option_id: questions[0]!.correctOptionIds[0],
      });
    });

    it('after grading with show_correct_answers off: score visible, still no secret key', async () => {
      const { quizId, questions, student } = await setup({ show_correct_answers: false });
      const attemptId = (await start(student, quizId)).body.id as string;
      const submitted = await submit(student, quizId, attemptId, rightAnswers(questions));
      expect(submitted.body).toMatchObject({ status: 'graded', score: '7.50', percentage: '100.00', is_passed: true });
      const bodies: Array<[string, unknown]> = [
        ['submit', submitted.body],
        ...(await studentViews(student, quizId, attemptId)),
      ];
      for (const [label, body] of bodies) expect([label, secretKeysIn(body)]).toEqual([label, []]);
      expect(Object.keys((submitted.body.answers as object[])[0]!).sort()).toEqual(
        ['answer_text', 'feedback', 'question_id', 'selected_option_id', 'selected_option_ids'].sort(),
      );
    });

    it('after grading with show_correct_answers on: correctness, points, key and explanation', async () => {
      const { quizId, questions, student } = await setup({ show_correct_answers: true });
      const attemptId = (await start(student, quizId)).body.id as string;
      const res = await submit(student, quizId, attemptId, [
        { question_id: questions[0]!.id, selected_option_id: questions[0]!.optionIds[1] },
      ]);
      const view = await api('GET', `/quizzes/${quizId}/attempts/${attemptId}`, student);
      for (const body of [res.body, view.body]) {
        const answers = body.answers as Array<Record<string, unknown>>;
        expect(answers[0]).toEqual({
          question_id: questions[0]!.id,
          selected_option_id: questions[0]!.optionIds[1],
          selected_option_ids: null,
          answer_text: null,
          feedback: null,
          is_correct: false,
          points_earned: 0,
          correct_option_id: questions[0]!.correctOptionIds[0],
          explanation: 'A it is',
        });
        expect(answers[1]).toMatchObject({
          correct_option_ids: questions[1]!.correctOptionIds,
          explanation: 'X and Y',
        });
        expect(answers[2]).toMatchObject({ correct_answer: 'true', is_correct: false, points_earned: 0 });
        expect(answers[3]).toMatchObject({ correct_answer: 'Paris', explanation: 'Capital of France' });
      }
    });
  });

  describe('GET "" (managers)', () => {
    it('paginates newest first, filters by status, and names the student', async () => {
      const { quizId, courseId, questions } = await setup();
      const students = [await makeUser('student'), await makeUser('student'), await makeUser('student')];
      const ids: string[] = [];
      for (const s of students) {
        await seedEnrollment(s.user.id, courseId);
        ids.push((await start(s, quizId)).body.id as string);
      }
      await submit(students[0]!, quizId, ids[0]!, rightAnswers(questions));
      const page1 = await api('GET', `/quizzes/${quizId}/attempts?page_size=2`, owner);
      expect(page1.body).toMatchObject({ total: 3, page: 1, page_size: 2, total_pages: 2 });
      expect((page1.body.items as Array<{ id: string }>).map((i) => i.id)).toEqual([ids[2], ids[1]]);
      const page2 = await api('GET', `/quizzes/${quizId}/attempts?page=2&page_size=2`, admin);
      expect((page2.body.items as Array<{ id: string; student_id: string }>)[0]).toMatchObject({
        id: ids[0],
        student_id: students[0]!.user.id,
        status: 'graded',
      });
      const graded = await api('GET', `/quizzes/${quizId}/attempts?status=graded`, owner);
      expect(graded.body).toMatchObject({ total: 1 });
      expect((await api('GET', `/quizzes/${quizId}/attempts?status=done`, owner)).status).toBe(422);
      expect((await api('GET', `/quizzes/${quizId}/attempts?page_size=101`, owner)).status).toBe(422);
    });
  });
  it('documents every route in OpenAPI: summary, error responses as problems, DTO schemas', async () => {
    const res = await t.request('/openapi.json');
    expect(res.status).toBe(200);
    type Op = {
      summary?: string;
      tags?: string[];
      responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
    };
    const doc = (await res.json()) as {
      paths: Record<string, Record<string, Op>>;
      components: { schemas: Record<string, unknown> };
    };
    const base = '/api/v1/quizzes/{quiz_id}/attempts';
    const routes: Array<[string, string, string[]]> = [
      [base, 'post', ['201', '401', '403', '404', '422']],
      [base, 'get', ['200', '401', '403', '404', '422']],
      [`${base}/start`, 'get', ['200', '401', '403', '404', '422']],
      [`${base}/my-attempts`, 'get', ['200', '401', '403', '404', '422']],
      [`${base}/{attempt_id}`, 'get', ['200', '401', '403', '404', '422']],
      [`${base}/{attempt_id}/submit`, 'post', ['200', '400', '401', '403', '404', '422']],
      [`${base}/{attempt_id}/grade`, 'post', ['200', '400', '401', '403', '404', '409', '422']],
    ];
    for (const [path, method, codes] of routes) {
      const op = doc.paths[path]?.[method];
      expect([path, method, typeof op?.summary]).toEqual([path, method, 'string']);
      expect(Object.keys(op!.responses)).toEqual(expect.arrayContaining(codes));
      for (const code of codes.filter((c) => c >= '400' && c !== '401')) {
        const schema = Object.values(op!.responses[code]!.content ?? {})[0]?.schema;
        expect([path, code, schema?.$ref]).toEqual([path, code, '#/components/schemas/ProblemDetails']);
      }
    }
    for (const name of [
      'StartAttemptResponseDto',
      'AttemptResultDto',
      'AttemptStartViewDto',
      'SubmitAttemptDto',
      'GradeAttemptDto',
      'AttemptListItemDto',
    ]) {
      expect(doc.components.schemas).toHaveProperty(name);
    }
  });
});
