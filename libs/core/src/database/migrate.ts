import type { DataSource } from 'typeorm';

/** Arbitrary but fixed: serializes migration runs of every process sharing the database. */
const MIGRATION_LOCK_KEY = 7_204_311_911;

/**
 * Applies pending migrations under a PostgreSQL advisory lock, so that several API or worker
 * processes starting together never run the same migration twice. The lock holds one pooled
 * connection while the migrations use another: the DataSource needs a pool of at least 2.
 */
export async function runMigrationsLocked(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}
