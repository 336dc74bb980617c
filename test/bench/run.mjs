#!/usr/bin/env node
// npm run bench [-- --quick] [--duration 10] [--warmup 5] [--rounds 2] [--connections 32]
//               [--scenarios list,by-id,...] [--tokens 100] [--profile auto|always|never] [--out file.md]
//
// Builds nothing itself (npm run bench runs `npm run build` first). Against the seeded database
// (npm run bench:seed; DATABASE_URL or the embedded PostgreSQL), it starts the API from dist/ in
// production mode and the reference floor (floor-server.mjs: bare fastify + pg), drives them with
// wrk (autocannon when wrk is absent), interleaving API and floor runs (A/B/A/B) after a warm-up,
// and reads each server's CPU time from /proc/<pid>/stat. Results: one table on stdout and
// test/bench/results/<YYYY-MM-DD>.md (+ .json).
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { setTimeout } from 'node:timers';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { BENCH_DIR, BENCH_EMAIL_DOMAIN, ROOT, log, openDatabase, readSeedInfo, tableExists } from './lib.mjs';
import { PgCpuMeter, hasWrk, processCpuMicros, runLoad, wrkVersion } from './load.mjs';
import { filesScenario } from './files.mjs';
import { certificatesScenario } from './certificates.mjs';
import { webhooksScenario } from './webhooks.mjs';
import { analyticsScenario } from './analytics.mjs';
import { summarizeProfile } from './profile.mjs';

const ALL_SCENARIOS = [
  'list',
  'by-id',
  'by-slug',
  'cached-list',
  'auth',
  'my-courses',
  'progress',
  'quiz',
  'login',
  'journey',
  'rate-limit',
  'files',
  'certificates',
  'webhooks',
  'analytics',
];
/** Measured against the API with its cache off (phase 1); every other scenario runs on the production-like API. */
const PHASE1_SCENARIOS = ['list', 'by-id', 'by-slug'];
/** Scenarios that start their own servers (certificates.mjs: the API with its cache off and one worker). */
const OWN_SERVER_SCENARIOS = ['certificates', 'webhooks'];

const TARGETS = {
  listRatio: 0.65,
  byIdRatio: 0.6,
  cachedRatio: 2,
  listCpuUs: 800,
  byIdCpuUs: 450,
  authOverheadUs: 100,
  journeyP95Ms: 100,
  // Issue 10: the authenticated/anonymous Node CPU ratio must not grow past today's 2.2–2.55×,
  // and the rate limiter (a guard since @nestjs/throttler) should cost at most 20 µs per request.
  authRatio: 2.55,
  rateLimitUs: 20,
};

/** Limits so high that no scenario is ever refused: the limiter still counts every request, as in production. */
const UNREACHABLE_LIMIT = '1000000000';

// ---- options ----------------------------------------------------------------------------------

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      threads: { type: 'string' },
      tokens: { type: 'string' },
      scenarios: { type: 'string' },
      profile: { type: 'string', default: 'auto' },
      'profile-duration': { type: 'string' },
      'journey-max-connections': { type: 'string' },
      'log-level': { type: 'string', default: 'warn' },
      out: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      `${readFileSync(new URL(import.meta.url), 'utf8')
        .split('\n')
        .slice(1, 11)
        .join('\n')}\n`,
    );
    process.exit(0);
  }
  const quick = values.quick;
  const num = (v, d) => (v === undefined ? d : Number(v));
  const scenarios = values.scenarios ? values.scenarios.split(',').map((s) => s.trim()) : ALL_SCENARIOS;
  for (const s of scenarios)
    if (!ALL_SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s} (${ALL_SCENARIOS})`);
  if (!['auto', 'always', 'never'].includes(values.profile)) throw new Error('--profile is auto, always or never');
  return {
    quick,
    duration: num(values.duration, quick ? 3 : 10),
    warmup: num(values.warmup, quick ? 1 : 5),
    rounds: num(values.rounds, quick ? 1 : 2),
    connections: num(values.connections, 32),
    threads: num(values.threads, 2),
    tokens: num(values.tokens, quick ? 12 : 100),
    scenarios,
    profile: values.profile,
    profileDuration: num(values['profile-duration'], quick ? 3 : 15),
    journeyMax: num(values['journey-max-connections'], quick ? 16 : 256),
    logLevel: values['log-level'],
    out: values.out,
    write: !values['no-write'],
    apiPort: Number(process.env.BENCH_API_PORT ?? 18110),
    floorPort: Number(process.env.BENCH_FLOOR_PORT ?? 18111),
    apiPort2: Number(process.env.BENCH_API2_PORT ?? 18112),
  };
}

// ---- processes --------------------------------------------------------------------------------

function portFree(port) {
  return new Promise((resolveFree) => {
    const srv = net.createServer();
    srv.once('error', () => resolveFree(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolveFree(true)));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const children = new Set();

/** BENCH_API_NODE_ARGS: extra node flags for the API processes (e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`, `--trace-gc`). */
function extraApiNodeArgs() {
  return (process.env.BENCH_API_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
}

class Server {
  constructor({ name, args, env, port, readyPath, logFile }) {
    Object.assign(this, { name, args, env, port, readyPath, logFile });
    this.base = `http://127.0.0.1:${port}`;
  }

  async start() {
    if (!(await portFree(this.port)))
      throw new Error(`port ${this.port} is in use (set BENCH_API_PORT/BENCH_FLOOR_PORT)`);
    const out = openSync(this.logFile, 'a');
    this.child = spawn(process.execPath, this.args, { cwd: ROOT, env: this.env, stdio: ['ignore', out, out] });
    children.add(this.child);
    this.exited = new Promise((r) => this.child.once('exit', (code, signal) => r({ code, signal })));
    let gone;
    void this.exited.then((e) => (gone = e));
    const until = Date.now() + 120_000;
    while (Date.now() < until) {
      if (gone) throw new Error(`${this.name} exited during start-up (${JSON.stringify(gone)}):\n${this.logTail()}`);
      try {
        const res = await fetch(`${this.base}${this.readyPath}`);
        if (res.ok) return this;
      } catch {
        // not listening yet
      }
      await sleep(250);
    }
    throw new Error(`${this.name} was not ready within 120 s:\n${this.logTail()}`);
  }

  get pid() {
    return this.child.pid;
  }

  logTail(lines = 30) {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  async stop() {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const done = await Promise.race([this.exited, sleep(40_000).then(() => undefined)]);
    if (!done) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    children.delete(this.child);
  }
}

function killChildren() {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      // gone
    }
  }
}

// ---- measurement ------------------------------------------------------------------------------

const round1 = (x) => (x === undefined || x === null || Number.isNaN(x) ? undefined : Math.round(x * 10) / 10);

class Bench {
  constructor(opts, monitor, workDir) {
    this.opts = opts;
    this.monitor = monitor;
    this.pgMeter = new PgCpuMeter(monitor);
    this.workDir = workDir;
    this.fileSeq = 0;
  }

  /** Writes a request file for lua/requests.lua (and the autocannon fallback). */
  requestFile(name, lines) {
    const file = join(this.workDir, `${String(++this.fileSeq).padStart(2, '0')}-${name}.tsv`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  }

  /** One measured run against `server`: load numbers plus server and PostgreSQL CPU per request. */
  async measure(server, load) {
    const { before, ...rest } = load;
    if (before) await before();
    load = rest;
    const pg0 = await this.pgMeter.snapshot();
    const cpu0 = processCpuMicros(server.pid);
    const r = await runLoad({
      base: server.base,
      threads: this.opts.threads,
      script: join(BENCH_DIR, 'lua', 'requests.lua'),
      duration: this.opts.duration,
      connections: this.opts.connections,
      ...load,
    });
    const cpu1 = processCpuMicros(server.pid);
    const pg1 = await this.pgMeter.snapshot();
    const pgDelta = this.pgMeter.delta(pg0, pg1);
    return { ...r, cpuMicros: cpu1 - cpu0, pgMicros: pgDelta };
  }

  async warm(server, load) {
    if (this.opts.warmup > 0) await this.measure(server, { ...load, duration: this.opts.warmup });
  }

  /** Combines rounds: req/s over the total time, latency percentiles averaged, CPU over all requests. */
  static aggregate(runs) {
    const requests = runs.reduce((s, r) => s + r.requests, 0);
    const seconds = runs.reduce((s, r) => s + r.seconds, 0);
    const avg = (k) => runs.reduce((s, r) => s + r[k], 0) / runs.length;
    const cpu = runs.reduce((s, r) => s + r.cpuMicros, 0);
    const pgKnown = runs.every((r) => r.pgMicros !== undefined);
    const pgCpu = pgKnown ? runs.reduce((s, r) => s + r.pgMicros, 0) : undefined;
    return {
      rounds: runs.length,
      requests,
      rps: requests / seconds,
      p50: avg('p50'),
      p95: avg('p95'),
      p99: avg('p99'),
      cpuUs: requests ? cpu / requests : undefined,
      pgUs: requests && pgCpu !== undefined ? pgCpu / requests : undefined,
      non2xx: runs.reduce((s, r) => s + r.non2xx, 0),
      errors: runs.reduce((s, r) => s + r.errors, 0),
      tool: runs[0]?.tool,
      extra: runs.map((r) => r.extra).filter(Boolean),
    };
  }

  /** A/B/A/B after a warm-up of both. */
  async ab(label, a, b, load, loadB = load) {
    log(`${label}: warm-up`);
    await this.warm(a.server, load);
    await this.warm(b.server, loadB);
    const ra = [];
    const rb = [];
    for (let i = 0; i < this.opts.rounds; i++) {
      log(`${label}: round ${i + 1}/${this.opts.rounds} ${a.name}`);
      ra.push(await this.measure(a.server, load));
      log(`${label}: round ${i + 1}/${this.opts.rounds} ${b.name}`);
      rb.push(await this.measure(b.server, loadB));
    }
    return [Bench.aggregate(ra), Bench.aggregate(rb)];
  }

  async single(label, server, load) {
    log(`${label}: warm-up`);
    await this.warm(server, load);
    const runs = [];
    for (let i = 0; i < this.opts.rounds; i++) {
      log(`${label}: round ${i + 1}/${this.opts.rounds}`);
      runs.push(await this.measure(server, load));
    }
    return Bench.aggregate(runs);
  }
}

// ---- data -------------------------------------------------------------------------------------

async function loadFixtures(client, info, opts) {
  const S = info.params.students;
  const { rows: pub } = await client.query(
    'SELECT id, slug FROM courses WHERE is_published ORDER BY created_at DESC, id DESC LIMIT 50000',
  );
  const published = Number((await client.query('SELECT count(*) AS n FROM courses WHERE is_published')).rows[0].n);
  const n = Math.min(opts.tokens, S);
  const step = Math.max(1, Math.floor(S / n));
  const studentEmails = Array.from({ length: n }, (_, k) => `student${k * step}@${BENCH_EMAIL_DOMAIN}`);
  const { rows: students } = await client.query('SELECT id, email FROM users WHERE email = ANY($1) ORDER BY email', [
    studentEmails,
  ]);
  const studentIds = students.map((s) => s.id);
  const { rows: enrollments } = await client.query(
    'SELECT id, student_id, course_id FROM enrollments WHERE student_id = ANY($1) ORDER BY student_id, enrolled_at DESC',
    [studentIds],
  );
  const courseIds = [...new Set(enrollments.map((e) => e.course_id))];
  const { rows: lessons } = await client.query(
    'SELECT id, course_id FROM lessons WHERE course_id = ANY($1) ORDER BY course_id, order_index',
    [courseIds],
  );
  const instructorEmails = Array.from(
    { length: Math.min(5, info.params.instructors) },
    (_, k) => `instructor${k}@${BENCH_EMAIL_DOMAIN}`,
  );
  const { rows: instructors } = await client.query('SELECT id, email FROM users WHERE email = ANY($1)', [
    instructorEmails,
  ]);
  const { rows: ownCourses } = await client.query(
    `SELECT id, instructor_id FROM (
       SELECT id, instructor_id, row_number() OVER (PARTITION BY instructor_id ORDER BY created_at DESC) AS r
       FROM courses WHERE instructor_id = ANY($1)) x WHERE r <= 5`,
    [instructors.map((i) => i.id)],
  );
  let quizzes = [];
  let questions = [];
  if (info.quizzes && (await tableExists(client, 'quizzes'))) {
    quizzes = (
      await client.query('SELECT id, course_id FROM quizzes WHERE course_id = ANY($1) AND is_published', [courseIds])
    ).rows;
    questions = (
      await client.query(
        'SELECT id, quiz_id, question_type, options, correct_answer FROM quiz_questions WHERE quiz_id = ANY($1) ORDER BY quiz_id, order_index',
        [quizzes.map((q) => q.id)],
      )
    ).rows;
  }
  return {
    published,
    pages: Math.max(1, Math.ceil(published / 20)),
    courses: pub,
    students,
    enrollments,
    lessons,
    instructors,
    ownCourses,
    quizzes,
    questions,
    admin: `admin@${BENCH_EMAIL_DOMAIN}`,
  };
}

async function login(base, email, password) {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok || !body.tokens?.access_token) throw new Error(`login ${email}: ${res.status} ${JSON.stringify(body)}`);
  return body.tokens.access_token;
}

async function loginAll(base, emails, password, concurrency = 4) {
  const tokens = new Map();
  let i = 0;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i < emails.length) {
        const email = emails[i++];
        tokens.set(email, await login(base, email, password));
      }
    }),
  );
  return { tokens, seconds: (Date.now() - t0) / 1000 };
}

/** Compares the API's and the floor's JSON for the same request (the floor must answer what the API answers). */
async function compareShapes(api, floor, paths) {
  const problems = [];
  for (const path of paths) {
    const [a, b] = await Promise.all([fetch(`${api.base}${path}`), fetch(`${floor.base}${path}`)]);
    const [ja, jb] = [await a.text(), await b.text()];
    if (a.status !== b.status || ja !== jb) {
      let detail = `status ${a.status} vs ${b.status}`;
      try {
        const [oa, ob] = [JSON.parse(ja), JSON.parse(jb)];
        const ia = oa.items?.[0] ?? oa;
        const ib = ob.items?.[0] ?? ob;
        const keys = [...new Set([...Object.keys(ia), ...Object.keys(ib)])];
        const diff = keys.filter((k) => JSON.stringify(ia[k]) !== JSON.stringify(ib[k]));
        detail += `; differing keys: ${diff.join(', ') || '(order or paging fields)'}`;
      } catch {
        // not JSON
      }
      problems.push(`${path}: ${detail}`);
    }
  }
  return problems;
}

// ---- main -------------------------------------------------------------------------------------

async function main() {
  const opts = options();
  const startedAt = new Date();
  const workDir = mkdtempSync(join(tmpdir(), 'lms-bench-'));
  const load0 = loadavg();
  const db = await openDatabase();
  const monitor = new pg.Client({ connectionString: db.url, application_name: 'lms-bench-monitor' });
  await monitor.connect();
  const servers = [];
  const results = { rows: [], notes: [], targets: [], profiles: [], journey: [], shape: [] };
  try {
    const info = await readSeedInfo(monitor);
    if (!info || !info.complete) throw new Error('the database is not seeded: run `npm run bench:seed` first');
    const fx = await loadFixtures(monitor, info, opts);
    const pgVersion = (await monitor.query('SHOW server_version')).rows[0].server_version;
    log(
      `database: ${db.embedded ? 'embedded PostgreSQL' : 'DATABASE_URL'} (PostgreSQL ${pgVersion}), ` +
        `seed ${JSON.stringify(info.params)}; load tool: ${hasWrk() ? 'wrk' : 'autocannon'}; work dir ${workDir}`,
    );

    const bench = new Bench(opts, monitor, workDir);
    const secret = randomBytes(48).toString('base64url');
    const signingKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const apiEnv = (cache, rateLimit = true) => {
      const env = { ...process.env };
      for (const k of [
        'ENABLE_API_DOCS',
        'SEED_DEMO',
        'BOOTSTRAP_ADMIN_EMAIL',
        'BOOTSTRAP_ADMIN_PASSWORD',
        'DB_ECHO',
      ]) {
        delete env[k];
      }
      return Object.assign(env, {
        NODE_ENV: 'production',
        ENVIRONMENT: 'production',
        DEBUG: 'false',
        SECRET_KEY: secret,
        // Production requires a credential signing key (certificates); one per bench run.
        CERTIFICATE_SIGNING_KEY: signingKey,
        DATABASE_URL: db.url,
        DATA_DIR: join(workDir, 'api-data'),
        FILE_STORAGE_PROVIDER: 'local',
        // The limiter is on, as in production (in memory: no REDIS_URL), with limits no scenario reaches.
        RATE_LIMIT_ENABLED: rateLimit ? 'true' : 'false',
        RATE_LIMIT_REQUESTS_PER_MINUTE: UNREACHABLE_LIMIT,
        AUTH_RATE_LIMIT_REQUESTS_PER_MINUTE: UNREACHABLE_LIMIT,
        FILE_UPLOAD_RATE_LIMIT_REQUESTS_PER_HOUR: UNREACHABLE_LIMIT,
        // The files scenario uploads a 1 GB file; no quota.
        MAX_UPLOAD_MB: '1100',
        USER_STORAGE_QUOTA_MB: '0',
        LOG_LEVEL: opts.logLevel,
        PORT: String(opts.apiPort),
        HOST: '127.0.0.1',
        BCRYPT_ROUNDS: String(info.bcrypt_rounds),
        ACCESS_TOKEN_EXPIRE_MINUTES: '240',
        WORKERS_IN_PROCESS: 'false',
        CACHE_ENABLED: cache ? 'true' : 'false',
      });
    };
    const apiServer = (cache, nodeArgs = [], { rateLimit = true } = {}) =>
      new Server({
        name: `${cache ? 'api' : 'api (cache off)'}${rateLimit ? '' : ' (rate limit off)'}`,
        args: ['--enable-source-maps', ...extraApiNodeArgs(), ...nodeArgs, 'dist/apps/api/src/main.js'],
        env: { ...apiEnv(cache, rateLimit), ...(rateLimit ? {} : { PORT: String(opts.apiPort2) }) },
        port: rateLimit ? opts.apiPort : opts.apiPort2,
        readyPath: '/api/v1/ready',
        logFile: join(workDir, `api-${cache ? 'cache' : 'nocache'}${rateLimit ? '' : '-norl'}.log`),
      });
    const floor = new Server({
      name: 'floor',
      args: [join(BENCH_DIR, 'floor-server.mjs')],
      env: { ...process.env, DATABASE_URL: db.url, PORT: String(opts.floorPort), HOST: '127.0.0.1' },
      port: opts.floorPort,
      readyPath: '/health',
      logFile: join(workDir, 'floor.log'),
    });

    const want = (s) => opts.scenarios.includes(s);
    const add = (scenario, server, r, ratio, note) =>
      results.rows.push({ scenario, server, ...r, ratio, note: note ?? '' });

    // Request files.
    const pageLines = Array.from({ length: fx.pages }, (_, i) => `GET\t/api/v1/courses?page=${i + 1}&page_size=20\t-`);
    const listFile = bench.requestFile('list', pageLines);
    const idFile = bench.requestFile(
      'by-id',
      fx.courses.map((c) => `GET\t/api/v1/courses/${c.id}\t-`),
    );
    const slugFile = bench.requestFile(
      'by-slug',
      fx.courses.map((c) => `GET\t/api/v1/courses/slug/${encodeURIComponent(c.slug)}\t-`),
    );
    const cachedFile = bench.requestFile('cached-list', ['GET\t/api/v1/courses?page=1&page_size=20\t-']);

    servers.push(floor);
    await floor.start();

    // ---- phase 1: the API with its cache off (every request reaches PostgreSQL) vs the floor ----
    let tokens = new Map();
    const needsTokens = ['auth', 'my-courses', 'progress', 'quiz', 'journey', 'rate-limit', 'files', 'analytics'].some(
      want,
    );
    const phase1 = PHASE1_SCENARIOS.some(want);
    const nocache = apiServer(false);
    if (phase1 || needsTokens) {
      servers.push(nocache);
      log('starting the API (cache off)');
      await nocache.start();
      const shape = await compareShapes(nocache, floor, [
        '/api/v1/courses?page=3&page_size=20',
        '/api/v1/courses?page=1&page_size=20',
        `/api/v1/courses/${fx.courses[7 % fx.courses.length].id}`,
        `/api/v1/courses/slug/${fx.courses[5 % fx.courses.length].slug}`,
      ]);
      results.shape = shape;
      if (shape.length) log(`WARNING: the floor's responses differ from the API's:\n  ${shape.join('\n  ')}`);
      else log('response check: the floor answers byte-identical JSON');

      if (needsTokens) {
        const emails = [...fx.students.map((s) => s.email), ...fx.instructors.map((i) => i.email), fx.admin];
        log(`logging in ${emails.length} users (bcrypt cost ${info.bcrypt_rounds})`);
        const r = await loginAll(nocache.base, emails, info.password);
        tokens = r.tokens;
        results.notes.push(
          `Logged in ${emails.length} users once at start (${(emails.length / r.seconds).toFixed(1)} logins/s at concurrency 4); their access tokens are reused by every authenticated scenario.`,
        );
      }
      const A = { name: 'api', server: nocache };
      const F = { name: 'floor', server: floor };
      if (want('list')) {
        const [a, f] = await bench.ab('catalog list (uncached)', A, F, { file: listFile, mode: 'random' });
        add('catalog list, random page (API cache off)', 'api', a, a.rps / f.rps);
        add('catalog list, random page', 'floor', f, 1);
        results.targets.push(
          target('catalog list ≥ 0.65× floor', a.rps / f.rps, TARGETS.listRatio, '≥', (x) => `${x.toFixed(2)}×`),
          target('Node CPU per list request ≤ 800 µs', a.cpuUs, TARGETS.listCpuUs, '≤', (x) => `${x.toFixed(0)} µs`),
        );
      }
      if (want('by-id')) {
        const [a, f] = await bench.ab('course by id (uncached)', A, F, { file: idFile, mode: 'random' });
        add('course by id (API cache off)', 'api', a, a.rps / f.rps);
        add('course by id', 'floor', f, 1);
        results.targets.push(
          target('course by id ≥ 0.60× floor', a.rps / f.rps, TARGETS.byIdRatio, '≥', (x) => `${x.toFixed(2)}×`),
          target('Node CPU per by-id request ≤ 450 µs', a.cpuUs, TARGETS.byIdCpuUs, '≤', (x) => `${x.toFixed(0)} µs`),
        );
      }
      if (want('by-slug')) {
        const [a, f] = await bench.ab('course by slug (uncached)', A, F, { file: slugFile, mode: 'random' });
        add('course by slug (API cache off)', 'api', a, a.rps / f.rps);
        add('course by slug', 'floor', f, 1);
      }
      await nocache.stop();
    }

    // ---- phase 2: the API as configured for production (cache on) ----
    const api = apiServer(true);
    const phase2 = ALL_SCENARIOS.filter((sc) => ![...PHASE1_SCENARIOS, ...OWN_SERVER_SCENARIOS].includes(sc)).some(
      want,
    );
    if (phase2) {
      servers.push(api);
      log('starting the API (cache on)');
      await api.start();
      const A = { name: 'api', server: api };
      const F = { name: 'floor', server: floor };
      const tokenOf = (email) => tokens.get(email);

      if (want('cached-list')) {
        const [a, f] = await bench.ab('catalog list (cached)', A, F, { file: cachedFile, mode: 'random' });
        add('catalog list, page 1 repeated (API cache hit)', 'api', a, a.rps / f.rps);
        add('catalog list, page 1 repeated (no cache)', 'floor', f, 1);
        results.targets.push(
          target('cached catalog ≥ 2× floor', a.rps / f.rps, TARGETS.cachedRatio, '≥', (x) => `${x.toFixed(2)}×`),
        );
      }

      if (want('auth')) {
        const token = tokenOf(fx.students[0].email);
        const anon = bench.requestFile('health-anon', ['GET\t/api/v1/health\t-']);
        const authed = bench.requestFile('health-token', [`GET\t/api/v1/health\t${token}`]);
        const [withToken, without] = await bench.ab(
          'auth overhead (GET /health with vs without a bearer token)',
          { name: 'with token', server: api },
          { name: 'anonymous', server: api },
          { file: authed, mode: 'random' },
          { file: anon, mode: 'random' },
        );
        add('GET /health with a bearer token (guard: JWT + blacklist + user state)', 'api', withToken);
        add('GET /health anonymous', 'api', without);
        const overhead = withToken.cpuUs - without.cpuUs;
        const pgOverhead =
          withToken.pgUs !== undefined && without.pgUs !== undefined ? withToken.pgUs - without.pgUs : undefined;
        results.auth = { overheadUs: overhead, pgOverheadUs: pgOverhead, cpuRatio: withToken.cpuUs / without.cpuUs };
        results.targets.push(
          target(
            'authenticated/anonymous Node CPU ≤ 2.55×',
            withToken.cpuUs / without.cpuUs,
            TARGETS.authRatio,
            '≤',
            (x) => `${x.toFixed(2)}× (${withToken.cpuUs.toFixed(0)} / ${without.cpuUs.toFixed(0)} µs)`,
          ),
        );
        results.targets.push(
          target(
            'authenticated-request overhead ≤ 100 µs CPU',
            overhead,
            TARGETS.authOverheadUs,
            '≤',
            (x) =>
              `${x.toFixed(0)} µs (Node)${pgOverhead !== undefined ? ` + ${pgOverhead.toFixed(0)} µs PostgreSQL` : ''}`,
          ),
        );
      }

      if (want('my-courses')) {
        const lines = fx.students.map(
          (s) => `GET\t/api/v1/enrollments/my-courses?page=1&page_size=20\t${tokenOf(s.email)}`,
        );
        const r = await bench.single('my-courses', api, { file: bench.requestFile('my-courses', lines) });
        add(`my-courses (${fx.students.length} students, tokens reused)`, 'api', r);
      }

      if (want('progress')) {
        const byCourse = new Map();
        for (const l of fx.lessons) byCourse.set(l.course_id, [...(byCourse.get(l.course_id) ?? []), l.id]);
        const emailOf = new Map(fx.students.map((s) => [s.id, s.email]));
        const lines = [];
        let k = 0;
        for (const e of fx.enrollments) {
          const lessons = byCourse.get(e.course_id) ?? [];
          for (const lessonId of lessons.slice(0, 3)) {
            k++;
            lines.push(
              `PUT\t/api/v1/enrollments/${e.id}/lessons/${lessonId}/progress\t${tokenOf(emailOf.get(e.student_id))}\t` +
                JSON.stringify({ time_spent_seconds: 60 + (k % 500), last_position_seconds: 10 + (k % 300) }),
            );
          }
        }
        const r = await bench.single('lesson progress update', api, { file: bench.requestFile('progress', lines) });
        add('lesson progress update (PUT, transaction + summary)', 'api', r);
      }

      if (want('quiz')) await quizScenario(bench, api, monitor, fx, tokenOf, add, results);

      if (want('login')) {
        const lines = Array.from({ length: 500 }, (_, i) => {
          const s = (i * 7919) % info.params.students;
          return `POST\t/api/v1/auth/login\t-\t${JSON.stringify({ email: `student${s}@${BENCH_EMAIL_DOMAIN}`, password: info.password })}`;
        });
        const r = await bench.single('login', api, {
          file: bench.requestFile('login', lines),
          connections: Math.min(opts.connections, 8),
        });
        add(`login (bcrypt cost ${info.bcrypt_rounds}; req/s = logins/s)`, 'api', r);
      }

      if (want('journey')) await journeyScenario(bench, api, fx, tokenOf, results, opts);

      if (want('rate-limit')) {
        // The same API with the limiter off, interleaved with the one above: the CPU difference per
        // request on a limited route is what the rate limiter costs (anonymous and with a token).
        const norl = apiServer(true, [], { rateLimit: false });
        servers.push(norl);
        log('starting a second API (cache on, rate limit off)');
        await norl.start();
        const token = tokenOf(fx.students[0].email);
        for (const [who, bearer] of [
          ['anonymous', '-'],
          ['with a bearer token', token],
        ]) {
          const file = bench.requestFile(`categories-${bearer === '-' ? 'anon' : 'token'}`, [
            `GET\t/api/v1/categories\t${bearer}`,
          ]);
          const [on, off] = await bench.ab(
            `rate limiter cost (GET /categories ${who}, limiter on vs off)`,
            { name: 'limiter on', server: api },
            { name: 'limiter off', server: norl },
            { file, mode: 'random' },
          );
          add(`GET /categories ${who}, cached (rate limiter on)`, 'api', on);
          add(`GET /categories ${who}, cached (rate limiter off)`, 'api', off);
          const cost = on.cpuUs - off.cpuUs;
          results.rateLimit = { ...results.rateLimit, [bearer === '-' ? 'anonymousUs' : 'authenticatedUs']: cost };
          results.targets.push(
            target(
              `rate limiter ≤ 20 µs Node CPU per request (${who})`,
              cost,
              TARGETS.rateLimitUs,
              '≤',
              (x) => `${x.toFixed(0)} µs`,
            ),
          );
        }
        await norl.stop();
      }
      if (want('files')) {
        await filesScenario({
          api,
          floor,
          token: tokenOf(fx.students[0].email),
          workDir,
          rounds: opts.rounds,
          add,
          results,
          target,
        });
      }
      if (want('analytics')) {
        await analyticsScenario({ bench, api, monitor, fx, tokenOf, opts, add, results, target });
      }
      await api.stop();
    }

    // ---- certificates: a backlog drained by one worker, the catalog's p99 meanwhile ----
    if (want('certificates')) {
      await certificatesScenario({ Server, apiEnv, apiServer, servers, bench, db, listFile, add, results, target });
    }

    // ---- webhooks: outbox events fanned out by one worker to 10 local endpoints, vs a bare undici loop ----
    if (want('webhooks')) {
      await webhooksScenario({ Server, apiEnv, servers, bench, db, add, results, target });
    }

    // ---- micro-benchmark of the guard's pieces ----
    if (want('auth')) {
      log('auth micro-benchmark (jsonwebtoken with the KeyObject, blacklist and user-state lookups)');
      results.authMicro = await runAuthMicro(db.url, opts.quick ? 500 : 3000);
    }

    // ---- profiles ----
    const missed = results.targets.filter((t) => !t.met);
    if (opts.profile === 'always' || (opts.profile === 'auto' && missed.length > 0)) {
      await profiles(results, opts, apiServer, floor, {
        list: listFile,
        byId: idFile,
        cached: cachedFile,
        auth:
          results.auth !== undefined
            ? bench.requestFile('profile-auth', [`GET\t/api/v1/health\t${tokenOf0(tokens, fx)}`])
            : undefined,
        wantList: want('list'),
        wantById: want('by-id'),
        wantCached: want('cached-list'),
        missed,
        workDir,
      });
    }

    // ---- report ----
    const machine = {
      nproc: availableParallelism(),
      cpu: cpus()[0]?.model ?? 'unknown',
      memory_gb: Math.round(totalmem() / 2 ** 30),
      kernel: release(),
      node: process.version,
      postgres: pgVersion,
      database: db.embedded ? 'embedded PostgreSQL (./.data/pg)' : 'DATABASE_URL',
      load_tool: hasWrk() ? wrkVersion() : 'autocannon (wrk not found)',
      loadavg_before: load0.map((x) => x.toFixed(2)).join(' '),
      loadavg_after: loadavg()
        .map((x) => x.toFixed(2))
        .join(' '),
    };
    const report = { startedAt: startedAt.toISOString(), opts, seed: info, machine, ...results };
    const table = renderTable(results.rows);
    process.stdout.write(`\n${table}\n\n${renderTargets(results.targets)}\n`);
    if (opts.write) {
      const out = resolve(opts.out ?? join(BENCH_DIR, 'results', `${startedAt.toISOString().slice(0, 10)}.md`));
      mkdirSync(resolve(out, '..'), { recursive: true });
      writeFileSync(out, keepAnalysis(out, renderMarkdown(report, table)));
      writeFileSync(out.replace(/\.md$/, '.json'), `${JSON.stringify(report, null, 2)}\n`);
      log(`results written to ${relative(ROOT, out)}`);
    }
  } finally {
    for (const s of servers.reverse()) await s.stop().catch(() => undefined);
    await monitor.end().catch(() => undefined);
    await db.stop().catch(() => undefined);
  }
}

function tokenOf0(tokens, fx) {
  return tokens.get(fx.students[0]?.email) ?? '-';
}

function target(name, value, limit, op, fmt) {
  const met = value !== undefined && !Number.isNaN(value) && (op === '≥' ? value >= limit : value <= limit);
  return { name, value, limit, op, met, shown: value === undefined ? 'n/a' : fmt(value) };
}

// ---- quiz -------------------------------------------------------------------------------------

async function quizScenario(bench, api, monitor, fx, tokenOf, add, results) {
  const skip = (why) => {
    results.notes.push(`Quiz start+submit: skipped (${why}).`);
    log(`quiz: skipped (${why})`);
  };
  if (!(await tableExists(monitor, 'quizzes'))) return skip('the quizzes table does not exist yet');
  if (fx.quizzes.length === 0)
    return skip('no seeded quizzes: re-run npm run bench:seed once libs/quizzes is migrated');
  const probe = await fetch(`${api.base}/api/v1/quizzes/${fx.quizzes[0].id}/attempts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  if (probe.status === 404) return skip('POST /api/v1/quizzes/{id}/attempts is not served by this build');

  const quizByCourse = new Map(fx.quizzes.map((q) => [q.course_id, q.id]));
  const questionsOf = new Map();
  for (const q of fx.questions) questionsOf.set(q.quiz_id, [...(questionsOf.get(q.quiz_id) ?? []), q]);
  const emailOf = new Map(fx.students.map((s) => [s.id, s.email]));
  const answersFor = (quizId) =>
    (questionsOf.get(quizId) ?? []).map((q) => {
      if (q.question_type === 'multiple_choice') {
        const opts = q.options ?? [];
        const pick = opts.find((o) => o.is_correct) ?? opts[0];
        return { question_id: q.id, selected_option_id: pick?.option_id };
      }
      if (q.question_type === 'multiple_response') {
        return {
          question_id: q.id,
          selected_option_ids: (q.options ?? []).filter((o) => o.is_correct).map((o) => o.option_id),
        };
      }
      return { question_id: q.id, answer_text: q.correct_answer ?? 'true' };
    });
  const lines = [];
  for (const e of fx.enrollments) {
    const quizId = quizByCourse.get(e.course_id);
    if (!quizId) continue;
    lines.push(`${quizId}\t${tokenOf(emailOf.get(e.student_id))}\t${JSON.stringify({ answers: answersFor(quizId) })}`);
  }
  // wrk stops mid-sequence: attempts a previous run left in progress would make their starts 403.
  const studentIds = fx.students.map((s) => s.id);
  const before = async () => {
    await sleep(1000); // requests still in flight when wrk stopped
    await monitor.query(`DELETE FROM quiz_attempts WHERE status = 'in_progress' AND student_id = ANY($1)`, [
      studentIds,
    ]);
  };
  const connections = Math.min(bench.opts.connections, 16);
  const r = await bench.single('quiz start+submit', api, {
    file: bench.requestFile('quiz', lines),
    script: join(BENCH_DIR, 'lua', 'quiz.lua'),
    scriptArgs: [String(connections)],
    connections,
    threads: connections,
    before,
  });
  const extra = r.extra.reduce(
    (s, x) => ({
      starts: s.starts + x.starts,
      submits: s.submits + x.submits,
      failed: s.failed + x.failed_starts + x.failed_submits,
    }),
    { starts: 0, submits: 0, failed: 0 },
  );
  add(
    'quiz start+submit (req/s counts both requests)',
    'api',
    r,
    undefined,
    `${extra.submits} attempts submitted = ${f0(extra.submits / (r.requests / r.rps))}/s, ${extra.failed} failed requests`,
  );
}

// ---- journey ----------------------------------------------------------------------------------

async function journeyScenario(bench, api, fx, tokenOf, results, opts) {
  const byStudent = new Map();
  for (const e of fx.enrollments) byStudent.set(e.student_id, [...(byStudent.get(e.student_id) ?? []), e.course_id]);
  const ownBy = new Map();
  for (const c of fx.ownCourses) ownBy.set(c.instructor_id, [...(ownBy.get(c.instructor_id) ?? []), c.id]);
  const lines = [];
  const ITERATIONS = 600;
  for (let k = 0; k < ITERATIONS; k++) {
    const role = k % 10;
    if (role < 7) {
      const s = fx.students[k % fx.students.length];
      const t = tokenOf(s.email);
      const courses = byStudent.get(s.id) ?? [fx.courses[0].id];
      const course = courses[k % courses.length];
      lines.push(`GET\t/api/v1/users/me\t${t}`);
      lines.push(`GET\t/api/v1/enrollments/my-courses?page=1&page_size=20\t${t}`);
      lines.push(`GET\t/api/v1/courses?page=${1 + (k % 5)}&page_size=20\t${t}`);
      lines.push(`GET\t/api/v1/courses/${course}\t${t}`);
      lines.push(`GET\t/api/v1/courses/${course}/lessons\t${t}`);
    } else if (role < 9) {
      const ins = fx.instructors[k % fx.instructors.length];
      const t = tokenOf(ins.email);
      const own = ownBy.get(ins.id) ?? [];
      lines.push(`GET\t/api/v1/courses?mine=true&page=1&page_size=20\t${t}`);
      if (own.length) lines.push(`GET\t/api/v1/courses/${own[k % own.length]}\t${t}`);
      lines.push(`GET\t/api/v1/analytics/instructors/${ins.id}/overview\t${t}`);
      if (own.length) lines.push(`GET\t/api/v1/analytics/courses/${own[k % own.length]}\t${t}`);
    } else {
      lines.push(`GET\t/api/v1/users?page=1&page_size=20\t${tokenOf(fx.admin)}`);
      lines.push(`GET\t/api/v1/analytics/system/overview\t${tokenOf(fx.admin)}`);
    }
  }
  const file = bench.requestFile('journey', lines);
  results.notes.push(
    'Mixed journey (the original k6 scenario): students (70%) GET /users/me (dashboard), /enrollments/my-courses, ' +
      '/courses (catalog), /courses/{id}, /courses/{id}/lessons; instructors (20%) GET /courses?mine=true and one ' +
      "of their courses, their overview (/analytics/instructors/{id}/overview) and one course's analytics; admins " +
      '(10%) GET /users and /analytics/system/overview.',
  );
  log('journey: warm-up');
  await bench.warm(api, { file, mode: 'cycle', connections: 8 });
  let best;
  for (let c = 1; c <= opts.journeyMax; c *= 2) {
    log(`journey: ${c} connections`);
    const r = Bench.aggregate([await bench.measure(api, { file, mode: 'cycle', connections: c })]);
    const ok = r.p95 <= TARGETS.journeyP95Ms && r.non2xx === 0 && r.errors === 0;
    results.journey.push({ connections: c, ...r, ok });
    if (ok && (!best || r.rps > best.rps)) best = { connections: c, ...r };
    if (r.p95 > TARGETS.journeyP95Ms) break;
  }
  results.journeyBest = best;
  if (best) {
    results.rows.push({
      scenario: `mixed journey, best step with p95 ≤ 100 ms (${best.connections} connections)`,
      server: 'api',
      ...best,
      note: 'closed loop, connection steps',
    });
  }
}

// ---- auth micro-benchmark, profiles -----------------------------------------------------------

function runChild(args, env) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      children.delete(child);
      if (code === 0) resolveRun(out);
      else reject(new Error(`${args.join(' ')} exited ${code}: ${err}`));
    });
  });
}

async function runAuthMicro(url, iterations) {
  try {
    const out = await runChild([join(BENCH_DIR, 'auth-micro.mjs'), String(iterations)], {
      ...process.env,
      DATABASE_URL: url,
    });
    return JSON.parse(out.trim().split('\n').pop());
  } catch (err) {
    log(`auth micro-benchmark failed: ${err.message}`);
    return undefined;
  }
}

async function profiles(results, opts, apiServer, floor, ctx) {
  const dir = join(ctx.workDir, 'profiles');
  mkdirSync(dir, { recursive: true });
  const jobs = [];
  const missedNames = ctx.missed.map((t) => t.name).join(' ');
  const all = opts.profile === 'always';
  if (ctx.wantList && (all || /list/.test(missedNames)))
    jobs.push({ key: 'list', title: 'catalog list, API cache off', cache: false, file: ctx.list });
  if (ctx.wantById && (all || /by-id|by id/.test(missedNames)))
    jobs.push({ key: 'by-id', title: 'course by id, API cache off', cache: false, file: ctx.byId });
  if (ctx.wantCached && (all || /cached/.test(missedNames)))
    jobs.push({ key: 'cached-list', title: 'catalog list, cache hits', cache: true, file: ctx.cached });
  if (ctx.auth && (all || /authenticated/.test(missedNames)))
    jobs.push({ key: 'auth', title: 'GET /health with a bearer token', cache: true, file: ctx.auth });
  for (const job of jobs) {
    const name = `${job.key}.cpuprofile`;
    const server = apiServer(job.cache, ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}`]);
    log(`profiling the API under "${job.title}" (${opts.profileDuration} s)`);
    let window;
    try {
      await server.start();
      const fromUs = Number(process.hrtime.bigint() / 1000n);
      await runLoad({
        base: server.base,
        file: job.file,
        mode: 'random',
        connections: opts.connections,
        threads: opts.threads,
        duration: opts.profileDuration,
        script: join(BENCH_DIR, 'lua', 'requests.lua'),
      });
      window = { fromUs, toUs: Number(process.hrtime.bigint() / 1000n) };
    } finally {
      await server.stop();
    }
    const file = join(dir, name);
    if (!existsSync(file)) {
      const found = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
      log(`profile ${name} not written (found: ${found.join(', ') || 'none'})`);
      continue;
    }
    // Only the samples taken under load (V8's profile clock is CLOCK_MONOTONIC, as process.hrtime).
    const summary = summarizeProfile(file, 15, window);
    results.profiles.push({ ...job, file, summary });
  }
}

// ---- rendering --------------------------------------------------------------------------------

const f0 = (x) => (x === undefined || x === null || Number.isNaN(x) ? '—' : Math.round(x).toLocaleString('en-US'));
const f1 = (x) => (x === undefined || x === null || Number.isNaN(x) ? '—' : round1(x).toFixed(1));
const f2 = (x) => (x === undefined || x === null || Number.isNaN(x) ? '—' : x.toFixed(2));

function renderTable(rows) {
  const head = [
    'endpoint / scenario',
    'server',
    'req/s',
    'p50 ms',
    'p99 ms',
    'server CPU µs/req',
    'PG CPU µs/req',
    'ratio to floor',
    'non-2xx',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const r of rows) {
    lines.push(
      `| ${r.scenario}${r.note ? ` (${r.note})` : ''} | ${r.server} | ${f0(r.rps)} | ${f1(r.p50)} | ${f1(r.p99)} | ${f0(r.cpuUs)} | ${f0(r.pgUs)} | ${r.ratio === undefined ? '—' : `${f2(r.ratio)}×`} | ${r.non2xx + r.errors} |`,
    );
  }
  return lines.join('\n');
}

function renderTargets(targets) {
  if (!targets.length) return '';
  const lines = ['| target | measured | met |', '| --- | ---: | --- |'];
  for (const t of targets) lines.push(`| ${t.name} | ${t.shown} | ${t.met ? 'met' : '**missed**'} |`);
  return lines.join('\n');
}

const ANALYSIS_START = '<!-- analysis:start -->';
const ANALYSIS_END = '<!-- analysis:end -->';

/** Carries the hand-written analysis block of an existing results file over into the regenerated one. */
function keepAnalysis(file, md) {
  if (!existsSync(file)) return md;
  const old = readFileSync(file, 'utf8');
  const a = old.indexOf(ANALYSIS_START);
  const b = old.indexOf(ANALYSIS_END);
  const c = md.indexOf(ANALYSIS_START);
  const d = md.indexOf(ANALYSIS_END);
  if (a < 0 || b < a || c < 0 || d < c) return md;
  return md.slice(0, c) + old.slice(a, b) + md.slice(d);
}

function renderMarkdown(report, table) {
  const { opts, seed, machine } = report;
  const md = [];
  md.push(`# Benchmark results ${report.startedAt.slice(0, 10)}`, '');
  md.push(
    `Run started ${report.startedAt} with \`npm run bench${opts.quick ? ' -- --quick' : ''}\`. ` +
      'Numbers from a shared 2-core machine are noisy: compare ratios (API vs floor, measured interleaved) rather than absolute rates.',
    '',
  );
  md.push('## Results', '', table, '');
  if (report.targets.length) md.push('## Targets', '', renderTargets(report.targets), '');
  if (report.shape.length) {
    md.push('**Warning:** the floor did not answer byte-identical JSON:', '', ...report.shape.map((s) => `- ${s}`), '');
  } else if (report.rows.some((r) => r.server === 'floor')) {
    md.push('The floor answered byte-identical JSON to the API for the checked list, by-id and by-slug requests.', '');
  }
  if (report.auth || report.authMicro) {
    md.push('## Authenticated-request overhead', '');
    if (report.auth) {
      md.push(
        `GET /api/v1/health (public, no database) with a valid bearer token minus the same request without one: ` +
          `**${f0(report.auth.overheadUs)} µs** Node CPU per request` +
          (report.auth.pgOverheadUs !== undefined ? ` and ${f0(report.auth.pgOverheadUs)} µs PostgreSQL CPU` : '') +
          ' (passport-jwt strategy, HS256 verify with the KeyObject, blacklist lookup, user-state lookup).',
        '',
      );
    }
    if (report.authMicro) {
      const m = report.authMicro;
      md.push(
        'Micro-benchmark of the pieces (client-side CPU µs per operation, `test/bench/auth-micro.mjs`):',
        '',
        '| operation | CPU µs/op | wall µs/op |',
        '| --- | ---: | ---: |',
      );
      const names = {
        jwt_verify_keyobject: 'jsonwebtoken.verify, HS256 KeyObject (as the app)',
        jwt_verify_string_secret: 'jsonwebtoken.verify, HS256 string secret (for comparison)',
        typeorm_blacklist_exists: 'blacklist: TypeORM `repo.exists({where:{jti}})` (as the app)',
        typeorm_auth_state: 'user state: TypeORM `findOne({where:{id}, select})` (as the app)',
        typeorm_both_parallel: 'both TypeORM lookups in parallel (as JwtStrategy.validate)',
        pg_blacklist_exists: 'blacklist: raw pg prepared `SELECT EXISTS(...)`',
        pg_auth_state: 'user state: raw pg prepared SELECT',
        pg_combined: 'both in one raw pg prepared statement',
      };
      for (const [k, label] of Object.entries(names)) {
        if (m[k]) md.push(`| ${label} | ${f1(m[k].cpu_us)} | ${f1(m[k].wall_us)} |`);
      }
      md.push('');
    }
  }
  if (report.journey.length) {
    md.push('## Mixed journey: connection steps', '');
    md.push(
      'Closed loop (wrk has no constant arrival rate): each step doubles the connections, each connection replaying ' +
        'the journey requests back to back; the rate reported is the highest throughput whose p95 stayed ≤ 100 ms ' +
        '(without errors). This approximates, but is not, an open-loop arrival-rate test.',
      '',
      '| connections | req/s | p50 ms | p95 ms | p99 ms | server CPU µs/req | non-2xx | p95 ≤ 100 ms |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    );
    for (const j of report.journey) {
      md.push(
        `| ${j.connections} | ${f0(j.rps)} | ${f1(j.p50)} | ${f1(j.p95)} | ${f1(j.p99)} | ${f0(j.cpuUs)} | ${j.non2xx + j.errors} | ${j.ok ? 'yes' : 'no'} |`,
      );
    }
    md.push(
      '',
      report.journeyBest
        ? `Highest sustained rate with p95 ≤ 100 ms: **${f0(report.journeyBest.rps)} req/s** (${report.journeyBest.connections} connections).`
        : 'No step kept p95 ≤ 100 ms.',
      '',
    );
  }
  if (report.profiles.length) {
    md.push('## CPU profiles (node --cpu-prof, API under load)', '');
    for (const p of report.profiles) {
      const s = p.summary;
      md.push(
        `### ${p.title}`,
        '',
        `Busy ${f0(s.busyMs)} ms of ${f0(s.totalMs)} ms sampled under load (start-up excluded).`,
        '',
      );
      md.push(
        'By package: self time, and time with the package anywhere on the stack:',
        '',
        '| package | self % | on stack % |',
        '| --- | ---: | ---: |',
      );
      const inclusive = new Map(s.inclusive.map((x) => [x.name, x.pct]));
      const names = [
        ...new Set([...s.packages.slice(0, 12).map((x) => x.name), ...s.inclusive.slice(0, 8).map((x) => x.name)]),
      ];
      const self = new Map(s.packages.map((x) => [x.name, x.pct]));
      for (const n of names) md.push(`| ${n} | ${f1(self.get(n))} | ${f1(inclusive.get(n))} |`);
      md.push('', 'Top functions by self time:', '', '| function | where | self % |', '| --- | --- | ---: |');
      for (const x of s.functions.slice(0, 15)) md.push(`| \`${x.name}\` | ${x.where} | ${x.pct.toFixed(1)} |`);
      md.push('');
    }
  }
  md.push(
    '## Analysis and proposed fixes',
    '',
    ANALYSIS_START,
    '_Reading of the profiles and proposed fixes: written by hand, kept when this file is regenerated._',
    ANALYSIS_END,
    '',
  );
  md.push('## Machine and method', '');
  md.push(
    `- Machine: ${machine.nproc} CPUs (${machine.cpu}), ${machine.memory_gb} GB RAM, Linux ${machine.kernel}; ` +
      `load average before ${machine.loadavg_before}, after ${machine.loadavg_after} (other jobs share the machine).`,
    `- Node ${machine.node}; PostgreSQL ${machine.postgres} (${machine.database}); load tool ${machine.load_tool}.`,
    `- Seed (npm run bench:seed): ${seed.params.courses} courses (${seed.params.published} published) with lessons, ` +
      `${seed.params.students} students, ${seed.params.enrollments} enrollments with lesson progress, ` +
      `${seed.params.instructors} instructors, 1 admin${seed.quizzes ? ', quizzes with questions and attempts' : ''}; ` +
      `rows: ${Object.entries(seed.counts ?? {})
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}; bcrypt cost ${seed.bcrypt_rounds}.`,
    `- API: \`node --enable-source-maps dist/apps/api/src/main.js\` (as \`npm run start:api\`) with ENVIRONMENT=production, ` +
      `NODE_ENV=production, LOG_LEVEL=${opts.logLevel}, rate limiting on (in memory) with limits of 10⁹ per window that no scenario reaches (a second API with RATE_LIMIT_ENABLED=false for the rate-limit scenario), DB_POOL_SIZE ${process.env.DB_POOL_SIZE ?? '10'} (default), ` +
      `no REDIS_URL${process.env.REDIS_URL ? ' (REDIS_URL was set: the API used Redis)' : ' (cache in memory, blacklist in PostgreSQL, queues on PostgreSQL)'}, ` +
      'ACCESS_TOKEN_EXPIRE_MINUTES=240 so the tokens outlive the run. The uncached catalog scenarios run with ' +
      'CACHE_ENABLED=false, everything else with the cache on (the production default).',
    '- Floor: `test/bench/floor-server.mjs`, bare fastify + pg Pool(10), the same SQL statements as the API (libs/courses/src/catalog-sql.ts), run as named prepared statements as the API runs them, and the same JSON.',
    `- Load: ${machine.load_tool.startsWith('wrk') ? 'wrk' : 'autocannon'}, ${opts.connections} connections, ${opts.threads} threads, ` +
      `${opts.duration} s per run after a ${opts.warmup} s warm-up of each server; API and floor interleaved A/B ` +
      `${opts.rounds}×. req/s = requests of all rounds / their time; p50/p99 = mean over rounds; ` +
      'CPU = utime+stime delta of the server process from /proc/<pid>/stat ÷ requests; PG CPU = the same for the ' +
      'PostgreSQL backends connected to the database.',
    '- Random catalog page: uniform over every page of the published catalog; by id/slug: uniform over the published courses.',
  );
  for (const n of report.notes) md.push(`- ${n}`);
  md.push('');
  return md.join('\n');
}

process.on('SIGINT', () => {
  killChildren();
  process.exit(130);
});
process.on('exit', killChildren);

let code = 0;
try {
  await main();
} catch (err) {
  code = 1;
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
}
process.exit(code);
