import 'reflect-metadata';
import {
  exitOnStartupError,
  handleShutdown,
  initSentry,
  loadConfigOrExit,
  logProcessWarnings,
  prepareProcess,
} from '#core';
import { createWorkerApp } from './bootstrap.js';
import { startWorkerHttpServer, type WorkerHttpServer } from './worker-http.js';

/** Worker entry point: consumes every queue; SIGTERM drains active jobs before exiting. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  await initSentry(config);
  const ctx = await prepareProcess('lms-worker', config);
  // Deprecation and other process warnings as JSON lines, not plain text on stderr.
  logProcessWarnings(ctx.logger);
  const app = await createWorkerApp({ config, databaseUrl: ctx.database.url, logger: ctx.logger });
  let http: WorkerHttpServer | undefined;
  handleShutdown(ctx, async () => {
    await http?.close();
    // Closes the workers, which wait for their active jobs to finish.
    await app.close();
  });
  if (config.WORKER_HTTP_PORT > 0) http = await startWorkerHttpServer(config.WORKER_HTTP_PORT, config.HOST);
  ctx.logger.info(
    { queueBackend: config.queueBackend, httpPort: http?.port ?? null, node: process.version },
    'LMS worker started',
  );
}

main().catch((err: unknown) => exitOnStartupError('worker', err));
