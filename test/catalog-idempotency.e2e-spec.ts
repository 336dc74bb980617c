import { AuthTokensService } from '#auth';
import type { Role } from '#core';
import { UsersService } from '#users';
import { createTestApp, type TestApp } from '#testing';

/** Idempotency-Key on the real creating endpoints: POST /courses and POST /enrollments. */
describe('Idempotency-Key on course creation and enrollment', () => {
  let t: TestApp;
  let instructor: string;
  let student: string;

  async function token(role: Role, email: string): Promise<string> {
    const user = await t.app.get(UsersService).create({
      email,
      password: 'correct-horse-battery',
      fullName: role,
      role,
      emailVerified: true,
    });
    return (await t.app.get(AuthTokensService).issue(user)).access_token;
  }

  const post = (path: string, tokenValue: string, body: unknown, key?: string): Promise<Response> =>
    t.request(`/api/v1${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${tokenValue}`,
        ...(key ? { 'idempotency-key': key } : {}),
      },
      body: JSON.stringify(body),
    });

  const count = async (sql: string, params: unknown[] = []): Promise<number> =>
    Number((await t.db.query<{ n: string }>(sql, params))[0]!.n);

  beforeAll(async () => {
    t = await createTestApp();
    instructor = await token('instructor', 'idem-instructor@example.com');
    student = await token('student', 'idem-student@example.com');
  });

  afterAll(async () => {
    await t?.close();
  });

  it('replays a course creation retried with the same key and body; one course exists', async () => {
    const body = { title: 'Idempotent Course', description: 'Created once' };
    const first = await post('/courses', instructor, body, 'course-key-1');
    expect(first.status).toBe(201);
    const created = (await first.json()) as { id: string };
    const retry = await post('/courses', instructor, body, 'course-key-1');
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(((await retry.json()) as { id: string }).id).toBe(created.id);
    expect(await count("SELECT count(*) AS n FROM courses WHERE title = 'Idempotent Course'")).toBe(1);
  });

  it('refuses the same key with another body (422) and creates nothing', async () => {
    await post('/courses', instructor, { title: 'Key Owner' }, 'course-key-2');
    const other = await post('/courses', instructor, { title: 'Different Course' }, 'course-key-2');
    expect(other.status).toBe(422);
    expect(((await other.json()) as { code: string }).code).toBe('idempotency_key_reused');
    expect(await count("SELECT count(*) AS n FROM courses WHERE title = 'Different Course'")).toBe(0);
  });

  it('replays an enrollment with its original 201, while a keyless repeat answers 200', async () => {
    const [{ id: courseId }] = await t.db.query<{ id: string }>(
      `INSERT INTO courses (title, slug, instructor_id, is_published)
       SELECT 'Enroll Me', 'enroll-me', id, true FROM users WHERE email = 'idem-instructor@example.com' RETURNING id`,
    );
    const first = await post('/enrollments', student, { course_id: courseId }, 'enroll-key-1');
    expect(first.status).toBe(201);
    const enrollment = (await first.json()) as { id: string };
    const replay = await post('/enrollments', student, { course_id: courseId }, 'enroll-key-1');
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(((await replay.json()) as { id: string }).id).toBe(enrollment.id);
    const repeat = await post('/enrollments', student, { course_id: courseId });
    expect(repeat.status).toBe(200);
    expect(await count('SELECT count(*) AS n FROM enrollments WHERE course_id = $1', [courseId])).toBe(1);
    expect(
      await count(
        "SELECT count(*) AS n FROM outbox_events WHERE event_type = 'enrollment.created' AND payload->>'course_id' = $1",
        [courseId],
      ),
    ).toBe(1);
  });
});
