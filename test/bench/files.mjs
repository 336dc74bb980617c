// The files scenarios of `npm run bench` (scenario `files`): upload throughput of a large file, the
// API's peak RSS growth during a 1 GB upload, and download throughput of a whole file and of 1 MB
// ranges, each against the floor (floor-server.mjs: bare fastify + @fastify/multipart piping to disk,
// and a file streamed back with Range), A/B interleaved. The client is this process (fetch with a
// file-backed Blob, so it streams from disk); the servers' CPU is read from /proc.
import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { closeSync, openAsBlob, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { log } from './lib.mjs';
import { processCpuMicros } from './load.mjs';

const MB = 1024 * 1024;

/**
 * An MP4 as far as content sniffing goes (an ISO BMFF `ftyp` box with brand isom), then pseudo-random
 * bytes, written in 8 MB chunks (the generator never holds the file in memory).
 */
export function writeMp4Like(path, bytes) {
  const ftyp = Buffer.alloc(32);
  ftyp.writeUInt32BE(32, 0);
  ftyp.write('ftypisom', 4, 'latin1');
  ftyp.writeUInt32BE(0x200, 12);
  ftyp.write('isomiso2avc1mp41', 16, 'latin1');
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, ftyp);
    const chunk = randomBytes(8 * MB);
    let left = bytes - ftyp.length;
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      writeSync(fd, chunk, 0, n);
      left -= n;
    }
  } finally {
    closeSync(fd);
  }
}

function rssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Uploads `path` as multipart field `file`; returns the response JSON and the seconds it took. */
async function upload(url, path, token, fields = {}) {
  const form = new globalThis.FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', await openAsBlob(path, { type: 'video/mp4' }), 'bench.mp4');
  const started = process.hrtime.bigint();
  const res = await fetch(url, {
    method: 'POST',
    body: form,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const body = await res.json();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (res.status !== 201) throw new Error(`upload to ${url}: ${res.status} ${JSON.stringify(body)}`);
  return { body, seconds };
}

/** Reads a response body to the end, counting bytes. */
async function drain(res) {
  let n = 0;
  for await (const chunk of res.body) n += chunk.length;
  return n;
}

async function download(url, token, range) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (range) headers.range = range;
  const res = await fetch(url, { headers, redirect: 'manual' });
  const expected = range ? 206 : 200;
  if (res.status !== expected) throw new Error(`GET ${url}: ${res.status} (expected ${expected})`);
  return drain(res);
}

/** Runs `fn` once per round on each server (A/B/A/B), measuring wall time and the server's CPU. */
async function abRounds(rounds, servers, fn) {
  const out = servers.map(() => ({ seconds: 0, bytes: 0, cpuUs: 0, ops: 0 }));
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < servers.length; i++) {
      const cpu0 = processCpuMicros(servers[i].pid);
      const t0 = process.hrtime.bigint();
      const { bytes, ops } = await fn(servers[i], i);
      out[i].seconds += Number(process.hrtime.bigint() - t0) / 1e9;
      out[i].cpuUs += processCpuMicros(servers[i].pid) - cpu0;
      out[i].bytes += bytes;
      out[i].ops += ops;
    }
  }
  return out;
}

/**
 * The files scenario. `api` and `floor` are started Server objects (run.mjs); `token` a student's
 * access token. Adds rows and targets through `add`/`target` and notes into `results`.
 */
export async function filesScenario({ api, floor, token, workDir, rounds, add, results, target }) {
  const probe = await fetch(`${api.base}/api/v1/files/my-files`, { headers: { authorization: `Bearer ${token}` } });
  await probe.arrayBuffer();
  if (probe.status === 404) {
    results.notes.push('Files: skipped (GET /api/v1/files/my-files is not served by this build).');
    log('files: skipped (no files routes in this build)');
    return;
  }
  const big = join(workDir, 'upload-200mb.mp4');
  const huge = join(workDir, 'upload-1gb.mp4');
  log('files: writing the 200 MB and 1 GB test files');
  writeMp4Like(big, 200 * MB);
  writeMp4Like(huge, 1024 * MB);
  const targets = [
    { name: 'api', base: api.base, pid: api.pid, upload: `${api.base}/api/v1/files/upload`, token },
    { name: 'floor', base: floor.base, pid: floor.pid, upload: `${floor.base}/files/upload`, token: undefined },
  ];
  try {
    // Warm-up: one small upload each.
    const small = join(workDir, 'upload-8mb.mp4');
    writeMp4Like(small, 8 * MB);
    for (const t of targets) await upload(t.upload, small, t.token);

    // Upload throughput, 200 MB.
    log(`files: upload 200 MB × ${rounds} (API and floor interleaved)`);
    const ids = [[], []];
    const up = await abRounds(rounds, targets, async (t, i) => {
      const { body } = await upload(t.upload, big, t.token);
      ids[i].push(body.id);
      return { bytes: 200 * MB, ops: 1 };
    });
    const mbps = (r) => r.bytes / MB / r.seconds;
    add(
      'upload 200 MB (multipart, streamed to local storage)',
      'api',
      rowOf(up[0], mbps(up[0])),
      mbps(up[0]) / mbps(up[1]),
    );
    add('upload 200 MB (multipart piped to disk)', 'floor', rowOf(up[1], mbps(up[1])), 1);
    results.targets.push(
      target(
        'upload 200 MB ≥ 0.8× floor',
        mbps(up[0]) / mbps(up[1]),
        0.8,
        '≥',
        (x) => `${x.toFixed(2)}× (${mbps(up[0]).toFixed(0)} vs ${mbps(up[1]).toFixed(0)} MB/s)`,
      ),
    );

    // Peak RSS growth of the API during a 1 GB upload.
    log('files: upload 1 GB to the API, sampling its RSS');
    const before = rssBytes(api.pid);
    let peak = before;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, rssBytes(api.pid));
        await sleep(20);
      }
    })();
    const hugeUp = await upload(targets[0].upload, huge, token).finally(() => {
      sampling = false;
    });
    await sampler;
    const growth = (peak - before) / MB;
    results.files = {
      rssBeforeMb: before / MB,
      rssPeakMb: peak / MB,
      rssGrowthMb: growth,
      hugeUploadSeconds: hugeUp.seconds,
    };
    results.targets.push(
      target('API RSS growth during a 1 GB upload ≤ 64 MB', growth, 64, '≤', (x) => `${x.toFixed(1)} MB`),
    );

    // Download throughput, the whole 200 MB file.
    log(`files: download 200 MB × ${rounds}`);
    const apiUrl = (id) => `${api.base}/api/v1/files/download/${id}`;
    const floorUrl = (id) => `${floor.base}/files/${id}`;
    const down = await abRounds(rounds, targets, async (t, i) => {
      const id = ids[i][0];
      const bytes = await download(i === 0 ? apiUrl(id) : floorUrl(id), t.token);
      return { bytes, ops: 1 };
    });
    add('download 200 MB (streamed, attachment)', 'api', rowOf(down[0], mbps(down[0])), mbps(down[0]) / mbps(down[1]));
    add('download 200 MB (streamed)', 'floor', rowOf(down[1], mbps(down[1])), 1);
    results.targets.push(
      target('download 200 MB ≥ 0.8× floor', mbps(down[0]) / mbps(down[1]), 0.8, '≥', (x) => `${x.toFixed(2)}×`),
    );

    // 1 MB ranges at random offsets, 8 at a time, for 5 s per round.
    log(`files: 1 MB ranges, 8 concurrent, 5 s × ${rounds}`);
    const ranges = await abRounds(rounds, targets, async (t, i) => {
      const id = ids[i][0];
      const url = i === 0 ? apiUrl(id) : floorUrl(id);
      const until = Date.now() + 5000;
      let ops = 0;
      let bytes = 0;
      let k = i * 7919;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (Date.now() < until) {
            const start = ((k++ * 2654435761) % 199) * MB;
            bytes += await download(url, t.token, `bytes=${start}-${start + MB - 1}`);
            ops++;
          }
        }),
      );
      return { bytes, ops };
    });
    const rps = (r) => r.ops / r.seconds;
    add(
      'download 1 MB ranges (206, 8 concurrent)',
      'api',
      rowOf(ranges[0], rps(ranges[0])),
      rps(ranges[0]) / rps(ranges[1]),
    );
    add('download 1 MB ranges (206, 8 concurrent)', 'floor', rowOf(ranges[1], rps(ranges[1])), 1);
    results.targets.push(
      target('1 MB range downloads ≥ 0.8× floor', rps(ranges[0]) / rps(ranges[1]), 0.8, '≥', (x) => `${x.toFixed(2)}×`),
    );
    results.notes.push(
      "Files: uploads and downloads use the local storage provider under the API's DATA_DIR and the floor's temp dir on the same disk; " +
        'the "req/s" column holds MB/s for whole-file transfers and requests/s for the 1 MB ranges; CPU is per transfer (whole files) or per request (ranges).',
    );
  } finally {
    rmSync(big, { force: true });
    rmSync(huge, { force: true });
  }
}

/** A result row in run.mjs's shape: `rate` in the req/s column, CPU per operation. */
function rowOf(r, rate) {
  return {
    rounds: 1,
    requests: r.ops,
    rps: rate,
    p50: undefined,
    p95: undefined,
    p99: undefined,
    cpuUs: r.ops ? r.cpuUs / r.ops : undefined,
    pgUs: undefined,
    non2xx: 0,
    errors: 0,
  };
}
