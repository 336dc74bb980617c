import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { QUERY_FALSE, QUERY_TRUE, type ProblemBody } from '#core';
import { callApi, createActor, createTestApp, type JsonResponse, type TestActor, type TestApp } from '#testing';
import { json, PASSWORD, uniqueEmail } from './auth-helpers.js';
import { seedQuizCourse } from './quiz-fixtures.js';

type Body = Record<string, unknown>;

interface OpenApiDoc {
  paths: Record<string, Record<string, { parameters?: OpenApiParam[]; requestBody?: unknown }>>;
  components: { schemas: Record<string, SchemaObject> };
}
interface OpenApiParam {
  name: string;
  in: string;
  description?: string;
  schema?: { type?: string };
}
interface SchemaObject {
  type?: string;
  $ref?: string;
  items?: SchemaObject;
  oneOf?: SchemaObject[];
  properties?: Record<string, SchemaObject>;
  minimum?: number;
  maximum?: number;
}

/** Every schema name a request body refers to, nested ones included. */
function requestBodySchemas(doc: OpenApiDoc): Set<string> {
  const names = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (!value || typeof value !== 'object') return;
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string') {
        const name = inner.replace('#/components/schemas/', '');
        if (!names.has(name)) {
          names.add(name);
          visit(doc.components.schemas[name]);
        }
      } else visit(inner);
    }
  };
  for (const ops of Object.values(doc.paths)) for (const op of Object.values(ops)) visit(op.requestBody);
  return names;
}

describe('wire compatibility with the original API clients', () => {
  let t: TestApp;
  let admin: TestActor;
  let instructor: TestActor;
  let other: TestActor;
  let doc: OpenApiDoc;
  let seq = 0;

  const api = (method: string, path: string, who?: TestActor, body?: unknown): Promise<JsonResponse> =>
    callApi(t, method, path, body, who?.token);
  const ok = async (method: string, path: string, who?: TestActor, body?: unknown): Promise<Body> => {
    const res = await api(method, path, who, body);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const newCourse = (who: TestActor, body: Body = {}): Promise<Body> =>
    ok('POST', '/courses', who, { title: `Wire course ${++seq}`, ...body });
  const newLesson = (courseId: unknown, body: Body = {}): Promise<Body> =>
    ok('POST', `/courses/${String(courseId)}/lessons`, instructor, {
      title: `Lesson ${++seq}`,
      lesson_type: 'text',
      ...body,
    });

  beforeAll(async () => {
    t = await createTestApp({ workers: false });
    admin = await createActor(t, 'admin', 'wire');
    instructor = await createActor(t, 'instructor', 'wire');
    other = await createActor(t, 'instructor', 'wire');
    doc = (await (await t.request('/openapi.json')).json()) as OpenApiDoc;
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('POST /auth/register with a role (item 19)', () => {
    const registerAs = (role: unknown, email = uniqueEmail('role')): Promise<Response> =>
      t.request('/api/v1/auth/register', json({ email, password: PASSWORD, full_name: 'Role Test', role }));

    it.each(['student', null])('"role": %j registers a student (201)', async (role) => {
      const res = await registerAs(role);
      expect(res.status).toBe(201);
      expect(((await res.json()) as { user: { role: string } }).user.role).toBe('student');
    });

    it.each(['admin', 'instructor'])('"role": "%s" is 403 and creates nothing', async (role) => {
      const email = uniqueEmail('role');
      const res = await registerAs(role, email);
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(await res.json()).toMatchObject({
        status: 403,
        code: 'registration_role_forbidden',
        detail: 'Public registration is limited to student accounts',
      });
      expect(await t.db.query('SELECT 1 FROM users WHERE email = $1', [email])).toHaveLength(0);
    });

    it('an unknown role is a validation error (422)', async () => {
      const res = await registerAs('superuser');
      expect(res.status).toBe(422);
      expect(((await res.json()) as ProblemBody).errors?.map((e) => e.field)).toEqual(['role']);
    });
  });

  describe('query booleans, blank filters, unknown category (item 20)', () => {
    const TRUE = ['true', 'TRUE', 'True', '1', 'yes', 'YES', 'on', 'On', 't', 'Y', ' true '];
    const FALSE = ['false', 'FALSE', '0', 'no', 'No', 'off', 'OFF', 'f', 'n'];

    /**
     * Every boolean query parameter of the API, with a probe that says how the server read a value:
     * true, false, 'absent' (the default) or the status of a refusal.
     */
    const PROBES: Record<string, (value: string) => Promise<boolean | 'absent' | number>> = {
      'GET /api/v1/courses mine': async (value) => {
        const res = await api('GET', `/courses?search=boolprobe&mine=${encodeURIComponent(value)}`, instructor);
        if (res.status !== 200) return res.status;
        const titles = (res.body.items as Body[]).map((c) => c.title);
        if (titles.includes('boolprobe draft')) return true;
        return titles.includes('boolprobe published') ? false : res.status;
      },
    };

    beforeAll(async () => {
      await newCourse(instructor, { title: 'boolprobe draft' });
      const published = await newCourse(other, { title: 'boolprobe published' });
      await t.db.query('UPDATE courses SET is_published = true WHERE id = $1', [published.id]);
    });

    it('the boolean query parameters are exactly the probed ones, each documented with the spellings', () => {
      const found: string[] = [];
      for (const [path, ops] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(ops)) {
          for (const p of op.parameters ?? []) {
            if (p.in !== 'query' || p.schema?.type !== 'boolean') continue;
            found.push(`${method.toUpperCase()} ${path} ${p.name}`);
            expect(p.description).toContain(`Accepts ${QUERY_TRUE.join('/')} and ${QUERY_FALSE.join('/')}`);
          }
        }
      }
      expect(found.sort()).toEqual(Object.keys(PROBES).sort());
    });

    it.each(Object.keys(PROBES))('%s accepts the original spellings in any case', async (name) => {
      const probe = PROBES[name]!;
      for (const value of TRUE) expect([value, await probe(value)]).toEqual([value, true]);
      for (const value of FALSE) expect([value, await probe(value)]).toEqual([value, false]);
      // Blank is absent (the default, false here); anything else is 422.
      for (const value of ['', ' ']) expect([value, await probe(value)]).toEqual([value, false]);
      for (const value of ['maybe', '2', 'yess', 'truee']) expect([value, await probe(value)]).toEqual([value, 422]);
    });

    it('blank filters are ignored on the catalog (category, difficulty_level, search, mine)', async () => {
      const all = await ok('GET', '/courses?page_size=100');
      const blank = await ok('GET', '/courses?page_size=100&category=&difficulty_level=&search=&mine=');
      expect(blank).toEqual(all);
      expect((await api('GET', '/courses?difficulty_level=%20')).status).toBe(200);
      expect((await api('GET', '/courses?difficulty_level=expert')).status).toBe(422);
    });

    it('a blank status filter is ignored on the attempts list', async () => {
      const { quizId } = await seedQuizCourse(t, 'wire-status', instructor, { specs: [{ type: 'essay' }] });
      expect((await api('GET', `/quizzes/${quizId}/attempts?status=`, instructor)).status).toBe(200);
      expect((await api('GET', `/quizzes/${quizId}/attempts?status=bogus`, instructor)).status).toBe(422);
    });

    it('an unknown category in the catalog filter gives an empty page, not 422', async () => {
      const res = await api('GET', '/courses?category=no-such-category');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ items: [], total: 0, page: 1, page_size: 20, total_pages: 0 });
    });
  });

  describe('decimal fields take numeric strings (item 21)', () => {
    interface DecimalCase {
      /** Schema.property in the OpenAPI document. */
      schema: string;
      /** The error field of a refusal. */
      field: string;
      send(value: unknown): Promise<JsonResponse>;
      read(body: Body): unknown;
      accepted: Array<[unknown, unknown]>;
      refused: unknown[];
    }

    let cases: DecimalCase[];
    beforeAll(async () => {
      const course = await newCourse(instructor);
      const quizCourse = await newCourse(instructor);
      const quiz = await ok('POST', `/courses/${String(quizCourse.id)}/quizzes`, instructor, {
        lesson_id: (await newLesson(quizCourse.id)).id,
        title: 'Decimal quiz',
      });
      const quizPath = `/courses/${String(quizCourse.id)}/quizzes/${String(quiz.id)}`;
      const question = await ok('POST', `${quizPath}/questions`, instructor, {
        question_text: 'Explain.',
        question_type: 'essay',
      });
      const seeded = await seedQuizCourse(t, 'wire-dec', instructor, { specs: [{ type: 'essay', points: 3 }] });
      const attempt = await ok('POST', `/quizzes/${seeded.quizId}/attempts`, seeded.student);
      await ok('POST', `/quizzes/${seeded.quizId}/attempts/${String(attempt.id)}/submit`, seeded.student, {
        answers: [{ question_id: seeded.questions[0]!.id, answer_text: 'An essay answer.' }],
      });
      const progressPath = `/enrollments/${seeded.enrollmentId}/lessons/${seeded.lessonId}/progress`;
      const price = [
        ['49.90', 49.9],
        [' 10 ', 10],
        [12.5, 12.5],
      ] as Array<[unknown, unknown]>;
      const priceRefused = ['abc', '-1.00', '100000000.00', '1.234', '', '1e3', 'NaN', [], { v: 1 }];
      cases = [
        {
          schema: 'CreateCourseDto.price',
          field: 'price',
          send: (price) => api('POST', '/courses', instructor, { title: `Priced ${++seq}`, price }),
          read: (b) => b.price,
          accepted: price,
          refused: priceRefused,
        },
        {
          schema: 'UpdateCourseDto.price',
          field: 'price',
          send: (price) => api('PATCH', `/courses/${String(course.id)}`, instructor, { price }),
          read: (b) => b.price,
          accepted: price,
          refused: [...priceRefused, null],
        },
        {
          schema: 'CreateQuizDto.passing_score',
          field: 'passing_score',
          send: async (passing_score) =>
            api('POST', `/courses/${String(quizCourse.id)}/quizzes`, instructor, {
              lesson_id: (await newLesson(quizCourse.id)).id,
              title: `Quiz ${++seq}`,
              passing_score,
            }),
          read: (b) => b.passing_score,
          accepted: [
            ['70.00', '70.00'],
            ['85.5', '85.50'],
            [60, '60.00'],
          ],
          refused: ['abc', '100.01', '-0.01', '70.001'],
        },
        {
          schema: 'UpdateQuizDto.passing_score',
          field: 'passing_score',
          send: (passing_score) => api('PATCH', quizPath, instructor, { passing_score }),
          read: (b) => b.passing_score,
          accepted: [
            ['80.50', '80.50'],
            ['100', '100.00'],
          ],
          refused: ['abc', '101', '-1', null],
        },
        {
          schema: 'CreateQuestionDto.points',
          field: 'points',
          send: (points) =>
            api('POST', `${quizPath}/questions`, instructor, {
              question_text: 'Explain more.',
              question_type: 'essay',
              points,
            }),
          read: (b) => b.points,
          accepted: [
            ['2.50', '2.50'],
            ['0', '0.00'],
          ],
          refused: ['abc', '10000.01', '-1', '1.005'],
        },
        {
          schema: 'UpdateQuestionDto.points',
          field: 'points',
          send: (points) => api('PATCH', `${quizPath}/questions/${String(question.id)}`, instructor, { points }),
          read: (b) => b.points,
          accepted: [['1.25', '1.25']],
          refused: ['abc', '10001', null],
        },
        {
          schema: 'UpdateLessonProgressDto.completion_percentage',
          field: 'completion_percentage',
          send: (completion_percentage) =>
            api('PUT', progressPath, seeded.student, { status: 'in_progress', completion_percentage }),
          read: (b) => b.completion_percentage,
          accepted: [
            ['40.00', '40.00'],
            ['42.5', '42.50'],
          ],
          refused: ['abc', '100.01', '-5', '1.111'],
        },
        {
          schema: 'EssayGradeDto.points_earned',
          field: 'grades.0.points_earned',
          send: (points_earned) =>
            api('POST', `/quizzes/${seeded.quizId}/attempts/${String(attempt.id)}/grade`, instructor, {
              grades: [{ question_id: seeded.questions[0]!.id, points_earned }],
            }),
          read: (b) => b.score,
          accepted: [['1.50', '1.50']],
          refused: ['abc', '-1', '1.234', '1000000'],
        },
      ];
    });

    it('every decimal body field of the API is one of the tested ones, documented as number | string', () => {
      const found: string[] = [];
      const plainNumbers: string[] = [];
      for (const name of requestBodySchemas(doc)) {
        for (const [prop, schema] of Object.entries(doc.components.schemas[name]?.properties ?? {})) {
          // A plain `number` in a request body would be a decimal field without the shared decorator
          // (integer fields are documented as `integer`).
          if (schema.type === 'number') plainNumbers.push(`${name}.${prop}`);
          if (!schema.oneOf) continue;
          found.push(`${name}.${prop}`);
          expect(schema.oneOf.map((s) => s.type)).toEqual(['number', 'string']);
        }
      }
      expect(found.sort()).toEqual(cases.map((c) => c.schema).sort());
      expect(plainNumbers).toEqual([]);
    });

    it('accepts "70.00" and numbers; refuses non-numeric and out-of-range strings with 422', async () => {
      for (const c of cases) {
        for (const value of c.refused) {
          const res = await c.send(value);
          expect([c.schema, value, res.status, res.body.code]).toEqual([c.schema, value, 422, 'validation_failed']);
          expect([c.schema, value, (res.body as ProblemBody).errors?.map((e) => e.field)]).toEqual([
            c.schema,
            value,
            expect.arrayContaining([c.field]),
          ]);
        }
        for (const [value, expected] of c.accepted) {
          const res = await c.send(value);
          expect([c.schema, value, res.status < 300, c.read(res.body)]).toEqual([c.schema, value, true, expected]);
        }
      }
    });
  });

  describe('course responses fill what they declare (item 22)', () => {
    let course: Body;
    const byId = (who?: TestActor): Promise<Body> => ok('GET', `/courses/${String(course.id)}`, who);
    const fields = (c: Body): Body => ({
      instructor_name: c.instructor_name,
      rating: c.rating,
      average_rating: c.average_rating,
      review_count: c.review_count,
      total_reviews: c.total_reviews,
      total_lessons: c.total_lessons,
      duration_hours: c.duration_hours,
      enrollment_count: c.enrollment_count,
    });
    /** The course as every read returns it: by id, by slug and in the list (each read after a cached read). */
    async function everyRead(who?: TestActor): Promise<Body> {
      const one = fields(await byId(who));
      expect(fields(await ok('GET', `/courses/slug/${String(course.slug)}`, who))).toEqual(one);
      const mine = who ? '&mine=true' : '';
      const list = await ok('GET', `/courses?search=${encodeURIComponent(String(course.title))}${mine}`, who);
      expect((list.items as Body[]).map(fields)).toEqual([one]);
      return one;
    }

    it('are real values, kept current as lessons, reviews and names change', async () => {
      await ok('PATCH', '/users/me', instructor, { full_name: 'Grace Hopper' });
      course = await newCourse(instructor, { title: 'Counters course' });
      expect(fields(course)).toEqual({
        instructor_name: 'Grace Hopper',
        rating: 0,
        average_rating: 0,
        review_count: 0,
        total_reviews: 0,
        total_lessons: 0,
        duration_hours: 0,
        enrollment_count: 0,
      });
      await everyRead(instructor); // cached from here on: every change below must clear it

      const l1 = await newLesson(course.id, { duration_minutes: 30 });
      const l2 = await newLesson(course.id, { duration_minutes: 60 });
      const l3 = await newLesson(course.id);
      expect(await everyRead(instructor)).toMatchObject({ total_lessons: 3, duration_hours: 1.5 });
      await ok('PATCH', `/lessons/${String(l3.id)}`, instructor, { duration_minutes: 10 });
      expect(await everyRead(instructor)).toMatchObject({ total_lessons: 3, duration_hours: 1.67 });
      expect((await api('DELETE', `/lessons/${String(l2.id)}`, instructor)).status).toBe(204);
      expect(await everyRead(instructor)).toMatchObject({ total_lessons: 2, duration_hours: 0.67 });
      const [row] = await t.db.query('SELECT total_lessons, total_duration_minutes FROM courses WHERE id = $1', [
        course.id,
      ]);
      expect(row).toEqual({ total_lessons: 2, total_duration_minutes: '40' });

      await ok('POST', `/courses/${String(course.id)}/publish`, instructor);
      expect(await everyRead()).toMatchObject({ instructor_name: 'Grace Hopper', total_lessons: 2 });

      // Two students complete a lesson (50%) and review: 4 and 5, then the first changes to 2.
      const reviews: Array<{ student: TestActor; enrollment: string }> = [];
      for (const label of ['s1', 's2']) {
        const student = await createActor(t, 'student', `wire-${label}`);
        const enrollment = String((await ok('POST', '/enrollments', student, { course_id: course.id })).id);
        await ok('POST', `/enrollments/${enrollment}/lessons/${String(l1.id)}/complete`, student);
        reviews.push({ student, enrollment });
      }
      const review = (i: number, rating: number): Promise<Body> =>
        ok('POST', `/enrollments/${reviews[i]!.enrollment}/review`, reviews[i]!.student, {
          rating,
          review: 'A review that is long enough.',
        });
      expect(await everyRead()).toMatchObject({ enrollment_count: 2, review_count: 0, rating: 0 });
      await review(0, 4);
      expect(await everyRead()).toMatchObject({ rating: 4, average_rating: 4, review_count: 1, total_reviews: 1 });
      await review(1, 5);
      expect(await everyRead()).toMatchObject({ rating: 4.5, average_rating: 4.5, review_count: 2, total_reviews: 2 });
      await review(0, 2);
      expect(await everyRead()).toMatchObject({ rating: 3.5, review_count: 2 });

      // The instructor's name follows a rename, by the instructor or by an admin.
      await ok('PATCH', '/users/me', instructor, { full_name: 'Grace B. Hopper' });
      expect((await everyRead()).instructor_name).toBe('Grace B. Hopper');
      await ok('PATCH', `/users/${instructor.user.id}`, admin, { full_name: 'Rear Admiral Hopper' });
      expect((await everyRead()).instructor_name).toBe('Rear Admiral Hopper');
    });

    it('the OpenAPI schema types them as values, not nulls', () => {
      const props = doc.components.schemas.CourseResponseDto!.properties!;
      expect(props.instructor_name).toMatchObject({ type: 'string' });
      expect(props.total_lessons).toMatchObject({ type: 'integer' });
      expect(props.review_count).toMatchObject({ type: 'integer' });
      for (const key of ['rating', 'duration_hours']) expect(props[key]).toMatchObject({ type: 'number' });
      for (const key of ['instructor_name', 'rating', 'review_count', 'total_lessons', 'duration_hours']) {
        expect(props[key]).not.toHaveProperty('nullable');
      }
    });

    it('the bench floor server answers byte-identical JSON (same SQL, same row mapper)', async () => {
      const port = await new Promise<number>((resolve, reject) => {
        const probe = createServer();
        probe.once('error', reject);
        probe.listen(0, '127.0.0.1', () => {
          const address = probe.address();
          probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
        });
      });
      const floor: ChildProcess = spawn(process.execPath, [join(process.cwd(), 'test/bench/floor-server.mjs')], {
        env: { ...process.env, DATABASE_URL: t.db.url, PORT: String(port), HOST: '127.0.0.1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      try {
        await new Promise<void>((resolve, reject) => {
          let err = '';
          floor.stderr?.on('data', (d: Buffer) => (err += d.toString()));
          floor.stdout?.on('data', (d: Buffer) => d.toString().includes('floor listening') && resolve());
          floor.once('exit', (code) => reject(new Error(`floor exited (${code}): ${err}`)));
        });
        for (const path of [
          '/api/v1/courses?page=1&page_size=20',
          `/api/v1/courses/${String(course.id)}`,
          `/api/v1/courses/slug/${String(course.slug)}`,
        ]) {
          const [a, b] = await Promise.all([t.request(path), fetch(`http://127.0.0.1:${port}${path}`)]);
          expect([path, a.status, await a.text()]).toEqual([path, b.status, await b.text()]);
        }
      } finally {
        floor.kill('SIGTERM');
      }
    });
  });
});
