import { QueryFailedError, type EntityManager } from 'typeorm';

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

/** What PostgreSQL reported for a failed statement (SQLSTATE, constraint, detail), or undefined for other errors. */
export function pgError(err: unknown): { code?: string; constraint?: string; detail?: string } | undefined {
  return err instanceof QueryFailedError
    ? ((err.driverError as { code?: string; constraint?: string; detail?: string } | undefined) ?? {})
    : undefined;
}

/** A unique violation (23505), optionally of one named constraint. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = pgError(err);
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint);
}
