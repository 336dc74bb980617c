// Load generation (wrk, or autocannon when wrk is absent) and CPU accounting from /proc.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';

let clkTck;
function clockTicks() {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** utime + stime of a process (all its threads), in microseconds; undefined when unreadable. */
export function processCpuMicros(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ": state(0) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime(11) stime(12)
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / clockTicks();
  } catch {
    return undefined;
  }
}

function processName(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * CPU of the PostgreSQL backends serving a database (local servers only): snapshot() before and
 * after a run, delta() between them. Backends that exit during the run are missed; new ones count
 * from their start.
 */
export class PgCpuMeter {
  constructor(client) {
    this.client = client;
    this.available = undefined;
  }

  async snapshot() {
    const { rows } = await this.client.query(
      `SELECT pid FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
    );
    const snap = new Map();
    for (const { pid } of rows) {
      const name = processName(pid);
      if (!name || !name.startsWith('postgres')) continue;
      const cpu = processCpuMicros(pid);
      if (cpu !== undefined) snap.set(pid, cpu);
    }
    if (this.available === undefined) this.available = rows.length === 0 || snap.size > 0;
    return snap;
  }

  delta(before, after) {
    if (!this.available) return undefined;
    let total = 0;
    for (const [pid, cpu] of after) total += cpu - (before.get(pid) ?? 0);
    return total;
  }
}

export function hasWrk() {
  if (process.env.BENCH_LOAD_TOOL === 'autocannon') return false;
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, 'wrk')));
}

export function wrkVersion() {
  try {
    execFileSync('wrk', ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const out = `${err.stdout ?? ''}${err.stderr ?? ''}`;
    return out.split('\n')[0].trim();
  }
  return 'wrk';
}

function runProcess(cmd, args, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * One closed-loop run: `connections` keep one request each in flight for `duration` seconds.
 * opts: { base, file, mode: 'random'|'cycle', connections, threads, duration, script }
 * Returns { requests, seconds, rps, p50, p90, p95, p99 (ms), errors, non2xx, tool }.
 */
export async function runLoad(opts) {
  return hasWrk() ? runWrk(opts) : runAutocannon(opts);
}

async function runWrk({ base, file, mode = 'random', connections, threads, duration, script, scriptArgs = [] }) {
  const t = Math.max(1, Math.min(threads ?? 2, connections));
  const args = ['-t', String(t), '-c', String(connections), '-d', `${duration}s`, '--timeout', '10s', '-s', script];
  args.push(base, '--', file, mode, ...scriptArgs);
  const { code, stdout, stderr } = await runProcess('wrk', args, (duration + 60) * 1000);
  const line = stdout.split('\n').find((l) => l.startsWith('BENCH_JSON '));
  if (code !== 0 || !line) throw new Error(`wrk failed (${code}): ${stderr || stdout}`);
  const r = JSON.parse(line.slice('BENCH_JSON '.length));
  const seconds = r.duration_us / 1e6;
  return {
    tool: 'wrk',
    requests: r.requests,
    seconds,
    rps: r.requests / seconds,
    p50: r.latency_us.p50 / 1000,
    p90: r.latency_us.p90 / 1000,
    p95: r.latency_us.p95 / 1000,
    p99: r.latency_us.p99 / 1000,
    errors: r.errors.connect + r.errors.read + r.errors.write + r.errors.timeout,
    non2xx: r.errors.status,
    extra: r.extra,
  };
}

/** The request file format of lua/requests.lua, parsed for autocannon. */
function readRequests(file) {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [method, path, token, body] = line.split('\t');
      const headers = {};
      if (token && token !== '-') headers.authorization = `Bearer ${token}`;
      if (body) headers['content-type'] = 'application/json';
      return { method, path, headers, body: body || undefined };
    });
}

async function runAutocannon({ base, file, mode = 'random', connections, duration }) {
  const { default: autocannon } = await import('autocannon');
  const list = readRequests(file);
  let i = 0;
  const result = await autocannon({
    url: base,
    connections,
    duration,
    timeout: 10,
    requests: [
      {
        setupRequest: (req) => {
          const r = mode === 'cycle' ? list[i++ % list.length] : list[Math.floor(Math.random() * list.length)];
          return { ...req, method: r.method, path: r.path, headers: { ...req.headers, ...r.headers }, body: r.body };
        },
      },
    ],
  });
  const total = result.requests.total;
  const seconds = result.duration;
  return {
    tool: 'autocannon',
    requests: total,
    seconds,
    rps: total / seconds,
    p50: result.latency.p50,
    p90: result.latency.p90,
    // autocannon reports no p95: p97.5 stands in (conservative).
    p95: result.latency.p97_5,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}
