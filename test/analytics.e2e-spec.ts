// Analytics end to end: every figure against a small hand-computed fixture (rollups kept by the
// triggers), the 30-day window edges (ManualClock), item analysis on a known distribution, the
// gradebook CSV (escaping, revoked certificates, streaming 50,000 rows in bounded memory), the
// permission matrix, and the query plans of the routes.
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ANALYTICS_SQL } from '#analytics';
import { callApi, createActor, createTestApp, ManualClock, type TestActor, type TestApp } from '#testing';

const NOW = new Date('2026-12-15T12:00:00Z');
const DAY = 86_400_000;

describe('analytics', () => {
  let t: TestApp;
  const clock = new ManualClock(NOW);
  let admin: TestActor;
  let owner: TestActor;
  let other: TestActor;
  let s1: TestActor;
  let s2: TestActor;
  let s3: TestActor;
  let courseId: string;
  let emptyCourseId: string;
  let lessons: string[];
  let quizId: string;
  const enr: Record<string, string> = {};
  let seq = 0;

  const q = <T extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params: unknown[] = [],
  ): Promise<T[]> => t.db.query<T>(sql, params);
  const api = (path: string, who?: TestActor): ReturnType<typeof callApi> =>
    callApi(t, 'GET', `/analytics${path}`, undefined, who?.token);

  async function course(instructor: TestActor, title = `Course ${++seq}`): Promise<string> {
    const [{ id }] = await q<{ id: string }>(
      `INSERT INTO courses (title, slug, instructor_id, is_published) VALUES ($1, $2, $3, true) RETURNING id`,
      [title, `an-${seq}-${randomUUID()}`, instructor.user.id],
    );
    return id;
  }

  async function enroll(
    student: TestActor,
    cid: string,
    f: { status?: string; progress?: number; time?: number; lessons?: number; at?: Date; completedAt?: Date | null },
  ): Promise<string> {
    const [{ id }] = await q<{ id: string }>(
      `INSERT INTO enrollments (student_id, course_id, status, progress_percentage, total_time_spent_seconds,
         completed_lessons_count, total_lessons_count, enrolled_at, completed_at)
       VALUES ($1, $2, $3, $4, $5, $6, 3, $7, $8) RETURNING id`,
      [
        student.user.id,
        cid,
        f.status ?? 'active',
        f.progress ?? 0,
        f.time ?? 0,
        f.lessons ?? 0,
        f.at ?? new Date(NOW.getTime() - 5 * DAY),
        f.completedAt ?? null,
      ],
    );
    return id;
  }

  async function progress(e: string, lesson: string, status: string, time: number, at: Date): Promise<void> {
    await q(
      `INSERT INTO lesson_progress (enrollment_id, lesson_id, status, time_spent_seconds, completed_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [e, lesson, status, time, status === 'completed' ? at : null, at],
    );
  }

  /** A graded (or submitted, awaiting grading) attempt with the given answers. */
  async function attempt(
    e: string,
    student: TestActor,
    qid: string,
    n: number,
    score: number | null,
    answers: unknown[],
    opts: { status?: string; passed?: boolean; at?: Date } = {},
  ): Promise<void> {
    const at = opts.at ?? new Date(NOW.getTime() - DAY);
    await q(
      `INSERT INTO quiz_attempts (quiz_id, enrollment_id, student_id, attempt_number, status, started_at, submitted_at,
         score, max_score, is_passed, answers)
       VALUES ($1, $2, $3, $4, $5, $6, $6, $7, 10, $8, $9)`,
      [qid, e, student.user.id, n, opts.status ?? 'graded', at, score, opts.passed ?? null, JSON.stringify(answers)],
    );
  }

  beforeAll(async () => {
    t = await createTestApp({ clock, workers: false });
    admin = await createActor(t, 'admin', 'an');
    owner = await createActor(t, 'instructor', 'an-owner');
    other = await createActor(t, 'instructor', 'an-other');
    s1 = await createActor(t, 'student', 'an1');
    s2 = await createActor(t, 'student', 'an2');
    s3 = await createActor(t, 'student', 'an3');
    courseId = await course(owner, 'Fixture course');
    emptyCourseId = await course(owner, 'Empty course');
    lessons = [];
    for (let i = 0; i < 3; i++) {
      const [{ id }] = await q<{ id: string }>(
        `INSERT INTO lessons (course_id, title, slug, lesson_type, order_index) VALUES ($1, $2, $3, 'text', $4) RETURNING id`,
        [courseId, `Lesson ${i}`, `lesson-${i}`, i],
      );
      lessons.push(id);
    }
    // s1 completed (100 %, 2 h), s2 active (50 %, 1 h), s3 dropped (0 %, 0 s).
    enr.s1 = await enroll(s1, courseId, {
      status: 'completed',
      progress: 100,
      time: 7200,
      lessons: 3,
      completedAt: new Date(NOW.getTime() - 2 * DAY),
    });
    enr.s2 = await enroll(s2, courseId, {
      progress: 50,
      time: 3600,
      lessons: 1,
      at: new Date(NOW.getTime() - 2 * DAY),
    });
    enr.s3 = await enroll(s3, courseId, { status: 'dropped', at: new Date(NOW.getTime() - 4 * DAY) });
    // Lesson 0: s1 completed 100 s, s2 completed 60 s, s3 in progress 30 s → median 60.
    // Lesson 1: s1 completed 200 s, s2 in progress 50 s → median (50 + 200) / 2 = 125.
    // Lesson 2: s1 completed 90 s; s2 not started.
    const d1 = new Date(NOW.getTime() - DAY);
    await progress(enr.s1, lessons[0]!, 'completed', 100, d1);
    await progress(enr.s2, lessons[0]!, 'completed', 60, d1);
    await progress(enr.s3, lessons[0]!, 'in_progress', 30, d1);
    await progress(enr.s1, lessons[1]!, 'completed', 200, d1);
    await progress(enr.s2, lessons[1]!, 'in_progress', 50, d1);
    await progress(enr.s1, lessons[2]!, 'completed', 90, d1);
    await progress(enr.s2, lessons[2]!, 'not_started', 0, d1);
    const [{ id }] = await q<{ id: string }>(
      `INSERT INTO quizzes (course_id, lesson_id, title, is_published) VALUES ($1, $2, '=Quiz, "one"', true) RETURNING id`,
      [courseId, lessons[0]],
    );
    quizId = id;
  });

  afterAll(async () => {
    await t?.close();
  });

  describe('reference figures', () => {
    it('my-progress: graded attempts only, mean raw score in points', async () => {
      // s1: graded 8 (passed) and 6 (failed); a pending essay attempt is left out.
      await attempt(enr.s1, s1, quizId, 1, 8, [], { passed: true });
      await attempt(enr.s1, s1, quizId, 2, 6, [], { passed: false });
      await attempt(enr.s1, s1, quizId, 3, null, [], { status: 'submitted' });
      const other2 = await course(other);
      await enroll(s1, other2, { progress: 33.335, time: 1800, lessons: 1 });
      const r = await api('/my-progress', s1);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        student_id: s1.user.id,
        total_enrollments: 2,
        active_enrollments: 1,
        completed_enrollments: 1,
        // (100 + 33.34) / 2 = 66.67 (numeric(5,2) stores 33.34)
        average_progress: '66.67',
        // (7200 + 1800) / 3600
        total_time_hours: '2.50',
        total_lessons_completed: 4,
        quizzes_taken: 2,
        quizzes_passed: 1,
        average_quiz_score: '7.00',
      });
    });

    it('my-progress of a user without anything: zeros as "0.00"', async () => {
      const r = await api('/my-progress', other);
      expect(r.body).toMatchObject({ total_enrollments: 0, average_progress: '0.00', average_quiz_score: '0.00' });
    });

    it('my-dashboard: courses newest first and the 30-day window edges', async () => {
      // Exactly 30 days ago is in; a millisecond earlier is out; the future (after now) is out.
      const edge = new Date(NOW.getTime() - 30 * DAY);
      const [{ id: lp }] = await q<{ id: string }>(
        `INSERT INTO lessons (course_id, title, slug, lesson_type, order_index) VALUES ($1, 'Edge', 'edge', 'text', 9) RETURNING id`,
        [courseId],
      );
      const [{ id: lp2 }] = await q<{ id: string }>(
        `INSERT INTO lessons (course_id, title, slug, lesson_type, order_index) VALUES ($1, 'Out', 'out', 'text', 10) RETURNING id`,
        [courseId],
      );
      await progress(enr.s2, lp, 'completed', 120, edge);
      await progress(enr.s2, lp2, 'completed', 60, new Date(edge.getTime() - 1));
      const r = await api('/my-dashboard', s2);
      expect(r.status).toBe(200);
      const body = r.body as { recent_activity: unknown[]; courses: Array<Record<string, unknown>> };
      expect(body.recent_activity).toEqual([
        { date: '2026-12-14', lessons_completed: 1, time_spent_minutes: '1.83', quizzes_taken: 0 },
        { date: '2026-11-15', lessons_completed: 1, time_spent_minutes: '2.00', quizzes_taken: 0 },
      ]);
      expect(body.courses).toEqual([
        {
          course_id: courseId,
          course_title: 'Fixture course',
          progress_percentage: '50.00',
          completed_lessons: 1,
          total_lessons: 3,
          time_spent_hours: '1.00',
          quizzes_completed: 0,
          average_quiz_score: '0.00',
        },
      ]);
      // Moving the clock a millisecond on drops the edge day.
      clock.advance(1);
      const later = (await api('/my-dashboard', s2)).body as { recent_activity: Array<{ date: string }> };
      expect(later.recent_activity.map((d) => d.date)).toEqual(['2026-12-14']);
      clock.set(NOW);
      await q('DELETE FROM lessons WHERE id = ANY($1)', [[lp, lp2]]);
    });

    it('course analytics from the rollups; an empty course is all zeros', async () => {
      await q(`UPDATE courses SET average_rating = 4.5, total_reviews = 2 WHERE id = $1`, [courseId]);
      const r = await api(`/courses/${courseId}`, owner);
      expect(r.body).toEqual({
        course_id: courseId,
        course_title: 'Fixture course',
        total_enrollments: 3,
        active_students: 1,
        completed_students: 1,
        completion_rate: '33.33',
        average_progress: '50.00',
        average_time_hours: '1.00',
        average_rating: '4.50',
        total_reviews: 2,
      });
      expect((await api(`/courses/${emptyCourseId}`, admin)).body).toMatchObject({
        total_enrollments: 0,
        completion_rate: '0.00',
        average_progress: '0.00',
        average_time_hours: '0.00',
        average_rating: '0.00',
      });
    });

    it('course analytics is cached per viewer for 300 s', async () => {
      const extra = await createActor(t, 'student', 'an-extra');
      await enroll(extra, courseId, {});
      expect((await api(`/courses/${courseId}`, owner)).body.total_enrollments).toBe(3);
      // Another viewer never reads the owner's entry: the admin sees the live counters.
      expect((await api(`/courses/${courseId}`, admin)).body.total_enrollments).toBe(4);
      await q('DELETE FROM enrollments WHERE student_id = $1', [extra.user.id]);
    });

    it('instructor overview and system overview', async () => {
      const r = await api(`/instructors/${owner.user.id}/overview`, owner);
      expect(r.body).toEqual({
        instructor_id: owner.user.id,
        total_courses: 2,
        published_courses: 2,
        total_students: 3,
        total_enrollments: 3,
        average_course_rating: '4.50',
      });
      const [counts] = await q<Record<string, string>>(
        `SELECT (SELECT count(*) FROM users) AS u, (SELECT count(*) FROM users WHERE role = 'student') AS s,
           (SELECT count(*) FROM users WHERE role = 'instructor') AS i, (SELECT count(*) FROM courses) AS c,
           (SELECT count(*) FROM courses WHERE is_published) AS p, (SELECT count(*) FROM enrollments) AS e,
           (SELECT count(*) FROM enrollments WHERE status = 'active') AS a`,
      );
      expect((await api('/system/overview', admin)).body).toEqual({
        total_users: Number(counts!.u),
        total_students: Number(counts!.s),
        total_instructors: Number(counts!.i),
        total_courses: Number(counts!.c),
        published_courses: Number(counts!.p),
        total_enrollments: Number(counts!.e),
        active_enrollments: Number(counts!.a),
      });
    });

    it('the rollups equal a rebuild from the source tables after deletes and a course changing hands', async () => {
      const snapshot = async (): Promise<unknown> =>
        q(`SELECT 'c' AS t, metric AS k, sum(value)::text AS v FROM analytics_counters GROUP BY 2 HAVING sum(value) <> 0
           UNION ALL SELECT 's', course_id || '/' || sum(enrollments) || '/' || sum(active) || '/' || sum(completed), sum(progress_sum)::text
             FROM analytics_course_stats GROUP BY course_id HAVING sum(enrollments) <> 0
           UNION ALL SELECT 'i', instructor_id || '/' || student_id, enrollments::text FROM analytics_instructor_students
           UNION ALL SELECT 'd', course_id || '/' || day, enrollments || '/' || completions || '/' || quiz_submissions
             FROM analytics_course_daily WHERE enrollments <> 0 OR completions <> 0 OR quiz_submissions <> 0
           UNION ALL SELECT 'l', lesson_id::text, sum(started) || '/' || sum(completed) FROM analytics_lesson_stats
             GROUP BY lesson_id HAVING sum(started) <> 0 OR sum(completed) <> 0
           UNION ALL SELECT 'h', lesson_id || '/' || seconds, students::text FROM analytics_lesson_time WHERE students <> 0
           ORDER BY 1, 2, 3`);
      const temp = await course(owner);
      const tmpStudent = await createActor(t, 'student', 'an-tmp');
      await enroll(tmpStudent, temp, { status: 'completed', progress: 100 });
      await q('UPDATE courses SET instructor_id = $2 WHERE id = $1', [temp, other.user.id]);
      const live = await snapshot();
      await q('SELECT lms_analytics_rebuild()');
      expect(await snapshot()).toEqual(live);
      await q('DELETE FROM courses WHERE id = $1', [temp]);
      await q('DELETE FROM users WHERE id = $1', [tmpStudent.user.id]);
      const afterDelete = await snapshot();
      await q('SELECT lms_analytics_rebuild()');
      expect(await snapshot()).toEqual(afterDelete);
    });
  });

  describe('insights', () => {
    it('lesson funnel: started, completed, completion rate, median time', async () => {
      const r = await api(`/courses/${courseId}/lessons`, owner);
      expect(r.body).toEqual({
        course_id: courseId,
        total_enrollments: 3,
        lessons: [
          {
            lesson_id: lessons[0],
            lesson_title: 'Lesson 0',
            order_index: 0,
            students_started: 3,
            students_completed: 2,
            completion_rate: '66.67',
            median_time_spent_seconds: '60.00',
          },
          {
            lesson_id: lessons[1],
            lesson_title: 'Lesson 1',
            order_index: 1,
            students_started: 2,
            students_completed: 1,
            completion_rate: '33.33',
            median_time_spent_seconds: '125.00',
          },
          {
            lesson_id: lessons[2],
            lesson_title: 'Lesson 2',
            order_index: 2,
            students_started: 1,
            students_completed: 1,
            completion_rate: '33.33',
            median_time_spent_seconds: '90.00',
          },
        ],
      });
      expect((await api(`/courses/${emptyCourseId}/lessons`, owner)).body).toEqual({
        course_id: emptyCourseId,
        total_enrollments: 0,
        lessons: [],
      });
    });

    it('activity: one entry per day, zeros filled, days validated', async () => {
      const r = await api(`/courses/${courseId}/activity?days=3`, owner);
      expect(r.body).toEqual({
        course_id: courseId,
        days: 3,
        daily: [
          // s2 enrolled and s1 completed on 12-13; s1's three attempts were submitted on 12-14; s1, s3 enrolled 12-10.
          { date: '2026-12-13', new_enrollments: 1, completions: 1, quiz_submissions: 0 },
          { date: '2026-12-14', new_enrollments: 0, completions: 0, quiz_submissions: 3 },
          { date: '2026-12-15', new_enrollments: 0, completions: 0, quiz_submissions: 0 },
        ],
      });
      expect(((await api(`/courses/${courseId}/activity`, owner)).body.daily as unknown[]).length).toBe(30);
      for (const bad of ['0', '366', 'x']) {
        expect((await api(`/courses/${courseId}/activity?days=${bad}`, owner)).status).toBe(422);
      }
    });

    it('quiz items: facility, discrimination on a known distribution, option picks, essays', async () => {
      const [quiz] = await q<{ id: string }>(
        `INSERT INTO quizzes (course_id, lesson_id, title, is_published) VALUES ($1, $2, 'Items', true) RETURNING id`,
        [courseId, lessons[1]],
      );
      const opts = [
        { option_id: 'a', option_text: 'A', is_correct: true },
        { option_id: 'b', option_text: 'B', is_correct: false },
      ];
      const [{ id: mc }] = await q<{ id: string }>(
        `INSERT INTO quiz_questions (quiz_id, question_text, question_type, points, order_index, options)
         VALUES ($1, 'MC', 'multiple_choice', 2, 0, $2) RETURNING id`,
        [quiz!.id, JSON.stringify(opts)],
      );
      const [{ id: essay }] = await q<{ id: string }>(
        `INSERT INTO quiz_questions (quiz_id, question_text, question_type, points, order_index)
         VALUES ($1, 'Essay', 'essay', 5, 1) RETURNING id`,
        [quiz!.id],
      );
      // 10 graded attempts with total scores 10..1 (k = round(2.7) = 3): the MC question is right in the
      // top 3 and in 1 of the bottom 3, and in 2 of the middle 4 → facility 6/10, discrimination (3 − 1) / 3.
      const rightAt = new Set([10, 9, 8, 6, 5, 1]);
      const students = await Promise.all(Array.from({ length: 10 }, (_, i) => createActor(t, 'student', `item${i}`)));
      for (let i = 0; i < 10; i++) {
        const score = 10 - i;
        const e = await enroll(students[i]!, courseId, {});
        const right = rightAt.has(score);
        await attempt(e, students[i]!, quiz!.id, 1, score, [
          { question_id: mc, selected_option_id: right ? 'a' : 'b', points_earned: right ? 2 : 0 },
          { question_id: essay, answer_text: 'text', points_earned: i % 2 ? 5 : 2 },
        ]);
      }
      // A submitted attempt awaiting essay grading counts nowhere.
      const e = await enroll(await createActor(t, 'student', 'pending'), courseId, {});
      await attempt(e, s1, quiz!.id, 1, null, [{ question_id: mc, selected_option_id: 'a', points_earned: 2 }], {
        status: 'submitted',
      });
      const r = await api(`/quizzes/${quiz!.id}/items`, owner);
      expect(r.body).toMatchObject({ quiz_id: quiz!.id, graded_attempts: 10, group_size: 3 });
      const [mcItem, essayItem] = r.body.items as Array<Record<string, unknown>>;
      expect(mcItem).toEqual({
        question_id: mc,
        question_text: 'MC',
        question_type: 'multiple_choice',
        points: '2.00',
        order_index: 0,
        attempts: 10,
        mean_points: '1.20',
        facility_index: '0.60',
        discrimination_index: '0.67',
        options: [
          { option_id: 'a', option_text: 'A', is_correct: true, picked: 6, pick_rate: '0.60' },
          { option_id: 'b', option_text: 'B', is_correct: false, picked: 4, pick_rate: '0.40' },
        ],
      });
      expect(essayItem).toMatchObject({
        question_type: 'essay',
        attempts: 10,
        mean_points: '3.50',
        facility_index: null,
        discrimination_index: null,
        options: null,
      });
      // A quiz without attempts.
      const none = await api(`/quizzes/${quizId}/items`, owner);
      expect(none.body).toMatchObject({ graded_attempts: 2, items: [] });
      await q('DELETE FROM enrollments WHERE student_id = ANY($1) OR id = $2', [students.map((s) => s.user.id), e]);
      await q('DELETE FROM quizzes WHERE id = $1', [quiz!.id]);
    });

    it('gradebook CSV: escaping, formula prefixes, best scores, revoked certificates', async () => {
      await q(`UPDATE users SET full_name = $2 WHERE id = $1`, [s1.user.id, '=HYPERLINK("x"), "Jr"\nII']);
      await q(`UPDATE users SET full_name = '@evil' WHERE id = $1`, [s2.user.id]);
      const cert = (enrollment: string, student: TestActor, n: string, revoked: boolean): Promise<unknown> =>
        q(
          `INSERT INTO certificates (certificate_number, enrollment_id, student_id, course_id, completion_date,
             student_name, course_title, instructor_name, status_index, pdf_storage_key, pdf_sha256, pdf_size, is_revoked)
           VALUES ($1, $2, $3, $4, now(), 'n', 't', 'i', $5, $1, repeat('0', 64), 1, $6)`,
          [n, enrollment, student.user.id, courseId, Math.floor(Math.random() * 1e6), revoked],
        );
      await cert(enr.s1, s1, 'CERT-20261213-ABCDEF', false);
      await cert(enr.s2, s2, 'CERT-20261213-REVOKE', true);
      const res = await t.request(`/api/v1/analytics/courses/${courseId}/gradebook.csv`, {
        headers: { authorization: `Bearer ${owner.token}` },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
      const text = await res.text();
      expect(text).toBe(
        'student_name,student_email,progress_percentage,completed_lessons,"best_score: =Quiz, ""one""",' +
          'completion_date,certificate_number\r\n' +
          `"'=HYPERLINK(""x""), ""Jr""\nII",${s1.user.email},100.00,3,8.00,${new Date(NOW.getTime() - 2 * DAY).toISOString()},CERT-20261213-ABCDEF\r\n` +
          `${s3.user.fullName},${s3.user.email},0.00,0,,,\r\n` +
          `'@evil,${s2.user.email},50.00,1,,,\r\n`,
      );
    });

    // The API and this client share the jest process, so its RSS also holds the client's garbage and
    // whatever else the process does: the 32 MB goal of the issue belongs to the gradebook bench (not
    // written yet). Here: the answer is streamed (chunked, no Content-Length) and a buffered export
    // of 50,000 rows (hundreds of MB as entities) would blow a 64 MB bound.
    it('gradebook of 50,000 students is streamed (chunked) without the process memory rising more than 64 MB', async () => {
      const big = await course(owner, 'Big');
      await q(
        `WITH u AS (
           INSERT INTO users (email, password_hash, full_name, role)
           SELECT 'big' || g || '@example.com', 'x', 'Student ' || g || ', "quoted"', 'student' FROM generate_series(1, 50000) g
           RETURNING id)
         INSERT INTO enrollments (student_id, course_id, progress_percentage) SELECT id, $1, 12.5 FROM u`,
        [big],
      );
      global.gc?.();
      const base = process.memoryUsage().rss;
      let peak = base;
      const timer = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 5);
      const res = await t.request(`/api/v1/analytics/courses/${big}/gradebook.csv`, {
        headers: { authorization: `Bearer ${owner.token}` },
      });
      expect(res.headers.get('content-length')).toBeNull();
      expect(res.headers.get('transfer-encoding')).toBe('chunked');
      let lines = 0;
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        lines += decoder.decode(chunk, { stream: true }).split('\r\n').length - 1;
        peak = Math.max(peak, process.memoryUsage().rss);
      }
      clearInterval(timer);
      expect(lines).toBe(50_001);
      expect(peak - base).toBeLessThan(64 * 1024 * 1024);
      expect((await api(`/system/overview`, admin)).body.total_enrollments).toBeGreaterThanOrEqual(50_000);
    }, 120_000);
  });

  describe('permissions', () => {
    const NO_ID = '00000000-0000-4000-8000-000000000000';
    it.each([
      ['student on course analytics', () => api(`/courses/${courseId}`, s1), 403, 'Insufficient permissions'],
      ['student on the funnel', () => api(`/courses/${courseId}/lessons`, s1), 403, 'Insufficient permissions'],
      [
        'other instructor on course analytics',
        () => api(`/courses/${courseId}`, other),
        403,
        'Not authorized to view analytics for this course',
      ],
      [
        'other instructor on the activity',
        () => api(`/courses/${courseId}/activity`, other),
        403,
        'Not authorized to view analytics for this course',
      ],
      [
        'other instructor on the gradebook',
        () => api(`/courses/${courseId}/gradebook.csv`, other),
        403,
        'Not authorized to view analytics for this course',
      ],
      [
        'other instructor on quiz items',
        () => api(`/quizzes/${quizId}/items`, other),
        403,
        'Not authorized to view analytics for this quiz',
      ],
      ['student on quiz items', () => api(`/quizzes/${quizId}/items`, s1), 403, 'Insufficient permissions'],
      [
        "instructor on another instructor's overview",
        () => api(`/instructors/${owner.user.id}/overview`, other),
        403,
        'Not authorized to view this instructor overview',
      ],
      [
        'student on an instructor overview',
        () => api(`/instructors/${owner.user.id}/overview`, s1),
        403,
        'Insufficient permissions',
      ],
      [
        'instructor on the system overview',
        () => api('/system/overview', owner),
        403,
        'Only admins can access system overview',
      ],
      [
        'student on the system overview',
        () => api('/system/overview', s1),
        403,
        'Only admins can access system overview',
      ],
      ['unknown course', () => api(`/courses/${NO_ID}`, admin), 404, 'Course not found'],
      ['unknown quiz', () => api(`/quizzes/${NO_ID}/items`, admin), 404, 'Quiz not found'],
    ])('%s', async (_label, call, status, detail) => {
      const r = await call();
      expect(r.status).toBe(status);
      expect(r.body.detail).toBe(detail);
    });

    it('anonymous callers get 401 on every route; a bad id 422', async () => {
      for (const path of [
        '/my-progress',
        '/my-dashboard',
        `/courses/${courseId}`,
        `/courses/${courseId}/lessons`,
        `/courses/${courseId}/activity`,
        `/courses/${courseId}/gradebook.csv`,
        `/quizzes/${quizId}/items`,
        `/instructors/${owner.user.id}/overview`,
        '/system/overview',
      ]) {
        expect((await api(path)).status).toBe(401);
      }
      expect((await api('/courses/nope', admin)).status).toBe(422);
      expect((await api(`/instructors/${other.user.id}/overview`, other)).status).toBe(200);
      expect((await api(`/instructors/${other.user.id}/overview`, admin)).status).toBe(200);
    });
  });

  describe('query plans', () => {
    const plan = async (sql: string, params: unknown[]): Promise<string> =>
      (await q<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params)).map((r) => r['QUERY PLAN']).join('\n');

    beforeAll(async () => {
      // Enough rows elsewhere that a scan would win if the statement could not use its index.
      await q(
        `INSERT INTO courses (title, slug, instructor_id) SELECT 'Filler ' || g, 'filler-' || g, $1
         FROM generate_series(1, 3000) g`,
        [admin.user.id],
      );
      const [{ id: fillerQuiz }] = await q<{ id: string }>(
        `INSERT INTO quizzes (course_id, lesson_id, title) VALUES ($1, $2, 'Filler') RETURNING id`,
        [courseId, lessons[2]],
      );
      await q(
        `INSERT INTO quiz_attempts (quiz_id, enrollment_id, student_id, attempt_number, status, started_at, max_score, score)
         SELECT $1, e.id, e.student_id, 1, 'graded', now(), 10, 5
         FROM enrollments e WHERE e.progress_percentage = 12.5`,
        [fillerQuiz],
      );
      await q('ANALYZE');
    });

    it.each([
      [
        'course analytics',
        () => ANALYTICS_SQL.COURSE_ANALYTICS_SQL,
        () => [courseId],
        /analytics_course_stats_pkey|PK_/,
      ],
      ['my progress', () => ANALYTICS_SQL.MY_QUIZ_SUMMARY_SQL, () => [s1.user.id], /idx_quiz_attempts_enrollment/],
      ['my courses', () => ANALYTICS_SQL.MY_COURSES_SQL, () => [s1.user.id], /idx_enrollments_student_enrolled/],
      [
        'instructor overview',
        () => ANALYTICS_SQL.INSTRUCTOR_OVERVIEW_SQL,
        () => [owner.user.id],
        /idx_courses_instructor_created/,
      ],
      [
        'gradebook page',
        () => ANALYTICS_SQL.GRADEBOOK_PAGE_SQL,
        () => [courseId, '-infinity', NO_ID_UUID, 500],
        /idx_enrollments_course_enrolled/,
      ],
    ])('%s uses its index', async (_label, sql, params, index) => {
      const p = await plan(sql(), params());
      expect(p).toMatch(index);
      expect(p).not.toMatch(/Seq Scan on (enrollments|quiz_attempts|lesson_progress|courses)\b/);
    });

    // On these small tables a sequential scan is cheapest, so the plan is checked with scans discouraged:
    // the statement must still be able to use its index (on the full seed it then does so unprompted).
    const indexedPlan = (sql: string, params: unknown[]): Promise<string> =>
      t.app.get(DataSource).transaction(async (m) => {
        await m.query('SET LOCAL enable_seqscan = off');
        const rows: { 'QUERY PLAN': string }[] = await m.query(`EXPLAIN ${sql}`, params);
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      });

    it.each([
      [
        'course activity (30 days)',
        () => ANALYTICS_SQL.COURSE_ACTIVITY_SQL,
        () => [courseId, '2026-11-16', '2026-12-15'],
        /PK_d30559c38d41343b9d4e10a7251/,
      ],
      [
        'quiz item stats',
        () => ANALYTICS_SQL.QUIZ_ITEM_STATS_SQL,
        () => [quizId],
        /idx_quiz_attempts_quiz_(status_)?started/,
      ],
      [
        'quiz option picks',
        () => ANALYTICS_SQL.QUIZ_OPTION_PICKS_SQL,
        () => [quizId],
        /idx_quiz_attempts_quiz_(status_)?started/,
      ],
      [
        'my recent activity (30 days)',
        () => ANALYTICS_SQL.MY_ACTIVITY_SQL,
        () => [s1.user.id, '2026-11-01T00:00:00Z', '2026-12-01T00:00:00Z'],
        /uq_lesson_progress_enrollment_lesson[\s\S]*idx_quiz_attempts_enrollment|idx_quiz_attempts_enrollment[\s\S]*uq_lesson_progress_enrollment_lesson/,
      ],
      [
        'lesson funnel',
        () => ANALYTICS_SQL.LESSON_FUNNEL_SQL,
        () => [courseId],
        /PK_959b2417f6b612dcafeaaaf9546[\s\S]*PK_bc8b0aec147f6bb60fce92507ca|PK_bc8b0aec147f6bb60fce92507ca[\s\S]*PK_959b2417f6b612dcafeaaaf9546/,
      ],
      [
        'quiz attempt count',
        () => ANALYTICS_SQL.QUIZ_ATTEMPT_COUNT_SQL,
        () => [quizId],
        /idx_quiz_attempts_quiz_(status_)?started/,
      ],
    ])('%s can use its index (enable_seqscan off)', async (_label, sql, params, index) => {
      const p = await indexedPlan(sql(), params());
      expect(p).toMatch(index);
      expect(p).not.toMatch(/Seq Scan/);
    });

    it('the system overview reads only the counters', async () => {
      const p = await plan(ANALYTICS_SQL.SYSTEM_OVERVIEW_SQL, []);
      expect(p).toMatch(/analytics_counters/);
      expect(p).not.toMatch(/users|enrollments|courses/);
    });
  });
});

const NO_ID_UUID = '00000000-0000-0000-0000-000000000000';
