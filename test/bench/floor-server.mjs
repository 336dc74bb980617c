#!/usr/bin/env node
// The reference "floor" for the catalog benchmarks: bare fastify + a pg Pool of 10, no framework, no
// cache, no hooks. It runs the same SQL statements as the API (libs/courses/src/catalog-sql.ts:
// catalogStatements for an anonymous caller's unfiltered CoursesService.list, COURSE_BY_ID_SQL and
// COURSE_BY_SLUG_SQL for CoursesService.getById/getBySlug; the text is copied, keep it in step) and
// answers the same JSON (toCourseResponse in the same file). run.mjs checks that both servers answer
// identical bodies before measuring.
//
//   DATABASE_URL=postgres://... PORT=18111 node test/bench/floor-server.mjs
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import multipart from '@fastify/multipart';
import Fastify from 'fastify';
import pg from 'pg';

const DATABASE_URL = process.env.DATABASE_URL;
const PORT = Number(process.env.PORT ?? 18111);
const HOST = process.env.HOST ?? '127.0.0.1';
if (!DATABASE_URL) {
  process.stderr.write('floor-server: DATABASE_URL is required\n');
  process.exit(2);
}

const pool = new pg.Pool({
  connectionString: DATABASE_URL,
  max: Number(process.env.FLOOR_POOL_SIZE ?? 10),
  application_name: 'lms-bench-floor',
  idleTimeoutMillis: 30_000,
});

// ---- the API's statements (libs/courses/src/catalog-sql.ts) ------------------------------------
const COURSE_COLUMNS =
  'c.id, c.title, c.slug, c.description, c.instructor_id, cat.slug AS category_slug, c.difficulty_level, ' +
  'c.is_published, c.published_at, c.thumbnail_url, c.estimated_duration_minutes, c.created_at, c.updated_at, ' +
  'c.price, c.currency, c.is_free, c.long_description, c.preview_video_url, c.requirements, c.learning_objectives, ' +
  'c.total_reviews, c.total_quizzes, c.enrollment_count, c.average_rating, c.status, ' +
  'u.full_name AS instructor_name, c.total_lessons, c.total_duration_minutes, ' +
  'ARRAY(SELECT p.prerequisite_course_id FROM course_prerequisites p WHERE p.course_id = c.id ' +
  'ORDER BY p.prerequisite_course_id) AS prerequisite_course_ids';
const COURSE_JOINS = 'JOIN users u ON u.id = c.instructor_id LEFT JOIN categories cat ON cat.id = c.category_id';

// GET /courses (anonymous, no filters): the page ($1 limit, $2 offset) and the count, in parallel.
const WHERE = ' WHERE c.is_published';
const COUNT_SQL = `SELECT count(*)::int AS total FROM courses c${WHERE}`;
const PAGE_SQL =
  `SELECT ${COURSE_COLUMNS} FROM (SELECT c.id FROM courses c${WHERE} ` +
  'ORDER BY c.created_at DESC, c.id DESC LIMIT $1 OFFSET $2) page ' +
  `JOIN courses c ON c.id = page.id ${COURSE_JOINS} ` +
  'ORDER BY c.created_at DESC, c.id DESC';

// GET /courses/{id}, /courses/slug/{slug}: one statement each.
const BY = {
  id: `SELECT ${COURSE_COLUMNS} FROM courses c ${COURSE_JOINS} WHERE c.id = $1`,
  slug: `SELECT ${COURSE_COLUMNS} FROM courses c ${COURSE_JOINS} WHERE c.slug = $1`,
};

/** minutesToHours of libs/courses/src/catalog-sql.ts. */
function minutesToHours(minutes) {
  return Math.round((Number(minutes) / 60) * 100) / 100;
}

/** toCourseResponse of libs/courses/src/catalog-sql.ts. */
function toResponse(row) {
  return {
    id: row.id,
    title: row.title,
    slug: row.slug,
    description: row.description,
    instructor_id: row.instructor_id,
    category: row.category_slug,
    difficulty_level: row.difficulty_level,
    is_published: row.is_published,
    published_at: row.published_at ? new Date(row.published_at).toISOString() : null,
    thumbnail_url: row.thumbnail_url,
    estimated_duration_minutes: row.estimated_duration_minutes,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
    price: Number(row.price),
    currency: row.currency,
    is_free: row.is_free,
    long_description: row.long_description,
    preview_video_url: row.preview_video_url,
    requirements: row.requirements ?? [],
    learning_objectives: row.learning_objectives ?? [],
    total_reviews: row.total_reviews,
    total_quizzes: row.total_quizzes,
    enrollment_count: row.enrollment_count,
    average_rating: Number(row.average_rating),
    status: row.status,
    prerequisite_course_ids: row.prerequisite_course_ids,
    instructor_name: row.instructor_name,
    rating: Number(row.average_rating),
    review_count: row.total_reviews,
    total_lessons: row.total_lessons,
    duration_hours: minutesToHours(row.total_duration_minutes),
  };
}

function problem(reply, status, code, detail) {
  return reply
    .code(status)
    .header('content-type', 'application/problem+json')
    .send({ type: `https://lms.local/problems/${code}`, title: code, status, detail, code });
}

function intParam(value, fallback, max) {
  if (value === undefined) return fallback;
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 && n <= max ? n : undefined;
}

const app = Fastify({ logger: false });

app.get('/health', async () => ({ status: 'ok' }));

app.get('/api/v1/courses', async (request, reply) => {
  const page = intParam(request.query.page, 1, Number.MAX_SAFE_INTEGER);
  const pageSize = intParam(request.query.page_size, 20, 100);
  if (page === undefined || pageSize === undefined) return problem(reply, 422, 'validation_failed', 'bad paging');
  const [rows, count] = await Promise.all([
    pool.query({ name: 'page', text: PAGE_SQL, values: [pageSize, (page - 1) * pageSize] }),
    pool.query({ name: 'count', text: COUNT_SQL }),
  ]);
  const total = count.rows[0]?.total ?? 0;
  return {
    items: rows.rows.map(toResponse),
    total,
    page,
    page_size: pageSize,
    total_pages: total <= 0 ? 0 : Math.ceil(total / pageSize),
  };
});

async function one(reply, by, value) {
  // Named prepared statements, as the API's catalog reads use (libs/core queryPrepared).
  const { rows } = await pool.query({ name: `by-${by}`, text: BY[by], values: [value] });
  const row = rows[0];
  if (!row) return problem(reply, 404, 'not_found', 'Course not found');
  // Anonymous caller: unpublished courses are 403 (canViewCourse).
  if (!row.is_published) return problem(reply, 403, 'forbidden', 'Not authorized to access this course');
  return toResponse(row);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
app.get('/api/v1/courses/slug/:slug', (request, reply) => one(reply, 'slug', request.params.slug));
app.get('/api/v1/courses/:id', (request, reply) => {
  if (!UUID.test(request.params.id)) return problem(reply, 422, 'validation_failed', 'id must be a UUID');
  return one(reply, 'id', request.params.id);
});

// ---- files: the floor for the upload/download scenarios ------------------------------------------
// Bare @fastify/multipart piping the part to disk, and a file streamed back with a single-range
// Range header honoured: what any Node server does at least, with no validation, hashing or database.
const FILES_DIR = process.env.FLOOR_FILES_DIR ?? join(tmpdir(), `lms-floor-files-${process.pid}`);
mkdirSync(FILES_DIR, { recursive: true });
await app.register(multipart, { limits: { fileSize: Number.MAX_SAFE_INTEGER, files: 1 } });

app.post('/files/upload', async (request, reply) => {
  const part = await request.file();
  if (!part) return problem(reply, 400, 'bad_request', 'no file');
  const id = randomUUID();
  await pipeline(part.file, createWriteStream(join(FILES_DIR, id)));
  return reply.code(201).send({ id, file_size: statSync(join(FILES_DIR, id)).size });
});

app.get('/files/:id', (request, reply) => {
  if (!UUID.test(request.params.id)) return problem(reply, 422, 'validation_failed', 'id must be a UUID');
  const path = join(FILES_DIR, request.params.id);
  let size;
  try {
    size = statSync(path).size;
  } catch {
    return problem(reply, 404, 'not_found', 'File not found');
  }
  const m = /^bytes=(\d*)-(\d*)$/.exec(request.headers.range ?? '');
  reply.header('accept-ranges', 'bytes').type('application/octet-stream');
  if (!m || (m[1] === '' && m[2] === '')) return reply.header('content-length', size).send(createReadStream(path));
  const start = m[1] === '' ? Math.max(0, size - Number(m[2])) : Number(m[1]);
  const end = m[1] === '' || m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start > end || start >= size) return reply.code(416).header('content-range', `bytes */${size}`).send();
  return reply
    .code(206)
    .header('content-range', `bytes ${start}-${end}/${size}`)
    .header('content-length', end - start + 1)
    .send(createReadStream(path, { start, end }));
});

let closing = false;
async function shutdown() {
  if (closing) return;
  closing = true;
  await app.close().catch(() => undefined);
  await pool.end().catch(() => undefined);
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

await app.listen({ port: PORT, host: HOST });
process.stdout.write(`floor listening on http://${HOST}:${PORT}\n`);
