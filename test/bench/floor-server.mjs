#!/usr/bin/env node
// The reference "floor" for the catalog benchmarks: bare fastify + a pg Pool of 10, no framework, no
// cache, no hooks. It runs the SQL the API runs (TypeORM's statements for CoursesService.list and
// CoursesService.getById/getBySlug, captured with DB_ECHO=true) and answers the same JSON
// (toCourseResponse in libs/courses/src/courses.service.ts). run.mjs checks that both servers answer
// identical bodies before measuring.
//
//   DATABASE_URL=postgres://... PORT=18111 node test/bench/floor-server.mjs
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

/** Column names in table order (the entity's columns: the schema comes from the entities' migrations). */
async function columns(table) {
  const { rows } = await pool.query(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1
     ORDER BY ordinal_position`,
    [table],
  );
  return rows.map((r) => r.column_name);
}

const courseColumns = await columns('courses');
const categoryColumns = await columns('categories');
const q = (name) => `"${name}"`;

// ---- GET /courses (CoursesService.list: page query and count in parallel, then prerequisites) ----
const LIST_SELECT = [
  ...courseColumns.map((c) => `${q('c')}.${q(c)} AS ${q(`c_${c}`)}`),
  ...categoryColumns.map((c) => `${q('cat')}.${q(c)} AS ${q(`cat_${c}`)}`),
].join(', ');
const LIST_FROM = `FROM "courses" "c" LEFT JOIN "categories" "cat" ON "cat"."id"="c"."category_id" WHERE "c"."is_published" = true`;
const listSql = (limit, offset) =>
  `SELECT ${LIST_SELECT} ${LIST_FROM} ORDER BY "c"."created_at" DESC, "c"."id" DESC` +
  (offset ? ` LIMIT ${limit} OFFSET ${offset}` : ` LIMIT ${limit}`);
const COUNT_SQL = `SELECT COUNT(DISTINCT("c"."id")) AS "cnt" ${LIST_FROM}`;
const PREREQUISITES_OF_MANY_SQL = `SELECT course_id, prerequisite_course_id FROM course_prerequisites
          WHERE course_id = ANY($1::uuid[]) ORDER BY prerequisite_course_id`;

// ---- GET /courses/{id}, /courses/slug/{slug} (findOne with the category relation: TypeORM's two queries) ----
const A = 'Course';
const J = 'Course__Course_category';
const ONE_SELECT = [
  ...courseColumns.map((c) => `${q(A)}.${q(c)} AS ${q(`${A}_${c}`)}`),
  ...categoryColumns.map((c) => `${q(J)}.${q(c)} AS ${q(`${J}_${c}`)}`),
].join(', ');
const ONE_FROM = `FROM "courses" "${A}" LEFT JOIN "categories" "${J}" ON "${J}"."id"="${A}"."category_id"`;
const distinctSql = (column) =>
  `SELECT DISTINCT "distinctAlias"."${A}_id" AS "ids_${A}_id" FROM (SELECT ${ONE_SELECT} ${ONE_FROM} WHERE (("${A}"."${column}" = $1))) "distinctAlias" ORDER BY "${A}_id" ASC LIMIT 1`;
const oneSql = (column) =>
  `SELECT ${ONE_SELECT} ${ONE_FROM} WHERE ( (("${A}"."${column}" = $1)) ) AND ( "${A}"."id" IN ($2) )`;
const BY = {
  id: { distinct: distinctSql('id'), one: oneSql('id') },
  slug: { distinct: distinctSql('slug'), one: oneSql('slug') },
};
const PREREQUISITES_SQL =
  'SELECT prerequisite_course_id AS id FROM course_prerequisites WHERE course_id = $1 ORDER BY prerequisite_course_id';

/** toCourseResponse of libs/courses, from a row with prefixed column aliases. */
function toResponse(row, p, catP, prerequisites) {
  return {
    id: row[`${p}id`],
    title: row[`${p}title`],
    slug: row[`${p}slug`],
    description: row[`${p}description`],
    instructor_id: row[`${p}instructor_id`],
    category: row[`${catP}slug`] ?? null,
    difficulty_level: row[`${p}difficulty_level`],
    is_published: row[`${p}is_published`],
    published_at: row[`${p}published_at`] ? new Date(row[`${p}published_at`]).toISOString() : null,
    thumbnail_url: row[`${p}thumbnail_url`],
    estimated_duration_minutes: row[`${p}estimated_duration_minutes`],
    created_at: new Date(row[`${p}created_at`]).toISOString(),
    updated_at: new Date(row[`${p}updated_at`]).toISOString(),
    price: Number(row[`${p}price`]),
    currency: row[`${p}currency`],
    is_free: row[`${p}is_free`],
    long_description: row[`${p}long_description`],
    preview_video_url: row[`${p}preview_video_url`],
    requirements: row[`${p}requirements`] ?? [],
    learning_objectives: row[`${p}learning_objectives`] ?? [],
    total_reviews: row[`${p}total_reviews`],
    total_quizzes: row[`${p}total_quizzes`] ?? 0,
    enrollment_count: row[`${p}enrollment_count`],
    average_rating: Number(row[`${p}average_rating`]),
    status: row[`${p}status`],
    prerequisite_course_ids: prerequisites,
    instructor_name: null,
    rating: null,
    review_count: null,
    total_lessons: null,
    duration_hours: null,
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
    pool.query(listSql(pageSize, (page - 1) * pageSize)),
    pool.query(COUNT_SQL),
  ]);
  const ids = rows.rows.map((r) => r.c_id);
  const byCourse = new Map();
  if (ids.length) {
    const pre = await pool.query(PREREQUISITES_OF_MANY_SQL, [ids]);
    for (const r of pre.rows)
      byCourse.set(r.course_id, [...(byCourse.get(r.course_id) ?? []), r.prerequisite_course_id]);
  }
  const total = Number(count.rows[0].cnt);
  return {
    items: rows.rows.map((r) => toResponse(r, 'c_', 'cat_', byCourse.get(r.c_id) ?? [])),
    total,
    page,
    page_size: pageSize,
    total_pages: total <= 0 ? 0 : Math.ceil(total / pageSize),
  };
});

async function one(reply, by, value) {
  const found = await pool.query(BY[by].distinct, [value]);
  if (found.rows.length === 0) return problem(reply, 404, 'not_found', 'Course not found');
  const id = found.rows[0][`ids_${A}_id`];
  const { rows } = await pool.query(BY[by].one, [value, id]);
  const row = rows[0];
  if (!row) return problem(reply, 404, 'not_found', 'Course not found');
  // Anonymous caller: unpublished courses are 403 (canViewCourse).
  if (!row[`${A}_is_published`]) return problem(reply, 403, 'forbidden', 'Not authorized to access this course');
  const pre = await pool.query(PREREQUISITES_SQL, [id]);
  return toResponse(
    row,
    `${A}_`,
    `${J}_`,
    pre.rows.map((r) => r.id),
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
app.get('/api/v1/courses/slug/:slug', (request, reply) => one(reply, 'slug', request.params.slug));
app.get('/api/v1/courses/:id', (request, reply) => {
  if (!UUID.test(request.params.id)) return problem(reply, 422, 'validation_failed', 'id must be a UUID');
  return one(reply, 'id', request.params.id);
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
