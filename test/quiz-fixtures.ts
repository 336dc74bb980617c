import { randomUUID } from 'node:crypto';
import { callApi, createActor, type JsonResponse, type TestActor, type TestApp } from '#testing';

/** A well-formed UUID that names no row. */
export const NO_ID = '00000000-0000-4000-8000-000000000000';

// ── Callers ──────────────────────────────────────────────────────────────────────────────────
/** student: enrolled in the courses of makeCourseWithStudent; outsider: a student who is not. */
export type Who = 'anonymous' | 'student' | 'outsider' | 'other' | 'owner' | 'admin';
export type Actors = Record<Exclude<Who, 'anonymous'>, TestActor>;

export const EVERYONE: Who[] = ['anonymous', 'student', 'outsider', 'other', 'owner', 'admin'];
export const NON_MANAGERS: Who[] = ['anonymous', 'student', 'outsider', 'other'];
/** Expected status of a manager-only write for each caller (0: allowed). */
export const WRITE_STATUS: Record<Who, number> = {
  anonymous: 401,
  student: 403,
  outsider: 403,
  other: 403,
  owner: 0,
  admin: 0,
};

/** An admin, the courses' instructor (owner) and another instructor, made in that order. */
export async function makeStaff(
  t: TestApp,
  label: string,
): Promise<{ admin: TestActor; owner: TestActor; other: TestActor }> {
  const admin = await createActor(t, 'admin', label);
  const owner = await createActor(t, 'instructor', label);
  const other = await createActor(t, 'instructor', label);
  return { admin, owner, other };
}

/** Every caller but anonymous: the staff of makeStaff, then two students. */
export async function makeActors(t: TestApp, label: string): Promise<Actors> {
  const staff = await makeStaff(t, label);
  const student = await createActor(t, 'student', label);
  const outsider = await createActor(t, 'student', label);
  return { ...staff, student, outsider };
}

/** A JSON API call as `who` (no token for anonymous). */
export function callAs(
  t: TestApp,
  actors: Actors,
  method: string,
  path: string,
  who: Who,
  body?: unknown,
): Promise<JsonResponse> {
  return callApi(t, method, path, body, who === 'anonymous' ? undefined : actors[who].token);
}

// ── Answer secrecy ───────────────────────────────────────────────────────────────────────────
/** Keys that reveal answers in quiz and question bodies. */
export const ANSWER_KEYS = ['is_correct', 'correct_answer', 'explanation', 'correct_option_ids'];

/** The keys a student must not see in an attempt before grading (or ever, when show_correct_answers is off). */
export const ATTEMPT_SECRET_KEYS = [
  'is_correct',
  'points_earned',
  'correct_option_id',
  'correct_option_ids',
  'correct_answer',
  'explanation',
];

/** Every path in a JSON value whose key is one of `keys`. */
export function secretPaths(value: unknown, keys: readonly string[] = ANSWER_KEYS, path = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => secretPaths(v, keys, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [
      ...(keys.includes(k) ? [`${path}.${k}`] : []),
      ...secretPaths(v, keys, `${path}.${k}`),
    ]);
  }
  return [];
}

/** Every path in an attempt body that holds one of ATTEMPT_SECRET_KEYS. */
export const secretKeysIn = (value: unknown): string[] => secretPaths(value, ATTEMPT_SECRET_KEYS);

// ── Rows ─────────────────────────────────────────────────────────────────────────────────────
/** The number in column `n` of the first row of `sql`. */
export async function countOf(t: TestApp, sql: string, params: unknown[] = []): Promise<number> {
  return Number((await t.db.query<{ n: string | number }>(sql, params))[0]!.n);
}

/** The outbox events of `type` about one attempt. */
export function outboxEvents(
  t: TestApp,
  type: string,
  attemptId: string,
): Promise<Array<{ payload: Record<string, unknown> }>> {
  return t.db.query("SELECT payload FROM outbox_events WHERE event_type = $1 AND payload->>'attempt_id' = $2", [
    type,
    attemptId,
  ]);
}

/** The quiz.submitted outbox events of one attempt. */
export const submittedEvents = (t: TestApp, attemptId: string): Promise<Array<{ payload: Record<string, unknown> }>> =>
  outboxEvents(t, 'quiz.submitted', attemptId);

// ── Courses, lessons, enrollments (SQL) ──────────────────────────────────────────────────────
let courses = 0;

/** A course of `instructorId` (slug unique, starting with `label`). */
export async function insertCourse(
  t: TestApp,
  label: string,
  instructorId: string,
  published: boolean,
): Promise<string> {
  courses += 1;
  const [row] = await t.db.query<{ id: string }>(
    'INSERT INTO courses (title, slug, instructor_id, is_published) VALUES ($1, $2, $3, $4) RETURNING id',
    [`Course ${courses}`, `${label}-course-${courses}-${randomUUID().slice(0, 8)}`, instructorId, published],
  );
  return row!.id;
}

/** A course with `studentId` enrolled (column defaults: active, never started). */
export async function makeCourseWithStudent(
  t: TestApp,
  label: string,
  opts: { published: boolean; instructorId: string; studentId: string },
): Promise<string> {
  const courseId = await insertCourse(t, label, opts.instructorId, opts.published);
  await t.db.query('INSERT INTO enrollments (student_id, course_id) VALUES ($1, $2)', [opts.studentId, courseId]);
  return courseId;
}

/** A lesson appended to the course (order_index after its last one). */
export async function makeLesson(t: TestApp, courseId: string, lessonType = 'text'): Promise<string> {
  const [row] = await t.db.query<{ id: string }>(
    `INSERT INTO lessons (course_id, title, slug, lesson_type, order_index)
     VALUES ($1, 'Lesson', 'lesson', $2, (SELECT coalesce(max(order_index), 0) + 1 FROM lessons WHERE course_id = $1))
     RETURNING id`,
    [courseId, lessonType],
  );
  return row!.id;
}

/** A published course of `instructorId` with `lessons` text lessons (order_index 0 to lessons - 1). */
export async function seedCourse(
  t: TestApp,
  label: string,
  instructorId: string,
  lessons = 1,
): Promise<{ courseId: string; lessonIds: string[] }> {
  const courseId = await insertCourse(t, label, instructorId, true);
  const lessonIds: string[] = [];
  for (let i = 0; i < lessons; i += 1) {
    const [{ id }] = await t.db.query<{ id: string }>(
      `INSERT INTO lessons (course_id, title, slug, lesson_type, order_index) VALUES ($1, $2, $3, 'text', $4)
       RETURNING id`,
      [courseId, `Lesson ${i}`, `lesson-${i}`, i],
    );
    lessonIds.push(id);
  }
  return { courseId, lessonIds };
}

/** An enrollment that has started; total_lessons_count is the course's lessons now. */
export async function seedEnrollment(
  t: TestApp,
  studentId: string,
  courseId: string,
  status = 'active',
): Promise<string> {
  const [{ id }] = await t.db.query<{ id: string }>(
    `INSERT INTO enrollments (student_id, course_id, status, enrolled_at, started_at, total_lessons_count)
     VALUES ($1, $2, $3, now(), now(), (SELECT count(*) FROM lessons WHERE course_id = $2)) RETURNING id`,
    [studentId, courseId, status],
  );
  return id;
}

// ── Quizzes and questions (SQL: for the attempt suites; the quiz and question endpoints have theirs) ──
export type QType = 'multiple_choice' | 'multiple_response' | 'true_false' | 'short_answer' | 'essay';
export interface QuestionSpec {
  type: QType;
  /** Default 1. */
  points?: number;
  options?: Array<{ text: string; correct?: boolean }>;
  correct_answer?: string | null;
  explanation?: string | null;
}
export interface SeededQuestion {
  id: string;
  type: QType;
  optionIds: string[];
  correctOptionIds: string[];
  correctAnswer: string | null;
}
/** Stored as given; the defaults differ from the column defaults where noted. */
export interface QuizSettings {
  time_limit_minutes?: number | null;
  passing_score?: number;
  max_attempts?: number | null;
  /** Default false. */
  shuffle_questions?: boolean;
  /** Default false. */
  shuffle_options?: boolean;
  show_correct_answers?: boolean;
  is_published?: boolean;
}

/** A question `Question <order>` at order_index `order`; options get random option_ids. */
export async function insertQuestion(
  t: TestApp,
  quizId: string,
  spec: QuestionSpec,
  order: number,
): Promise<SeededQuestion> {
  const options = spec.options?.map((o) => ({
    option_id: randomUUID(),
    option_text: o.text,
    is_correct: !!o.correct,
  }));
  const [{ id }] = await t.db.query<{ id: string }>(
    `INSERT INTO quiz_questions (quiz_id, question_text, question_type, points, order_index, explanation, options,
       correct_answer)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8) RETURNING id`,
    [
      quizId,
      `Question ${order}`,
      spec.type,
      spec.points ?? 1,
      order,
      spec.explanation ?? null,
      options ? JSON.stringify(options) : null,
      spec.correct_answer ?? null,
    ],
  );
  return {
    id,
    type: spec.type,
    optionIds: options?.map((o) => o.option_id) ?? [],
    correctOptionIds: options?.filter((o) => o.is_correct).map((o) => o.option_id) ?? [],
    correctAnswer: spec.correct_answer ?? null,
  };
}

/** A quiz (published unless told otherwise) on the lesson, with `specs` in order from 0. */
export async function seedQuiz(
  t: TestApp,
  courseId: string,
  lessonId: string,
  settings: QuizSettings,
  specs: QuestionSpec[],
  title = 'A quiz',
): Promise<{ quizId: string; questions: SeededQuestion[] }> {
  const [{ id: quizId }] = await t.db.query<{ id: string }>(
    `INSERT INTO quizzes (course_id, lesson_id, title, time_limit_minutes, passing_score, max_attempts,
       shuffle_questions, shuffle_options, show_correct_answers, is_published)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
    [
      courseId,
      lessonId,
      title,
      settings.time_limit_minutes ?? null,
      settings.passing_score ?? 70,
      settings.max_attempts ?? null,
      settings.shuffle_questions ?? false,
      settings.shuffle_options ?? false,
      settings.show_correct_answers ?? true,
      settings.is_published ?? true,
    ],
  );
  const questions: SeededQuestion[] = [];
  for (const [i, spec] of specs.entries()) questions.push(await insertQuestion(t, quizId, spec, i));
  return { quizId, questions };
}

export interface SeededQuizCourse {
  courseId: string;
  lessonIds: string[];
  /** The quiz's lesson (the first). */
  lessonId: string;
  quizId: string;
  questions: SeededQuestion[];
  student: TestActor;
  enrollmentId: string;
}

/**
 * A published course of `lessons` lessons, a quiz of `specs` on the first one, and a new enrolled student
 * (`label` starts the course slug and the student's email).
 */
export async function seedQuizCourse(
  t: TestApp,
  label: string,
  owner: TestActor,
  opts: { settings?: QuizSettings; specs: QuestionSpec[]; lessons?: number; title?: string },
): Promise<SeededQuizCourse> {
  const { courseId, lessonIds } = await seedCourse(t, label, owner.user.id, opts.lessons);
  const lessonId = lessonIds[0]!;
  const { quizId, questions } = await seedQuiz(t, courseId, lessonId, opts.settings ?? {}, opts.specs, opts.title);
  const student = await createActor(t, 'student', label);
  const enrollmentId = await seedEnrollment(t, student.user.id, courseId);
  return { courseId, lessonIds, lessonId, quizId, questions, student, enrollmentId };
}
