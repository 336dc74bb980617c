// The webhooks scenario of `npm run bench` (scenario `webhooks`): committed outbox events fanned out
// by ONE worker process (dist/apps/worker/src/main.js) to 10 endpoints on a local receiver, end to end:
// course.published outbox event → relay → BullMQ webhooks/fan-out → one webhook_deliveries row per
// endpoint + one webhooks/deliver job per attempt → signed HTTP POST through the SSRF-pinned agent.
//
// The receiver is a plain node:http server in a CHILD process (this file, run with --webhook-receiver),
// so its parsing and bookkeeping do not share an event loop with the bare loop or the pollers; it
// listens on 127.0.0.1 with the paths /hook/0 … /hook/9, records the receipt time (CLOCK_MONOTONIC,
// comparable across processes) per webhook-id and the event's course_id (parsed from the body's
// `data`), and answers 200. A black-holed path accepts the request and never answers.
//
// Phases (one worker, started once; WEBHOOK_TIMEOUT_SECONDS = BENCH_WEBHOOK_TIMEOUT_S, default 2):
//   1. bare loop: the same bodies POSTed with undici (one Agent, `request`) by
//      WEBHOOK_DELIVERY_CONCURRENCY (32) loops, round robin over the 10 paths: deliveries/s, p50/p99
//      of request → response;
//   2. all live: BENCH_WEBHOOK_EVENTS (default 2,000; 300 with --quick) events committed in batches of
//      BENCH_WEBHOOK_BATCH (100) with NOTIFY lms_outbox, 10 endpoints → 10× as many deliveries:
//      deliveries/s from the first commit to the last receipt, p50/p99 commit → receipt;
//   3. bare loop again (the two bare runs bracket the worker run on a shared machine);
//   4. black hole: 9 live endpoints + 1 black-holed: the nine's deliveries/s vs theirs in phase 2.
// With --profile always (or auto when a target is missed) an extra all-live drain of min(events, 500)
// runs under a worker started with --cpu-prof, summarized into the report.
//
// The worker runs with the API's production environment but ENVIRONMENT=staging, because
// WEBHOOK_ALLOW_PRIVATE_TARGETS=true (needed for 127.0.0.1) is refused in production. Queues: PostgreSQL
// unless REDIS_URL is set (then QUEUE_PREFIX is `lmsbenchwh<pid>` unless set, and its keys are deleted
// at the end). Cleanup (before, between phases, at the end, also after a failure): the bench's endpoints
// (description BENCH_DESCRIPTION; their deliveries and attempts cascade), its outbox events
// (course.published with instructor_id = BENCH_INSTRUCTOR_ID) and the BullMQ job rows of both (fan-out
// jobs by the `<eventId>.` id prefix, deliver jobs by their endpoint_id; their job_log rows cascade).
import { Buffer } from 'node:buffer';
import { fork } from 'node:child_process';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, existsSync, rmSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { ROOT, log } from './lib.mjs';
import { PgCpuMeter, processCpuMicros } from './load.mjs';
import { summarizeProfile } from './profile.mjs';

const TARGET_BARE_RATIO = 0.5;
const TARGET_NINE_RATIO = 0.8;
const ENDPOINTS = 10;
/** Marks the bench's endpoints (cleanup finds them by it). */
const BENCH_DESCRIPTION = 'webhooks bench (test/bench/webhooks.mjs)';
/** The instructor_id of every bench event (no such user: cleanup finds the events by it). */
const BENCH_INSTRUCTOR_ID = 'b3c4b3c4-0000-4000-8000-00000000beef';
const RECEIVER_FLAG = '--webhook-receiver';

const num = (v, d) => (v === undefined || v === '' ? d : Number(v));
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function percentile(sorted, p) {
  if (!sorted.length) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function latencyStats(values) {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    n: sorted.length,
    mean: sorted.length ? sum / sorted.length : undefined,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1),
  };
}

// ---- the receiver (child process) -------------------------------------------------------------

function runReceiver() {
  let blackhole = -1;
  let rec;
  let heldRequests = 0;
  let blackholeRequests = 0;
  let sample = new Map();
  const reset = (bh) => {
    blackhole = bh;
    rec = { path: [], at: [], key: [], id: [], unique: Array.from({ length: ENDPOINTS }, () => new Set()) };
    blackholeRequests = 0;
    sample = new Map();
  };
  reset(-1);
  const server = http.createServer((req, res) => {
    const m = /^\/hook\/(\d+)$/.exec(req.url ?? '');
    const idx = m ? Number(m[1]) : -1;
    if (req.method !== 'POST' || idx < 0 || idx >= ENDPOINTS) {
      res.writeHead(404).end();
      return;
    }
    if (idx === blackhole) {
      // Accepts the connection and the request, never answers: the sender times out.
      blackholeRequests += 1;
      heldRequests += 1;
      req.resume();
      res.on('close', () => (heldRequests -= 1));
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = nowMs();
      const body = Buffer.concat(chunks).toString('utf8');
      const id = String(req.headers['webhook-id'] ?? '');
      let key = '';
      try {
        key = JSON.parse(body).data?.course_id ?? '';
      } catch {
        // not JSON: recorded without a key
      }
      rec.path.push(idx);
      rec.at.push(at);
      rec.key.push(key);
      rec.id.push(id);
      rec.unique[idx].add(id);
      if (!sample.has(idx)) sample.set(idx, { headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' }).end('ok');
    });
  });
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }));
  process.on('message', (msg) => {
    const reply = (body) => process.send({ type: 'reply', seq: msg.seq, ...body });
    if (msg.cmd === 'reset') {
      reset(msg.blackhole ?? -1);
      reply({});
    } else if (msg.cmd === 'counts') {
      let last = 0;
      for (const t of rec.at) if (t > last) last = t;
      reply({ unique: rec.unique.map((s) => s.size), received: rec.at.length, last, blackholeRequests, heldRequests });
    } else if (msg.cmd === 'dump') {
      reply({
        path: Uint8Array.from(rec.path),
        at: Float64Array.from(rec.at),
        key: rec.key,
        id: rec.id,
        blackholeRequests,
        heldRequests,
        sample: [...sample.entries()],
        cpu: process.cpuUsage(),
      });
    } else if (msg.cmd === 'cpu') {
      reply({ cpu: process.cpuUsage() });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

class ReceiverClient {
  async start(children) {
    this.child = fork(fileURLToPath(import.meta.url), [RECEIVER_FLAG], {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    children?.add?.(this.child);
    this.seq = 0;
    this.pending = new Map();
    const ready = new Promise((resolveReady, reject) => {
      this.child.once('exit', (code) => reject(new Error(`the webhook receiver exited (${code})`)));
      this.child.on('message', (msg) => {
        if (msg.type === 'ready') resolveReady(msg.port);
        else if (msg.type === 'reply') {
          this.pending.get(msg.seq)?.(msg);
          this.pending.delete(msg.seq);
        }
      });
    });
    this.port = await ready;
    this.origin = `http://127.0.0.1:${this.port}`;
    return this;
  }

  call(cmd, extra = {}) {
    const seq = ++this.seq;
    return new Promise((resolveCall) => {
      this.pending.set(seq, resolveCall);
      this.child.send({ cmd, seq, ...extra });
    });
  }

  get pid() {
    return this.child.pid;
  }

  stop() {
    if (this.child && this.child.exitCode === null) this.child.kill('SIGTERM');
  }
}

// ---- database: endpoints, events, cleanup -----------------------------------------------------

/**
 * Every endpoint id this process created: deliver jobs a running worker re-adds while an earlier cleanup
 * deletes (endpoint busy, claimed, retry) still name them after their endpoint row is gone.
 */
const createdEndpointIds = new Set();

async function cleanup(client) {
  const { rows: eps } = await client.query('SELECT id FROM webhook_endpoints WHERE description = $1', [
    BENCH_DESCRIPTION,
  ]);
  const endpointIds = eps.map((e) => e.id);
  const jobEndpointIds = [...new Set([...endpointIds, ...createdEndpointIds])];
  const { rows: evs } = await client.query(
    `SELECT id FROM outbox_events WHERE event_type = 'course.published' AND (payload->>'instructor_id') = $1`,
    [BENCH_INSTRUCTOR_ID],
  );
  const eventIds = evs.map((e) => e.id);
  if (!jobEndpointIds.length && !eventIds.length) return { endpoints: 0, events: 0 };
  await client.query('BEGIN');
  try {
    if ((await client.query(`SELECT to_regclass('bullmq.job') AS t`)).rows[0].t) {
      // job_log rows cascade from bullmq.job.
      if (jobEndpointIds.length) {
        await client.query(
          `DELETE FROM bullmq.job WHERE name = 'deliver' AND (data->>'endpoint_id') = ANY($1::text[])`,
          [jobEndpointIds],
        );
      }
      if (eventIds.length) {
        await client.query(`DELETE FROM bullmq.job WHERE split_part(id, '.', 1) = ANY($1::text[])`, [eventIds]);
      }
    }
    await client.query('DELETE FROM outbox_events WHERE id = ANY($1::uuid[])', [eventIds]);
    // Cascades: webhook_deliveries, webhook_delivery_attempts.
    await client.query('DELETE FROM webhook_endpoints WHERE id = ANY($1::uuid[])', [endpointIds]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
  return { endpoints: endpointIds.length, events: eventIds.length };
}

/** Deletes the Redis keys of the run's QUEUE_PREFIX (only when the queues were on Redis). */
async function cleanupRedis(url, prefix) {
  const { default: Redis } = await import('ioredis');
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** Inserts the endpoints with secrets sealed as the app seals them (SecretBox, endpoint id as associated data). */
async function createEndpoints(client, secretKey, origin) {
  const file = join(ROOT, 'dist', 'libs', 'auth', 'src', 'secret-box.js');
  const { SecretBox } = await import(pathToFileURL(file).href);
  const box = new SecretBox(secretKey, 'webhook-endpoint-secret');
  const endpoints = Array.from({ length: ENDPOINTS }, (_, i) => {
    const id = randomUUID();
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    createdEndpointIds.add(id);
    return { id, index: i, url: `${origin}/hook/${i}`, secret, sealed: box.encrypt(secret, id) };
  });
  await client.query(
    `INSERT INTO webhook_endpoints (id, source, url, description, events, is_active, secret_sealed)
     SELECT id, 'managed', url, $4, '["course.published"]'::jsonb, true, sealed
     FROM unnest($1::uuid[], $2::text[], $3::text[]) AS t(id, url, sealed)`,
    [endpoints.map((e) => e.id), endpoints.map((e) => e.url), endpoints.map((e) => e.sealed), BENCH_DESCRIPTION],
  );
  return endpoints;
}

/** `n` course.published events as CoursePublishedEvent payloads (random course ids: the receiver's key). */
function makePayloads(n) {
  const at = new Date().toISOString();
  return Array.from({ length: n }, () => ({
    course_id: randomUUID(),
    instructor_id: BENCH_INSTRUCTOR_ID,
    published_at: at,
  }));
}

/** Commits the events in batches (each: INSERT + NOTIFY lms_outbox + COMMIT); returns course_id → commit time. */
async function commitEvents(client, payloads, batch) {
  const commitAt = new Map();
  for (let i = 0; i < payloads.length; i += batch) {
    const part = payloads.slice(i, i + batch);
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO outbox_events (event_type, payload)
       SELECT 'course.published', p FROM unnest($1::jsonb[]) AS p`,
      [part.map((p) => JSON.stringify(p))],
    );
    await client.query(`SELECT pg_notify('lms_outbox', 'bench-webhooks')`);
    await client.query('COMMIT');
    const t = nowMs();
    for (const p of part) commitAt.set(p.course_id, t);
  }
  return commitAt;
}

// ---- phases -----------------------------------------------------------------------------------

/**
 * Commits the events and waits until every live endpoint has received every event (unique
 * webhook-ids), then reads the receiver's records. `live` are endpoint indexes.
 */
async function drain({
  client,
  poller,
  pgMeter,
  worker,
  receiver,
  endpoints,
  payloads,
  batch,
  live,
  blackhole,
  timeoutS,
}) {
  await receiver.call('reset', { blackhole });
  const n = payloads.length;
  const pg0 = await pgMeter.snapshot();
  const apps0 = await pgSnapshot(poller);
  const cpu0 = processCpuMicros(worker.pid);
  const rcpu0 = (await receiver.call('cpu')).cpu;
  const t0 = nowMs();
  const commitAt = await commitEvents(client, payloads, batch);
  const committed = nowMs();
  const deadline = t0 + timeoutS * 1000;
  let counts;
  let lastLog = t0;
  let done = false;
  while (nowMs() < deadline) {
    if (worker.child.exitCode !== null) throw new Error(`the worker exited during the drain:\n${worker.logTail()}`);
    counts = await receiver.call('counts');
    if (live.every((i) => counts.unique[i] >= n)) {
      done = true;
      break;
    }
    if (nowMs() - lastLog > 10_000) {
      lastLog = nowMs();
      const got = live.reduce((s, i) => s + counts.unique[i], 0);
      log(
        `webhooks: ${got}/${n * live.length} deliveries after ${((lastLog - t0) / 1000).toFixed(0)} s` +
          (blackhole >= 0 ? ` (black hole: ${counts.blackholeRequests} requests)` : ''),
      );
    }
    await sleep(100);
  }
  const workerCpu = processCpuMicros(worker.pid) - cpu0;
  const pgCpu = pgMeter.delta(pg0, await pgMeter.snapshot());
  const apps1 = await pgSnapshot(poller);
  const dump = await receiver.call('dump');
  const rcpu = dump.cpu.user + dump.cpu.system - (rcpu0.user + rcpu0.system);
  // Receipts of the live endpoints, first receipt per webhook-id (a duplicate is a second send of a delivery).
  const seen = new Set();
  const lat = [];
  let duplicates = 0;
  let last = 0;
  let unknown = 0;
  const liveSet = new Set(live);
  for (let k = 0; k < dump.at.length; k++) {
    if (!liveSet.has(dump.path[k])) continue;
    if (seen.has(dump.id[k])) {
      duplicates += 1;
      continue;
    }
    seen.add(dump.id[k]);
    const c = commitAt.get(dump.key[k]);
    if (c === undefined) {
      unknown += 1;
      continue;
    }
    lat.push(dump.at[k] - c);
    if (dump.at[k] > last) last = dump.at[k];
  }
  const delivered = lat.length;
  const seconds = ((done ? last : nowMs()) - t0) / 1000;
  // The first nine endpoints alone (compared with the nine live ones of the black-hole run).
  const nineIds = new Set();
  let nineLast = 0;
  for (let k = 0; k < dump.at.length; k++) {
    if (dump.path[k] >= ENDPOINTS - 1 || !liveSet.has(dump.path[k])) continue;
    nineIds.add(dump.id[k]);
    if (dump.at[k] > nineLast) nineLast = dump.at[k];
  }
  const nineRate = nineIds.size / (((done ? nineLast : nowMs()) - t0) / 1000);
  const byEndpoint = await deliveryStates(poller, endpoints);
  const jobs = await jobStates(poller, endpoints);
  return {
    events: n,
    endpoints: live.length,
    expected: n * live.length,
    delivered,
    complete: done,
    duplicates,
    unknown,
    seconds,
    commitSeconds: (committed - t0) / 1000,
    rate: delivered / seconds,
    nineRate,
    latency: latencyStats(lat),
    workerCpuUs: workerCpu,
    pgCpuUs: pgCpu,
    pgCpuMsByApp: pgMsByApp(apps0, apps1, Math.max(1, delivered)),
    receiverCpuUs: rcpu,
    blackholeRequests: dump.blackholeRequests,
    heldAtEnd: dump.heldRequests,
    sample: dump.sample,
    byEndpoint,
    jobs,
  };
}

/** CPU of each client backend of the database, with its application_name (BullMQ's pools tell apart). */
async function pgSnapshot(client) {
  const { rows } = await client.query(
    `SELECT pid, application_name AS app FROM pg_stat_activity
      WHERE datname = current_database() AND backend_type = 'client backend'`,
  );
  return new Map(rows.map((r) => [r.pid, { app: r.app || '(no name)', cpu: processCpuMicros(r.pid) ?? 0 }]));
}

/** CPU ms per delivery by application_name between two snapshots (backends that exited in between are missed). */
function pgMsByApp(before, after, deliveries) {
  const out = {};
  for (const [pid, { app, cpu }] of after) out[app] = (out[app] ?? 0) + cpu - (before.get(pid)?.cpu ?? 0);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Math.round(v / deliveries / 10) / 100]));
}

/** Delivery rows by endpoint index and status, with attempts (from the database). */
async function deliveryStates(client, endpoints) {
  const { rows } = await client.query(
    `SELECT endpoint_id, status, count(*)::int AS n, sum(attempts)::int AS attempts
       FROM webhook_deliveries WHERE endpoint_id = ANY($1::uuid[]) GROUP BY 1, 2`,
    [endpoints.map((e) => e.id)],
  );
  const index = new Map(endpoints.map((e) => [e.id, e.index]));
  return rows.map((r) => ({ endpoint: index.get(r.endpoint_id), status: r.status, n: r.n, attempts: r.attempts }));
}

/** The bench's BullMQ jobs by name, kind of id and state (PostgreSQL backend only). */
async function jobStates(client, endpoints) {
  if (process.env.REDIS_URL) return undefined;
  if (!(await client.query(`SELECT to_regclass('bullmq.job') AS t`)).rows[0].t) return undefined;
  const { rows } = await client.query(
    `SELECT name || CASE WHEN id ~ '\\.w[0-9]' THEN ' (endpoint busy)' WHEN id ~ '\\.c[0-9]' THEN ' (claimed)'
                         WHEN name = 'deliver' AND split_part(id, '.', 3) <> '1' THEN ' (retry)' ELSE '' END
              || '/' || state AS k, count(*)::int AS n
       FROM bullmq.job
      WHERE name = 'deliver' AND (data->>'endpoint_id') = ANY($1::text[])
      GROUP BY 1 ORDER BY 1`,
    [endpoints.map((e) => e.id)],
  );
  return Object.fromEntries(rows.map((r) => [r.k, r.n]));
}

/** Verifies the Standard Webhooks signature of one received request with the endpoint's secret. */
function verifySample(sample, endpoints) {
  const problems = [];
  for (const [idx, { headers, body }] of sample) {
    const ep = endpoints[idx];
    const id = headers['webhook-id'];
    const ts = headers['webhook-timestamp'];
    const key = Buffer.from(ep.secret.slice('whsec_'.length), 'base64');
    const want = `v1,${createHmac('sha256', key).update(`${id}.${ts}.${body}`, 'utf8').digest('base64')}`;
    const got = String(headers['webhook-signature'] ?? '').split(' ');
    if (!got.includes(want)) problems.push(`/hook/${idx}: webhook-signature does not verify`);
  }
  return problems;
}

/**
 * The floor: the same bodies POSTed with undici by `concurrency` loops (one Agent, `request`, the
 * body read to the end, as the sender does), round robin over the live paths.
 */
async function bareLoop({ receiver, bodies, concurrency, paths }) {
  const { Agent, request } = await import('undici');
  await receiver.call('reset', { blackhole: -1 });
  const agent = new Agent({ connections: concurrency });
  const total = bodies.length;
  const lat = new Float64Array(total);
  let next = 0;
  let errors = 0;
  let non2xx = 0;
  const rcpu0 = (await receiver.call('cpu')).cpu;
  const cpu0 = process.cpuUsage();
  const t0 = nowMs();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const url = `${receiver.origin}/hook/${paths[i % paths.length]}`;
        const s = nowMs();
        try {
          const res = await request(url, {
            method: 'POST',
            dispatcher: agent,
            headers: { 'content-type': 'application/json', 'webhook-id': `msg_bare_${i}` },
            body: bodies[i],
          });
          for await (const chunk of res.body) void chunk;
          if (res.statusCode < 200 || res.statusCode >= 300) non2xx += 1;
        } catch {
          errors += 1;
        }
        lat[i] = nowMs() - s;
      }
    }),
  );
  const seconds = (nowMs() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const rcpu = (await receiver.call('cpu')).cpu;
  await agent.close();
  const counts = await receiver.call('counts');
  return {
    requests: total,
    received: counts.received,
    seconds,
    rate: total / seconds,
    latency: latencyStats(lat),
    clientCpuUs: cpu.user + cpu.system,
    receiverCpuUs: rcpu.user + rcpu.system - (rcpu0.user + rcpu0.system),
    errors,
    non2xx,
  };
}

// ---- the scenario -----------------------------------------------------------------------------

/** `Server`, `apiEnv`, `servers`, `add`, `target` are run.mjs's; `bench` its Bench. Adds rows, targets, notes and profiles. */
export async function webhooksScenario({ Server, apiEnv, servers, bench, db, add, results, target }) {
  const { opts, workDir } = bench;
  const n = num(process.env.BENCH_WEBHOOK_EVENTS, opts.quick ? 300 : 2000);
  const batch = num(process.env.BENCH_WEBHOOK_BATCH, 100);
  const timeoutS = num(process.env.BENCH_WEBHOOK_TIMEOUT_S, 2);
  const drainTimeoutS = num(process.env.BENCH_WEBHOOK_DRAIN_TIMEOUT_S, 900);
  const workerPort = num(process.env.BENCH_WORKER_PORT, 18113);
  const concurrency = num(process.env.WEBHOOK_DELIVERY_CONCURRENCY, 32);
  const perEndpoint = num(process.env.WEBHOOK_ENDPOINT_CONCURRENCY, 4);
  const redisUrl = process.env.REDIS_URL;
  const queuePrefix = process.env.QUEUE_PREFIX ?? `lmsbenchwh${process.pid}`;
  const backend = redisUrl
    ? `Redis (${redisUrl.replace(/\/\/[^@]*@/, '//')}, QUEUE_PREFIX ${queuePrefix})`
    : 'PostgreSQL';
  const client = new pg.Client({ connectionString: db.url, application_name: 'lms-bench-webhooks' });
  const poller = new pg.Client({ connectionString: db.url, application_name: 'lms-bench-webhooks-poll' });
  await client.connect();
  await poller.connect();
  const pgMeter = new PgCpuMeter(poller);
  const dataDir = join(workDir, 'webhook-worker-data');
  const out = { events: n, endpoints: ENDPOINTS, batch, timeoutS, concurrency, perEndpoint, backend };
  results.webhooks = out;
  const env = apiEnv(false);
  const newWorker = (nodeArgs = [], name = 'worker-webhooks') =>
    new Server({
      name,
      args: ['--enable-source-maps', ...nodeArgs, 'dist/apps/worker/src/main.js'],
      env: {
        ...env,
        // WEBHOOK_ALLOW_PRIVATE_TARGETS (127.0.0.1) is refused with ENVIRONMENT=production.
        ENVIRONMENT: 'staging',
        WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
        WEBHOOK_TIMEOUT_SECONDS: String(timeoutS),
        DATA_DIR: dataDir,
        WORKER_HTTP_PORT: String(workerPort),
        ...(redisUrl ? { QUEUE_PREFIX: queuePrefix } : {}),
      },
      port: workerPort,
      readyPath: '/health',
      logFile: join(workDir, `${name}.log`),
    });
  const receiver = new ReceiverClient();
  let worker;
  try {
    if ((await client.query(`SELECT to_regclass('public.webhook_endpoints') AS t`)).rows[0].t === null) {
      results.notes.push('Webhooks: skipped (no webhook_endpoints table: run `npm run migration:run`).');
      log('webhooks: skipped (no webhook_endpoints table)');
      return;
    }
    const left = await cleanup(client);
    if (left.endpoints || left.events)
      log(`webhooks: removed ${left.endpoints} endpoints and ${left.events} events left by a previous run`);
    const others = Number(
      (await client.query(`SELECT count(*)::int AS n FROM webhook_endpoints WHERE is_active`)).rows[0].n,
    );
    if (others) log(`webhooks: WARNING ${others} other active endpoints exist: they receive the bench's events too`);
    mkdirSync(dataDir, { recursive: true });
    await receiver.start();
    log(`webhooks: receiver (child process ${receiver.pid}) on ${receiver.origin}; queues on ${backend}`);
    worker = newWorker();
    servers.push(worker);
    log('webhooks: starting one worker');
    await worker.start();

    const all = Array.from({ length: ENDPOINTS }, (_, i) => i);
    const nine = all.slice(0, ENDPOINTS - 1);
    const bh = ENDPOINTS - 1;
    const run = async (label, live, blackhole, count = n, w = worker) => {
      await cleanup(client);
      const endpoints = await createEndpoints(client, env.SECRET_KEY, receiver.origin);
      const payloads = makePayloads(count);
      log(`webhooks: ${label}: ${count} events × ${ENDPOINTS} endpoints`);
      const r = await drain({
        client,
        poller,
        pgMeter,
        worker: w,
        receiver,
        endpoints,
        payloads,
        batch,
        live,
        blackhole,
        timeoutS: drainTimeoutS,
      });
      r.signatureProblems = verifySample(r.sample, endpoints);
      delete r.sample;
      log(
        `webhooks: ${label}: ${r.delivered}/${r.expected} in ${r.seconds.toFixed(1)} s = ${r.rate.toFixed(0)}/s; ` +
          `p50/p99 commit→receipt ${r.latency.p50?.toFixed(0)}/${r.latency.p99?.toFixed(0)} ms`,
      );
      return r;
    };

    // Bodies for the bare loop: the worker's bodies for the same kind of events (same sizes).
    const ts = new Date().toISOString().replace('Z', '+00:00');
    const bodies = makePayloads(n * ENDPOINTS).map((p) =>
      JSON.stringify({ event: 'course.published', timestamp: ts, data: p }),
    );
    // Warm-ups (not reported): JIT, connection pools, PostgreSQL caches of the worker and of this process.
    const warmN = Math.min(n, 200);
    log(`webhooks: warm-up (a bare loop of 2,000 POSTs, an all-live drain of ${warmN} events)`);
    await bareLoop({ receiver, bodies: bodies.slice(0, 2000), concurrency, paths: all });
    const warm = await run('warm-up', all, -1, warmN);
    out.warmUp = { events: warmN, rate: warm.rate, seconds: warm.seconds };
    log(`webhooks: bare undici loop, ${bodies.length} POSTs at concurrency ${concurrency}`);
    const bare1 = await bareLoop({ receiver, bodies, concurrency, paths: all });
    log(`webhooks: bare loop ${bare1.rate.toFixed(0)}/s`);
    const liveRun = await run('all 10 endpoints live', all, -1);
    log(`webhooks: bare undici loop again`);
    const bare2 = await bareLoop({ receiver, bodies, concurrency, paths: all });
    log(`webhooks: bare loop ${bare2.rate.toFixed(0)}/s`);
    const bhRun = await run('9 live + 1 black-holed endpoint', nine, bh);
    await worker.stop();
    const bareRate = (bare1.rate + bare2.rate) / 2;
    out.bare = [bare1, bare2];
    out.live = liveRun;
    out.blackhole = bhRun;
    out.bareRate = bareRate;
    out.ratio = liveRun.rate / bareRate;
    out.nineRatio = bhRun.nineRate / liveRun.nineRate;

    // Profile of the worker during an all-live drain (--profile always, or auto when a target is missed).
    const missed = out.ratio < TARGET_BARE_RATIO || out.nineRatio < TARGET_NINE_RATIO;
    if (opts.profile === 'always' || (opts.profile === 'auto' && missed)) {
      const dir = join(workDir, 'profiles');
      mkdirSync(dir, { recursive: true });
      const name = 'webhooks-worker.cpuprofile';
      // Before the new worker starts: the black-hole phase left pending deliver jobs it would pick up.
      await cleanup(client);
      const profiled = newWorker(
        ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}`],
        'worker-webhooks-profiled',
      );
      servers.push(profiled);
      await profiled.start();
      const pn = Math.min(n, 500);
      const fromUs = nowMs() * 1000;
      const p = await run(`profiled drain (${pn} events)`, all, -1, pn, profiled);
      const window = { fromUs, toUs: nowMs() * 1000 };
      await profiled.stop();
      const file = join(dir, name);
      if (existsSync(file)) {
        results.profiles.push({
          key: 'webhooks',
          title: `worker delivering ${p.delivered} webhooks (${p.rate.toFixed(0)}/s under the profiler)`,
          file,
          summary: summarizeProfile(file, 15, window),
        });
      } else log(`webhooks: profile ${file} not written`);
    }

    // ---- rows, targets, notes ----
    const row = (r, rate, lat, cpuUs, pgUs, bad) => ({
      rounds: 1,
      requests: r,
      rps: rate,
      p50: lat.p50,
      p95: lat.p95,
      p99: lat.p99,
      cpuUs,
      pgUs,
      non2xx: bad,
      errors: 0,
    });
    const d = (x) => x.delivered;
    add(
      `webhooks: ${n} events × 10 endpoints, one worker (req/s = deliveries/s; p50/p99 = commit → receipt)`,
      'worker',
      row(
        d(liveRun),
        liveRun.rate,
        liveRun.latency,
        liveRun.workerCpuUs / d(liveRun),
        liveRun.pgCpuUs === undefined ? undefined : liveRun.pgCpuUs / d(liveRun),
        liveRun.expected - d(liveRun),
      ),
      out.ratio,
      `${liveRun.seconds.toFixed(1)} s; queues on ${redisUrl ? 'Redis' : 'PostgreSQL'}`,
    );
    for (const [i, b] of [bare1, bare2].entries()) {
      add(
        `webhooks: bare undici loop ${i + 1}, same bodies, concurrency ${concurrency} (p50/p99 = request → response)`,
        'bench',
        row(b.requests, b.rate, b.latency, b.clientCpuUs / b.requests, undefined, b.errors + b.non2xx),
        1,
      );
    }
    add(
      `webhooks: 9 live endpoints + 1 black-holed (timeout ${timeoutS} s); req/s = the nine's deliveries/s`,
      'worker',
      row(
        d(bhRun),
        bhRun.rate,
        bhRun.latency,
        bhRun.workerCpuUs / d(bhRun),
        bhRun.pgCpuUs === undefined ? undefined : bhRun.pgCpuUs / d(bhRun),
        bhRun.expected - d(bhRun),
      ),
      out.nineRatio,
      `${bhRun.seconds.toFixed(1)} s; ratio = vs all live`,
    );
    results.targets.push(
      target(
        `webhook deliveries/s ≥ ${TARGET_BARE_RATIO}× a bare undici loop`,
        out.ratio,
        TARGET_BARE_RATIO,
        '≥',
        (x) => `${x.toFixed(3)}× (${liveRun.rate.toFixed(0)} vs ${bareRate.toFixed(0)}/s)`,
      ),
      target(
        `with one endpoint black-holed the nine keep ≥ ${TARGET_NINE_RATIO}× their rate`,
        out.nineRatio,
        TARGET_NINE_RATIO,
        '≥',
        (x) => `${x.toFixed(2)}× (${bhRun.nineRate.toFixed(0)} vs ${liveRun.nineRate.toFixed(0)}/s)`,
      ),
    );
    const f1 = (x) => (x === undefined ? 'n/a' : x.toFixed(1));
    const perDel = (us, k) => (us === undefined ? 'n/a' : (us / k / 1000).toFixed(2));
    const bhStates = bhRun.byEndpoint.filter((e) => e.endpoint === bh);
    results.notes.push(
      `Webhooks: ${n} course.published outbox events committed in batches of ${batch} (INSERT + NOTIFY lms_outbox, ` +
        `commit phase ${f1(liveRun.commitSeconds)} s) to ${ENDPOINTS} endpoints (rows inserted with secrets sealed by the ` +
        `app's SecretBox) on a node:http receiver in a child process (127.0.0.1, /hook/0…9, answers 200 "ok"). ` +
        `One worker (\`dist/apps/worker/src/main.js\`, ENVIRONMENT=staging because WEBHOOK_ALLOW_PRIVATE_TARGETS=true is ` +
        `refused in production, WEBHOOK_DELIVERY_CONCURRENCY ${concurrency}, WEBHOOK_ENDPOINT_CONCURRENCY ${perEndpoint}, ` +
        `WEBHOOK_TIMEOUT_SECONDS ${timeoutS}, queues on ${backend}). deliveries/s = unique webhook-ids received ÷ ` +
        `(last receipt − first commit); latency = receipt (receiver, CLOCK_MONOTONIC) − commit of the event's batch. ` +
        `After an unreported warm-up (2,000 bare POSTs; an all-live drain of ${out.warmUp.events} events, ` +
        `${out.warmUp.rate.toFixed(0)}/s): all live: ${d(liveRun)}/${liveRun.expected} in ${f1(liveRun.seconds)} s, p50/p95/p99/max ` +
        `${f1(liveRun.latency.p50)}/${f1(liveRun.latency.p95)}/${f1(liveRun.latency.p99)}/${f1(liveRun.latency.max)} ms, ` +
        `${liveRun.duplicates} duplicates; worker CPU ${perDel(liveRun.workerCpuUs, d(liveRun))} ms, PostgreSQL CPU ` +
        `${perDel(liveRun.pgCpuUs, d(liveRun))} ms (by application_name: ${JSON.stringify(liveRun.pgCpuMsByApp)}), receiver CPU ${perDel(liveRun.receiverCpuUs, d(liveRun))} ms per delivery; ` +
        `deliver jobs ${JSON.stringify(liveRun.jobs ?? 'n/a (Redis)')}. Signatures: ` +
        `${liveRun.signatureProblems.length ? liveRun.signatureProblems.join('; ') : 'a sample per endpoint verified'}.`,
      `Webhooks, bare loop: ${bodies.length} POSTs of the same bodies (${bodies[0].length} bytes) with undici ` +
        `(one Agent, \`request\`, ${concurrency} loops, round robin over the 10 paths) to the same receiver, before and ` +
        `after the worker run: ${bare1.rate.toFixed(0)} and ${bare2.rate.toFixed(0)}/s, p99 ${f1(bare1.latency.p99)} and ` +
        `${f1(bare2.latency.p99)} ms; client CPU ${perDel(bare1.clientCpuUs, bare1.requests)} ms, receiver CPU ` +
        `${perDel(bare1.receiverCpuUs, bare1.requests)} ms per request.`,
      `Webhooks, black hole: /hook/${bh} accepts and never answers; the nine others got ${d(bhRun)}/${bhRun.expected} in ` +
        `${f1(bhRun.seconds)} s (${bhRun.nineRate.toFixed(0)}/s vs ${liveRun.nineRate.toFixed(0)}/s for the same nine paths all live), p50/p99 ` +
        `${f1(bhRun.latency.p50)}/${f1(bhRun.latency.p99)} ms; the black hole received ${bhRun.blackholeRequests} requests ` +
        `meanwhile; its deliveries: ${JSON.stringify(bhStates)}; deliver jobs ${JSON.stringify(bhRun.jobs ?? 'n/a (Redis)')}; ` +
        `worker CPU ${perDel(bhRun.workerCpuUs, d(bhRun))} ms, PostgreSQL CPU ${perDel(bhRun.pgCpuUs, d(bhRun))} ms per delivery to the nine.`,
    );
  } finally {
    for (const s of servers.filter((x) => x.name.startsWith('worker-webhooks'))) {
      await s.stop().catch(() => undefined);
    }
    receiver.stop();
    await cleanup(client).catch((err) => log(`webhooks: cleanup failed: ${err.message}`));
    if (redisUrl && !process.env.QUEUE_PREFIX) {
      await cleanupRedis(redisUrl, queuePrefix)
        .then((k) => log(`webhooks: deleted ${k} Redis keys of ${queuePrefix}`))
        .catch((err) => log(`webhooks: Redis cleanup failed: ${err.message}`));
    }
    rmSync(dataDir, { recursive: true, force: true });
    await poller.end().catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

if (process.argv[2] === RECEIVER_FLAG && process.argv[1] === fileURLToPath(import.meta.url)) runReceiver();
