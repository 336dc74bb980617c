import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { createDataSourceOptions, runMigrationsLocked } from '#core';
import { testConfig } from './test-config.js';
import { requireTestEnv, TEST_ENV } from './test-env.js';

export interface TestDatabase {
  /** Connection URL of this file's own, freshly migrated database. */
  url: string;
  name: string;
  /** Runs SQL against this database (one-off connection). */
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: requireTestEnv(TEST_ENV.adminUrl) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * A new database copied from the migrated template (CREATE DATABASE ... TEMPLATE is a file copy:
 * tens of milliseconds), so each test file is isolated and files run in parallel.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const runId = requireTestEnv(TEST_ENV.runId);
  const template = await ensureTemplate(runId);
  const name = `lms_t_${runId}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(name)} TEMPLATE ${c.escapeIdentifier(template)}`));
  const url = withDatabase(requireTestEnv(TEST_ENV.adminUrl), name);
  return {
    url,
    name,
    async query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query<T>(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
    async drop() {
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`));
    },
  };
}

const TEMPLATE_LOCK_KEY = 7_204_311_912;
let templateReady: Promise<string> | undefined;

/**
 * The migrated template of this jest run, created by whichever test file gets here first
 * (an advisory lock serializes the workers).
 */
function ensureTemplate(runId: string): Promise<string> {
  templateReady ??= (async () => {
    const template = `lms_tpl_${runId}`;
    await admin(async (c) => {
      await c.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY]);
      try {
        const found = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
        if (found.rowCount === 0) {
          const building = `${template}_building`;
          await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(building)}`);
          await c.query(`CREATE DATABASE ${c.escapeIdentifier(building)}`);
          const ds = new DataSource(
            createDataSourceOptions(testConfig(), withDatabase(requireTestEnv(TEST_ENV.adminUrl), building), {
              poolSize: 2,
            }),
          );
          await ds.initialize();
          try {
            await runMigrationsLocked(ds);
          } finally {
            await ds.destroy();
          }
          await c.query(`ALTER DATABASE ${c.escapeIdentifier(building)} RENAME TO ${c.escapeIdentifier(template)}`);
        }
      } finally {
        await c.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK_KEY]);
      }
    });
    return template;
  })();
  return templateReady;
}
