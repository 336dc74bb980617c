import 'reflect-metadata';
import type { DynamicModule, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import {
  configureHttpPlatform,
  createFastifyAdapter,
  NestPinoLogger,
  setupSwagger,
  type AppConfig,
  type Clock,
} from '#core';
import { ApiModule } from './api.module.js';

export interface ApiAppOptions {
  config: AppConfig;
  databaseUrl: string;
  /** Run the queue processors inside this process (npm start, tests). */
  workers: boolean;
  logger: Logger;
  /** Extra modules (tests only). */
  extraModules?: Array<Type | DynamicModule>;
  /** The clock rules decide by (tests pass a ManualClock); default: the system clock. */
  clock?: Clock;
}

/** Builds and initialises the API application (not yet listening). Used by main.ts and the e2e harness. */
export async function createApiApp(opts: ApiAppOptions): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    ApiModule.forRoot(opts),
    createFastifyAdapter(opts.config, opts.logger),
    { logger: new NestPinoLogger(opts.logger), bufferLogs: false, abortOnError: false },
  );
  await configureHttpPlatform(app, opts.config);
  setupSwagger(app, opts.config);
  await app.init();
  return app;
}
