#!/usr/bin/env node
// First step of `npm start`, before it rebuilds dist/: refuses when another process already runs the
// embedded PostgreSQL on this data directory, so a second `npm start` touches nothing (it would
// otherwise delete and rebuild the running server's code before the launcher noticed the lock).
// Same lock as libs/core/src/database/embedded-postgres.ts: <DATA_DIR>/pg.lock holds the pid of the
// process running the server. With DATABASE_URL set there is no embedded server, and no lock.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

if (!process.env.DATABASE_URL) {
  const dataDir = resolve(process.env.DATA_DIR || './.data', 'pg');
  let pid;
  try {
    pid = Number.parseInt(readFileSync(`${dataDir}.lock`, 'utf8').split('\n')[0] ?? '', 10);
  } catch {
    pid = undefined;
  }
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
    process.stderr.write(
      `Failed to start the API: Another process (pid ${pid}) is already running the embedded PostgreSQL in ${dataDir}. ` +
        'Stop it first, or point DATABASE_URL at a PostgreSQL server.\n',
    );
    process.exit(1);
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}
