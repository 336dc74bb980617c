import 'reflect-metadata';
import { handleShutdown, loadConfigOrExit, prepareProcess } from '#core';
import { createWorkerApp } from './bootstrap.js';

/** Worker entry point: consumes every queue; SIGTERM drains active jobs before exiting. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const ctx = await prepareProcess('lms-worker', config);
  const app = await createWorkerApp({ config, databaseUrl: ctx.database.url, logger: ctx.logger });
  handleShutdown(ctx, () => app.close());
  ctx.logger.info({ queueBackend: config.queueBackend }, 'LMS worker started');
}

main().catch((err: unknown) => {
  process.stderr.write(
    `Failed to start the worker: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
