// Outbox relay throughput, standalone: `npm run build && npx node test/bench/relay.mjs`.
//
// Events per second from commit to handler: BENCH_RELAY_EVENTS (default 3,000) `email.requested`
// outbox events are committed in batches of BENCH_RELAY_BATCH (100), each batch with NOTIFY
// lms_outbox, into a scratch database; ONE worker process (dist/apps/worker/src/main.js, no SMTP:
// the send-email handler writes an .eml file per event) relays and handles them. The result is the
// number of events divided by the time from the first commit to the last .eml file, and the p50/p99
// of commit → file (the file's mtime).
//
// Settings (environment): DATABASE_URL, a PostgreSQL server the scratch database
// `lms_bench_relay_<pid>` is created on (and dropped from at the end); REDIS_URL (optional: queues on
// Redis with the prefix `lmsbenchrelay<pid>`, whose keys are deleted at the end; otherwise queues on
// PostgreSQL); BENCH_ROOT, the checkout whose dist/ the worker runs from (default this one: lets a
// build of another revision be measured with the same script); BENCH_RELAY_ROUNDS (default 1).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { ROOT, log } from './lib.mjs';

const num = (v, d) => (v === undefined || v === '' ? d : Number(v));
const EVENTS = num(process.env.BENCH_RELAY_EVENTS, 3000);
const BATCH = num(process.env.BENCH_RELAY_BATCH, 100);
const ROUNDS = num(process.env.BENCH_RELAY_ROUNDS, 1);
const APP_ROOT = resolve(process.env.BENCH_ROOT ?? ROOT);

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

async function adminQuery(serverUrl, sql) {
  const admin = new URL(serverUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function startWorker(env) {
  const child = spawn(
    process.execPath,
    ['--enable-source-maps', join(APP_ROOT, 'dist', 'apps', 'worker', 'src', 'main.js')],
    {
      cwd: APP_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const started = new Promise((resolveStarted, reject) => {
    child.once('exit', (code) => reject(new Error(`the worker exited (${code})`)));
    let buffered = '';
    child.stdout.on('data', (chunk) => {
      buffered += chunk.toString();
      if (buffered.includes('LMS worker started')) resolveStarted();
    });
  });
  return { child, started };
}

async function stopWorker(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

async function deleteRedisPrefix(url, prefix) {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

async function round(client, mailDir, n) {
  const commits = [];
  const t0 = performance.now();
  const wall0 = Date.now();
  for (let i = 0; i < n; i += BATCH) {
    const size = Math.min(BATCH, n - i);
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO outbox_events (event_type, payload)
       SELECT 'email.requested', jsonb_build_object('to', 'bench' || g || '@example.com',
              'subject', 'relay bench ' || g, 'text', 'bench')
         FROM generate_series($1::int, $2::int) g`,
      [i, i + size - 1],
    );
    await client.query("SELECT pg_notify('lms_outbox', 'bench')");
    await client.query('COMMIT');
    const at = Date.now();
    for (let k = 0; k < size; k++) commits.push(at);
  }
  const deadline = Date.now() + 300_000;
  let files;
  for (;;) {
    files = readdirSync(mailDir).filter((f) => f.endsWith('.eml'));
    if (files.length >= n) break;
    if (Date.now() > deadline) throw new Error(`only ${files.length} of ${n} emails after 300 s`);
    await sleep(20);
  }
  const seconds = (performance.now() - t0) / 1000;
  const done = files.map((f) => statSync(join(mailDir, f)).mtimeMs).sort((a, b) => a - b);
  const latencies = done.map((at, k) => at - commits[k]).sort((a, b) => a - b);
  for (const f of files) rmSync(join(mailDir, f));
  return {
    events: n,
    seconds,
    eventsPerSecond: n / ((done[done.length - 1] - wall0) / 1000 || seconds),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

async function main() {
  const server = process.env.DATABASE_URL;
  if (!server) throw new Error('DATABASE_URL (a PostgreSQL server for the scratch database) is required');
  const dbName = `lms_bench_relay_${process.pid}`;
  const url = new URL(server);
  url.pathname = `/${dbName}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'lms-bench-relay-'));
  const prefix = `lmsbenchrelay${process.pid}`;
  await adminQuery(server, `CREATE DATABASE ${dbName}`);
  const env = {
    ...process.env,
    ENVIRONMENT: 'development',
    DEBUG: 'false',
    LOG_LEVEL: 'info',
    SEED_DEMO: 'false',
    DATABASE_URL: url.toString(),
    DATA_DIR: dataDir,
    WORKER_HTTP_PORT: '0',
    SECRET_KEY: process.env.SECRET_KEY ?? 'bench-secret-key-0123456789abcdef-0123456789',
    ...(process.env.REDIS_URL ? { QUEUE_PREFIX: prefix } : {}),
  };
  delete env.SMTP_HOST;
  const { child, started } = startWorker(env);
  const client = new pg.Client({ connectionString: url.toString() });
  try {
    await started;
    await client.connect();
    const mailDir = join(dataDir, 'mail');
    mkdirSync(mailDir, { recursive: true });
    log(
      `relay bench: ${EVENTS} events, batches of ${BATCH}, queues on ${process.env.REDIS_URL ? 'Redis' : 'PostgreSQL'}`,
    );
    // Warm-up (connections, JIT), then the measured rounds.
    await round(client, mailDir, Math.min(200, EVENTS));
    for (let r = 0; r < ROUNDS; r++) {
      const res = await round(client, mailDir, EVENTS);
      process.stdout.write(
        `relay round ${r + 1}: ${res.events} events in ${res.seconds.toFixed(2)} s = ` +
          `${res.eventsPerSecond.toFixed(0)} events/s (commit → handler p50 ${res.p50.toFixed(0)} ms, p99 ${res.p99.toFixed(0)} ms)\n`,
      );
    }
  } finally {
    await client.end().catch(() => undefined);
    await stopWorker(child);
    if (process.env.REDIS_URL) await deleteRedisPrefix(process.env.REDIS_URL, prefix).catch(() => undefined);
    await adminQuery(server, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
