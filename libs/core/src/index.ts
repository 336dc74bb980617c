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
  isAlive,
  type EmbeddedPostgresHandle,
} from './database/embedded-postgres.js';
export { resolveDatabase, type ResolvedDatabase } from './database/resolve-database.js';
export {
  loadConfigOrExit,
  prepareProcess,
  handleShutdown,
  exitOnStartupError,
  logProcessWarnings,
  type ProcessContext,
} from './runtime/process-runner.js';
export { createRootLogger, REDACT_PATHS } from './observability/logger.js';
export { NestPinoLogger } from './observability/nest-logger.js';
export { ObservabilityModule, ROOT_LOGGER, type ObservabilityOptions } from './observability/observability.module.js';
export { createFastifyAdapter, configureHttpPlatform } from './http/platform.js';
export { HealthModule } from './health/health.module.js';
export { QueueModule } from './queue/queue.module.js';
export { OutboxModule } from './outbox/outbox.module.js';
export { histogram, counter, gauge } from './observability/metrics.js';
export { recordLogin, recordMfaChallenge } from './observability/app-metrics.js';
export { reportError } from './observability/error-reporter.js';
export {
  setErrorReporterClient,
  errorReporterEnabled,
  type ErrorContext,
  type ErrorReporterClient,
} from './observability/error-reporter.js';
export { initSentry, flushSentry, sentryOptions, type SentryInitOptions } from './observability/sentry.js';
export {
  UNMATCHED_ROUTE,
  httpRequestsTotal,
  httpRequestDuration,
  collectDefaultMetricsOnce,
} from './observability/metrics.js';
export { registerHttpMetrics, type HttpMetricsOptions } from './observability/http-metrics.js';
export { QUEUE_HEALTH, type QueueHealth } from './health/queue-health.js';
export { ReadinessService, READINESS_TIMEOUT_MS, type ReadinessReport } from './health/readiness.service.js';
export { setupSwagger, buildOpenApiDocument, PROBLEM_DETAILS_SCHEMA } from './docs/swagger.js';
export {
  ApiProblemResponse,
  Endpoint,
  ERROR_DESCRIPTIONS,
  type EndpointErrors,
  type EndpointOptions,
  type ErrorStatus,
} from './docs/endpoint.decorator.js';
export { ValidatedOnlyWith } from './docs/validation-schema.js';
export {
  QUEUE_JOBS,
  QUEUE_NAMES,
  type JobPayloads,
  type QueueName,
  type JobName,
  type JobPayload,
  type SendAccountEmailPayload,
  type SendEmailPayload,
  type IssueCertificatePayload,
  type ExpireQuizAttemptsPayload,
  type DeleteFileObjectPayload,
  type SweepOrphanFilesPayload,
  type WebhookFanOutPayload,
  type WebhookDeliverPayload,
  type ResumeWebhookDeliveriesPayload,
} from './queue/queue.definitions.js';
export { JobHandler, type JobHandlerFn } from './queue/job-handler.decorator.js';
export { JobHandlerRegistry, buildHandlerMap, type DiscoveredJobHandler } from './queue/job-handler.registry.js';
export { JobProducer, QueueUnavailableError } from './queue/job.producer.js';
export { JobSchedules, type JobSchedule } from './queue/job-schedules.js';
export { BULLMQ_PG_SCHEMA, defaultJobOptions } from './queue/queue.connection.js';
export { OutboxEvent } from './outbox/outbox-event.entity.js';
export { OutboxService, OUTBOX_NOTIFY_CHANNEL } from './outbox/outbox.service.js';
export {
  OutboxRelay,
  OUTBOX_REDELIVER_MAX_AGE_MS,
  PROCESSED_EVENTS_RETENTION_MS,
  type RedeliverResult,
  type RelayResult,
} from './outbox/outbox.relay.js';
export { ProcessedEvent } from './outbox/processed-event.entity.js';
export { ProcessedEvents, outboxHandlerName, outboxJobRef, type OutboxJobRef } from './outbox/processed-events.js';
export {
  OUTBOX_ROUTES,
  routeEvent,
  type OutboxEventPayloads,
  type CoursePublishedEvent,
  type EnrollmentCreatedEvent,
  type QuizSubmittedEvent,
  type QuizGradedEvent,
  type CertificateIssuedEvent,
  type CertificateRevokedEvent,
  type UserCreatedEvent,
  type OutboxEventType,
  type OutboxRoute,
} from './outbox/outbox.routes.js';
export {
  ProblemException,
  resolveProblem,
  problemBody,
  codeForStatus,
  PROBLEM_CONTENT_TYPE,
  PROBLEM_TYPE_BASE,
  type ProblemBody,
  type FieldError,
  type ProblemExceptionOptions,
} from './http/problem.js';
export { ProblemJsonFilter } from './http/problem.filter.js';
export {
  DependencyOutageTracker,
  isDependencyUnavailable,
  DEPENDENCY_RETRY_AFTER_SECONDS,
} from './http/dependency-outage.js';
export { createValidationPipe, flattenValidationErrors, validationException } from './http/validation.js';
export { EnvelopeInterceptor, shouldEnvelope, wrapEnvelope, type Envelope } from './http/envelope.js';
export {
  PaginationQueryDto,
  paginate,
  offset,
  totalPages,
  ApiPaginatedResponse,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  MAX_PAGE,
  type Page,
  type PageQuery,
} from './http/pagination.js';
export { isValidRequestId, REQUEST_ID_HEADER } from './http/request-id.js';
export {
  Authenticated,
  CurrentUser,
  Public,
  ROLES,
  IS_PUBLIC_KEY,
  ROLES_KEY,
  type AuthUser,
  type Role,
} from './auth/auth.decorators.js';
export { RedisModule, RedisService, RedisUnavailableError } from './redis/redis.module.js';
export { parseCookies, serializeCookie, type CookieOptions } from './http/cookies.js';
export { RateLimitModule } from './rate-limit/rate-limit.module.js';
export { IdempotencyKey } from './idempotency/idempotency-key.entity.js';
export { CacheModule, CacheService } from './cache/cache.service.js';
export { Idempotent, IDEMPOTENT_KEY } from './idempotency/idempotent.decorator.js';
export { IdempotencyModule } from './idempotency/idempotency.module.js';
export {
  IdempotencyService,
  canonicalJson,
  requestHash,
  isValidIdempotencyKey,
  IDEMPOTENCY_TTL_SECONDS,
  type IdempotencyTarget,
  type BeginResult,
} from './idempotency/idempotency.service.js';
export { IdempotencyInterceptor } from './idempotency/idempotency.interceptor.js';
export { handlerFingerprint, IdempotentReplay, type HandlerFingerprint } from './idempotency/handler-fingerprint.js';
export { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER } from './idempotency/idempotency.constants.js';
export { uuidParam, PROBLEM_SCHEMA_REF } from './http/params.js';
export { runSql, pgError, isUniqueViolation, type SqlResult } from './database/sql.js';
export { Clock, SystemClock, ClockModule } from './runtime/clock.js';
export {
  Trim,
  NotNullWhenPresent,
  codePointLength,
  MaxCodePoints,
  MinCodePoints,
  CodePointLength,
  JsonObjectMaxBytes,
  JSON_OBJECT_MAX_BYTES,
} from './http/validation-decorators.js';
export { MAX_JSON_DEPTH, textDefect, findTextDefect, jsonDepthExceeds } from './http/input-guard.js';
export { pgPoolOf, queryPrepared } from './database/prepared.js';
export {
  QueryBoolean,
  QueryFilter,
  parseQueryBoolean,
  isBlankQueryValue,
  QUERY_TRUE,
  QUERY_FALSE,
  type QueryBooleanOptions,
} from './http/query-transforms.js';
export { DecimalField, parseDecimal, DECIMAL_STRING_PATTERN, type DecimalFieldOptions } from './http/decimal-field.js';
export { NON_JSON_BODY_ROUTES, mediaTypeOf } from './http/media-type.js';
