import type { Logger } from 'pino';
import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { MIGRATIONS } from '../../../../migrations/index.js';
import { TypeOrmPinoLogger } from './typeorm-logger.js';

export type PostgresOptions = Extract<DataSourceOptions, { type: 'postgres' }>;

/**
 * The one DataSource definition, used by Nest (TypeOrmModule), the migration CLI, the embedded
 * launcher and the test harness. `synchronize` is never on: the schema comes from migrations.
 */
export function createDataSourceOptions(
  config: AppConfig,
  url: string,
  overrides: Partial<Pick<PostgresOptions, 'entities' | 'poolSize' | 'applicationName'>> & { logger?: Logger } = {},
): PostgresOptions {
  return {
    type: 'postgres',
    url,
    synchronize: false,
    // gen_random_uuid() is built into PostgreSQL 13+: no extension to install.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    entities: overrides.entities ?? [],
    // Without a pino logger (CLI tools) TypeORM's console logger prints errors and migrations only.
    logger: overrides.logger ? new TypeOrmPinoLogger(overrides.logger, config.DB_ECHO) : undefined,
    logging: config.DB_ECHO ? 'all' : ['error', 'warn', 'migration'],
    maxQueryExecutionTime: 1000,
    poolSize: overrides.poolSize ?? config.DB_POOL_SIZE,
    applicationName: overrides.applicationName ?? 'lms',
    extra: {
      connectionTimeoutMillis: config.DB_POOL_TIMEOUT * 1000,
      statement_timeout: config.DB_STATEMENT_TIMEOUT_MS || undefined,
      idleTimeoutMillis: 30_000,
    },
  };
}
