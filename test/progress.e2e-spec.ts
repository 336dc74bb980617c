import type { Role } from '#core';
import { type User } from '#users';
import { callApi, createTestApp, type JsonResponse, type TestApp, createActor } from '#testing';
import { until } from './queue-test-utils.js';

const NO_ID = '00000000-0000-4000-8000-000000000000';

interface Actor {
  user: User;
  token: string;
}

/** Lesson progress and the enrollment summary, with in-process workers (the certificate job runs). */
describe('/enrollments progress', () => {
  let t: TestApp;
  let seq = 0;
  let admin: Actor;
  let owner: Actor;

  const makeUser = (role: Role): Promise<Actor> => createActor(t, role, 'prog');

  async function addLesson(courseId: string): Promise<string> {
    seq += 1;
    const [{ id }] = await t.db.query<{ id: string }>(
      `INSERT INTO lessons (course_id, title, slug, lesson_type, order_index)
       VALUES ($1, $2, $3, 'video', (SELECT coalesce(max(order_index), -1) + 1 FROM lessons WHERE course_id = $1))
       RETURNING id`,
      [courseId, `Lesson ${seq}`, `lesson-${seq}`],
    );
    return id;
  }

  /** A published course of `lessons` lessons and a fresh student enrolled in it. */
  async function setup(
    lessons: number,
  ): Promise<{ courseId: string; lessonIds: string[]; student: Actor; id: string }> {
    seq += 1;
    const [{ id: courseId }] = await t.db.query<{ id: string }>(
      `INSERT INTO courses (title, slug, instructor_id, is_published) VALUES ($1, $2, $3, true) RETURNING id`,
      [`Course ${seq}`, `pcourse-${seq}`, owner.user.id],
    );
    const lessonIds: string[] = [];
    for (let i = 0; i < lessons; i += 1) lessonIds.push(await addLesson(courseId));
    const student = await makeUser('student');
    const res = await callApi(t, 'POST', '/enrollments', { course_id: courseId }, student.token);
    expect(res.status).toBe(201);
    return { courseId, lessonIds, student, id: res.body.id as string };
  }

  const put = (who: Actor, id: string, lessonId: string, body: unknown): Promise<JsonResponse> =>
    callApi(t, 'PUT', `/enrollments/${id}/lessons/${lessonId}/progress`, body, who.token);
  const complete = (who: Actor, id: string, lessonId: string): Promise<JsonResponse> =>
    callApi(t, 'POST', `/enrollments/${id}/lessons/${lessonId}/complete`, undefined, who.token);

  async function enrollmentRow(id: string): Promise<Record<string, unknown>> {
    const [row] = await t.db.query(
      `SELECT status, completed_at, progress_percentage, completed_lessons_count, total_lessons_count,
              total_time_spent_seconds, last_accessed_at FROM enrollments WHERE id = $1`,
      [id],
    );
    return row!;
  }
  const completedEvents = async (id: string): Promise<Array<{ payload: Record<string, unknown> }>> =>
    t.db.query(
      "SELECT payload FROM outbox_events WHERE event_type = 'enrollment.completed' AND payload->>'enrollment_id' = $1",
      [id],
    );

  beforeAll(async () => {
    t = await createTestApp(); // workers on (as npm start): the outbox relay and the certificate job run
    admin = await makeUser('admin');
    owner = await makeUser('instructor');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('first update creates the row (rules: defaults, replaces time, notes never returned) and recomputes the summary', async () => {
    const { id, lessonIds, student } = await setup(3);
    const res = await put(student, id, lessonIds[0]!, {
      time_spent_seconds: 120,
      last_position_seconds: 30,
      completion_percentage: 40,
      notes: 'secret notes',
    });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(
      [
        'id',
        'enrollment_id',
        'lesson_id',
        'status',
        'started_at',
        'completed_at',
        'time_spent_seconds',
        'last_position_seconds',
        'completion_percentage',
      ].sort(),
    );
    expect(res.body).toMatchObject({
      enrollment_id: id,
      lesson_id: lessonIds[0],
      status: 'in_progress',
      completion_percentage: '40.00',
      time_spent_seconds: 120,
      last_position_seconds: 30,
      completed_at: null,
    });
    expect(res.body.started_at).toEqual(expect.any(String));
    const [stored] = await t.db.query('SELECT notes FROM lesson_progress WHERE id = $1', [res.body.id]);
    expect(stored!.notes).toBe('secret notes');

    // time replaces, missing fields keep stored values.
    const second = await put(student, id, lessonIds[0]!, { time_spent_seconds: 60 });
    expect(second.body).toMatchObject({
      id: res.body.id,
      time_spent_seconds: 60,
      completion_percentage: '40.00',
      last_position_seconds: 30,
      started_at: res.body.started_at,
    });
    await put(student, id, lessonIds[1]!, { time_spent_seconds: 15 });
    const row = await enrollmentRow(id);
    expect(row).toMatchObject({
      status: 'active',
      progress_percentage: '0.00',
      completed_lessons_count: 0,
      total_lessons_count: 3,
      total_time_spent_seconds: 75,
    });
    expect(row.last_accessed_at).toBeInstanceOf(Date);
  });

  it('not_started with activity becomes in_progress; without activity stays not_started', async () => {
    const { id, lessonIds, student } = await setup(2);
    const idle = await put(student, id, lessonIds[0]!, { status: 'not_started' });
    expect(idle.body).toMatchObject({ status: 'not_started', started_at: null, completion_percentage: '0.00' });
    const active = await put(student, id, lessonIds[0]!, { status: 'not_started', last_position_seconds: 3 });
    expect(active.body.status).toBe('in_progress');
    expect(active.body.started_at).toEqual(expect.any(String));
  });

  it('a completed lesson cannot be downgraded: 422 progress_downgrade, nothing changes', async () => {
    const { id, lessonIds, student } = await setup(2);
    const done = await put(student, id, lessonIds[0]!, { completion_percentage: 100 });
    expect(done.body).toMatchObject({ status: 'completed', completion_percentage: '100.00' });
    for (const status of ['in_progress', 'not_started']) {
      const res = await put(student, id, lessonIds[0]!, { status, completion_percentage: 10 });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('progress_downgrade');
    }
    const [row] = await t.db.query(
      'SELECT status, completion_percentage, completed_at FROM lesson_progress WHERE id = $1',
      [done.body.id],
    );
    expect(row).toMatchObject({ status: 'completed', completion_percentage: '100.00' });
    expect((row!.completed_at as Date).toISOString()).toBe(done.body.completed_at);
    // Without a status it stays completed (percentage back to 100), keeping its completed_at.
    const keep = await put(student, id, lessonIds[0]!, { completion_percentage: 10, time_spent_seconds: 9 });
    expect(keep.status).toBe(200);
    expect(keep.body).toMatchObject({
      status: 'completed',
      completion_percentage: '100.00',
      time_spent_seconds: 9,
      completed_at: done.body.completed_at,
    });
  });

  it('completing every lesson completes the enrollment once, records enrollment.completed, and the certificate job runs', async () => {
    const { id, lessonIds, student, courseId } = await setup(3);
    await complete(student, id, lessonIds[0]!);
    expect(await enrollmentRow(id)).toMatchObject({
      status: 'active',
      progress_percentage: '33.33',
      completed_lessons_count: 1,
    });
    await put(student, id, lessonIds[1]!, { status: 'completed' });
    expect((await enrollmentRow(id)).progress_percentage).toBe('66.67');
    expect(await completedEvents(id)).toHaveLength(0);

    const last = await complete(student, id, lessonIds[2]!);
    expect(last.status).toBe(200);
    expect(last.body).toMatchObject({ status: 'completed', completion_percentage: '100.00' });
    const row = await enrollmentRow(id);
    expect(row).toMatchObject({ status: 'completed', progress_percentage: '100.00', completed_lessons_count: 3 });
    expect(row.completed_at).toBeInstanceOf(Date);
    const events = await completedEvents(id);
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toEqual({
      enrollment_id: id,
      student_id: student.user.id,
      course_id: courseId,
      completed_at: (row.completed_at as Date).toISOString(),
    });
    const view = await callApi(t, 'GET', `/enrollments/${id}`, undefined, student.token);
    expect(view.body).toMatchObject({ status: 'completed', completed_at: (row.completed_at as Date).toISOString() });

    // Completing again (already completed) emits nothing more.
    expect((await complete(student, id, lessonIds[2]!)).status).toBe(200);
    expect(await completedEvents(id)).toHaveLength(1);

    // The worker turns the event into the enrollment's certificate.
    const certificate = await until('the certificate', async () => {
      const [r] = await t.db.query('SELECT certificate_number FROM certificates WHERE enrollment_id = $1', [id]);
      return r;
    });
    expect(certificate.certificate_number).toMatch(/^CERT-\d{8}-[0-9A-F]{6}$/);
  });

  it('a lesson added later un-completes the enrollment on the next update, and completing it again re-completes', async () => {
    const { id, lessonIds, student, courseId } = await setup(1);
    await complete(student, id, lessonIds[0]!);
    const first = await enrollmentRow(id);
    expect(first.status).toBe('completed');

    const added = await addLesson(courseId);
    await put(student, id, added, { time_spent_seconds: 10 });
    expect(await enrollmentRow(id)).toMatchObject({
      status: 'active',
      completed_at: null,
      progress_percentage: '50.00',
      completed_lessons_count: 1,
      total_lessons_count: 2,
    });

    await complete(student, id, added);
    const again = await enrollmentRow(id);
    expect(again).toMatchObject({ status: 'completed', progress_percentage: '100.00', total_lessons_count: 2 });
    expect(await completedEvents(id)).toHaveLength(2);
  });

  it('concurrent completions of the last lessons complete the enrollment exactly once', async () => {
    const { id, lessonIds, student } = await setup(6);
    const results = await Promise.all(lessonIds.map((l) => complete(student, id, l)));
    expect(results.map((r) => r.status)).toEqual(lessonIds.map(() => 200));
    expect(await enrollmentRow(id)).toMatchObject({
      status: 'completed',
      completed_lessons_count: 6,
      progress_percentage: '100.00',
    });
    expect(await completedEvents(id)).toHaveLength(1);
  });

  it('admins may update; the owning instructor, other students and anonymous may not', async () => {
    const { id, lessonIds } = await setup(1);
    expect((await put(admin, id, lessonIds[0]!, { time_spent_seconds: 1 })).status).toBe(200);
    const outsider = await makeUser('student');
    for (const who of [owner, outsider]) {
      const res = await put(who, id, lessonIds[0]!, { time_spent_seconds: 999 });
      expect(res.status).toBe(403);
      expect((await complete(who, id, lessonIds[0]!)).status).toBe(403);
    }
    expect((await callApi(t, 'PUT', `/enrollments/${id}/lessons/${lessonIds[0]}/progress`, {})).status).toBe(401);
    const [row] = await t.db.query('SELECT status, time_spent_seconds FROM lesson_progress WHERE enrollment_id = $1', [
      id,
    ]);
    expect(row).toEqual({ status: 'in_progress', time_spent_seconds: 1 });
  });

  it('404 for an unknown enrollment, and for a lesson of another course', async () => {
    const { id, student } = await setup(1);
    const other = await setup(1);
    expect((await put(student, NO_ID, other.lessonIds[0]!, {})).status).toBe(404);
    const res = await put(student, id, other.lessonIds[0]!, { time_spent_seconds: 5 });
    expect(res.status).toBe(404);
    expect(res.body.detail).toBe("Lesson not found in this enrollment's course");
    expect((await complete(student, id, NO_ID)).status).toBe(404);
    expect((await t.db.query('SELECT 1 FROM lesson_progress WHERE enrollment_id = $1', [id])).length).toBe(0);
  });

  it.each([
    ['status unknown', { status: 'done' }],
    ['negative time', { time_spent_seconds: -1 }],
    ['time > 10^7', { time_spent_seconds: 10_000_001 }],
    ['fractional time', { time_spent_seconds: 1.5 }],
    ['negative position', { last_position_seconds: -1 }],
    ['percentage > 100', { completion_percentage: 100.01 }],
    ['percentage < 0', { completion_percentage: -1 }],
    ['percentage as a non-numeric string', { completion_percentage: 'half' }],
    ['notes > 5000', { notes: 'n'.repeat(5001) }],
    ['unknown field', { progress: 5 }],
  ])('bad body (%s) → 422 problem, nothing stored', async (_label, body) => {
    const { id, lessonIds, student } = await setup(1);
    const res = await t.request(`/api/v1/enrollments/${id}/lessons/${lessonIds[0]}/progress`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${student.token}` },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(((await res.json()) as { code: string }).code).toBe('validation_failed');
    expect((await t.db.query('SELECT 1 FROM lesson_progress WHERE enrollment_id = $1', [id])).length).toBe(0);
    expect((await enrollmentRow(id)).last_accessed_at).toBeNull();
  });
});
