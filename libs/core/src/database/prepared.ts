import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';

/** The pg.Pool under TypeORM's PostgreSQL driver (its `master`): the same connections, no second pool. */
export function pgPoolOf(dataSource: DataSource): Pool {
  return (dataSource.driver as unknown as { master: Pool }).master;
}

/** Distinct statement texts given a name; beyond this (a bug: values inlined into SQL) queries go unnamed. */
const MAX_NAMED_STATEMENTS = 500;
const statementNames = new Map<string, string>();

/**
 * Runs a read outside any transaction as a named prepared statement on the pool: PostgreSQL parses
 * and plans each distinct text once per connection, and no TypeORM query runner is involved (the
 * hot read paths: the guard's user lookup, the catalog). Names are per process and map 1:1 to texts,
 * as pg requires. Parameters only: never inline values into `text`.
 */
export async function queryPrepared<T>(pool: Pool, text: string, values: readonly unknown[] = []): Promise<T[]> {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_NAMED_STATEMENTS) {
    name = `lms_${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  const result = await pool.query<T & object>(
    name === undefined ? { text, values: [...values] } : { name, text, values: [...values] },
  );
  return result.rows;
}
