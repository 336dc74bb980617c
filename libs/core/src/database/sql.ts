import type { EntityManager } from 'typeorm';

export interface SqlResult<T> {
  rows: T[];
  /** Rows inserted, updated or deleted (or returned, for SELECT). */
  affected: number;
}

/**
 * Runs SQL and returns rows and affected count in one shape, whatever the statement
 * (EntityManager.query returns `[rows, count]` for UPDATE/DELETE but plain rows otherwise).
 * Inside a transaction pass its manager; otherwise `dataSource.manager` (a connection is borrowed).
 */
export async function runSql<T = Record<string, unknown>>(
  manager: EntityManager,
  sql: string,
  params: unknown[] = [],
): Promise<SqlResult<T>> {
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    const result = (await runner.query(sql, params, true)) as { records: T[]; affected?: number };
    const rows = result.records ?? [];
    return { rows, affected: result.affected ?? rows.length };
  } finally {
    if (runner !== manager.queryRunner) await runner.release();
  }
}
