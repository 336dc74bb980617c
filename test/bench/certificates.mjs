// The certificates scenario of `npm run bench` (scenario `certificates`): a backlog of completed
// enrollments (default 2,000; BENCH_CERT_BACKLOG) drained by ONE worker process
// (dist/apps/worker/src/main.js), end to end: enrollment.completed outbox event → relay → BullMQ
// job certificates/issue-certificate → PDF rendered and stored → certificates row → email.requested
// → (the same worker) .eml file under the worker's DATA_DIR/mail. Reports
//   - certificates/s from the commit of the backlog to the moment the last certificates row exists,
//     the worker's CPU (from /proc) and PostgreSQL's CPU per certificate, the time until every
//     email was written, and the job processing time from BullMQ's job table;
//   - the PDF renderer alone (dist/libs/certificates/src/pdf/certificate-pdf.js), timed in this
//     process (BENCH_CERT_RENDERS renders, default 200): mean/p50/p99 ms and CPU per render;
//   - the catalog `list` load (API cache off, as the phase-1 list scenario) once with the worker
//     idle and once while a second backlog drains: p99 of both and their ratio.
// The backlog lives in the bench database as its own users (cert-bench-*@bench.lms.local: one
// instructor, one unpublished course, one student per enrollment) and is deleted again, with its
// outbox events and BullMQ job rows, before each drain and at the end (npm run bench:seed removes
// any leftovers too: the seed owns every @bench.lms.local user). The worker's DATA_DIR (PDFs,
// .eml files) is a directory of this run's work dir, removed at the end.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { BENCH_EMAIL_DOMAIN, ROOT, log } from './lib.mjs';
import { PgCpuMeter, processCpuMicros } from './load.mjs';
import { summarizeProfile } from './profile.mjs';

const TARGET_CERTS_PER_S = 30;
const TARGET_P99_RATIO = 1.2;
/** Every row the scenario creates hangs off users with this email prefix (ON DELETE CASCADE). */
const PREFIX = 'cert-bench-';
const INSTRUCTOR_EMAIL = `${PREFIX}instructor@${BENCH_EMAIL_DOMAIN}`;
const COURSE_SLUG = `${PREFIX}course`;

const num = (v, d) => (v === undefined || v === '' ? d : Number(v));
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function percentile(sorted, p) {
  if (!sorted.length) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const mean = (xs) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : undefined);

// ---- backlog ----------------------------------------------------------------------------------

/** Deletes every row a (possibly crashed) previous run left: outbox events, BullMQ jobs, users and what cascades. */
async function cleanup(client) {
  const { rows: users } = await client.query('SELECT id, email FROM users WHERE email LIKE $1', [
    `${PREFIX}%@${BENCH_EMAIL_DOMAIN}`,
  ]);
  if (!users.length) return 0;
  const ids = users.map((u) => u.id);
  const emails = users.map((u) => u.email);
  await client.query('BEGIN');
  try {
    const { rows: events } = await client.query(
      `SELECT id FROM outbox_events
        WHERE (payload->>'student_id') = ANY($1::text[])
           OR (event_type = 'email.requested' AND (payload->>'to') = ANY($2::text[]))`,
      [ids, emails],
    );
    const eventIds = events.map((e) => e.id);
    // Job ids are `<eventId>.<queue>.<jobName>` (outbox relay): BullMQ keeps completed jobs for 7 days.
    if (eventIds.length && (await client.query(`SELECT to_regclass('bullmq.job') AS t`)).rows[0].t) {
      await client.query(`DELETE FROM bullmq.job_log WHERE split_part(job_id, '.', 1) = ANY($1::text[])`, [eventIds]);
      await client.query(`DELETE FROM bullmq.job WHERE split_part(id, '.', 1) = ANY($1::text[])`, [eventIds]);
    }
    await client.query('DELETE FROM outbox_events WHERE id = ANY($1::uuid[])', [eventIds]);
    // Cascades: the course, the enrollments, the certificates.
    await client.query('DELETE FROM users WHERE id = ANY($1::uuid[])', [ids]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
  return users.length;
}

/** The instructor, an unpublished course (not in the catalog) and `n` students; no enrollments yet. */
async function prepare(client, n) {
  await client.query('BEGIN');
  try {
    const {
      rows: [ins],
    } = await client.query(
      `INSERT INTO users (email, password_hash, full_name, role) VALUES ($1, '!', 'Dr. Ada Lovelace-Benchmark', 'instructor') RETURNING id`,
      [INSTRUCTOR_EMAIL],
    );
    const {
      rows: [course],
    } = await client.query(
      `INSERT INTO courses (title, slug, instructor_id, is_published, description)
       VALUES ('Distributed Systems in Practice: Queues, Outboxes and Idempotent Workers', $1, $2, false,
               'Certificates benchmark course (test/bench/certificates.mjs)') RETURNING id`,
      [COURSE_SLUG, ins.id],
    );
    // Names of varied length and script (Latin with diacritics, Greek, Cyrillic): the renderer splits runs by font subset.
    await client.query(
      `INSERT INTO users (email, password_hash, full_name, role)
       SELECT $1 || i || '@' || $2, '!',
              (ARRAY['Zoë Müller-Łukasiewicz', 'John Smith', 'Αλέξανδρος Παπαδόπουλος', 'Анна Кузнецова',
                     'María José García Fernández de la Torre', 'Nguyễn Thị Minh Khai'])[1 + i % 6] || ' ' || i,
              'student'
       FROM generate_series(1, $3::int) AS i`,
      [`${PREFIX}s`, BENCH_EMAIL_DOMAIN, n],
    );
    await client.query('COMMIT');
    return course.id;
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
}

/**
 * One transaction: every bench student's enrollment, completed, and its enrollment.completed event
 * (as EnrollmentsService records it), plus the NOTIFY that wakes the relay. Returns the time of the commit.
 */
async function commitBacklog(client, courseId) {
  await client.query('BEGIN');
  try {
    const { rowCount } = await client.query(
      `WITH e AS (
         INSERT INTO enrollments (student_id, course_id, status, enrolled_at, started_at, completed_at,
                                  progress_percentage, last_accessed_at)
         SELECT id, $1, 'completed', now() - interval '30 days', now() - interval '29 days', now(), 100, now()
         FROM users WHERE email LIKE $2
         RETURNING id, student_id, course_id, completed_at)
       INSERT INTO outbox_events (event_type, payload)
       SELECT 'enrollment.completed', jsonb_build_object(
         'enrollment_id', e.id, 'student_id', e.student_id, 'course_id', e.course_id,
         'completed_at', to_char(e.completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
       FROM e`,
      [courseId, `${PREFIX}s%@${BENCH_EMAIL_DOMAIN}`],
    );
    await client.query(`SELECT pg_notify('lms_outbox', 'bench')`);
    await client.query('COMMIT');
    return { at: nowMs(), events: rowCount };
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
}

/** CPU of each client backend of the database, with its application_name (the worker's pools tell apart). */
async function pgSnapshot(client) {
  const { rows } = await client.query(
    `SELECT pid, application_name AS app FROM pg_stat_activity
      WHERE datname = current_database() AND backend_type = 'client backend'`,
  );
  return new Map(rows.map((r) => [r.pid, { app: r.app || '(no name)', cpu: processCpuMicros(r.pid) ?? 0 }]));
}

/** CPU µs per application_name between two snapshots (backends that exited in between are missed). */
function pgDeltaByApp(before, after) {
  const out = {};
  for (const [pid, { app, cpu }] of after) out[app] = (out[app] ?? 0) + cpu - (before.get(pid)?.cpu ?? 0);
  return out;
}

function countFiles(dir) {
  try {
    return readdirSync(dir).length;
  } catch {
    return 0;
  }
}

/**
 * Creates a backlog of `n`, commits it and waits until every certificate row exists (and then every
 * email file). `during` (optional) runs concurrently from the commit on (the catalog load).
 */
async function drain({ client, poller, pgMeter, worker, dataDir, n, timeoutS, during }) {
  await cleanup(client);
  const courseId = await prepare(client, n);
  const mailDir = join(dataDir, 'mail');
  const mail0 = countFiles(mailDir);
  const pg0 = await pgMeter.snapshot();
  const apps0 = await pgSnapshot(poller);
  const cpu0 = processCpuMicros(worker.pid);
  const { at: t0, events } = await commitBacklog(client, courseId);
  const window = { fromUs: t0 * 1000 };
  const duringRun = during ? during() : undefined;
  let certsAt;
  let certCpu;
  let certPg;
  let certPgByApp;
  let mailAt;
  let last = 0;
  let lastLog = t0;
  const deadline = t0 + timeoutS * 1000;
  while (nowMs() < deadline) {
    if (worker.child.exitCode !== null) throw new Error(`the worker exited during the drain:\n${worker.logTail()}`);
    if (certsAt === undefined) {
      const { rows } = await poller.query('SELECT count(*)::int AS n FROM certificates WHERE course_id = $1', [
        courseId,
      ]);
      last = rows[0].n;
      if (last >= n) {
        certsAt = nowMs();
        certCpu = processCpuMicros(worker.pid) - cpu0;
        certPg = pgMeter.delta(pg0, await pgMeter.snapshot());
        certPgByApp = pgDeltaByApp(apps0, await pgSnapshot(poller));
        window.toUs = certsAt * 1000;
      }
    }
    if (certsAt !== undefined && countFiles(mailDir) - mail0 >= n) {
      mailAt = nowMs();
      break;
    }
    if (nowMs() - lastLog > 10_000) {
      lastLog = nowMs();
      log(`certificates: ${last}/${n} certificates after ${((lastLog - t0) / 1000).toFixed(0)} s`);
    }
    await sleep(100);
  }
  const loadResult = duringRun ? await duringRun : undefined;
  const totalCpu = processCpuMicros(worker.pid) - cpu0;
  if (certsAt === undefined) {
    window.toUs = nowMs() * 1000;
    log(`certificates: timed out after ${timeoutS} s with ${last}/${n} certificates`);
  }
  const stats = await jobStats(client, courseId, n);
  // The drain's leftovers (retrying jobs included) must not run into the next measurement.
  await cleanup(client);
  return {
    n,
    events,
    issued: certsAt === undefined ? last : n,
    seconds: ((certsAt ?? nowMs()) - t0) / 1000,
    complete: certsAt !== undefined,
    certsPerS: ((certsAt === undefined ? last : n) * 1000) / ((certsAt ?? nowMs()) - t0),
    workerCpuUs: certCpu,
    pgCpuUs: certPg,
    pgCpuMsPerCertByApp:
      certPgByApp && Object.fromEntries(Object.entries(certPgByApp).map(([k, v]) => [k, Math.round(v / n / 100) / 10])),
    mailSeconds: mailAt === undefined ? undefined : (mailAt - t0) / 1000,
    mails: countFiles(mailDir) - mail0,
    workerCpuWithMailUs: mailAt === undefined ? undefined : totalCpu,
    window,
    load: loadResult,
    ...stats,
  };
}

/** From BullMQ's job table and the outbox: job processing times and how many emails were requested. */
async function jobStats(client, courseId, n) {
  const { rows: ev } = await client.query(
    `SELECT count(*) FILTER (WHERE event_type = 'email.requested')::int AS emails,
            count(*) FILTER (WHERE event_type = 'certificate.issued')::int AS issued_events
       FROM outbox_events o
      WHERE (o.event_type = 'certificate.issued' AND (o.payload->>'course_id') = $1)
         OR (o.event_type = 'email.requested' AND (o.payload->>'to') LIKE $2)`,
    [courseId, `${PREFIX}s%@${BENCH_EMAIL_DOMAIN}`],
  );
  let jobs = {};
  if ((await client.query(`SELECT to_regclass('bullmq.job') AS t`)).rows[0].t) {
    const { rows } = await client.query(
      `SELECT j.processed_at_ms - j.added_at_ms AS wait_ms, j.finished_at_ms - j.processed_at_ms AS run_ms,
              j.added_at_ms, j.finished_at_ms, j.state
         FROM bullmq.job j JOIN outbox_events o ON split_part(j.id, '.', 1) = o.id::text
        WHERE j.queue LIKE '%certificates' AND o.event_type = 'enrollment.completed' AND (o.payload->>'course_id') = $1`,
      [courseId],
    );
    const run = rows
      .filter((r) => r.run_ms !== null)
      .map((r) => Number(r.run_ms))
      .sort((a, b) => a - b);
    const added = rows.map((r) => Number(r.added_at_ms)).filter(Boolean);
    const finished = rows.map((r) => Number(r.finished_at_ms)).filter(Boolean);
    // Every other job the backlog's events became (webhooks/fan-out of enrollment.completed and
    // certificate.issued, emails/send-email), by queue and state at the end of the drain.
    const { rows: other } = await client.query(
      `SELECT split_part(j.id, '.', 2) || '/' || j.state AS k, count(*)::int AS n
         FROM bullmq.job j JOIN outbox_events o ON split_part(j.id, '.', 1) = o.id::text
        WHERE (o.payload->>'course_id') = $1 OR (o.event_type = 'email.requested' AND (o.payload->>'to') LIKE $2)
        GROUP BY 1 ORDER BY 1`,
      [courseId, `${PREFIX}s%@${BENCH_EMAIL_DOMAIN}`],
    );
    jobs = {
      jobStates: Object.fromEntries(other.map((r) => [r.k, r.n])),
      jobs: rows.length,
      failedJobs: rows.filter((r) => r.state === 'failed').length,
      jobRunMeanMs: mean(run),
      jobRunP50Ms: percentile(run, 50),
      jobRunP99Ms: percentile(run, 99),
      // Sum of job run times over the span first enqueue → last finish: the jobs' mean concurrency.
      jobConcurrency:
        run.length && finished.length
          ? run.reduce((s, x) => s + x, 0) / (Math.max(...finished) - Math.min(...added))
          : undefined,
      relaySpanS: added.length ? (Math.max(...added) - Math.min(...added)) / 1000 : undefined,
    };
  }
  return { emailEvents: ev[0].emails, issuedEvents: ev[0].issued_events, ...jobs, expected: n };
}

// ---- PDF renderer alone -----------------------------------------------------------------------

async function timeRenders(count) {
  const file = join(ROOT, 'dist', 'libs', 'certificates', 'src', 'pdf', 'certificate-pdf.js');
  const { renderCertificatePdf } = await import(pathToFileURL(file).href);
  const names = ['Zoë Müller-Łukasiewicz', 'John Smith', 'Αλέξανδρος Παπαδόπουλος', 'Анна Кузнецова'];
  const input = (i) => ({
    studentName: `${names[i % names.length]} ${i}`,
    courseTitle: 'Distributed Systems in Practice: Queues, Outboxes and Idempotent Workers',
    instructorName: 'Dr. Ada Lovelace-Benchmark',
    completionDate: new Date(Date.UTC(2026, 11, 1)),
    certificateNumber: `CERT-20261201-${(0xa00000 + i).toString(16).toUpperCase()}`,
    verificationUrl: `http://localhost:3000/certificates/verify/CERT-20261201-${(0xa00000 + i).toString(16).toUpperCase()}`,
  });
  const first0 = nowMs();
  await renderCertificatePdf(input(0)); // loads and unpacks the fonts
  const firstMs = nowMs() - first0;
  for (let i = 1; i < 10; i++) await renderCertificatePdf(input(i));
  const times = [];
  let bytes = 0;
  const cpu0 = process.cpuUsage();
  const t0 = nowMs();
  for (let i = 0; i < count; i++) {
    const s = nowMs();
    const pdf = await renderCertificatePdf(input(i));
    times.push(nowMs() - s);
    bytes += pdf.length;
  }
  const wall = nowMs() - t0;
  const cpu = process.cpuUsage(cpu0);
  const sorted = [...times].sort((a, b) => a - b);
  return {
    count,
    firstMs,
    meanMs: mean(times),
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.at(-1),
    cpuUs: (cpu.user + cpu.system) / count,
    perS: (count * 1000) / wall,
    bytes: bytes / count,
  };
}

// ---- the scenario -----------------------------------------------------------------------------

/**
 * `Server`, `apiEnv`, `apiServer` and `servers` are run.mjs's; `bench` its Bench (opts, warm, measure);
 * `listFile` the catalog list request file. Adds rows, targets, notes and profiles to `results`.
 */
export async function certificatesScenario({
  Server,
  apiEnv,
  apiServer,
  servers,
  bench,
  db,
  listFile,
  add,
  results,
  target,
}) {
  const { opts, workDir } = bench;
  const n = num(process.env.BENCH_CERT_BACKLOG, opts.quick ? 300 : 2000);
  const renders = num(process.env.BENCH_CERT_RENDERS, opts.quick ? 50 : 200);
  const timeoutS = num(process.env.BENCH_CERT_TIMEOUT_S, 900);
  const workerPort = num(process.env.BENCH_WORKER_PORT, 18113);
  const client = new pg.Client({ connectionString: db.url, application_name: 'lms-bench-certificates' });
  const poller = new pg.Client({ connectionString: db.url, application_name: 'lms-bench-certificates-poll' });
  await client.connect();
  await poller.connect();
  const pgMeter = new PgCpuMeter(poller);
  const dataDir = join(workDir, 'worker-data');
  const out = { backlog: n };
  results.certificates = out;
  const newWorker = (nodeArgs = [], name = 'worker') =>
    new Server({
      name,
      args: ['--enable-source-maps', ...nodeArgs, 'dist/apps/worker/src/main.js'],
      env: { ...apiEnv(false), DATA_DIR: dataDir, WORKER_HTTP_PORT: String(workerPort) },
      port: workerPort,
      readyPath: '/health',
      logFile: join(workDir, `${name}.log`),
    });
  try {
    if ((await client.query(`SELECT to_regclass('public.certificates') AS t`)).rows[0].t === null) {
      results.notes.push(
        'Certificates: skipped (no certificates table: run `npm run migration:run` on the bench database).',
      );
      log('certificates: skipped (no certificates table)');
      return;
    }
    const left = await cleanup(client);
    if (left) log(`certificates: removed ${left} users left by a previous run`);
    mkdirSync(dataDir, { recursive: true });

    // 1. The renderer alone, in this process, before anything else runs.
    log(`certificates: timing ${renders} PDF renders in the bench process`);
    const render = await timeRenders(renders);
    out.render = render;

    // 2. The API (cache off, as the phase-1 catalog list) and one worker.
    const api = apiServer(false);
    servers.push(api);
    log('certificates: starting the API (cache off) and one worker');
    await api.start();
    const worker = newWorker();
    servers.push(worker);
    await worker.start();
    const list = { file: listFile, mode: 'random' };
    await bench.warm(api, list);

    // 3. Drain alone: nothing else runs.
    log(`certificates: draining a backlog of ${n} (no other load)`);
    const alone = await drain({ client, poller, pgMeter, worker, dataDir, n, timeoutS });
    out.alone = alone;
    log(
      `certificates: ${alone.issued}/${n} in ${alone.seconds.toFixed(1)} s = ${alone.certsPerS.toFixed(1)}/s; ` +
        `emails after ${alone.mailSeconds?.toFixed(1) ?? '—'} s`,
    );

    // 4. Catalog p99: worker idle, then while a second backlog drains (rounds × each).
    const idleRuns = [];
    const drainRuns = [];
    const underLoad = [];
    for (let r = 0; r < opts.rounds; r++) {
      log(`certificates: catalog list, worker idle (round ${r + 1}/${opts.rounds})`);
      await sleep(2000);
      idleRuns.push(await bench.measure(api, list));
      log(`certificates: catalog list while a backlog of ${n} drains (round ${r + 1}/${opts.rounds})`);
      const d = await drain({
        client,
        poller,
        pgMeter,
        worker,
        dataDir,
        n,
        timeoutS,
        during: () => bench.measure(api, list),
      });
      drainRuns.push(d.load);
      underLoad.push(d);
      if (d.complete && d.seconds < opts.duration)
        log(`certificates: WARNING the backlog drained (${d.seconds.toFixed(1)} s) before the catalog run ended`);
    }
    const idle = bench.constructor.aggregate(idleRuns);
    const draining = bench.constructor.aggregate(drainRuns);
    out.underLoad = underLoad;
    out.catalog = { idle, draining, p99Ratio: draining.p99 / idle.p99 };

    // 5. Profile of the worker during a drain (--profile always, or auto when the rate is missed).
    const missed = alone.certsPerS < TARGET_CERTS_PER_S;
    if (opts.profile === 'always' || (opts.profile === 'auto' && missed)) {
      await worker.stop();
      const dir = join(workDir, 'profiles');
      mkdirSync(dir, { recursive: true });
      const name = 'certificates-worker.cpuprofile';
      const profiled = newWorker([`--cpu-prof`, `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}`], 'worker-profiled');
      servers.push(profiled);
      await profiled.start();
      const pn = Math.min(n, 1000);
      log(`certificates: profiling the worker while a backlog of ${pn} drains`);
      const p = await drain({ client, poller, pgMeter, worker: profiled, dataDir, n: pn, timeoutS });
      await profiled.stop();
      const file = join(dir, name);
      if (existsSync(file)) {
        results.profiles.push({
          key: 'certificates',
          title: `worker draining ${pn} certificates (${p.certsPerS.toFixed(1)}/s under the profiler)`,
          file,
          summary: summarizeProfile(file, 15, p.window),
        });
      } else log(`certificates: profile ${file} not written`);
    }

    // ---- rows, targets, notes ----
    const drainRow = (d) => ({
      rounds: 1,
      requests: d.issued,
      rps: d.certsPerS,
      p50: d.jobRunP50Ms,
      p95: undefined,
      p99: d.jobRunP99Ms,
      cpuUs: d.workerCpuUs === undefined ? undefined : d.workerCpuUs / d.issued,
      pgUs: d.pgCpuUs === undefined ? undefined : d.pgCpuUs / d.issued,
      non2xx: d.expected - d.issued + (d.failedJobs ?? 0),
      errors: 0,
    });
    const ul = underLoad[0];
    add(
      `certificates: backlog of ${n} drained by one worker (req/s = certificates/s; p50/p99 = issue-certificate job run time)`,
      'worker',
      drainRow(alone),
      undefined,
      `${alone.seconds.toFixed(1)} s; emails written after ${alone.mailSeconds?.toFixed(1) ?? 'n/a'} s`,
    );
    if (ul) {
      add(
        `certificates: backlog of ${n} drained while the catalog load runs`,
        'worker',
        drainRow(ul),
        undefined,
        `${ul.seconds.toFixed(1)} s`,
      );
    }
    add(
      `PDF render alone, ${render.count} sequential renders in the bench process (req/s = renders/s; mean ${render.meanMs.toFixed(1)} ms)`,
      'bench',
      {
        rounds: 1,
        requests: render.count,
        rps: render.perS,
        p50: render.p50Ms,
        p95: undefined,
        p99: render.p99Ms,
        cpuUs: render.cpuUs,
        pgUs: undefined,
        non2xx: 0,
        errors: 0,
      },
    );
    add('catalog list, random page (API cache off), worker idle', 'api', idle);
    add(
      'catalog list, random page (API cache off), while the backlog drains',
      'api',
      draining,
      draining.rps / idle.rps,
    );
    results.targets.push(
      target(
        `certificates ≥ ${TARGET_CERTS_PER_S}/s on one worker (end to end, no other load)`,
        alone.certsPerS,
        TARGET_CERTS_PER_S,
        '≥',
        (x) => `${x.toFixed(1)}/s`,
      ),
      target(
        `catalog p99 while draining ≤ ${TARGET_P99_RATIO}× idle`,
        draining.p99 / idle.p99,
        TARGET_P99_RATIO,
        '≤',
        (x) => `${x.toFixed(2)}× (${draining.p99.toFixed(1)} vs ${idle.p99.toFixed(1)} ms)`,
      ),
    );
    const f1 = (x) => (x === undefined ? 'n/a' : x.toFixed(1));
    results.notes.push(
      `Certificates: ${n} enrollments of ${n} new students in one unpublished bench course, set completed with one ` +
        'enrollment.completed outbox event each in one transaction (+ NOTIFY lms_outbox); the clock starts at its commit ' +
        'and stops when the last certificates row exists (polled every 100 ms). One worker process ' +
        '(`dist/apps/worker/src/main.js`, QUEUE_CONCURRENCY default, queues on PostgreSQL, local storage, no SMTP: ' +
        `emails are .eml files) also relays the outbox and sends the emails; email sending is NOT inside the certificates/s ` +
        `clock but is measured: all ${alone.mails} emails written after ${f1(alone.mailSeconds)} s ` +
        `(${alone.emailEvents} email.requested events, ${alone.issuedEvents} certificate.issued events). ` +
        `Worker CPU per certificate ${f1(alone.workerCpuUs / alone.issued / 1000)} ms until the last row, ` +
        `${f1(alone.workerCpuWithMailUs === undefined ? undefined : alone.workerCpuWithMailUs / alone.issued / 1000)} ms including the emails; ` +
        `issue-certificate job run time mean ${f1(alone.jobRunMeanMs)} ms, mean jobs in flight ${alone.jobConcurrency?.toFixed(2) ?? 'n/a'}, ` +
        `relay enqueued the ${n} jobs over ${f1(alone.relaySpanS)} s; jobs of the backlog's events by queue/state when ` +
        `the emails were written: ${JSON.stringify(alone.jobStates ?? {})}; PostgreSQL CPU ms per certificate by ` +
        `application_name: ${JSON.stringify(alone.pgCpuMsPerCertByApp ?? {})}.`,
      `Certificates PDF renderer alone (dist/libs/certificates/src/pdf/certificate-pdf.js, this process, sequential, after ` +
        `10 warm-up renders; first render incl. font loading ${render.firstMs.toFixed(0)} ms): mean ${render.meanMs.toFixed(1)} ms, ` +
        `p50 ${render.p50Ms.toFixed(1)} ms, p99 ${render.p99Ms.toFixed(1)} ms, max ${render.maxMs.toFixed(1)} ms, ` +
        `${(render.cpuUs / 1000).toFixed(1)} ms CPU per render, ${(render.bytes / 1024).toFixed(0)} KiB per PDF.`,
      `Certificates, catalog under drain: the phase-1 catalog list load (API cache off, ${opts.connections} connections, ` +
        `${opts.duration} s, ${opts.rounds} round(s)) with the worker idle, then started at the commit of a second backlog ` +
        `of ${n}` +
        (ul ? ` (which drained in ${ul.seconds.toFixed(1)} s, ${ul.certsPerS.toFixed(1)}/s)` : '') +
        '. The API, the worker, PostgreSQL and the load generator share the machine.',
    );
  } finally {
    await cleanup(client).catch((err) => log(`certificates: cleanup failed: ${err.message}`));
    for (const s of servers.filter((x) => x.name.startsWith('worker') || x.name.startsWith('api'))) {
      await s.stop().catch(() => undefined);
    }
    rmSync(dataDir, { recursive: true, force: true });
    await poller.end().catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}
