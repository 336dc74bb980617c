import {
  createPostgresBackend,
  createRedisBackend,
  withBackend,
  type BackendFactory,
  type ConnectionOptions,
  type DefaultJobOptions,
  type IQueueBackend,
  type PostgresConnectionOptions,
  type PostgresPoolConfig,
  type PgPool,
  type QueueBaseOptions,
} from 'bullmq';
import type { AppConfig } from '../config/app-config.js';

/** PostgreSQL schema of BullMQ's own tables, apart from the application's (public) tables. */
export const BULLMQ_PG_SCHEMA = 'bullmq';
/** Query-pool size of each PG-backed Queue/Worker (each also holds one LISTEN connection). */
const PG_POOL_MAX = 3;

type PgQueueConnection = PostgresPoolConfig & { connectionString: string; schema: string };

function isPostgresConnection(connection: unknown): connection is PgQueueConnection {
  return (
    typeof connection === 'object' &&
    connection !== null &&
    typeof (connection as { connectionString?: unknown }).connectionString === 'string' &&
    /^postgres(ql)?:\/\//.test((connection as { connectionString: string }).connectionString)
  );
}

/**
 * Chooses BullMQ's backend per Queue/Worker instance from its `connection` option: a
 * `{ connectionString: 'postgres://…', schema }` config → the PostgreSQL backend, anything else →
 * Redis. @nestjs/bullmq does not pass a backend factory, and setDefaultBackendFactory() would flip
 * every BullMQ class in the process; instead the classes built by withBackend(this factory) are
 * given to BullModule's queueClass/workerClass setters. Those setters are process-wide statics,
 * but they always receive these same classes, and the backend is still decided by each app's own
 * connection config, so apps on different backends can share one process (tests do).
 */
const lmsBackendFactory: BackendFactory<IQueueBackend, ConnectionOptions> = (name, opts, options) => {
  if (!isPostgresConnection(opts.connection)) return createRedisBackend(name, opts, options);
  const backend = createPostgresBackend(name, opts as unknown as QueueBaseOptions<PostgresConnectionOptions>, options);
  guardPooledClients(backend.connection.pool);
  return backend;
};

/**
 * pg-pool listens for errors only on idle clients. BullMQ keeps clients checked out between
 * queries (transactions, blocking waits), and when the server drops such a connection (restart,
 * failover, pg_terminate_backend) the client emits 'error' with no listener, which crashes the
 * process. A permanent listener on every pooled client turns that into a failed operation that
 * BullMQ retries, and the pool discards the broken client when it is released.
 */
function guardPooledClients(pool: PgPool): void {
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
}

export const { Queue: LmsQueue, Worker: LmsWorker } = withBackend(lmsBackendFactory);

export interface QueueConnectionSettings {
  connection: ConnectionOptions;
  /** Redis key prefix (the PG backend namespaces by schema instead). */
  prefix?: string;
}

/**
 * Redis when REDIS_URL is set, otherwise BullMQ's PostgreSQL backend on the application database
 * (schema "bullmq", migrated by BullMQ itself under its advisory lock).
 * QUEUE_PREFIX is the Redis key prefix (default "bull"), so several deployments or test files can
 * share one Redis without consuming each other's jobs.
 */
export function queueConnection(config: AppConfig, databaseUrl: string): QueueConnectionSettings {
  if (config.REDIS_URL) {
    // maxRetriesPerRequest null: required by BullMQ workers (blocking commands); producers time out on their own.
    return { connection: { url: config.REDIS_URL, maxRetriesPerRequest: null }, prefix: config.QUEUE_PREFIX };
  }
  const pg: PgQueueConnection = {
    connectionString: databaseUrl,
    schema: BULLMQ_PG_SCHEMA,
    migrate: true,
    max: PG_POOL_MAX,
    application_name: 'lms-bullmq',
  };
  return { connection: pg as unknown as ConnectionOptions };
}

const DAY_SECONDS = 24 * 60 * 60;

/**
 * Several attempts with exponential backoff; failed jobs are kept for inspection; completed jobs
 * are kept 7 days (up to 10 000 per queue) so that re-adding a deterministic job id (outbox relay
 * retries) is ignored rather than run twice.
 */
export function defaultJobOptions(config: AppConfig): DefaultJobOptions {
  return {
    attempts: config.JOB_ATTEMPTS,
    backoff: { type: 'exponential', delay: config.JOB_BACKOFF_MS },
    removeOnFail: false,
    removeOnComplete: { age: 7 * DAY_SECONDS, count: 10_000 },
  };
}
