import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type { Logger } from 'pino';
import { NestPinoLogger, type AppConfig, type Clock } from '#core';
import { WorkerModule } from './worker.module.js';

export interface WorkerAppOptions {
  config: AppConfig;
  databaseUrl: string;
  logger: Logger;
  clock?: Clock;
}

/** Builds the worker application context; processors start consuming once it is initialised. */
export async function createWorkerApp(opts: WorkerAppOptions): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(opts), {
    logger: new NestPinoLogger(opts.logger),
    abortOnError: false,
  });
  await app.init();
  return app;
}
