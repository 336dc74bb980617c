export { AppConfig, ENVIRONMENTS, type Environment } from './config/app-config.js';
export { ConfigModule } from './config/config.module.js';
export {
  loadConfig,
  ensureSecretKey,
  dataPath,
  ConfigValidationError,
  type ConfigProblem,
} from './config/load-config.js';
export { createDataSourceOptions, type PostgresOptions } from './database/data-source-options.js';
export { DatabaseModule, DATABASE_URL } from './database/database.module.js';
export { runMigrationsLocked } from './database/migrate.js';
export {
  startEmbeddedPostgres,
  ensureDatabase,
  EmbeddedPostgresLockedError,
  type EmbeddedPostgresHandle,
} from './database/embedded-postgres.js';
export { resolveDatabase, type ResolvedDatabase } from './database/resolve-database.js';
export { loadConfigOrExit, prepareProcess, handleShutdown, type ProcessContext } from './runtime/process-runner.js';
export { createRootLogger, REDACT_PATHS } from './observability/logger.js';
export { NestPinoLogger } from './observability/nest-logger.js';
export { ObservabilityModule, ROOT_LOGGER, type ObservabilityOptions } from './observability/observability.module.js';
export { createFastifyAdapter, configureHttpPlatform } from './http/platform.js';
export { HealthModule } from './health/health.module.js';
export { QueueModule } from './queue/queue.module.js';
export { OutboxModule } from './outbox/outbox.module.js';
export { histogram, counter, gauge } from './observability/metrics.js';
export { reportError } from './observability/error-reporter.js';
