import type { EntityManager } from 'typeorm';

export interface SqlResult<T> {
  rows: T[];
  /** Rows inserted, updated or deleted (or returned, for SELECT). */
  affected: number;
}

/**
 * Runs SQL on a transaction's manager and returns rows and affected count in one shape
 * (EntityManager.query returns `[rows, count]` for UPDATE/DELETE but plain rows otherwise).
 */
export async function runSql<T = Record<string, unknown>>(
  manager: EntityManager,
  sql: string,
  params: unknown[] = [],
): Promise<SqlResult<T>> {
  const runner = manager.queryRunner;
  if (!runner) throw new Error('runSql needs a transactional EntityManager');
  const result = (await runner.query(sql, params, true)) as { records: T[]; affected?: number };
  const rows = result.records ?? [];
  return { rows, affected: result.affected ?? rows.length };
}
