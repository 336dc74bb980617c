import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { ConfigValidationError, ensureSecretKey, loadConfig } from '../config/load-config.js';
import { createDataSourceOptions } from '../database/data-source-options.js';
import { runMigrationsLocked } from '../database/migrate.js';
import { EmbeddedPostgresLockedError } from '../database/embedded-postgres.js';
import { resolveDatabase, type ResolvedDatabase } from '../database/resolve-database.js';
import { createRootLogger } from '../observability/logger.js';
import { flushSentry } from '../observability/sentry.js';

export interface ProcessContext {
  config: AppConfig;
  logger: Logger;
  database: ResolvedDatabase;
}

/** Loads and validates configuration; on failure prints every bad variable and exits with status 1. */
export function loadConfigOrExit(env: Record<string, string | undefined> = process.env): AppConfig {
  try {
    return ensureSecretKey(loadConfig(env));
  } catch (err) {
    if (err instanceof ConfigValidationError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** Config, logger, database (external or embedded) and migrations: what both apps need before Nest starts. */
export async function prepareProcess(
  name: string,
  config: AppConfig,
  opts: { reuseRunningDatabase?: boolean } = {},
): Promise<ProcessContext> {
  const logger = createRootLogger(config, name);
  const database = await resolveDatabase(config, {
    onLog: (line) => logger.debug({ component: 'embedded-postgres' }, line),
    reuseRunning: opts.reuseRunningDatabase,
  });
  if (database.embedded) logger.info({ dataDir: config.DATA_DIR }, 'embedded PostgreSQL started');
  if (config.DB_RUN_MIGRATIONS) {
    const ds = new DataSource(
      createDataSourceOptions(config, database.url, { poolSize: 2, applicationName: `${name}-migrate`, logger }),
    );
    await ds.initialize();
    try {
      const applied = await runMigrationsLocked(ds);
      if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
    } finally {
      await ds.destroy();
    }
  }
  return { config, logger, database };
}

/**
 * A repeat of the first signal within this window is the same request delivered twice, not an
 * operator insisting: Ctrl-C under `npm start` signals the terminal's whole process group (node
 * included) and npm forwards its own copy to node as well.
 */
export const REPEATED_SIGNAL_WINDOW_MS = 1000;

/**
 * Runs `shutdown` once on SIGTERM/SIGINT (closing HTTP, draining jobs), then stops the embedded
 * database and exits. A second signal, or SHUTDOWN_TIMEOUT_SECONDS passing, forces the exit; the
 * same signal again within REPEATED_SIGNAL_WINDOW_MS is a duplicate and ignored.
 */
export function handleShutdown(ctx: ProcessContext, shutdown: () => Promise<void>): void {
  let first: { signal: NodeJS.Signals; at: number } | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (first) {
      if (signal === first.signal && Date.now() - first.at < REPEATED_SIGNAL_WINDOW_MS) {
        ctx.logger.debug({ signal }, 'repeated signal ignored (already shutting down)');
        return;
      }
      ctx.logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    first = { signal, at: Date.now() };
    ctx.logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      ctx.logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, ctx.config.SHUTDOWN_TIMEOUT_SECONDS * 1000);
    timer.unref();
    void (async () => {
      let code = 0;
      try {
        await shutdown();
      } catch (err) {
        code = 1;
        ctx.logger.error({ err }, 'error during shutdown');
      }
      await ctx.database.stop().catch((err: unknown) => ctx.logger.error({ err }, 'database stop failed'));
      await flushSentry().catch(() => undefined);
      ctx.logger.info('stopped');
      ctx.logger.flush();
      process.exit(code);
    })();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * Process warnings (deprecations and the like) as JSON log lines instead of Node's plain-text
 * stderr output, so a server writes nothing but JSON. For the entry points of the API and the
 * worker; nothing changes when warnings are off (--no-warnings: Node installs no printer).
 */
export function logProcessWarnings(logger: Logger): void {
  const printers = process.listeners('warning');
  if (printers.length === 0) return;
  for (const printer of printers) process.removeListener('warning', printer);
  process.on('warning', (warning: Error & { code?: string }) => {
    logger.warn({ warning: { name: warning.name, code: warning.code, message: warning.message } }, 'process warning');
  });
}

/** Reports a start-up failure on stderr and exits 1: expected conditions get their message only, the rest a stack. */
export function exitOnStartupError(what: string, err: unknown): never {
  const text =
    err instanceof EmbeddedPostgresLockedError
      ? err.message
      : err instanceof Error
        ? (err.stack ?? err.message)
        : String(err);
  process.stderr.write(`Failed to start the ${what}: ${text}\n`);
  process.exit(1);
}
