import { JobProducer } from '#core';
import { QUIZ_EXPIRY_SCHEDULER_ID, QuizExpiryService } from '#quizzes';
import {
  callApi,
  createActor,
  createTestApp,
  createTestDatabase,
  createTestWorker,
  ManualClock,
  type TestDatabase,
  type JsonResponse,
  type TestActor,
  type TestApp,
} from '#testing';
import { queueBackends, until } from './queue-test-utils.js';
import { seedQuizCourse, submittedEvents, type SeededQuizCourse } from './quiz-fixtures.js';

const MINUTE = 60_000;
const GRACE_MS = 10_000; // QUIZ_SUBMIT_GRACE_SECONDS default

/** tfId: the quiz's only question. */
type Seeded = SeededQuizCourse & { tfId: string };

/** A published one-lesson course, a quiz on it with one true/false question ("true", 1 point), an enrolled student. */
async function seed(
  t: TestApp,
  owner: TestActor,
  opts: { time_limit_minutes?: number | null; max_attempts?: number | null } = {},
): Promise<Seeded> {
  const s = await seedQuizCourse(t, 'time', owner, {
    settings: {
      time_limit_minutes: opts.time_limit_minutes === undefined ? 10 : opts.time_limit_minutes,
      max_attempts: opts.max_attempts ?? null,
      // the column defaults (the fixture's are false)
      shuffle_questions: true,
      shuffle_options: true,
    },
    specs: [{ type: 'true_false', points: 1, correct_answer: 'true' }],
    title: 'Timed quiz',
  });
  return { ...s, tfId: s.questions[0]!.id };
}

const attemptRow = async (t: TestApp, id: string): Promise<Record<string, unknown>> =>
  (
    await t.db.query(
      `SELECT status, score, percentage, is_passed, expired, answers, started_at, deadline_at, submitted_at, graded_at,
              time_taken_seconds FROM quiz_attempts WHERE id = $1`,
      [id],
    )
  )[0]!;

describe('quiz attempts: server-owned time', () => {
  let t: TestApp;
  const clock = new ManualClock(new Date('2031-01-15T09:00:00.000Z'));
  let owner: TestActor;

  const start = (who: TestActor, quizId: string, body?: unknown): Promise<JsonResponse> =>
    callApi(t, 'POST', `/quizzes/${quizId}/attempts`, body, who.token);
  const submit = (who: TestActor, quizId: string, attemptId: string, answers: unknown[]): Promise<JsonResponse> =>
    callApi(t, 'POST', `/quizzes/${quizId}/attempts/${attemptId}/submit`, { answers }, who.token);
  const right = (s: Seeded): unknown[] => [{ question_id: s.tfId, answer_text: 'true' }];

  beforeAll(async () => {
    // No workers: the scheduled sweep must not race the assertions below (its own suite is further down).
    t = await createTestApp({ workers: false, clock });
    owner = await createActor(t, 'instructor', 'time');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('an API without workers does not schedule the sweep', async () => {
    expect(await t.app.get(JobProducer).queue('progress').getJobScheduler(QUIZ_EXPIRY_SCHEDULER_ID)).toBeUndefined();
  });

  it('started_at and deadline_at come from the server clock; a client value is ignored', async () => {
    const s = await seed(t, owner);
    clock.set(new Date('2031-01-15T10:00:00.000Z'));
    const res = await start(s.student, s.quizId, { started_at: '2000-01-01T00:00:00.000Z', deadline_at: null });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      started_at: '2031-01-15T10:00:00.000Z',
      deadline_at: '2031-01-15T10:10:00.000Z',
      time_limit_minutes: 10,
    });
    const row = await attemptRow(t, res.body.id as string);
    expect((row.started_at as Date).toISOString()).toBe('2031-01-15T10:00:00.000Z');
    expect((row.deadline_at as Date).toISOString()).toBe('2031-01-15T10:10:00.000Z');
  });

  it('within the grace period a submit is accepted (time taken from the server clock)', async () => {
    const s = await seed(t, owner);
    const attemptId = (await start(s.student, s.quizId)).body.id as string;
    clock.advance(10 * MINUTE + GRACE_MS); // exactly deadline + grace: still accepted
    const res = await submit(s.student, s.quizId, attemptId, right(s));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'graded', score: '1.00', expired: false, time_taken_seconds: 610 });
    expect(res.body.submitted_at).toBe(clock.now().toISOString());
  });

  it('past deadline + grace: 403 time_limit_exceeded; the attempt is finalized (score 0, expired) and recorded', async () => {
    const s = await seed(t, owner);
    const started = await start(s.student, s.quizId);
    const attemptId = started.body.id as string;
    clock.advance(10 * MINUTE + GRACE_MS + 1000);
    const res = await submit(s.student, s.quizId, attemptId, right(s));
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'time_limit_exceeded', detail: 'Time limit exceeded for this attempt' });

    const row = await attemptRow(t, attemptId);
    expect(row).toMatchObject({
      status: 'graded',
      score: '0.00',
      percentage: '0.00',
      is_passed: false,
      expired: true,
      answers: [],
      time_taken_seconds: 600,
    });
    expect((row.submitted_at as Date).toISOString()).toBe(clock.now().toISOString());
    expect((row.graded_at as Date).toISOString()).toBe(clock.now().toISOString());
    const events = await submittedEvents(t, attemptId);
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toEqual({
      attempt_id: attemptId,
      quiz_id: s.quizId,
      course_id: s.courseId,
      lesson_id: s.lessonId,
      enrollment_id: s.enrollmentId,
      student_id: s.student.user.id,
      attempt_number: 1,
      status: 'graded',
      score: '0.00',
      max_score: '1.00',
      percentage: '0.00',
      is_passed: false,
      expired: true,
      submitted_at: clock.now().toISOString(),
    });
    // Nothing passed: the lesson is not completed.
    expect(await t.db.query('SELECT 1 FROM lesson_progress WHERE enrollment_id = $1', [s.enrollmentId])).toHaveLength(
      0,
    );

    const again = await submit(s.student, s.quizId, attemptId, right(s));
    expect(again.body).toMatchObject({ status: 403, code: 'attempt_already_submitted' });
    const view = await callApi(t, 'GET', `/quizzes/${s.quizId}/attempts/${attemptId}`, undefined, s.student.token);
    expect(view.body).toMatchObject({ status: 'graded', expired: true, score: '0.00', answers: [] });
  });

  it('answers are validated before the time limit: a bad answer after the deadline is 400 and changes nothing', async () => {
    const s = await seed(t, owner);
    const attemptId = (await start(s.student, s.quizId)).body.id as string;
    clock.advance(11 * MINUTE);
    const res = await submit(s.student, s.quizId, attemptId, [{ question_id: s.tfId, answer_text: 'maybe' }]);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_answer');
    expect(await attemptRow(t, attemptId)).toMatchObject({ status: 'in_progress', expired: false });
    expect(await submittedEvents(t, attemptId)).toHaveLength(0);
  });

  it('start: an in-progress attempt blocks until deadline + grace, then is finalized and attempt 2 starts', async () => {
    const s = await seed(t, owner);
    const first = (await start(s.student, s.quizId)).body.id as string;
    clock.advance(10 * MINUTE + GRACE_MS);
    const blocked = await start(s.student, s.quizId);
    expect(blocked.body).toMatchObject({ status: 403, code: 'attempt_in_progress', attempt_id: first });

    clock.advance(1000);
    const second = await start(s.student, s.quizId);
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({ attempt_number: 2, started_at: clock.now().toISOString() });
    expect(await attemptRow(t, first)).toMatchObject({ status: 'graded', expired: true, score: '0.00' });
    expect((await submittedEvents(t, first))[0]!.payload).toMatchObject({ expired: true, status: 'graded' });
  });

  it('max_attempts=1: the expired attempt is still finalized (committed) when the new start is refused', async () => {
    const s = await seed(t, owner, { max_attempts: 1 });
    const first = (await start(s.student, s.quizId)).body.id as string;
    clock.advance(20 * MINUTE);
    const res = await start(s.student, s.quizId);
    expect(res.body).toMatchObject({ status: 403, code: 'max_attempts_reached' });
    expect(await attemptRow(t, first)).toMatchObject({ status: 'graded', expired: true });
    expect(await submittedEvents(t, first)).toHaveLength(1);
  });

  it('a quiz without a time limit never expires', async () => {
    const s = await seed(t, owner, { time_limit_minutes: null });
    const attemptId = (await start(s.student, s.quizId)).body.id as string;
    clock.advance(365 * 24 * 60 * MINUTE);
    expect(await t.app.get(QuizExpiryService).sweep()).toBeGreaterThanOrEqual(0);
    const res = await submit(s.student, s.quizId, attemptId, right(s));
    expect(res.body).toMatchObject({ status: 'graded', deadline_at: null, score: '1.00' });
  });

  it('the sweep finalizes every attempt past deadline + grace (in batches), and only those', async () => {
    const expiry = t.app.get(QuizExpiryService);
    await expiry.sweep(); // leftovers of the tests above
    const base = clock.now();
    const short = await seed(t, owner, { time_limit_minutes: 5 });
    const long = await seed(t, owner, { time_limit_minutes: 30 });
    const open = await seed(t, owner, { time_limit_minutes: null });
    const shortId = (await start(short.student, short.quizId)).body.id as string;
    const longId = (await start(long.student, long.quizId)).body.id as string;
    const openId = (await start(open.student, open.quizId)).body.id as string;

    // 1100 more overdue attempts (one enrollment, one quiz per lesson): three batches of at most 500.
    const bulk = await seed(t, owner);
    await t.db.query(
      `INSERT INTO lessons (course_id, title, slug, lesson_type, order_index)
       SELECT $1, 'B' || g, 'b-' || g, 'text', g FROM generate_series(1, 1100) g`,
      [bulk.courseId],
    );
    await t.db.query(
      `INSERT INTO quizzes (course_id, lesson_id, title, time_limit_minutes, is_published)
       SELECT $1, id, 'Bulk', 1, true FROM lessons WHERE course_id = $1 AND order_index > 0`,
      [bulk.courseId],
    );
    await t.db.query(
      `INSERT INTO quiz_attempts (quiz_id, enrollment_id, student_id, attempt_number, status, started_at, deadline_at,
         max_score)
       SELECT q.id, $2, $3, 1, 'in_progress', $4, $4::timestamptz + interval '1 minute', 0
       FROM quizzes q WHERE q.course_id = $1 AND q.id <> $5`,
      [bulk.courseId, bulk.enrollmentId, bulk.student.user.id, base, bulk.quizId],
    );

    // Within the grace period of the 5-minute attempt: nothing of ours is due except the bulk ones.
    const graceOnly = new Date(base.getTime() + 5 * MINUTE + GRACE_MS);
    clock.set(graceOnly);
    expect(await expiry.sweep()).toBe(1100);
    expect((await attemptRow(t, shortId)).status).toBe('in_progress');

    clock.advance(1000);
    expect(await expiry.sweep()).toBe(1);
    expect(await attemptRow(t, shortId)).toMatchObject({ status: 'graded', expired: true, score: '0.00' });
    expect((await attemptRow(t, longId)).status).toBe('in_progress');
    expect((await attemptRow(t, openId)).status).toBe('in_progress');
    const [{ n }] = await t.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM outbox_events WHERE event_type = 'quiz.submitted' AND payload->>'course_id' = $1
         AND (payload->>'expired')::boolean`,
      [bulk.courseId],
    );
    expect(Number(n)).toBe(1100);
    expect(await submittedEvents(t, shortId)).toHaveLength(1);

    // Idempotent: nothing more is due.
    expect(await expiry.sweep()).toBe(0);
    const late = await submit(short.student, short.quizId, shortId, right(short));
    expect(late.body).toMatchObject({ status: 403, code: 'attempt_already_submitted' });
  });
});

describe.each(queueBackends())('the scheduled expiry job on $name (worker app)', ({ env }) => {
  let db: TestDatabase;
  let t: TestApp;
  let worker: Awaited<ReturnType<typeof createTestWorker>> | undefined;
  const clock = new ManualClock();

  beforeAll(async () => {
    db = await createTestDatabase();
    // The API serves HTTP only; the worker app (as in production) schedules and runs the sweep.
    t = await createTestApp({ workers: false, db, env, clock });
    worker = await createTestWorker(
      db,
      { ...env, QUIZ_EXPIRY_SWEEP_SECONDS: '1', JOB_SCHEDULER_REASSERT_SECONDS: '1' },
      clock,
    );
  });
  afterAll(async () => {
    // Leave nothing scheduled behind on a shared Redis.
    await t?.app
      .get(JobProducer)
      .queue('progress')
      .removeJobScheduler(QUIZ_EXPIRY_SCHEDULER_ID)
      .catch(() => undefined);
    await worker?.close();
    await t?.close();
    await db?.drop();
  });

  it('is registered once (every QUIZ_EXPIRY_SWEEP_SECONDS) and finalizes overdue attempts by itself', async () => {
    const queue = t.app.get(JobProducer).queue('progress');
    const scheduler = await until('the job scheduler', () => queue.getJobScheduler(QUIZ_EXPIRY_SCHEDULER_ID));
    expect(scheduler).toMatchObject({ name: 'expire-quiz-attempts', every: 1000 });
    expect((await queue.getJobSchedulers()).filter((s) => s.key === QUIZ_EXPIRY_SCHEDULER_ID)).toHaveLength(1);

    const owner = await createActor(t, 'instructor', 'sched');
    const s = await seed(t, owner, { time_limit_minutes: 1 });
    const res = await callApi(t, 'POST', `/quizzes/${s.quizId}/attempts`, undefined, s.student.token);
    expect(res.status).toBe(201);
    const attemptId = res.body.id as string;
    clock.advance(MINUTE + GRACE_MS + 1000);

    const row = await until(
      'the sweep to finalize the attempt',
      async () => {
        const r = await attemptRow(t, attemptId);
        return r.status === 'graded' ? r : undefined;
      },
      20_000,
      100,
    );
    expect(row).toMatchObject({ expired: true, score: '0.00', is_passed: false, answers: [] });
    expect(await submittedEvents(t, attemptId)).toHaveLength(1);
  });
  it('comes back by itself when the broker loses it (no restart): re-asserted every JOB_SCHEDULER_REASSERT_SECONDS', async () => {
    const queue = t.app.get(JobProducer).queue('progress');
    await until('the job scheduler', () => queue.getJobScheduler(QUIZ_EXPIRY_SCHEDULER_ID));
    // What a Redis restarted without its data, a FLUSHALL or a failover to a lagging replica does to it.
    await queue.removeJobScheduler(QUIZ_EXPIRY_SCHEDULER_ID);
    expect(await queue.getJobScheduler(QUIZ_EXPIRY_SCHEDULER_ID)).toBeUndefined();
    const back = await until('the job scheduler re-asserted', () => queue.getJobScheduler(QUIZ_EXPIRY_SCHEDULER_ID));
    expect(back).toMatchObject({ name: 'expire-quiz-attempts', every: 1000 });
  });
});
