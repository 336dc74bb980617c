import { AuthTokensService } from '#auth';
import type { Role } from '#core';
import { MY_COURSES_SQL } from '#enrollments';
import { UsersService, type User } from '#users';
import { callApi, createTestApp, type JsonResponse, type TestApp, createActor } from '#testing';

const NO_ID = '00000000-0000-4000-8000-000000000000';

interface Actor {
  user: User;
  token: string;
}

describe('/enrollments', () => {
  let t: TestApp;
  let seq = 0;
  let admin: Actor;
  let owner: Actor; // instructor who owns the courses below
  let otherInstructor: Actor;
  let student: Actor;
  let otherStudent: Actor;

  const makeUser = (role: Role): Promise<Actor> => createActor(t, role, 'enr');

  async function makeCourse(opts: { published?: boolean; lessons?: number; instructor?: Actor } = {}): Promise<string> {
    seq += 1;
    const [{ id }] = await t.db.query<{ id: string }>(
      `INSERT INTO courses (title, slug, instructor_id, is_published) VALUES ($1, $2, $3, $4) RETURNING id`,
      [`Course ${seq}`, `course-${seq}`, (opts.instructor ?? owner).user.id, opts.published ?? true],
    );
    for (let i = 0; i < (opts.lessons ?? 2); i += 1) {
      await t.db.query(
        `INSERT INTO lessons (course_id, title, slug, lesson_type, order_index) VALUES ($1, $2, $3, 'text', $4)`,
        [id, `Lesson ${i}`, `lesson-${i}`, i],
      );
    }
    return id;
  }

  const api = (method: string, path: string, who?: Actor, body?: unknown): Promise<JsonResponse> =>
    callApi(t, method, path, body, who?.token);

  async function enroll(who: Actor, courseId: string): Promise<JsonResponse> {
    return api('POST', '/enrollments', who, { course_id: courseId });
  }

  const count = async (sql: string, params: unknown[] = []): Promise<number> =>
    Number((await t.db.query<{ n: string }>(sql, params))[0]!.n);

  beforeAll(async () => {
    t = await createTestApp({ workers: false });
    admin = await makeUser('admin');
    owner = await makeUser('instructor');
    otherInstructor = await makeUser('instructor');
    student = await makeUser('student');
    otherStudent = await makeUser('student');
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('POST /enrollments', () => {
    it('enrolls a student: 201, active, 0.00, started_at = enrolled_at, lessons counted, one outbox event', async () => {
      const courseId = await makeCourse({ lessons: 3 });
      const res = await enroll(student, courseId);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        student_id: student.user.id,
        course_id: courseId,
        status: 'active',
        progress_percentage: '0.00',
        completed_lessons_count: 0,
        total_lessons_count: 3,
        total_time_spent_seconds: 0,
        completed_at: null,
        certificate_issued_at: null,
        rating: null,
        review: null,
      });
      expect(res.body.started_at).toBe(res.body.enrolled_at);
      expect(Object.keys(res.body).sort()).toEqual(
        [
          'id',
          'student_id',
          'course_id',
          'enrolled_at',
          'started_at',
          'completed_at',
          'status',
          'progress_percentage',
          'completed_lessons_count',
          'total_lessons_count',
          'total_time_spent_seconds',
          'last_accessed_at',
          'certificate_issued_at',
          'rating',
          'review',
        ].sort(),
      );
      const events = await t.db.query<{ payload: Record<string, unknown> }>(
        "SELECT payload FROM outbox_events WHERE event_type = 'enrollment.created' AND payload->>'course_id' = $1",
        [courseId],
      );
      expect(events).toHaveLength(1);
      expect(events[0]!.payload).toEqual({
        enrollment_id: res.body.id,
        student_id: student.user.id,
        course_id: courseId,
        status: 'active',
        enrolled_at: res.body.enrolled_at,
      });
      expect(await count('SELECT enrollment_count AS n FROM courses WHERE id = $1', [courseId])).toBe(1);

      // A repeat is 200 with the same enrollment and no new event.
      const again = await enroll(student, courseId);
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(res.body.id);
      expect(
        await count(
          "SELECT count(*) AS n FROM outbox_events WHERE event_type = 'enrollment.created' AND payload->>'course_id' = $1",
          [courseId],
        ),
      ).toBe(1);
    });

    it('is exactly-once under 20 concurrent requests: one row, one 201, nineteen 200, one event', async () => {
      const courseId = await makeCourse();
      const results = await Promise.all(Array.from({ length: 20 }, () => enroll(otherStudent, courseId)));
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 200)).toHaveLength(19);
      expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
      expect(
        await count('SELECT count(*) AS n FROM enrollments WHERE student_id = $1 AND course_id = $2', [
          otherStudent.user.id,
          courseId,
        ]),
      ).toBe(1);
      expect(
        await count(
          "SELECT count(*) AS n FROM outbox_events WHERE event_type = 'enrollment.created' AND payload->>'course_id' = $1",
          [courseId],
        ),
      ).toBe(1);
      expect(await count('SELECT enrollment_count AS n FROM courses WHERE id = $1', [courseId])).toBe(1);
    });

    it('admins may enroll; instructors get 403 "Only students can enroll"; anonymous 401', async () => {
      const courseId = await makeCourse();
      expect((await enroll(admin, courseId)).status).toBe(201);
      for (const who of [owner, otherInstructor]) {
        const res = await enroll(who, courseId);
        expect(res.status).toBe(403);
        expect(res.body).toMatchObject({ code: 'forbidden', detail: 'Only students can enroll' });
      }
      expect((await api('POST', '/enrollments', undefined, { course_id: courseId })).status).toBe(401);
      expect(await count('SELECT count(*) AS n FROM enrollments WHERE course_id = $1', [courseId])).toBe(1);
    });

    it('unknown course → 404; unpublished → 403 course_not_published and no row', async () => {
      const missing = await enroll(student, NO_ID);
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe('not_found');
      const draft = await makeCourse({ published: false });
      const res = await enroll(student, draft);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('course_not_published');
      expect(await count('SELECT count(*) AS n FROM enrollments WHERE course_id = $1', [draft])).toBe(0);
      expect(await count("SELECT count(*) AS n FROM outbox_events WHERE payload->>'course_id' = $1", [draft])).toBe(0);
    });

    it('prerequisites: every one must be completed; the missing ids are listed', async () => {
      const pre1 = await makeCourse();
      const pre2 = await makeCourse();
      const target = await makeCourse();
      await t.db.query(
        'INSERT INTO course_prerequisites (course_id, prerequisite_course_id) VALUES ($1, $2), ($1, $3)',
        [target, pre1, pre2],
      );
      const me = await makeUser('student');

      const none = await enroll(me, target);
      expect(none.status).toBe(403);
      expect(none.body.code).toBe('prerequisites_not_met');
      expect((none.body.missing_course_ids as string[]).slice().sort()).toEqual([pre1, pre2].sort());

      // Enrolled (but not completed) in pre1, completed pre2: pre1 is still missing.
      expect((await enroll(me, pre1)).status).toBe(201);
      expect((await enroll(me, pre2)).status).toBe(201);
      await t.db.query(
        "UPDATE enrollments SET status = 'completed', completed_at = now() WHERE student_id = $1 AND course_id = $2",
        [me.user.id, pre2],
      );
      const one = await enroll(me, target);
      expect(one.status).toBe(403);
      expect(one.body.missing_course_ids).toEqual([pre1]);
      expect(
        await count('SELECT count(*) AS n FROM enrollments WHERE student_id = $1 AND course_id = $2', [
          me.user.id,
          target,
        ]),
      ).toBe(0);

      // Another student's completion does not count.
      await t.db.query(
        "UPDATE enrollments SET status = 'completed', completed_at = now() WHERE student_id = $1 AND course_id = $2",
        [me.user.id, pre1],
      );
      const other = await makeUser('student');
      expect((await enroll(other, target)).status).toBe(403);

      expect((await enroll(me, target)).status).toBe(201);
    });

    it.each([[{ course_id: 'not-a-uuid' }], [{}], [{ course_id: NO_ID, extra: 1 }], [{ course_id: 42 }]])(
      'bad body %p → 422 problem, no row',
      async (body) => {
        const before = await count('SELECT count(*) AS n FROM enrollments');
        const res = await t.request('/api/v1/enrollments', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${student.token}` },
          body: JSON.stringify(body),
        });
        expect(res.status).toBe(422);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
        expect(((await res.json()) as { code: string }).code).toBe('validation_failed');
        expect(await count('SELECT count(*) AS n FROM enrollments')).toBe(before);
      },
    );
  });

  describe('reading', () => {
    let courseId: string;
    let enrollmentId: string;

    beforeAll(async () => {
      courseId = await makeCourse();
      enrollmentId = (await enroll(student, courseId)).body.id as string;
    });

    it('GET /enrollments/{id}: owner, course manager, admin; others 403; 404; anonymous 401', async () => {
      for (const who of [student, owner, admin]) {
        const res = await api('GET', `/enrollments/${enrollmentId}`, who);
        expect(res.status).toBe(200);
        expect(res.body.id).toBe(enrollmentId);
      }
      for (const who of [otherStudent, otherInstructor]) {
        const res = await api('GET', `/enrollments/${enrollmentId}`, who);
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('forbidden');
      }
      expect((await api('GET', `/enrollments/${NO_ID}`, admin)).status).toBe(404);
      expect((await api('GET', `/enrollments/${enrollmentId}`)).status).toBe(401);
      const bad = await api('GET', '/enrollments/nope', admin);
      expect(bad.status).toBe(422);
      expect(bad.body.code).toBe('validation_failed');
    });

    it('GET /enrollments/my-courses: only mine, newest first, paginated', async () => {
      const me = await makeUser('student');
      const ids: string[] = [];
      for (let i = 0; i < 3; i += 1) ids.push((await enroll(me, await makeCourse({ lessons: 0 }))).body.id as string);
      const page1 = await api('GET', '/enrollments/my-courses?page=1&page_size=2', me);
      expect(page1.status).toBe(200);
      expect(page1.body).toMatchObject({ total: 3, page: 1, page_size: 2, total_pages: 2 });
      expect((page1.body.items as Array<{ id: string }>).map((e) => e.id)).toEqual([ids[2], ids[1]]);
      const page2 = await api('GET', '/enrollments/my-courses?page=2&page_size=2', me);
      expect((page2.body.items as Array<{ id: string }>).map((e) => e.id)).toEqual([ids[0]]);
      // Any role; an instructor simply has none.
      const inst = await api('GET', '/enrollments/my-courses', owner);
      expect(inst.body).toMatchObject({ items: [], total: 0, page: 1, page_size: 20, total_pages: 0 });
      expect((await api('GET', '/enrollments/my-courses')).status).toBe(401);
    });

    it.each(['page_size=0', 'page_size=101', 'page_size=abc', 'page=0', 'unknown=1'])(
      'my-courses and course enrollments ?%s → 422 problem',
      async (qs) => {
        for (const path of ['/enrollments/my-courses', `/enrollments/courses/${courseId}`]) {
          const res = await t.request(`/api/v1${path}?${qs}`, { headers: { authorization: `Bearer ${admin.token}` } });
          expect(res.status).toBe(422);
          expect(res.headers.get('content-type')).toContain('application/problem+json');
        }
      },
    );

    it('course enrollments and stats: manager (owner, admin) only; 404; 401', async () => {
      for (const who of [owner, admin]) {
        const list = await api('GET', `/enrollments/courses/${courseId}`, who);
        expect(list.status).toBe(200);
        expect(list.body).toMatchObject({ total: 1, page: 1, page_size: 20, total_pages: 1 });
        expect((list.body.items as Array<{ id: string }>)[0]!.id).toBe(enrollmentId);
        const stats = await api('GET', `/enrollments/courses/${courseId}/stats`, who);
        expect(stats.status).toBe(200);
        expect(stats.body).toEqual({
          course_id: courseId,
          total_enrollments: 1,
          active_enrollments: 1,
          completed_enrollments: 0,
          average_progress: '0.00',
        });
      }
      for (const who of [student, otherStudent, otherInstructor]) {
        expect((await api('GET', `/enrollments/courses/${courseId}`, who)).status).toBe(403);
        expect((await api('GET', `/enrollments/courses/${courseId}/stats`, who)).status).toBe(403);
      }
      expect((await api('GET', `/enrollments/courses/${courseId}`)).status).toBe(401);
      expect((await api('GET', `/enrollments/courses/${courseId}/stats`)).status).toBe(401);
      expect((await api('GET', `/enrollments/courses/${NO_ID}`, admin)).status).toBe(404);
      expect((await api('GET', `/enrollments/courses/${NO_ID}/stats`, admin)).status).toBe(404);
      expect((await api('GET', '/enrollments/courses/xyz/stats', admin)).status).toBe(422);
    });

    it('stats: counts by status and the average progress (2 dp string)', async () => {
      const c = await makeCourse({ lessons: 0 });
      const a = await makeUser('student');
      const b = await makeUser('student');
      const c3 = await makeUser('student');
      for (const who of [a, b, c3]) await enroll(who, c);
      await t.db.query(
        `UPDATE enrollments SET progress_percentage = 100, status = 'completed' WHERE course_id = $1 AND student_id = $2`,
        [c, a.user.id],
      );
      await t.db.query(`UPDATE enrollments SET progress_percentage = 33.33 WHERE course_id = $1 AND student_id = $2`, [
        c,
        b.user.id,
      ]);
      const stats = await api('GET', `/enrollments/courses/${c}/stats`, owner);
      expect(stats.body).toEqual({
        course_id: c,
        total_enrollments: 3,
        active_enrollments: 2,
        completed_enrollments: 1,
        average_progress: '44.44',
      });
    });
  });

  describe('role × route matrix (anonymous, non-owners)', () => {
    let enrollmentId: string;
    let lessonId: string;
    let courseId: string;

    beforeAll(async () => {
      courseId = await makeCourse();
      enrollmentId = (await enroll(student, courseId)).body.id as string;
      lessonId = (
        await t.db.query<{ id: string }>('SELECT id FROM lessons WHERE course_id = $1 LIMIT 1', [courseId])
      )[0]!.id;
    });

    const routes = (): Array<[string, string, unknown]> => [
      ['POST', '/enrollments', { course_id: courseId }],
      ['GET', '/enrollments/my-courses', undefined],
      ['GET', `/enrollments/${enrollmentId}`, undefined],
      ['PUT', `/enrollments/${enrollmentId}/lessons/${lessonId}/progress`, { time_spent_seconds: 5 }],
      ['POST', `/enrollments/${enrollmentId}/lessons/${lessonId}/complete`, undefined],
      ['POST', `/enrollments/${enrollmentId}/review`, { rating: 5, review: 'Great course, really.' }],
      ['GET', `/enrollments/courses/${courseId}`, undefined],
      ['GET', `/enrollments/courses/${courseId}/stats`, undefined],
    ];

    it('every route is 401 problem+json for anonymous callers', async () => {
      for (const [method, path, body] of routes()) {
        const res = await t.request(`/api/v1${path}`, {
          method,
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        expect([method, path, res.status]).toEqual([method, path, 401]);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
      }
    });

    it('write routes on an enrollment: other student, other instructor and the owning instructor get 403; nothing changes', async () => {
      const writes = routes().filter(([m, p]) => m !== 'GET' && p !== '/enrollments');
      for (const who of [otherStudent, otherInstructor, owner]) {
        for (const [method, path, body] of writes) {
          const res = await api(method, path, who, body);
          expect([who.user.email, method, path, res.status]).toEqual([who.user.email, method, path, 403]);
        }
      }
      expect(await count('SELECT count(*) AS n FROM lesson_progress WHERE enrollment_id = $1', [enrollmentId])).toBe(0);
      const [row] = await t.db.query('SELECT rating, last_accessed_at FROM enrollments WHERE id = $1', [enrollmentId]);
      expect(row).toEqual({ rating: null, last_accessed_at: null });
    });

    it('non-UUID path parameters are 422 on every enrollment route', async () => {
      const bad: Array<[string, string, unknown]> = [
        ['GET', '/enrollments/x', undefined],
        ['PUT', `/enrollments/x/lessons/${lessonId}/progress`, {}],
        ['PUT', `/enrollments/${enrollmentId}/lessons/x/progress`, {}],
        ['POST', `/enrollments/${enrollmentId}/lessons/x/complete`, undefined],
        ['POST', '/enrollments/x/review', { rating: 5, review: 'Great course, really.' }],
        ['GET', '/enrollments/courses/x', undefined],
      ];
      for (const [method, path, body] of bad) {
        const res = await api(method, path, admin, body);
        expect([method, path, res.status, res.body.code]).toEqual([method, path, 422, 'validation_failed']);
      }
    });
  });

  describe('POST /enrollments/{id}/review', () => {
    let courseId: string;
    let enrollmentId: string;
    let lessons: string[];
    const good = { rating: 4, review: 'Clear and well paced.' };

    beforeAll(async () => {
      courseId = await makeCourse({ lessons: 5 });
      lessons = (
        await t.db.query<{ id: string }>('SELECT id FROM lessons WHERE course_id = $1 ORDER BY order_index', [courseId])
      ).map((r) => r.id);
      enrollmentId = (await enroll(student, courseId)).body.id as string;
    });

    it('below 20% progress → 403 review_not_allowed', async () => {
      const res = await api('POST', `/enrollments/${enrollmentId}/review`, student, good);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('review_not_allowed');
      const [row] = await t.db.query('SELECT rating FROM enrollments WHERE id = $1', [enrollmentId]);
      expect(row!.rating).toBeNull();
    });

    it.each([
      ['rating 0', { rating: 0, review: 'Long enough text' }],
      ['rating 6', { rating: 6, review: 'Long enough text' }],
      ['rating 4.5', { rating: 4.5, review: 'Long enough text' }],
      ['review < 10 chars', { rating: 4, review: 'short' }],
      ['review > 2000 chars', { rating: 4, review: 'x'.repeat(2001) }],
      ['no review', { rating: 4 }],
      ['unknown field', { rating: 4, review: 'Long enough text', extra: true }],
    ])('bad body (%s) → 422', async (_label, body) => {
      const res = await api('POST', `/enrollments/${enrollmentId}/review`, student, body);
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('validation_failed');
    });

    it('at 20%: the owner reviews (200 EnrollmentResponse), a new review overwrites, the course rating follows', async () => {
      const done = await api('POST', `/enrollments/${enrollmentId}/lessons/${lessons[0]}/complete`, student);
      expect(done.status).toBe(200);
      const res = await api('POST', `/enrollments/${enrollmentId}/review`, student, good);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id: enrollmentId,
        rating: 4,
        review: good.review,
        progress_percentage: '20.00',
      });

      // A second student rates 1; then the first overwrites with 5.
      const other = await makeUser('student');
      const otherId = (await enroll(other, courseId)).body.id as string;
      await api('POST', `/enrollments/${otherId}/lessons/${lessons[0]}/complete`, other);
      expect(
        (await api('POST', `/enrollments/${otherId}/review`, other, { rating: 1, review: 'Not for me at all.' }))
          .status,
      ).toBe(200);
      let [course] = await t.db.query('SELECT average_rating, total_reviews FROM courses WHERE id = $1', [courseId]);
      expect(course).toEqual({ average_rating: '2.50', total_reviews: 2 });

      const again = await api('POST', `/enrollments/${enrollmentId}/review`, admin, {
        rating: 5,
        review: 'Even better the second time.',
      });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ rating: 5, review: 'Even better the second time.' });
      [course] = await t.db.query('SELECT average_rating, total_reviews FROM courses WHERE id = $1', [courseId]);
      expect(course).toEqual({ average_rating: '3.00', total_reviews: 2 });
    });

    it('404 for an unknown enrollment', async () => {
      expect((await api('POST', `/enrollments/${NO_ID}/review`, admin, good)).status).toBe(404);
    });
  });

  it('my-courses uses idx_enrollments_student_enrolled (no Seq Scan on enrollments)', async () => {
    const prefix = `seed${Date.now().toString(36)}`;
    await t.db.query(
      `INSERT INTO users (email, password_hash, full_name, role, email_verified_at)
       SELECT $1 || g || '@example.com', 'x', 'Seed ' || g, 'student', now() FROM generate_series(1, 40) g`,
      [prefix],
    );
    await t.db.query(
      `INSERT INTO courses (title, slug, instructor_id, is_published)
       SELECT 'Seed ' || g, $1 || '-' || g, $2, true FROM generate_series(1, 100) g`,
      [prefix, owner.user.id],
    );
    await t.db.query(
      `INSERT INTO enrollments (student_id, course_id, enrolled_at)
       SELECT u.id, c.id, now() - (random() * interval '300 days')
       FROM users u CROSS JOIN courses c WHERE u.email LIKE $1 AND c.slug LIKE $2`,
      [`${prefix}%`, `${prefix}-%`],
    );
    expect(await count('SELECT count(*) AS n FROM enrollments')).toBeGreaterThanOrEqual(4000);
    await t.db.query('ANALYZE enrollments');
    const [{ id }] = await t.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [
      `${prefix}7@example.com`,
    ]);
    const plan = (await t.db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${MY_COURSES_SQL}`, [id, 20, 20]))
      .map((r) => r['QUERY PLAN'])
      .join('\n');
    expect(plan).toContain('idx_enrollments_student_enrolled');
    expect(plan).not.toMatch(/Seq Scan on enrollments/);

    // And the endpoint serves that query.
    const tokenUser = await t.app.get(UsersService).findById(id);
    const token = (await t.app.get(AuthTokensService).issue(tokenUser!)).access_token;
    const res = await callApi(t, 'GET', '/enrollments/my-courses?page=2&page_size=20', undefined, token);
    expect(res.body).toMatchObject({ total: 100, page: 2, page_size: 20, total_pages: 5 });
    const items = res.body.items as Array<{ enrolled_at: string }>;
    expect(items).toHaveLength(20);
    const times = items.map((e) => Date.parse(e.enrolled_at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });
});
