// The deployables as an operator runs them: `npm start`, `npm run start:api`, `npm run start:worker`,
// spawned through npm as real processes on the embedded PostgreSQL (a temporary DATA_DIR, free ports).
// Every process group started here is a new one (detached), so signals go only to what the test
// started, and cleanup kills only those groups and the PostgreSQL servers of its own data dirs.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { isAlive } from '#core';
import { freePort } from '#testing';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NEST_BOOTSTRAP_CONTEXTS = ['InstanceLoader', 'RoutesResolver', 'RouterExplorer'];
const NO_ADMIN_HINT = 'No admin account exists yet';

interface Spawned {
  pid: number;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

interface LogLine {
  level: number;
  msg?: string;
  context?: string;
  signal?: string;
  node?: string;
}

const groups: number[] = [];
const dataDirs: string[] = [];

/** The environment of an operator's shell: no jest NODE_OPTIONS, no external database or Redis. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'NODE_OPTIONS' || key === 'DATABASE_URL' || key === 'REDIS_URL' || key.startsWith('npm_')) continue;
    env[key] = value;
  }
  return { ...env, LOG_LEVEL: 'info', ENVIRONMENT: 'development', ...extra };
}

/** `npm <args>` as the leader of a new process group (as a terminal runs a foreground job). */
function spawnNpm(args: string[], env: NodeJS.ProcessEnv): Spawned {
  const child = spawn('npm', args, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`npm ${args.join(' ')} did not start`);
  groups.push(child.pid);
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.once('close', (code, signal) => res({ code, signal })),
  );
  return { pid: child.pid, stdout: () => out, stderr: () => err, exited };
}

function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lms-lifecycle-'));
  chmodSync(dir, 0o755); // PostgreSQL runs as the "postgres" system user when we are root
  dataDirs.push(dir);
  return dir;
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
}

/** Every process below `pid`, from /proc (pid → parent pid). */
function descendants(pid: number): Array<{ pid: number; cmdline: string }> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited meanwhile
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift();
    for (const [child, ppid] of parents) {
      if (ppid === parent) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found.map((p) => {
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      // exited meanwhile
    }
    return { pid: p, cmdline };
  });
}

/** The node process below `pid` running `entry` (not a shell whose command line mentions it). */
function nodeRunning(pid: number, entry: string): { pid: number; cmdline: string } | undefined {
  return descendants(pid).find((p) => /^(\S*\/)?node /.test(p.cmdline) && p.cmdline.includes(entry));
}

/** stdout's JSON lines (npm's own "> script" banner lines aside); throws on any other line. */
function jsonLines(stdout: string): LogLine[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('> '))
    .map((l) => {
      try {
        return JSON.parse(l) as LogLine;
      } catch {
        throw new Error(`not a JSON log line: ${l}`);
      }
    });
}

/** stderr without npm's own notices: what the server wrote there. */
function serverStderr(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^npm (warn|notice)/i.test(l))
    .join('\n');
}

function hasMessage(out: string, msg: string, extra: Partial<LogLine> = {}): boolean {
  return jsonLines(out).some(
    (l) => l.msg === msg && Object.entries(extra).every(([k, v]) => l[k as keyof LogLine] === v),
  );
}

afterAll(async () => {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // the group is gone: the normal case
    }
  }
  for (const dir of dataDirs) {
    // PostgreSQL runs in a session of its own: stop a server left behind by a failed test.
    const pid = Number.parseInt(readFileSyncOr(join(dir, 'pg', 'postmaster.pid')).split('\n')[0] ?? '', 10);
    if (pid > 0 && isAlive(pid)) {
      process.kill(pid, 'SIGQUIT');
      await waitFor(`PostgreSQL (pid ${pid}) to exit`, () => !isAlive(pid), 10_000).catch(() => undefined);
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  }
}, 60_000);

function readFileSyncOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

describe('ops/scripts/check-data-dir.mjs (the first step of npm start)', () => {
  const check = (env: Record<string, string>) =>
    spawnSync(process.execPath, [join(ROOT, 'ops/scripts/check-data-dir.mjs')], {
      cwd: ROOT,
      env: childEnv(env),
      encoding: 'utf8',
    });

  it('refuses a data directory whose embedded PostgreSQL is held by a live process, and only that', () => {
    const dataDir = tempDataDir();
    expect(check({ DATA_DIR: dataDir }).status).toBe(0); // no lock yet

    writeFileSync(join(dataDir, 'pg.lock'), `${process.pid}\n`); // held by this (live) process
    const busy = check({ DATA_DIR: dataDir });
    expect(busy.status).toBe(1);
    expect(busy.stderr).toContain(
      `Another process (pid ${process.pid}) is already running the embedded PostgreSQL in ${join(dataDir, 'pg')}`,
    );
    // With DATABASE_URL there is no embedded server to collide with.
    expect(check({ DATA_DIR: dataDir, DATABASE_URL: 'postgres://db.invalid/lms' }).status).toBe(0);

    // A lock left by a process that is gone does not block.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(dataDir, 'pg.lock'), `${gone.stdout}\n`);
    expect(check({ DATA_DIR: dataDir }).status).toBe(0);
  });
});

describe('npm start (embedded PostgreSQL, workers in process)', () => {
  it('logs JSON only and quietly, refuses a busy data dir before building, and drains on Ctrl-C', async () => {
    const dataDir = tempDataDir();
    const [port, pgPort] = [await freePort(), await freePort()];
    const base = `http://127.0.0.1:${port}/api/v1`;
    const server = spawnNpm(
      ['start'],
      childEnv({ DATA_DIR: dataDir, PORT: String(port), EMBEDDED_PG_PORT: String(pgPort) }),
    );
    await waitFor('npm start to serve /health', () => healthy(`${base}/health`), 120_000);

    // Quiet JSON logs: nothing on stderr (no deprecation warnings), Nest's per-module and per-route
    // lines at debug level, a handful of info lines, the no-admin hint once.
    expect(serverStderr(server.stderr())).toBe('');
    const startLines = jsonLines(server.stdout()).filter((l) => l.level >= 30);
    expect(startLines.filter((l) => NEST_BOOTSTRAP_CONTEXTS.includes(l.context ?? ''))).toEqual([]);
    expect(startLines.length).toBeLessThanOrEqual(12);
    expect(startLines.filter((l) => l.msg?.startsWith(NO_ADMIN_HINT))).toHaveLength(1);
    // The runtime npm scripts use: the node devDependency's Node 24 (or a newer system Node when opted out).
    const listening = startLines.find((l) => l.msg?.startsWith('LMS API listening'));
    expect(Number(/^v(\d+)\./.exec(listening?.node ?? '')?.[1])).toBeGreaterThanOrEqual(24);

    // A second `npm start` on the busy data directory stops before `npm run build` touches dist/.
    const sentinel = join(ROOT, 'dist', `.lifecycle-sentinel-${process.pid}`);
    writeFileSync(sentinel, '');
    try {
      const second = spawnNpm(
        ['start'],
        childEnv({ DATA_DIR: dataDir, PORT: String(await freePort()), EMBEDDED_PG_PORT: String(await freePort()) }),
      );
      expect(await second.exited).toEqual({ code: 1, signal: null });
      const holder = nodeRunning(server.pid, 'dist/apps/api/src/main.js');
      expect(second.stderr()).toContain(
        `Another process (pid ${holder?.pid}) is already running the embedded PostgreSQL in ${join(dataDir, 'pg')}`,
      );
      expect(second.stdout()).not.toMatch(/^> \S+ build/m);
      expect(existsSync(sentinel)).toBe(true);
    } finally {
      rmSync(sentinel, { force: true });
    }

    // Five requests held in flight by a row lock the test owns (as any slow request would be).
    const email = 'ctrl-c@example.com';
    const registered = await fetch(`${base}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'ctrl-c-password', full_name: 'Before' }),
    });
    expect(registered.status).toBe(201);
    const token = ((await registered.json()) as { tokens: { access_token: string } }).tokens.access_token;
    const dbUrl = `postgres://postgres:postgres@127.0.0.1:${pgPort}/lms`;
    const locker = new pg.Client({ connectionString: dbUrl });
    const watcher = new pg.Client({ connectionString: dbUrl });
    const dbErrors: Error[] = [];
    // Until the drained requests are answered; after that the API stops its PostgreSQL, which cuts
    // these idle clients (an error each) before the finally block ends them: expected.
    let collecting = true;
    for (const c of [locker, watcher]) c.on('error', (e) => collecting && dbErrors.push(e));
    await locker.connect();
    await watcher.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM users WHERE email = $1 FOR UPDATE', [email]);
      const requests = Array.from({ length: 5 }, (_, i) =>
        fetch(`${base}/users/me`, {
          method: 'PATCH',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ full_name: `After ${i}` }),
        }).then(async (r) => ({ status: r.status, body: await r.text() })),
      );
      await waitFor(
        'five requests waiting on the row lock',
        async () => {
          const { rows } = await watcher.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity
              WHERE datname = 'lms' AND wait_event_type = 'Lock' AND query ILIKE 'UPDATE "users"%'`,
          );
          return rows[0]?.n === 5;
        },
        20_000,
      );

      // Ctrl-C: the terminal signals the whole foreground process group (npm, node, and whatever
      // else runs in it), and npm forwards its own SIGINT to node as well.
      process.kill(-server.pid, 'SIGINT');
      await waitFor('the API to start draining', () => hasMessage(server.stdout(), 'shutting down'), 10_000);
      // PostgreSQL is still serving: the draining API needs it.
      expect((await watcher.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      await locker.query('COMMIT');

      const results = await Promise.all(requests);
      collecting = false;
      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    } finally {
      await locker.end().catch(() => undefined);
      await watcher.end().catch(() => undefined);
    }
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(dbErrors).toEqual([]);
    const lines = jsonLines(server.stdout());
    expect(lines.filter((l) => l.msg === 'second signal: exiting now')).toEqual([]);
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    expect(lines.at(-1)?.msg).toBe('stopped');
    expect(serverStderr(server.stderr())).toBe('');
    // ...and the API stopped PostgreSQL after the drain.
    expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
  }, 240_000);
});

describe('npm run start:api / start:worker under a supervisor that signals npm', () => {
  let dataDir: string;
  beforeAll(() => {
    // The scripts run dist/ as it is (npm start rebuilds it; these don't).
    const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, env: childEnv({}), encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`npm run build failed: ${build.stderr}`);
    dataDir = tempDataDir();
  }, 120_000);

  /** Starts `npm run <script>`, waits for health, sends SIGTERM to npm only; node must drain and exit. */
  async function startAndTerminate(script: string, entry: string, env: Record<string, string>, healthUrl: string) {
    const npm = spawnNpm(['run', script], childEnv({ DATA_DIR: dataDir, ...env }));
    await waitFor(`npm run ${script} to serve ${healthUrl}`, () => healthy(healthUrl), 120_000);
    const node = nodeRunning(npm.pid, entry);
    expect(node).toBeDefined();

    process.kill(npm.pid, 'SIGTERM');
    expect(await npm.exited).toEqual({ code: 0, signal: null });
    // No orphan: the node process that served is gone too, after draining.
    await waitFor(`node (pid ${node!.pid}) to exit`, () => !isAlive(node!.pid), 30_000);
    expect(hasMessage(npm.stdout(), 'shutting down', { signal: 'SIGTERM' })).toBe(true);
    expect(jsonLines(npm.stdout()).at(-1)?.msg).toBe('stopped');
    expect(serverStderr(npm.stderr())).toBe('');
    return npm;
  }

  it('start:api: SIGTERM to npm reaches node, which drains and exits 0; the admin hint is logged once per deployment', async () => {
    const port = String(await freePort());
    const env = { PORT: port, EMBEDDED_PG_PORT: String(await freePort()) };
    const first = await startAndTerminate(
      'start:api',
      'dist/apps/api/src/main.js',
      env,
      `http://127.0.0.1:${port}/api/v1/health`,
    );
    const hints = (out: string) => jsonLines(out).filter((l) => l.level >= 30 && l.msg?.startsWith(NO_ADMIN_HINT));
    expect(hints(first.stdout())).toHaveLength(1);

    // A restart (or another replica) on the same database: the hint is not repeated.
    const second = await startAndTerminate(
      'start:api',
      'dist/apps/api/src/main.js',
      env,
      `http://127.0.0.1:${port}/api/v1/health`,
    );
    expect(hints(second.stdout())).toEqual([]);
  }, 240_000);

  it('process warnings become JSON log lines instead of plain text on stderr', () => {
    const script = `
      const { default: pino } = await import('pino');
      const { logProcessWarnings } = await import('./dist/libs/core/src/runtime/process-runner.js');
      logProcessWarnings(pino({ base: null }));
      process.emitWarning('something is deprecated', { type: 'DeprecationWarning', code: 'LMS_TEST_DEP' });
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      env: childEnv({}),
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(jsonLines(r.stdout)).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'process warning',
        warning: { name: 'DeprecationWarning', code: 'LMS_TEST_DEP', message: 'something is deprecated' },
      }),
    ]);
  });

  it('start:worker: SIGTERM to npm reaches node, which drains its jobs and exits 0', async () => {
    const httpPort = String(await freePort());
    await startAndTerminate(
      'start:worker',
      'dist/apps/worker/src/main.js',
      { WORKER_HTTP_PORT: httpPort, EMBEDDED_PG_PORT: String(await freePort()) },
      `http://127.0.0.1:${httpPort}/health`,
    );
  }, 240_000);
});
