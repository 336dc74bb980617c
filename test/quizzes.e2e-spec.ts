import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { callApi, createActor, createTestApp, testRedisUrl, type JsonResponse, type TestApp } from '#testing';
import {
  callAs,
  countOf,
  EVERYONE,
  insertCourse,
  makeActors,
  makeCourseWithStudent,
  makeLesson as insertLesson,
  NON_MANAGERS,
  secretPaths,
  WRITE_STATUS,
  type Actors,
  type Who,
} from './quiz-fixtures.js';

type QuizBody = Record<string, unknown> & { id: string };

const QUIZ_KEYS = [
  'id',
  'course_id',
  'lesson_id',
  'title',
  'description',
  'quiz_type',
  'time_limit_minutes',
  'passing_score',
  'max_attempts',
  'shuffle_questions',
  'shuffle_options',
  'show_correct_answers',
  'is_published',
  'created_at',
  'updated_at',
].sort();

const SUMMARY_KEYS = [
  'id',
  'title',
  'description',
  'quiz_type',
  'time_limit_minutes',
  'passing_score',
  'max_attempts',
  'total_questions',
  'total_points',
  'is_published',
].sort();

describe('quizzes', () => {
  let t: TestApp;
  let seq = 0;
  let actors: Actors;
  const api = (method: string, path: string, who: Who, body?: unknown): Promise<JsonResponse> =>
    callAs(t, actors, method, path, who, body);

  const makeCourse = (published: boolean, instructorId = actors.owner.user.id): Promise<string> =>
    makeCourseWithStudent(t, 'quizzes', { published, instructorId, studentId: actors.student.user.id });
  const makeLesson = (courseId: string, lessonType?: string): Promise<string> => insertLesson(t, courseId, lessonType);

  /** A quiz made through the API (by an admin) on a new lesson; `questions` valid true/false questions; published on request. */
  async function makeQuiz(
    courseId: string,
    opts: { published?: boolean; questions?: number; fields?: Record<string, unknown> } = {},
  ): Promise<QuizBody> {
    const res = await api('POST', `/courses/${courseId}/quizzes`, 'admin', {
      lesson_id: await makeLesson(courseId),
      title: `Quiz ${++seq}`,
      ...opts.fields,
    });
    expect(res.status).toBe(201);
    const quiz = res.body as QuizBody;
    for (let i = 0; i < (opts.questions ?? (opts.published ? 1 : 0)); i++) await addQuestion(courseId, quiz.id);
    if (opts.published) {
      const published = await api('POST', `/courses/${courseId}/quizzes/${quiz.id}/publish`, 'admin');
      expect(published.status).toBe(200);
      return published.body as QuizBody;
    }
    return quiz;
  }

  async function addQuestion(courseId: string, quizId: string, body: Record<string, unknown> = {}): Promise<QuizBody> {
    const res = await api('POST', `/courses/${courseId}/quizzes/${quizId}/questions`, 'admin', {
      question_text: 'Is the sky blue?',
      question_type: 'true_false',
      correct_answer: 'true',
      ...body,
    });
    expect(res.status).toBe(201);
    return res.body as QuizBody;
  }

  const count = (table: 'quizzes' | 'quiz_questions'): Promise<number> =>
    countOf(t, `SELECT count(*)::int AS n FROM ${table}`);

  async function dbQuiz(id: string): Promise<Record<string, unknown> | undefined> {
    const [row] = await t.db.query('SELECT * FROM quizzes WHERE id = $1', [id]);
    return row;
  }

  const quizPath = (courseId: string, quizId: string): string => `/courses/${courseId}/quizzes/${quizId}`;

  beforeAll(async () => {
    t = await createTestApp({ workers: false });
    actors = await makeActors(t, 'quizzes');
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('route × role matrix', () => {
    let pubCourse: string;
    let draftCourse: string;
    /** [course published][quiz published] → quiz */
    const quizzes = {} as Record<'pp' | 'pu' | 'up' | 'uu', { course: string; quiz: QuizBody }>;

    beforeAll(async () => {
      pubCourse = await makeCourse(true);
      draftCourse = await makeCourse(false);
      quizzes.pp = { course: pubCourse, quiz: await makeQuiz(pubCourse, { published: true }) };
      quizzes.pu = { course: pubCourse, quiz: await makeQuiz(pubCourse) };
      quizzes.up = { course: draftCourse, quiz: await makeQuiz(draftCourse, { published: true }) };
      quizzes.uu = { course: draftCourse, quiz: await makeQuiz(draftCourse) };
    });

    it.each(EVERYONE)(
      'GET list of a published course: %s → 200; only managers see unpublished quizzes',
      async (who) => {
        const res = await api('GET', `/courses/${pubCourse}/quizzes`, who);
        expect(res.status).toBe(200);
        const ids = (res.body.quizzes as QuizBody[]).map((q) => q.id);
        expect(res.body.total).toBe(ids.length);
        expect(ids).toContain(quizzes.pp.quiz.id);
        if (NON_MANAGERS.includes(who)) expect(ids).not.toContain(quizzes.pu.quiz.id);
        else expect(ids).toContain(quizzes.pu.quiz.id);
      },
    );

    it.each(EVERYONE)('GET list of an unpublished course: %s', async (who) => {
      const res = await api('GET', `/courses/${draftCourse}/quizzes`, who);
      if (NON_MANAGERS.includes(who)) {
        expect(res.status).toBe(403);
        expect(res.body).toMatchObject({ code: 'forbidden', detail: 'Not authorized to view quizzes for this course' });
        expect(res.body.quizzes).toBeUndefined();
      } else {
        expect(res.status).toBe(200);
        expect((res.body.quizzes as QuizBody[]).map((q) => q.id).sort()).toEqual(
          [quizzes.up.quiz.id, quizzes.uu.quiz.id].sort(),
        );
      }
    });

    it.each(EVERYONE)('GET one quiz in every course/quiz publish state: %s', async (who) => {
      for (const key of ['pp', 'pu', 'up', 'uu'] as const) {
        const { course, quiz } = quizzes[key];
        const res = await api('GET', quizPath(course, quiz.id), who);
        const visible = key === 'pp' || !NON_MANAGERS.includes(who);
        if (visible) {
          expect(res.status).toBe(200);
          expect(res.body.id).toBe(quiz.id);
        } else {
          expect({ key, status: res.status }).toEqual({ key, status: 403 });
          expect(res.body).toMatchObject({ code: 'forbidden', detail: 'Not authorized to access this quiz' });
          expect(res.body.quiz_type).toBeUndefined();
        }
      }
    });

    it.each(EVERYONE)('POST a quiz: %s', async (who) => {
      for (const course of [pubCourse, draftCourse]) {
        const before = await count('quizzes');
        const res = await api('POST', `/courses/${course}/quizzes`, who, {
          lesson_id: await makeLesson(course),
          title: 'Matrix quiz',
        });
        if (WRITE_STATUS[who]) {
          expect(res.status).toBe(WRITE_STATUS[who]);
          if (res.status === 403) expect(res.body.detail).toBe('Not authorized to manage quizzes for this course');
          expect(await count('quizzes')).toBe(before);
        } else {
          expect(res.status).toBe(201);
          expect(res.body).toMatchObject({ course_id: course, is_published: false, title: 'Matrix quiz' });
          expect(await count('quizzes')).toBe(before + 1);
        }
      }
    });

    it.each(EVERYONE)('PATCH a quiz: %s', async (who) => {
      for (const course of [pubCourse, draftCourse]) {
        const quiz = await makeQuiz(course);
        const res = await api('PATCH', quizPath(course, quiz.id), who, { title: 'Renamed by matrix' });
        const row = await dbQuiz(quiz.id);
        if (WRITE_STATUS[who]) {
          expect(res.status).toBe(WRITE_STATUS[who]);
          if (res.status === 403) expect(res.body.detail).toBe('Not authorized to manage quizzes for this course');
          expect(row!.title).toBe(quiz.title);
        } else {
          expect(res.status).toBe(200);
          expect(res.body.title).toBe('Renamed by matrix');
          expect(row!.title).toBe('Renamed by matrix');
        }
      }
    });

    it.each(EVERYONE)('publish and unpublish: %s', async (who) => {
      for (const course of [pubCourse, draftCourse]) {
        const draft = await makeQuiz(course, { questions: 1 });
        const live = await makeQuiz(course, { published: true });
        const pub = await api('POST', `${quizPath(course, draft.id)}/publish`, who);
        const unpub = await api('POST', `${quizPath(course, live.id)}/unpublish`, who);
        if (WRITE_STATUS[who]) {
          expect([pub.status, unpub.status]).toEqual([WRITE_STATUS[who], WRITE_STATUS[who]]);
          expect((await dbQuiz(draft.id))!.is_published).toBe(false);
          expect((await dbQuiz(live.id))!.is_published).toBe(true);
        } else {
          expect([pub.status, unpub.status]).toEqual([200, 200]);
          expect(pub.body.is_published).toBe(true);
          expect(unpub.body.is_published).toBe(false);
          expect((await dbQuiz(draft.id))!.is_published).toBe(true);
          expect((await dbQuiz(live.id))!.is_published).toBe(false);
        }
      }
    });

    it("an instructor manages only their own course's quizzes", async () => {
      const othersCourse = await makeCourse(true, actors.other.user.id);
      const lesson = await makeLesson(othersCourse);
      const asOwner = await api('POST', `/courses/${othersCourse}/quizzes`, 'owner', {
        lesson_id: lesson,
        title: 'Nope',
      });
      expect(asOwner.status).toBe(403);
      const asOther = await api('POST', `/courses/${othersCourse}/quizzes`, 'other', {
        lesson_id: lesson,
        title: 'Yes',
      });
      expect(asOther.status).toBe(201);
      const draft = asOther.body as QuizBody;
      expect((await api('GET', quizPath(othersCourse, draft.id), 'other')).status).toBe(200);
      expect((await api('GET', quizPath(othersCourse, draft.id), 'owner')).status).toBe(403);
    });

    it('a bad token on the public reads counts as anonymous', async () => {
      const { course, quiz } = quizzes.pu;
      expect((await callApi(t, 'GET', quizPath(course, quiz.id), undefined, 'not-a-jwt')).status).toBe(403);
      expect((await callApi(t, 'GET', `/courses/${pubCourse}/quizzes`, undefined, 'not-a-jwt')).status).toBe(200);
    });

    it('answer secrecy: no answer data anywhere in quiz list or quiz bodies, for any viewer', async () => {
      const course = await makeCourse(true);
      const quiz = await makeQuiz(course, { published: true });
      await addQuestion(course, quiz.id, {
        question_type: 'multiple_choice',
        correct_answer: null,
        options: [{ option_text: 'A', is_correct: true }, { option_text: 'B' }],
        explanation: 'Because A',
      });
      await addQuestion(course, quiz.id, { question_type: 'short_answer', correct_answer: 'Paris', explanation: 'x' });
      for (const who of EVERYONE) {
        for (const res of [
          await api('GET', `/courses/${course}/quizzes`, who),
          await api('GET', quizPath(course, quiz.id), who),
        ]) {
          expect(res.status).toBe(200);
          expect(secretPaths(res.body)).toEqual([]);
        }
      }
    });
  });

  describe('not found and non-UUID ids', () => {
    const missing = randomUUID();
    let course: string;
    let quiz: QuizBody;
    let elsewhere: string;
    beforeAll(async () => {
      course = await makeCourse(true);
      quiz = await makeQuiz(course, { published: true });
      elsewhere = await makeCourse(true);
    });

    it('unknown course → 404 "Course not found" on list and create', async () => {
      const list = await api('GET', `/courses/${missing}/quizzes`, 'anonymous');
      expect(list.status).toBe(404);
      expect(list.body).toMatchObject({ code: 'not_found', detail: 'Course not found' });
      const before = await count('quizzes');
      const create = await api('POST', `/courses/${missing}/quizzes`, 'admin', {
        lesson_id: await makeLesson(course),
        title: 'Nowhere',
      });
      expect(create.status).toBe(404);
      expect(create.body.detail).toBe('Course not found');
      expect(await count('quizzes')).toBe(before);
    });

    it.each([
      ['GET', ''],
      ['PATCH', ''],
      ['POST', '/publish'],
      ['POST', '/unpublish'],
    ])(
      '%s quiz%s: unknown quiz → 404 "Quiz not found"; another course\'s → "Quiz not found in this course"',
      async (method, suffix) => {
        const body = method === 'PATCH' ? { title: 'Whatever' } : undefined;
        const unknown = await api(method, `${quizPath(course, missing)}${suffix}`, 'admin', body);
        expect(unknown.status).toBe(404);
        expect(unknown.body).toMatchObject({ code: 'not_found', detail: 'Quiz not found' });
        const foreign = await api(method, `${quizPath(elsewhere, quiz.id)}${suffix}`, 'admin', body);
        expect(foreign.status).toBe(404);
        expect(foreign.body).toMatchObject({ code: 'not_found', detail: 'Quiz not found in this course' });
        expect(await dbQuiz(quiz.id)).toMatchObject({ title: quiz.title, is_published: true });
      },
    );

    it.each([
      ['GET', '/courses/not-a-uuid/quizzes', undefined],
      ['POST', '/courses/not-a-uuid/quizzes', { lesson_id: randomUUID(), title: 'Valid title' }],
      ['GET', `/courses/not-a-uuid/quizzes/${randomUUID()}`, undefined],
      ['GET', `/courses/${randomUUID()}/quizzes/not-a-uuid`, undefined],
      ['PATCH', `/courses/${randomUUID()}/quizzes/not-a-uuid`, { title: 'Valid title' }],
      ['POST', `/courses/${randomUUID()}/quizzes/not-a-uuid/publish`, undefined],
      ['POST', `/courses/${randomUUID()}/quizzes/not-a-uuid/unpublish`, undefined],
    ])('%s %s → 422', async (method, path, body) => {
      const before = await count('quizzes');
      const res = await api(method, path, 'admin', body);
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('validation_failed');
      expect(await count('quizzes')).toBe(before);
    });
  });

  describe('POST validation (nothing written on failure)', () => {
    let course: string;
    let lesson: string;
    beforeAll(async () => {
      course = await makeCourse(true);
      lesson = await makeLesson(course);
    });

    const invalid: Array<[string, Record<string, unknown>]> = [
      ['lesson_id missing', { lesson_id: undefined }],
      ['lesson_id null', { lesson_id: null }],
      ['lesson_id not a uuid', { lesson_id: 'lesson-1' }],
      ['title missing', { title: undefined }],
      ['title null', { title: null }],
      ['title too short', { title: 'ab' }],
      ['title short after trim', { title: '   ab   ' }],
      ['title too long', { title: 'x'.repeat(256) }],
      ['title not a string', { title: 12345 }],
      ['description too long', { description: 'd'.repeat(10_001) }],
      ['description not a string', { description: 5 }],
      ['quiz_type unknown', { quiz_type: 'exam' }],
      ['time_limit_minutes 0', { time_limit_minutes: 0 }],
      ['time_limit_minutes fractional', { time_limit_minutes: 1.5 }],
      ['time_limit_minutes a string', { time_limit_minutes: '10' }],
      ['time_limit_minutes over a week', { time_limit_minutes: 10_081 }],
      ['passing_score negative', { passing_score: -0.01 }],
      ['passing_score over 100', { passing_score: 100.01 }],
      ['passing_score 3 decimals', { passing_score: 70.125 }],
      ['passing_score a non-numeric string', { passing_score: 'seventy' }],
      ['max_attempts 0', { max_attempts: 0 }],
      ['max_attempts fractional', { max_attempts: 2.5 }],
      ['max_attempts over 1000', { max_attempts: 1001 }],
      ['shuffle_questions a string', { shuffle_questions: 'yes' }],
      ['shuffle_options a number', { shuffle_options: 1 }],
      ['show_correct_answers a string', { show_correct_answers: 'false' }],
      ['is_published (use publish)', { is_published: true }],
      ['course_id (server-owned)', { course_id: randomUUID() }],
      ['an unknown field', { foo: 'bar' }],
    ];

    it.each(invalid)('%s → 422 validation_failed', async (_name, patch) => {
      const before = await count('quizzes');
      const res = await api('POST', `/courses/${course}/quizzes`, 'owner', {
        lesson_id: lesson,
        title: 'A valid title',
        ...patch,
      });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('validation_failed');
      expect(Array.isArray(res.body.errors)).toBe(true);
      expect(await count('quizzes')).toBe(before);
    });

    it('a lesson of another course, or no lesson at all → 404 "Lesson not found in this course"', async () => {
      const before = await count('quizzes');
      const foreignLesson = await makeLesson(await makeCourse(true));
      for (const lessonId of [foreignLesson, randomUUID()]) {
        const res = await api('POST', `/courses/${course}/quizzes`, 'owner', { lesson_id: lessonId, title: 'Valid' });
        expect(res.status).toBe(404);
        expect(res.body).toMatchObject({ code: 'not_found', detail: 'Lesson not found in this course' });
      }
      expect(await count('quizzes')).toBe(before);
    });

    it('defaults, trimming, response shape; always unpublished; any lesson_type', async () => {
      const res = await api('POST', `/courses/${course}/quizzes`, 'owner', {
        lesson_id: await makeLesson(course, 'video'),
        title: '  Week 1 check  ',
      });
      expect(res.status).toBe(201);
      expect(Object.keys(res.body).sort()).toEqual(QUIZ_KEYS);
      expect(res.body).toMatchObject({
        course_id: course,
        title: 'Week 1 check',
        description: null,
        quiz_type: 'graded',
        time_limit_minutes: null,
        passing_score: '70.00',
        max_attempts: null,
        shuffle_questions: true,
        shuffle_options: true,
        show_correct_answers: true,
        is_published: false,
      });
      expect(new Date(res.body.created_at as string).toISOString()).toBe(res.body.created_at);
      const got = await api('GET', quizPath(course, res.body.id as string), 'owner');
      expect(got.body).toEqual(res.body);
    });

    it('explicit values (nulls mean the default); passing_score as a 2-decimal string', async () => {
      const full = await api('POST', `/courses/${course}/quizzes`, 'admin', {
        lesson_id: await makeLesson(course),
        title: 'Full quiz',
        description: 'About things',
        quiz_type: 'practice',
        time_limit_minutes: 30,
        passing_score: 85.5,
        max_attempts: 3,
        shuffle_questions: false,
        shuffle_options: false,
        show_correct_answers: false,
      });
      expect(full.status).toBe(201);
      expect(full.body).toMatchObject({
        description: 'About things',
        quiz_type: 'practice',
        time_limit_minutes: 30,
        passing_score: '85.50',
        max_attempts: 3,
        shuffle_questions: false,
        shuffle_options: false,
        show_correct_answers: false,
        is_published: false,
      });
      const nulls = await api('POST', `/courses/${course}/quizzes`, 'admin', {
        lesson_id: await makeLesson(course),
        title: 'Null quiz',
        description: null,
        quiz_type: null,
        passing_score: null,
        shuffle_questions: null,
      });
      expect(nulls.status).toBe(201);
      expect(nulls.body).toMatchObject({ quiz_type: 'graded', passing_score: '70.00', shuffle_questions: true });
      for (const score of [0, 100]) {
        const edge = await api('POST', `/courses/${course}/quizzes`, 'admin', {
          lesson_id: await makeLesson(course),
          title: 'Edge quiz',
          passing_score: score,
          time_limit_minutes: score === 0 ? 1 : 10_080,
          max_attempts: score === 0 ? 1 : 1000,
        });
        expect(edge.status).toBe(201);
        expect(edge.body.passing_score).toBe(score === 0 ? '0.00' : '100.00');
      }
    });

    it('a second quiz for the lesson → 409 quiz_exists', async () => {
      const l = await makeLesson(course);
      expect((await api('POST', `/courses/${course}/quizzes`, 'owner', { lesson_id: l, title: 'First' })).status).toBe(
        201,
      );
      const before = await count('quizzes');
      const second = await api('POST', `/courses/${course}/quizzes`, 'admin', { lesson_id: l, title: 'Second' });
      expect(second.status).toBe(409);
      expect(second.body).toMatchObject({ code: 'quiz_exists', detail: 'Lesson already has a quiz' });
      expect(await count('quizzes')).toBe(before);
    });

    it('5 concurrent creates for one lesson: one 201, four 409 quiz_exists', async () => {
      const l = await makeLesson(course);
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          api('POST', `/courses/${course}/quizzes`, i % 2 ? 'owner' : 'admin', { lesson_id: l, title: `Race ${i}` }),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
      for (const r of results.filter((x) => x.status === 409)) expect(r.body.code).toBe('quiz_exists');
      const rows = await t.db.query('SELECT id FROM quizzes WHERE lesson_id = $1', [l]);
      expect(rows).toHaveLength(1);
    });

    it('Idempotency-Key: a retry replays the stored 201; another body with the key → 422; one quiz exists', async () => {
      const l = await makeLesson(course);
      const post = (body: unknown, key: string): Promise<Response> =>
        t.request(`/api/v1/courses/${course}/quizzes`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${actors.owner.token}`,
            'idempotency-key': key,
          },
          body: JSON.stringify(body),
        });
      const body = { lesson_id: l, title: 'Idempotent quiz' };
      const first = await post(body, 'quiz-key-1');
      expect(first.status).toBe(201);
      const created = (await first.json()) as QuizBody;
      const retry = await post(body, 'quiz-key-1');
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(((await retry.json()) as QuizBody).id).toBe(created.id);
      const reused = await post({ ...body, title: 'Another quiz' }, 'quiz-key-1');
      expect(reused.status).toBe(422);
      expect(((await reused.json()) as { code: string }).code).toBe('idempotency_key_reused');
      const keyless = await post(body, 'quiz-key-2');
      expect(keyless.status).toBe(409); // a new key runs the handler: the lesson has its quiz
      expect(await t.db.query('SELECT id FROM quizzes WHERE lesson_id = $1', [l])).toHaveLength(1);
    });
  });

  describe('PATCH', () => {
    let course: string;
    beforeAll(async () => {
      course = await makeCourse(true);
    });

    it.each([
      'lesson_id',
      'title',
      'quiz_type',
      'passing_score',
      'shuffle_questions',
      'shuffle_options',
      'show_correct_answers',
    ])('%s: null → 422 not_null, nothing changes', async (field) => {
      const quiz = await makeQuiz(course);
      const before = await dbQuiz(quiz.id);
      const res = await api('PATCH', quizPath(course, quiz.id), 'owner', { [field]: null, description: 'changed' });
      expect(res.status).toBe(422);
      expect(res.body.errors).toEqual(
        expect.arrayContaining([{ field, message: `'${field}' cannot be null`, code: 'not_null' }]),
      );
      expect(await dbQuiz(quiz.id)).toEqual(before);
    });

    it.each<[string, Record<string, unknown>]>([
      ['is_published (use publish/unpublish)', { is_published: true }],
      ['course_id', { course_id: randomUUID() }],
      ['unknown field', { foo: 1 }],
      ['title too short', { title: 'ab' }],
      ['title too long', { title: 't'.repeat(256) }],
      ['description too long', { description: 'd'.repeat(10_001) }],
      ['quiz_type unknown', { quiz_type: 'exam' }],
      ['time_limit_minutes 0', { time_limit_minutes: 0 }],
      ['time_limit_minutes over a week', { time_limit_minutes: 10_081 }],
      ['passing_score over 100', { passing_score: 101 }],
      ['passing_score negative', { passing_score: -1 }],
      ['max_attempts 0', { max_attempts: 0 }],
      ['max_attempts over 1000', { max_attempts: 1001 }],
      ['lesson_id not a uuid', { lesson_id: 'x' }],
      ['shuffle_options a string', { shuffle_options: 'no' }],
    ])('%s → 422, nothing changes', async (_name, body) => {
      const quiz = await makeQuiz(course);
      const before = await dbQuiz(quiz.id);
      const res = await api('PATCH', quizPath(course, quiz.id), 'owner', { ...body, title: body.title ?? 'Changed?' });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('validation_failed');
      expect(await dbQuiz(quiz.id)).toEqual(before);
    });

    it('null clears description, time_limit_minutes and max_attempts; absent fields stay', async () => {
      const quiz = await makeQuiz(course, {
        fields: { description: 'D', time_limit_minutes: 20, max_attempts: 2, passing_score: 55, quiz_type: 'practice' },
      });
      const res = await api('PATCH', quizPath(course, quiz.id), 'admin', {
        description: null,
        time_limit_minutes: null,
        max_attempts: null,
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        description: null,
        time_limit_minutes: null,
        max_attempts: null,
        passing_score: '55.00',
        quiz_type: 'practice',
        title: quiz.title,
        is_published: false,
      });
      expect(await dbQuiz(quiz.id)).toMatchObject({ description: null, time_limit_minutes: null, max_attempts: null });
      expect(new Date(res.body.updated_at as string).getTime()).toBeGreaterThanOrEqual(
        new Date(quiz.updated_at as string).getTime(),
      );
    });

    it('every field can be changed; the published state is kept', async () => {
      const quiz = await makeQuiz(course, { published: true });
      const lesson = await makeLesson(course);
      const res = await api('PATCH', quizPath(course, quiz.id), 'owner', {
        lesson_id: lesson,
        title: '  New title ',
        description: 'New description',
        quiz_type: 'practice',
        time_limit_minutes: 45,
        passing_score: 90.25,
        max_attempts: 5,
        shuffle_questions: false,
        shuffle_options: false,
        show_correct_answers: false,
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id: quiz.id,
        lesson_id: lesson,
        title: 'New title',
        description: 'New description',
        quiz_type: 'practice',
        time_limit_minutes: 45,
        passing_score: '90.25',
        max_attempts: 5,
        shuffle_questions: false,
        shuffle_options: false,
        show_correct_answers: false,
        is_published: true,
      });
      const empty = await api('PATCH', quizPath(course, quiz.id), 'owner', {});
      expect(empty.status).toBe(200);
      expect(empty.body).toMatchObject({ title: 'New title', is_published: true });
    });

    it("moving to a lesson with a quiz → 409 quiz_exists; to another course's lesson → 404", async () => {
      const a = await makeQuiz(course);
      const b = await makeQuiz(course);
      const clash = await api('PATCH', quizPath(course, b.id), 'owner', { lesson_id: a.lesson_id, title: 'Moved?' });
      expect(clash.status).toBe(409);
      expect(clash.body).toMatchObject({ code: 'quiz_exists', detail: 'Lesson already has a quiz' });
      const foreign = await api('PATCH', quizPath(course, b.id), 'owner', {
        lesson_id: await makeLesson(await makeCourse(true)),
        title: 'Moved?',
      });
      expect(foreign.status).toBe(404);
      expect(foreign.body.detail).toBe('Lesson not found in this course');
      expect(await dbQuiz(b.id)).toMatchObject({ lesson_id: b.lesson_id, title: b.title });
    });
  });

  describe('publish and unpublish', () => {
    let course: string;
    beforeAll(async () => {
      course = await makeCourse(true);
    });

    it('no questions → 400 quiz_not_publishable', async () => {
      const quiz = await makeQuiz(course);
      const res = await api('POST', `${quizPath(course, quiz.id)}/publish`, 'owner');
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'quiz_not_publishable', detail: 'Cannot publish quiz without questions' });
      expect((await dbQuiz(quiz.id))!.is_published).toBe(false);
    });

    it.each<[string, { question_type: string; options?: unknown[]; correct_answer?: string }, string]>([
      [
        'multiple_choice without a correct option',
        {
          question_type: 'multiple_choice',
          options: [
            { option_id: 'a', option_text: 'A', is_correct: false },
            { option_id: 'b', option_text: 'B', is_correct: false },
          ],
        },
        'Multiple choice questions must have exactly 1 correct option',
      ],
      [
        'multiple_choice with one option',
        { question_type: 'multiple_choice', options: [{ option_id: 'a', option_text: 'A', is_correct: true }] },
        'Multiple choice questions must have at least 2 options',
      ],
      [
        'true_false with "yes"',
        { question_type: 'true_false', correct_answer: 'yes' },
        "True/false questions must have correct_answer 'true' or 'false'",
      ],
      [
        'short_answer without an answer',
        { question_type: 'short_answer' },
        'Short answer questions must have a correct_answer',
      ],
      [
        'essay with an answer',
        { question_type: 'essay', correct_answer: 'model' },
        'Essay questions must not have a correct_answer',
      ],
    ])('an invalid stored question (%s) → 400 naming its position and rule', async (_name, row, message) => {
      const quiz = await makeQuiz(course, { questions: 2 });
      const [bad] = await t.db.query<{ id: string }>(
        `INSERT INTO quiz_questions (quiz_id, question_text, question_type, order_index, options, correct_answer)
         VALUES ($1, 'Stored badly', $2, 3, $3::jsonb, $4) RETURNING id`,
        [quiz.id, row.question_type, row.options ? JSON.stringify(row.options) : null, row.correct_answer ?? null],
      );
      const res = await api('POST', `${quizPath(course, quiz.id)}/publish`, 'admin');
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        code: 'quiz_not_publishable',
        detail: `Cannot publish quiz with an invalid question at position 3: ${message}`,
        question_id: bad!.id,
        position: 3,
      });
      expect((await dbQuiz(quiz.id))!.is_published).toBe(false);
    });

    it('valid questions → 200; publishing again re-checks and answers 200; unpublish hides it again', async () => {
      const quiz = await makeQuiz(course, { questions: 2 });
      expect((await api('GET', quizPath(course, quiz.id), 'student')).status).toBe(403);
      const res = await api('POST', `${quizPath(course, quiz.id)}/publish`, 'owner');
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(QUIZ_KEYS);
      expect(res.body).toMatchObject({ id: quiz.id, is_published: true, title: quiz.title });
      expect((await api('GET', quizPath(course, quiz.id), 'student')).status).toBe(200);
      expect((await api('POST', `${quizPath(course, quiz.id)}/publish`, 'admin')).status).toBe(200);

      const off = await api('POST', `${quizPath(course, quiz.id)}/unpublish`, 'owner');
      expect(off.status).toBe(200);
      expect(off.body.is_published).toBe(false);
      expect((await api('GET', quizPath(course, quiz.id), 'student')).status).toBe(403);
      expect((await api('POST', `${quizPath(course, quiz.id)}/unpublish`, 'owner')).status).toBe(200);
    });

    it('publish waits for a concurrent question write holding the quiz lock, then sees its result', async () => {
      const quiz = await makeQuiz(course, { questions: 1 });
      const client = new pg.Client({ connectionString: t.db.url });
      await client.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT id FROM quizzes WHERE id = $1 FOR UPDATE', [quiz.id]);
        await client.query(
          `INSERT INTO quiz_questions (quiz_id, question_text, question_type, order_index, correct_answer)
           VALUES ($1, 'Half-written', 'short_answer', 2, NULL)`,
          [quiz.id],
        );
        let settled = false;
        const publish = api('POST', `${quizPath(course, quiz.id)}/publish`, 'owner').finally(() => {
          settled = true;
        });
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(settled).toBe(false);
        await client.query('COMMIT');
        const res = await publish;
        expect(res.status).toBe(400);
        expect(res.body.detail).toBe(
          'Cannot publish quiz with an invalid question at position 2: Short answer questions must have a correct_answer',
        );
      } finally {
        await client.end();
      }
    });

    it('an unpublished course hides its published quizzes from non-managers', async () => {
      const c = await makeCourse(true);
      const quiz = await makeQuiz(c, { published: true });
      expect((await api('GET', quizPath(c, quiz.id), 'anonymous')).status).toBe(200);
      await t.db.query('UPDATE courses SET is_published = false WHERE id = $1', [c]);
      expect((await api('GET', quizPath(c, quiz.id), 'anonymous')).status).toBe(403);
      expect((await api('GET', quizPath(c, quiz.id), 'student')).status).toBe(403);
      expect((await api('GET', quizPath(c, quiz.id), 'owner')).status).toBe(200);
    });
  });

  describe("the course's total_quizzes (published quizzes)", () => {
    const totalQuizzes = async (courseId: string, who: Who = 'anonymous'): Promise<unknown> =>
      (await api('GET', `/courses/${courseId}`, who)).body.total_quizzes;

    it('follows publish, unpublish and lesson deletes, and the course read is not stale', async () => {
      const c = await makeCourse(true);
      expect(await totalQuizzes(c)).toBe(0); // cached now
      const a = await makeQuiz(c, { published: true });
      const b = await makeQuiz(c, { published: true });
      await makeQuiz(c); // unpublished: not counted
      expect(await totalQuizzes(c)).toBe(2);
      expect((await api('POST', `${quizPath(c, a.id)}/unpublish`, 'owner')).status).toBe(200);
      expect(await totalQuizzes(c)).toBe(1);
      expect((await api('POST', `${quizPath(c, a.id)}/unpublish`, 'owner')).status).toBe(200); // no double count
      expect(await totalQuizzes(c)).toBe(1);
      // Deleting the lesson cascades to its quiz.
      expect((await api('DELETE', `/lessons/${b.lesson_id as string}`, 'owner')).status).toBe(204);
      expect(await totalQuizzes(c)).toBe(0);
      expect((await api('GET', `/courses/${c}/quizzes`, 'owner')).body.total).toBe(2); // a and the unpublished one
    });

    it('concurrent publishes in one course all count', async () => {
      const c = await makeCourse(true);
      const quizzes: QuizBody[] = [];
      for (let i = 0; i < 6; i++) quizzes.push(await makeQuiz(c, { questions: 1 }));
      const results = await Promise.all(quizzes.map((q) => api('POST', `${quizPath(c, q.id)}/publish`, 'owner')));
      expect(results.map((r) => r.status)).toEqual(Array(6).fill(200));
      expect(await totalQuizzes(c)).toBe(6);
    });

    it('a course with published quizzes can still be deleted', async () => {
      const c = await makeCourse(true);
      await makeQuiz(c, { published: true });
      expect((await api('DELETE', `/courses/${c}`, 'owner')).status).toBe(204);
      expect(await t.db.query('SELECT 1 FROM quizzes WHERE course_id = $1', [c])).toEqual([]);
    });
  });

  describe('list', () => {
    it('newest first, with total_questions and total_points as a decimal string', async () => {
      const c = await makeCourse(true);
      const first = await makeQuiz(c, { published: true });
      await addQuestion(c, first.id, { points: 2.5 });
      await addQuestion(c, first.id, { points: 0 });
      const second = await makeQuiz(c);
      await t.db.query("UPDATE quizzes SET created_at = now() - interval '1 hour' WHERE id = $1", [first.id]);
      await api('PATCH', quizPath(c, second.id), 'owner', { title: second.title }); // clears the cache
      const res = await api('GET', `/courses/${c}/quizzes`, 'owner');
      expect(res.status).toBe(200);
      const items = res.body.quizzes as QuizBody[];
      expect(items.map((q) => q.id)).toEqual([second.id, first.id]);
      for (const item of items) expect(Object.keys(item).sort()).toEqual(SUMMARY_KEYS);
      expect(items[0]).toMatchObject({ total_questions: 0, total_points: '0.00', is_published: false });
      expect(items[1]).toMatchObject({
        total_questions: 3,
        total_points: '3.50',
        passing_score: '70.00',
        is_published: true,
      });
      expect(res.body.total).toBe(2);
      const asStudent = await api('GET', `/courses/${c}/quizzes`, 'student');
      expect(asStudent.body).toMatchObject({ total: 1, quizzes: [{ id: first.id }] });
    });
  });

  describe('caching', () => {
    it('the list is cached (a direct database change is not seen until a quiz write)', async () => {
      const c = await makeCourse(true);
      const quiz = await makeQuiz(c, { published: true });
      expect(((await api('GET', `/courses/${c}/quizzes`, 'student')).body.quizzes as QuizBody[])[0]!.title).toBe(
        quiz.title,
      );
      await t.db.query("UPDATE quizzes SET title = 'Behind the cache' WHERE id = $1", [quiz.id]);
      expect(((await api('GET', `/courses/${c}/quizzes`, 'student')).body.quizzes as QuizBody[])[0]!.title).toBe(
        quiz.title,
      );
      // GET of one quiz reads the row for its visibility check anyway: never stale.
      expect((await api('GET', quizPath(c, quiz.id), 'student')).body.title).toBe('Behind the cache');
    });

    it('create, patch, publish, unpublish and question writes invalidate the list for every viewer', async () => {
      const c = await makeCourse(true);
      await makeQuiz(c, { published: true });
      const viewers: Who[] = EVERYONE;
      const list = async (who: Who): Promise<QuizBody[]> =>
        (await api('GET', `/courses/${c}/quizzes`, who)).body.quizzes as QuizBody[];
      const warm = async (): Promise<void> => {
        for (const who of viewers) await list(who);
      };
      const visibleTo = async (who: Who, id: string): Promise<QuizBody | undefined> =>
        (await list(who)).find((q) => q.id === id);

      await warm();
      const created = await makeQuiz(c, { fields: { title: 'Fresh quiz' } });
      for (const who of viewers) {
        expect((await visibleTo(who, created.id))?.title).toBe(NON_MANAGERS.includes(who) ? undefined : 'Fresh quiz');
      }

      const q = await addQuestion(c, created.id, { points: 3 });
      for (const who of ['owner', 'admin'] as Who[]) {
        expect(await visibleTo(who, created.id)).toMatchObject({ total_questions: 1, total_points: '3.00' });
      }

      expect((await api('PATCH', quizPath(c, created.id), 'owner', { title: 'Patched quiz' })).status).toBe(200);
      for (const who of ['owner', 'admin'] as Who[])
        expect((await visibleTo(who, created.id))?.title).toBe('Patched quiz');

      expect((await api('POST', `${quizPath(c, created.id)}/publish`, 'owner')).status).toBe(200);
      for (const who of viewers) expect((await visibleTo(who, created.id))?.title).toBe('Patched quiz');

      expect((await api('PATCH', `${quizPath(c, created.id)}/questions/${q.id}`, 'owner', { points: 4 })).status).toBe(
        200,
      );
      for (const who of viewers) expect((await visibleTo(who, created.id))?.total_points).toBe('4.00');

      expect((await api('POST', `${quizPath(c, created.id)}/unpublish`, 'admin')).status).toBe(200);
      for (const who of viewers) {
        expect(await visibleTo(who, created.id)).toEqual(
          NON_MANAGERS.includes(who) ? undefined : expect.objectContaining({ is_published: false }),
        );
      }

      expect(
        (
          await api('POST', `${quizPath(c, created.id)}/questions`, 'owner', {
            question_text: 'Another one',
            question_type: 'essay',
          })
        ).status,
      ).toBe(201);
      for (const who of ['owner', 'admin'] as Who[]) {
        expect((await visibleTo(who, created.id))?.total_questions).toBe(2);
      }
      expect((await api('DELETE', `${quizPath(c, created.id)}/questions/${q.id}`, 'owner')).status).toBe(204);
      for (const who of ['owner', 'admin'] as Who[]) {
        expect(await visibleTo(who, created.id)).toMatchObject({ total_questions: 1, total_points: '1.00' });
      }
    });

    it('course visibility is checked on every read: unpublishing the course hides a cached list at once', async () => {
      const c = await makeCourse(true);
      await makeQuiz(c, { published: true });
      expect((await api('GET', `/courses/${c}/quizzes`, 'student')).status).toBe(200);
      await t.db.query('UPDATE courses SET is_published = false WHERE id = $1', [c]);
      expect((await api('GET', `/courses/${c}/quizzes`, 'student')).status).toBe(403);
      expect((await api('GET', `/courses/${c}/quizzes`, 'anonymous')).status).toBe(403);
      expect((await api('GET', `/courses/${c}/quizzes`, 'owner')).status).toBe(200);
      await t.db.query('DELETE FROM courses WHERE id = $1', [c]);
      expect((await api('GET', `/courses/${c}/quizzes`, 'owner')).status).toBe(404);
    });
  });

  it('documents the routes in OpenAPI under the quizzes tag', async () => {
    const res = await t.request('/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      paths: Record<string, Record<string, { tags?: string[]; responses?: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown> };
    };
    const base = '/api/v1/courses/{course_id}/quizzes';
    for (const [path, methods] of [
      [base, ['get', 'post']],
      [`${base}/{quiz_id}`, ['get', 'patch']],
      [`${base}/{quiz_id}/publish`, ['post']],
      [`${base}/{quiz_id}/unpublish`, ['post']],
    ] as const) {
      for (const m of methods) {
        expect(doc.paths[path]?.[m]?.tags).toEqual(['quizzes']);
        expect(Object.keys(doc.paths[path]![m]!.responses ?? {})).toEqual(expect.arrayContaining(['404', '422']));
      }
    }
    expect(Object.keys(doc.paths[`${base}/{quiz_id}/publish`]!.post!.responses!)).toEqual(
      expect.arrayContaining(['200', '400', '401', '403']),
    );
    for (const schema of ['QuizResponseDto', 'QuizListResponseDto', 'CreateQuizDto', 'UpdateQuizDto']) {
      expect(doc.components.schemas).toHaveProperty(schema);
    }
  });
});

/**
 * With Redis (CI's real-services pass): two API processes share the cache; a write through one
 * invalidates what the other cached.
 */
const redisUrl = testRedisUrl();
(redisUrl ? describe : describe.skip)('quiz caches shared through Redis', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const env = { REDIS_URL: redisUrl, CACHE_KEY_PREFIX: `lms-test-quizzes-${randomUUID().slice(0, 8)}` };
    a = await createTestApp({ workers: false, env });
    b = await createTestApp({ workers: false, env, db: a.db });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('a quiz write on one process clears the list cached by the other', async () => {
    const owner = await createActor(a, 'instructor', 'quizzes-redis');
    const courseId = await insertCourse(a, 'redis', owner.user.id, true);
    const lessonId = await insertLesson(a, courseId);
    const path = `/courses/${courseId}/quizzes`;
    expect((await callApi(b, 'GET', path, undefined, owner.token)).body.total).toBe(0);
    const created = await callApi(a, 'POST', path, { lesson_id: lessonId, title: 'Shared' }, owner.token);
    expect(created.status).toBe(201);
    expect((await callApi(b, 'GET', path, undefined, owner.token)).body.total).toBe(1);
  });
});
