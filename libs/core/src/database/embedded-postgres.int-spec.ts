import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { EmbeddedPostgresLockedError, startEmbeddedPostgres } from './embedded-postgres.js';

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
  const port = 40000 + Math.floor(Math.random() * 10000);

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
});
