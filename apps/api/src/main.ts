import 'reflect-metadata';
import {
  exitOnStartupError,
  handleShutdown,
  initSentry,
  loadConfigOrExit,
  logProcessWarnings,
  prepareProcess,
} from '#core';
import { AdminBootstrapService } from '#users';
import { createApiApp } from './bootstrap.js';

/**
 * API entry point. `--workers` (npm start) also runs every queue processor in this process;
 * WORKERS_IN_PROCESS=true does the same.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  await initSentry(config);
  const workers = config.WORKERS_IN_PROCESS || process.argv.includes('--workers');
  const ctx = await prepareProcess('lms-api', config);
  // Deprecation and other process warnings as JSON lines, not plain text on stderr.
  logProcessWarnings(ctx.logger);
  const app = await createApiApp({ config, databaseUrl: ctx.database.url, workers, logger: ctx.logger });
  handleShutdown(ctx, () => app.close());
  // First admin: BOOTSTRAP_ADMIN_EMAIL/PASSWORD, SEED_DEMO demo accounts, or a hint to use the CLI.
  await app.get(AdminBootstrapService).run({ embeddedDatabase: ctx.database.embedded });
  await app.listen({ port: config.PORT, host: config.HOST });
  const base = `http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${config.PORT}`;
  ctx.logger.info(
    {
      url: base,
      workers,
      queueBackend: config.queueBackend,
      embeddedDatabase: ctx.database.embedded,
      node: process.version,
    },
    `LMS API listening on ${base}${config.API_V1_PREFIX} (docs: ${config.docsEnabled ? `${base}/docs` : 'off'})`,
  );
}

main().catch((err: unknown) => exitOnStartupError('API', err));
