import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DynamicModule, INestApplicationContext, Type } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { DestinationStream } from 'pino';
import { buildOpenApiDocument, createRootLogger, type AppConfig, type Clock } from '#core';
import { createApiApp } from '../../../apps/api/src/bootstrap.js';
import { createWorkerApp } from '../../../apps/worker/src/bootstrap.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';
import { testConfig } from './test-config.js';
import { TEST_ENV } from './test-env.js';
import {
  checkFetchResponse,
  contractMode,
  contractReportDir,
  OpenApiContract,
  recordViolations,
  type ContractMode,
} from './openapi-contract.js';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  db: TestDatabase;
  /** http://127.0.0.1:<port> (no prefix). */
  baseUrl: string;
  /**
   * fetch against baseUrl + path. Every response is checked against the app's OpenAPI document
   * (OPENAPI_CONTRACT: strict | report | off, see openapi-contract.ts).
   */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** fetch with its standard signature (for clients such as openapi-fetch), checked the same way. */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** The app's OpenAPI contract (document and response validators), built on first use. */
  contract(): OpenApiContract;
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
  // The run's report directory exists even when no response differs (the report then says so).
  if (contractMode() === 'report') mkdirSync(contractReportDir(), { recursive: true });
  const baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  let contract: OpenApiContract | undefined;
  const getContract = (): OpenApiContract => {
    contract ??= createContract(app, config, opts.extraModules ?? []);
    return contract;
  };
  const checkedFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const res = await fetch(input, init);
    const mode = contractMode();
    if (mode !== 'off') {
      const url = input instanceof Request ? input.url : String(input);
      const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
      if (url.startsWith(`${baseUrl}/`)) {
        await checkSafely(getContract, baseUrl, url.slice(baseUrl.length), method, res, mode);
      }
    }
    return res;
  };
  return {
    app,
    config,
    db,
    baseUrl,
    contract: getContract,
    fetch: checkedFetch,
    request: (path, init) => checkedFetch(`${baseUrl}${path}`, init),
    async close() {
      await app.close();
      if (!opts.db) await db.drop();
    },
  };
}

/**
 * The document of an app without test-only modules, shared by the run's test files through a file
 * keyed by the config (building it costs a second or more of CPU per file): the code does not
 * change during a run, and the config (minus its per-app temp directory) is all it depends on.
 */
function runDocument(app: NestFastifyApplication, config: AppConfig): OpenAPIObject {
  const runId = process.env[TEST_ENV.runId];
  let file: string | undefined;
  try {
    const { DATA_DIR: _dataDir, ...rest } = config as unknown as Record<string, unknown>;
    const key = createHash('sha256').update(JSON.stringify(rest)).digest('hex').slice(0, 24);
    if (runId) file = join(tmpdir(), 'lms-openapi-contract', runId, 'documents', `${key}.json`);
  } catch {
    file = undefined;
  }
  if (file && existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as OpenAPIObject;
  const document = buildOpenApiDocument(app, config);
  if (file) {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(document));
    renameSync(tmp, file);
  }
  return document;
}

/** The contract of one app: its own document (built from its config and controllers, as it serves it). */
function createContract(
  app: NestFastifyApplication,
  config: AppConfig,
  extraModules: Array<Type | DynamicModule>,
): OpenApiContract {
  const document = extraModules.length ? buildOpenApiDocument(app, config) : runDocument(app, config);
  // The routes of a suite's test-only controllers are not the product's: not checked.
  const skipTemplates = !extraModules.length
    ? []
    : Object.keys(
        SwaggerModule.createDocument(app, new DocumentBuilder().build(), {
          include: extraModules.map((m) => ('module' in m ? m.module : m)),
        }).paths,
      );
  const fastify = app.getHttpAdapter().getInstance();
  return new OpenApiContract(document, {
    apiPrefix: config.API_V1_PREFIX,
    envelope: config.API_RESPONSE_ENVELOPE_ENABLED,
    skipTemplates,
    isServed: (method, path) => fastify.findRoute({ method: method as 'GET', url: path }) !== null,
  });
}

async function checkResponse(
  contract: OpenApiContract,
  baseUrl: string,
  path: string,
  requestMethod: string,
  res: Response,
  mode: ContractMode,
): Promise<void> {
  let method = requestMethod.toUpperCase();
  let requestPath = path;
  if (res.redirected) {
    // fetch followed a redirect: the response is the final location's.
    if (!res.url.startsWith(`${baseUrl}/`)) return;
    requestPath = res.url.slice(baseUrl.length);
    if (method !== 'HEAD') method = 'GET';
  }
  await checkFetchResponse(contract, method, requestPath, res, mode);
}

/** Checks a response; a failure of the check itself is recorded as a violation, never thrown at the test. */
async function checkSafely(
  getContract: () => OpenApiContract,
  baseUrl: string,
  path: string,
  method: string,
  res: Response,
  mode: ContractMode,
): Promise<void> {
  try {
    await checkResponse(getContract(), baseUrl, path, method, res, mode);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    recordViolations(
      [
        {
          kind: 'check-error',
          operation: `${method.toUpperCase()} ${path.split('?')[0]}`,
          status: res.status,
          contentType: res.headers.get('content-type'),
          path: path.split('?')[0]!,
          message: `the contract check failed: ${message}`,
        },
      ],
      mode,
    );
  }
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
