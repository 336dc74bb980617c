import type { Logger as PinoLogger } from 'pino';
import type { Logger as TypeOrmLogger } from 'typeorm';

const MAX_QUERY_CHARS = 2000;

function clip(query: string): string {
  const q = query.replace(/\s+/g, ' ').trim();
  return q.length > MAX_QUERY_CHARS ? `${q.slice(0, MAX_QUERY_CHARS)}…` : q;
}

/**
 * TypeORM's output as pino JSON lines. Query parameters are never logged: they carry password
 * hashes, token ids and personal data. A failed query is a warning (a unique violation answered
 * with 409 is routine); the error filter reports what really went wrong.
 */
export class TypeOrmPinoLogger implements TypeOrmLogger {
  constructor(
    private readonly logger: PinoLogger,
    private readonly echo: boolean,
  ) {}

  logQuery(query: string, _parameters?: unknown[]): void {
    if (this.echo) this.logger.debug({ component: 'typeorm', query: clip(query) }, 'query');
  }

  logQueryError(error: string | Error, query: string, _parameters?: unknown[]): void {
    const code = typeof error === 'object' ? (error as { code?: string }).code : undefined;
    const message = typeof error === 'string' ? error : error.message;
    this.logger.warn({ component: 'typeorm', code, query: clip(query), error: message }, 'query failed');
  }

  logQuerySlow(time: number, query: string, _parameters?: unknown[]): void {
    this.logger.warn({ component: 'typeorm', duration_ms: time, query: clip(query) }, 'slow query');
  }

  logSchemaBuild(message: string): void {
    this.logger.debug({ component: 'typeorm' }, message);
  }

  logMigration(message: string): void {
    this.logger.info({ component: 'typeorm' }, message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    this.logger[level === 'warn' ? 'warn' : 'info']({ component: 'typeorm' }, String(message));
  }
}
