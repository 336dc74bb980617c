import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DynamicModule, INestApplicationContext, Type } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import { createRootLogger, type AppConfig, type Clock } from '#core';
import { createApiApp } from '../../../apps/api/src/bootstrap.js';
import { createWorkerApp } from '../../../apps/worker/src/bootstrap.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';
import { testConfig } from './test-config.js';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  db: TestDatabase;
  /** http://127.0.0.1:<port> (no prefix). */
  baseUrl: string;
  /** fetch against baseUrl + path. */
  request(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Environment overrides for the config (e.g. { API_RESPONSE_ENVELOPE_ENABLED: 'true' }). */
  env?: Record<string, string | undefined>;
  /** Run queue processors inside the API (default true, as npm start does). */
  workers?: boolean;
  /** Reuse a database instead of creating one (e.g. to share it with a worker app). */
  db?: TestDatabase;
  /** Extra modules mounted in the API (test-only controllers). */
  extraModules?: Array<Type | DynamicModule>;
  /** The clock the app decides by (e.g. a ManualClock); default: the system clock. */
  clock?: Clock;
  /** Where the app's JSON log lines go (e.g. captureLogLines().stream, with env LOG_LEVEL); default: stdout. */
  logDestination?: DestinationStream;
}

/** Boots the real API (Fastify, every global pipe/filter) on a fresh database, listening on 127.0.0.1:<random>. */
export async function createTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const config = testConfig(opts.env);
  const db = opts.db ?? (await createTestDatabase());
  const app = await createApiApp({
    config,
    databaseUrl: db.url,
    workers: opts.workers ?? true,
    logger: createRootLogger(config, 'lms-api-test', opts.logDestination),
    extraModules: opts.extraModules,
    clock: opts.clock,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
    app,
    config,
    db,
    baseUrl,
    request: (path, init) => fetch(`${baseUrl}${path}`, init),
    async close() {
      await app.close();
      if (!opts.db) await db.drop();
    },
  };
}

/** Boots the worker application context on the given database. */
export async function createTestWorker(
  db: TestDatabase,
  env: Record<string, string | undefined> = {},
  clock?: Clock,
): Promise<{ app: INestApplicationContext; config: AppConfig; close(): Promise<void> }> {
  const config = testConfig(env);
  const app = await createWorkerApp({
    config,
    databaseUrl: db.url,
    logger: createRootLogger(config, 'lms-worker-test'),
    clock,
  });
  return { app, config, close: () => app.close() };
}

export interface JsonResponse {
  status: number;
  body: Record<string, unknown>;
}

/** A JSON request against /api/v1 (optional body and Bearer token); the body parsed ({} when empty). */
export async function callApi(
  t: Pick<TestApp, 'request'>,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<JsonResponse> {
  const res = await t.request(`/api/v1${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
