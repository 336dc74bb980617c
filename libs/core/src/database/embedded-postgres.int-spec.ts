import { chmodSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '#testing';
import { EmbeddedPostgresLockedError, startEmbeddedPostgres } from './embedded-postgres.js';

/** Process group and session of a process, from /proc/<pid>/stat. */
function groupAndSession(pid: number | 'self'): { pgrp: number; session: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const [, , pgrp, session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { pgrp: Number(pgrp), session: Number(session) };
}

async function query(url: string, sql: string): Promise<pg.QueryResultRow[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

describe('embedded PostgreSQL launcher', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lms-embedded-'));
  chmodSync(dir, 0o755);
  const dataDir = join(dir, 'pg');
  let port = 0;
  beforeAll(async () => {
    port = await freePort();
  });

  it('starts, refuses a second launcher on the same directory, and keeps data across restarts', async () => {
    const first = await startEmbeddedPostgres({ dataDir, port, database: 'lms' });
    try {
      await query(first.url, 'CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)');
      const second = startEmbeddedPostgres({ dataDir, port: port + 1, database: 'lms' });
      await expect(second).rejects.toBeInstanceOf(EmbeddedPostgresLockedError);
      await expect(second).rejects.toThrow(
        /already running the embedded PostgreSQL in .*Stop it first, or point DATABASE_URL/,
      );
    } finally {
      await first.stop();
    }
    const again = await startEmbeddedPostgres({ dataDir, port, database: 'lms' });
    try {
      expect(await query(again.url, 'SELECT v FROM kept')).toEqual([{ v: 42 }]);
    } finally {
      await again.stop();
    }
  });

  it("runs the server in a session of its own, so signals to the launcher's process group (Ctrl-C) miss it", async () => {
    const handle = await startEmbeddedPostgres({ dataDir, port, database: 'lms' });
    const postmasterPid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    try {
      const own = groupAndSession('self');
      const server = groupAndSession(postmasterPid);
      expect(server.pgrp).not.toBe(own.pgrp);
      expect(server.session).not.toBe(own.session);
      expect(server).toEqual({ pgrp: postmasterPid, session: postmasterPid });
      expect(await query(handle.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await handle.stop();
    }
    // stop() shuts it down (and releases the directory).
    expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(false);
    expect(existsSync(`${dataDir}.lock`)).toBe(false);
  });
});
