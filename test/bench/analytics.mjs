// The analytics scenario of `npm run bench` (scenario `analytics`), on the production-like API of
// phase 2 (cache on): every analytics GET route under load (BENCH_ANALYTICS_CONNECTIONS, default 16
// connections; BENCH_ANALYTICS_DURATION seconds each, default min(--duration, 5)), p50 / p99 and the
// API's CPU per request, then the gradebook CSV of the course with the most enrollments streamed once
// by this process (rows/s, the API's peak RSS sampled every 10 ms from /proc).
//
// Callers: students (the tokens run.mjs minted) on my-progress / my-dashboard; the bench instructors
// (instructor0..4) on their own courses, the quizzes of those courses and their own overview; the
// bench admin on the system overview and the gradebook (the largest course is usually not theirs).
// Each route's request file holds one line per (caller, id) pair, picked at random by the load tool.
import { readFileSync } from 'node:fs';
import { clearInterval, setInterval } from 'node:timers';
import { log } from './lib.mjs';

const TARGET_P99_MS = 50;
const TARGET_SYSTEM_P99_MS = 20;

function rssBytes(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** GETs `url` once (a smoke check before the load: the route must answer 200 to this caller). */
async function check(base, path, token) {
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${text.slice(0, 300)}`);
}

/** Streams the gradebook CSV once: rows (lines after the header), seconds, bytes, API peak RSS. */
async function gradebook(api, path, token) {
  const pid = api.pid;
  const rss0 = rssBytes(pid);
  let peak = rss0 ?? 0;
  const timer = setInterval(() => {
    const r = rssBytes(pid);
    if (r !== undefined && r > peak) peak = r;
  }, 10);
  const started = process.hrtime.bigint();
  let bytes = 0;
  let lines = 0;
  let firstByteMs;
  try {
    const res = await fetch(`${api.base}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${(await res.text()).slice(0, 300)}`);
    for await (const chunk of res.body) {
      if (firstByteMs === undefined) firstByteMs = Number(process.hrtime.bigint() - started) / 1e6;
      bytes += chunk.length;
      for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
    }
  } finally {
    clearInterval(timer);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const r = rssBytes(pid);
  if (r !== undefined && r > peak) peak = r;
  return { rows: Math.max(0, lines - 1), seconds, bytes, firstByteMs, rss0, peak };
}

/**
 * What the analytics triggers add to the writes that feed them, measured inside PostgreSQL on one
 * connection: the same N single-row statements (the shapes the API issues: a lesson progress update
 * with a status change, an enrollment's summary update, a new enrollment, a graded quiz attempt's
 * score) timed with the table's analytics triggers enabled and disabled (ALTER TABLE ... DISABLE
 * TRIGGER, inside a transaction that is rolled back), alternated twice after a warm-up pass; median
 * per statement. Wall time on one connection: the statement's PostgreSQL cost plus one round trip.
 */
async function triggerCost(monitor, n = 400) {
  const ids = async (sql) => (await monitor.query({ text: sql, values: [n], rowMode: 'array' })).rows;
  const progress = await ids(
    `SELECT id FROM lesson_progress WHERE status <> 'completed' ORDER BY md5(id::text) LIMIT $1`,
  );
  const enrollments = await ids(`SELECT id FROM enrollments ORDER BY md5(id::text) LIMIT $1`);
  const attempts = await ids(`SELECT id FROM quiz_attempts WHERE status = 'graded' ORDER BY md5(id::text) LIMIT $1`);
  const pairs = await ids(
    `SELECT s.id, c.id FROM (SELECT id FROM users WHERE role = 'student' ORDER BY md5(id::text) LIMIT $1) s
     CROSS JOIN LATERAL (SELECT c.id FROM courses c WHERE c.is_published
       AND NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.student_id = s.id AND e.course_id = c.id)
       ORDER BY md5(c.id::text || s.id::text) LIMIT 1) c`,
  );
  const cases = [
    [
      'lesson progress: status → completed, time + 30 s',
      'lesson_progress',
      `UPDATE lesson_progress SET status = 'completed', completed_at = now(), completion_percentage = 100,
         time_spent_seconds = time_spent_seconds + 30, updated_at = now() WHERE id = $1`,
      progress,
    ],
    [
      'enrollment summary: progress, lessons, time',
      'enrollments',
      `UPDATE enrollments SET progress_percentage = least(progress_percentage + 5, 100),
         completed_lessons_count = completed_lessons_count + 1, total_time_spent_seconds = total_time_spent_seconds + 30,
         updated_at = now() WHERE id = $1`,
      enrollments,
    ],
    [
      'new enrollment',
      'enrollments',
      `INSERT INTO enrollments (student_id, course_id, total_lessons_count) VALUES ($1, $2, 5)`,
      pairs,
    ],
    [
      'quiz attempt: regraded score',
      'quiz_attempts',
      `UPDATE quiz_attempts SET score = score + 0, graded_at = now() WHERE id = $1`,
      attempts,
    ],
  ];
  const out = [];
  for (const [label, table, sql, params] of cases) {
    if (!params.length) continue;
    const pass = async (enabled) => {
      await monitor.query('BEGIN');
      try {
        if (!enabled) {
          for (const op of ['ins', 'upd', 'del']) {
            await monitor.query(`ALTER TABLE ${table} DISABLE TRIGGER trg_${table}_analytics_${op}`);
          }
        }
        const t0 = process.hrtime.bigint();
        for (const p of params) await monitor.query({ name: `trigger-cost-${label}`, text: sql, values: p });
        return Number(process.hrtime.bigint() - t0) / 1e3 / params.length;
      } finally {
        await monitor.query('ROLLBACK');
      }
    };
    await pass(true);
    const on = [];
    const off = [];
    for (let i = 0; i < 2; i++) {
      on.push(await pass(true));
      off.push(await pass(false));
    }
    const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    out.push({ label, n: params.length, on: median(on), off: median(off) });
  }
  return out;
}

/**
 * @param {object} ctx run.mjs's phase 2: { bench, api, monitor, fx, tokenOf, opts, add, results, target }
 */
export async function analyticsScenario({ bench, api, monitor, fx, tokenOf, opts, add, results, target }) {
  const connections = Number(process.env.BENCH_ANALYTICS_CONNECTIONS ?? 16);
  const duration = Number(process.env.BENCH_ANALYTICS_DURATION ?? Math.min(opts.duration, 5));
  const A = '/api/v1/analytics';
  const admin = tokenOf(fx.admin);
  const students = fx.students.filter((s) => tokenOf(s.email));
  const instructors = fx.instructors.filter((i) => tokenOf(i.email));
  if (!admin || !students.length || !instructors.length) throw new Error('analytics: tokens missing');
  const instructorToken = new Map(instructors.map((i) => [i.id, tokenOf(i.email)]));
  const own = fx.ownCourses.filter((c) => instructorToken.has(c.instructor_id));
  if (!own.length) throw new Error('analytics: the bench instructors own no course');
  const { rows: ownQuizzes } = await monitor.query(
    `SELECT q.id, c.instructor_id FROM quizzes q JOIN courses c ON c.id = q.course_id
      WHERE q.course_id = ANY($1) ORDER BY q.created_at, q.id`,
    [own.map((c) => c.id)],
  );
  // Quizzes of the instructors' courses (their owners); without any, the students' quizzes as admin.
  const quizLines = ownQuizzes.length
    ? ownQuizzes.map((q) => [q.id, instructorToken.get(q.instructor_id)])
    : fx.quizzes.map((q) => [q.id, admin]);
  const courseLines = (suffix) =>
    own.map((c) => `GET\t${A}/courses/${c.id}${suffix}\t${instructorToken.get(c.instructor_id)}`);

  const routes = [
    ['my-progress', students.map((s) => `GET\t${A}/my-progress\t${tokenOf(s.email)}`), 'students'],
    ['my-dashboard', students.map((s) => `GET\t${A}/my-dashboard\t${tokenOf(s.email)}`), 'students'],
    ['courses/{id}', courseLines(''), 'owning instructors'],
    ['courses/{id}/lessons', courseLines('/lessons'), 'owning instructors'],
    ['courses/{id}/activity?days=30', courseLines('/activity?days=30'), 'owning instructors'],
    [
      'quizzes/{id}/items',
      quizLines.map(([id, token]) => `GET\t${A}/quizzes/${id}/items\t${token}`),
      ownQuizzes.length ? 'owning instructors' : 'admin',
    ],
    [
      'instructors/{id}/overview',
      instructors.map((i) => `GET\t${A}/instructors/${i.id}/overview\t${tokenOf(i.email)}`),
      'the instructors themselves',
    ],
    ['system/overview', [`GET\t${A}/system/overview\t${admin}`], 'admin'],
  ];

  results.analytics = { connections, duration, routes: [] };
  for (const [name, lines, who] of routes) {
    if (!lines.length) {
      log(`analytics ${name}: no request to make, skipped`);
      continue;
    }
    const [, path, token] = lines[0].split('\t');
    await check(api.base, path, token);
    const r = await bench.single(`analytics ${name}`, api, {
      file: bench.requestFile(`analytics-${name.replace(/[^a-z0-9]+/gi, '-')}`, lines),
      mode: 'random',
      connections,
      duration,
    });
    add(
      `analytics ${name} (${lines.length} ${who === 'admin' ? 'request' : 'caller/id pair'}${lines.length === 1 ? '' : 's'}, ${who})`,
      'api',
      r,
    );
    results.analytics.routes.push({ route: name, callers: who, distinct: lines.length, ...r });
    const limit = name === 'system/overview' ? TARGET_SYSTEM_P99_MS : TARGET_P99_MS;
    results.targets.push(target(`analytics ${name} p99 < ${limit} ms`, r.p99, limit, '≤', (x) => `${x.toFixed(1)} ms`));
  }

  // The gradebook of the course with the most enrollments (the rollup's count), as admin.
  const { rows: big } = await monitor.query(
    `SELECT c.id, c.title, (SELECT count(*) FROM enrollments e WHERE e.course_id = c.id)::int AS enrollments,
       (SELECT count(*) FROM quizzes q WHERE q.course_id = c.id)::int AS quizzes
     FROM courses c ORDER BY enrollments DESC, c.id LIMIT 1`,
  );
  if (big.length) {
    const path = `${A}/courses/${big[0].id}/gradebook.csv`;
    log(`analytics gradebook.csv: course ${big[0].id} (${big[0].enrollments} enrollments), warm-up`);
    await gradebook(api, path, admin);
    const runs = [];
    for (let i = 0; i < Math.max(1, opts.rounds); i++) {
      log(`analytics gradebook.csv: round ${i + 1}`);
      runs.push(await gradebook(api, path, admin));
    }
    const best = runs.reduce((a, b) => (a.seconds <= b.seconds ? a : b));
    const peak = Math.max(...runs.map((r) => r.peak));
    const rss0 = runs[0].rss0;
    results.analytics.gradebook = { course: big[0], runs, rowsPerSecond: best.rows / best.seconds, peak, rss0 };
    results.notes.push(
      `analytics gradebook.csv of the largest course (${big[0].enrollments} enrollments, ${big[0].quizzes} quizzes), ` +
        `admin, streamed once after a warm-up per round: ${best.rows} rows, ${(best.bytes / 1e6).toFixed(2)} MB in ` +
        `${(best.seconds * 1000).toFixed(0)} ms (first byte ${best.firstByteMs?.toFixed(0)} ms) = ` +
        `${(best.rows / best.seconds).toFixed(0)} rows/s; API RSS ${(rss0 / 2 ** 20).toFixed(0)} MB before, ` +
        `peak ${(peak / 2 ** 20).toFixed(0)} MB.`,
    );
  }
  log('analytics: trigger cost of the writes that feed the rollups');
  const costs = await triggerCost(monitor);
  results.analytics.triggerCost = costs;
  results.notes.push(
    'analytics triggers, cost per single-row write (median µs per statement on one connection, triggers on / off, ' +
      'in rolled-back transactions): ' +
      costs
        .map(
          (c) => `${c.label}: ${c.on.toFixed(0)} / ${c.off.toFixed(0)} µs (+${(c.on - c.off).toFixed(0)} µs, n=${c.n})`,
        )
        .join('; ') +
      '.',
  );
  results.notes.push(
    `analytics routes: ${connections} connections, ${duration} s per round after a warm-up, on the API with its cache on ` +
      '(courses/{id} and quizzes/{id}/items are cached per viewer: 300 s and 60 s TTL, so most of their requests are cache hits).',
  );
}
