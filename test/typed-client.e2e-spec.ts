// The generated client (issue 16, item 6): openapi-fetch typed by test/generated/openapi.d.ts
// (openapi-typescript, from docs/openapi.json) drives the booted app through a student's whole
// path: register, log in, an admin-made instructor builds and publishes a course with a lesson and
// a quiz, the student enrolls, records progress, starts and submits an attempt. Request bodies,
// path parameters and response fields are checked by tsc (npm run typecheck); every response also
// passes the contract check of TestApp.fetch.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import createClient, { type Client } from 'openapi-fetch';
import { createActor, TEST_PASSWORD, type TestApp, createTestApp } from '#testing';
import type { paths } from './generated/openapi.js';
import { uniqueEmail } from './auth-helpers.js';

type Api = Client<paths>;

describe('typed client (openapi-typescript + openapi-fetch)', () => {
  let t: TestApp;
  let anonymous: Api;
  const client = (token?: string): Api =>
    createClient<paths>({
      baseUrl: t.baseUrl,
      fetch: (request) => t.fetch(request),
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });

  beforeAll(async () => {
    t = await createTestApp();
    anonymous = client();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('test/generated/openapi.d.ts was generated from docs/openapi.json as committed (run `npm run openapi:types`)', () => {
    const document = readFileSync(new URL('../docs/openapi.json', import.meta.url));
    const types = readFileSync(new URL('./generated/openapi.d.ts', import.meta.url), 'utf8');
    const sha256 = createHash('sha256').update(document).digest('hex');
    expect(types.split('\n', 3)[1]).toBe(`// docs/openapi.json sha256 ${sha256}`);
  });

  it('registers, logs in, builds a course with a quiz, enrolls, records progress and passes the quiz', async () => {
    // A student registers and logs in.
    const email = uniqueEmail('typed-student');
    const password = 'typed-client-password-1';
    const registered = await anonymous.POST('/api/v1/auth/register', {
      body: { email, password, full_name: 'Typed Student' },
    });
    expect(registered.response.status).toBe(201);
    expect(registered.data?.user.email).toBe(email);
    const studentLogin = await anonymous.POST('/api/v1/auth/login', { body: { email, password } });
    expect(studentLogin.response.status).toBe(200);
    const studentTokens = studentLogin.data && 'tokens' in studentLogin.data ? studentLogin.data.tokens : undefined;
    expect(studentTokens?.access_token).toEqual(expect.any(String));
    const student = client(studentTokens!.access_token);
    const me = await student.GET('/api/v1/auth/me');
    expect(me.data?.role).toBe('student');

    // An admin (the first one comes from the CLI; here from the test factory) makes an instructor.
    const admin = client((await createActor(t, 'admin', 'typed')).token);
    const instructorEmail = uniqueEmail('typed-instructor');
    const made = await admin.POST('/api/v1/users', {
      body: { email: instructorEmail, password: TEST_PASSWORD, full_name: 'Typed Instructor', role: 'instructor' },
    });
    expect(made.response.status).toBe(201);
    expect(made.data?.role).toBe('instructor');
    const instructorLogin = await anonymous.POST('/api/v1/auth/login', {
      body: { email: instructorEmail, password: TEST_PASSWORD },
    });
    expect(instructorLogin.response.status).toBe(200);
    const instructor = client(
      instructorLogin.data && 'tokens' in instructorLogin.data ? instructorLogin.data.tokens.access_token : undefined,
    );

    // The instructor builds a course with a lesson and publishes it.
    const course = await instructor.POST('/api/v1/courses', {
      body: { title: 'Typed client course', description: 'Made through openapi-fetch' },
    });
    expect(course.response.status).toBe(201);
    const courseId = course.data!.id;
    const lesson = await instructor.POST('/api/v1/courses/{course_id}/lessons', {
      params: { path: { course_id: courseId } },
      body: { title: 'First lesson', lesson_type: 'text' },
    });
    expect(lesson.response.status).toBe(201);
    const lessonId = lesson.data!.id;
    const published = await instructor.POST('/api/v1/courses/{id}/publish', { params: { path: { id: courseId } } });
    expect(published.response.status).toBe(200);
    expect(published.data?.is_published).toBe(true);

    // A quiz on the lesson with one true/false question, published.
    const quiz = await instructor.POST('/api/v1/courses/{course_id}/quizzes', {
      params: { path: { course_id: courseId } },
      body: { lesson_id: lessonId, title: 'Typed quiz', passing_score: 50 },
    });
    expect(quiz.response.status).toBe(201);
    const quizId = quiz.data!.id;
    const question = await instructor.POST('/api/v1/courses/{course_id}/quizzes/{quiz_id}/questions', {
      params: { path: { course_id: courseId, quiz_id: quizId } },
      body: { question_text: 'Is the client typed?', question_type: 'true_false', correct_answer: 'true' },
    });
    expect(question.response.status).toBe(201);
    const questionId = question.data!.id;
    const quizPublished = await instructor.POST('/api/v1/courses/{course_id}/quizzes/{quiz_id}/publish', {
      params: { path: { course_id: courseId, quiz_id: quizId } },
    });
    expect(quizPublished.response.status).toBe(200);

    // The student enrolls and records progress on the lesson.
    const enrollment = await student.POST('/api/v1/enrollments', { body: { course_id: courseId } });
    expect(enrollment.response.status).toBe(201);
    const enrollmentId = enrollment.data!.id;
    const progress = await student.PUT('/api/v1/enrollments/{id}/lessons/{lesson_id}/progress', {
      params: { path: { id: enrollmentId, lesson_id: lessonId } },
      body: { completion_percentage: 50, time_spent_seconds: 60 },
    });
    expect(progress.response.status).toBe(200);
    expect(progress.data?.status).toBe('in_progress');

    // The student starts and submits an attempt.
    const attempt = await student.POST('/api/v1/quizzes/{quiz_id}/attempts', {
      params: { path: { quiz_id: quizId } },
    });
    expect(attempt.response.status).toBe(201);
    expect(attempt.data?.status).toBe('in_progress');
    const submitted = await student.POST('/api/v1/quizzes/{quiz_id}/attempts/{attempt_id}/submit', {
      params: { path: { quiz_id: quizId, attempt_id: attempt.data!.id } },
      body: { answers: [{ question_id: questionId, answer_text: 'true' }] },
    });
    expect(submitted.response.status).toBe(200);
    expect(submitted.data?.is_passed).toBe(true);
  });

  it('types the errors as problem details', async () => {
    const res = await anonymous.POST('/api/v1/enrollments', { body: { course_id: crypto.randomUUID() } });
    expect(res.response.status).toBe(401);
    expect(res.response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.error).toMatchObject({ status: 401 });
  });
});
