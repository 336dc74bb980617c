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
  results.notes.push(
    `analytics routes: ${connections} connections, ${duration} s per round after a warm-up, on the API with its cache on ` +
      '(courses/{id} and quizzes/{id}/items are cached per viewer: 300 s and 60 s TTL, so most of their requests are cache hits).',
  );
}
