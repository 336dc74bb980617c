import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/app-config.js';

/** Root paths of the interactive docs and of the OpenAPI document (outside API_V1_PREFIX). */
export const DOCS_PATH = 'docs';
export const OPENAPI_JSON_PATH = 'openapi.json';

type SchemaObject = NonNullable<NonNullable<OpenAPIObject['components']>['schemas']>[string];

/** RFC 9457 problem details, the body of every error response. */
export const PROBLEM_DETAILS_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', example: 'about:blank' },
    title: { type: 'string', example: 'Not Found' },
    status: { type: 'integer', example: 404 },
    detail: { type: 'string', example: 'Resource not found' },
    instance: { type: 'string', example: '/api/v1/courses/4f0c6c1e-5b8e-4d8c-9a57-0b6f0c1d2e3f' },
    code: { type: 'string', example: 'not_found' },
    request_id: { type: 'string', example: '7b0f3c2a9d4e4f1a' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['field', 'message', 'code'],
        properties: {
          field: { type: 'string', example: 'email' },
          message: { type: 'string', example: 'must be an email' },
          code: { type: 'string', example: 'isEmail' },
        },
      },
    },
  },
};

/** The OpenAPI document of the application's routes, with the security schemes and shared schemas. */
export function buildOpenApiDocument(app: INestApplication, config: AppConfig): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle(config.PROJECT_NAME)
    .setVersion(config.VERSION)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
    .addCookieAuth('access_token', { type: 'apiKey', in: 'cookie', name: 'access_token' }, 'cookie')
    .addOAuth2(
      {
        type: 'oauth2',
        flows: { password: { tokenUrl: `${config.API_V1_PREFIX}/auth/token`, scopes: {} } },
      },
      'oauth2',
    )
    .build();
  const document = SwaggerModule.createDocument(app, builder);
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ProblemDetails: structuredClone(PROBLEM_DETAILS_SCHEMA) },
  };
  return document;
}

/**
 * Serves Swagger UI at /docs and the OpenAPI JSON at /openapi.json (root paths, outside the global
 * prefix) when config.docsEnabled (ENABLE_API_DOCS, never in production). Call before app.init().
 * Returns whether the docs were mounted.
 *
 * SwaggerModule.setup serves the JSON; the UI page and its assets (from swagger-ui-dist) are served
 * by small Fastify routes instead of SwaggerModule's UI, because that one loads @fastify/static,
 * which requires the ESM-only content-disposition: fine in Node 20.19+, but jest on Node 20 cannot
 * load it and Nest's package loader then exits the process.
 */
export function setupSwagger(app: NestFastifyApplication, config: AppConfig): boolean {
  if (!config.docsEnabled) return false;
  const document = buildOpenApiDocument(app, config);
  SwaggerModule.setup(DOCS_PATH, app, document, {
    useGlobalPrefix: false,
    ui: false,
    raw: ['json'],
    jsonDocumentUrl: OPENAPI_JSON_PATH,
  });
  registerSwaggerUi(app.getHttpAdapter().getInstance(), config);
  return true;
}

const UI_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
  'oauth2-redirect.html': 'text/html; charset=utf-8',
  'oauth2-redirect.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

function swaggerUiDistDir(): string {
  return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function registerSwaggerUi(fastify: FastifyInstance, config: AppConfig): void {
  const base = `/${DOCS_PATH}`;
  const assetsDir = swaggerUiDistDir();
  const cache = new Map<string, Buffer>();
  const title = escapeHtml(`${config.PROJECT_NAME} API`);
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${title}</title>
  <link rel="stylesheet" href="${base}/swagger-ui.css">
  <link rel="icon" type="image/png" href="${base}/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${base}/swagger-ui-bundle.js"></script>
  <script src="${base}/swagger-ui-standalone-preset.js"></script>
  <script src="${base}/swagger-initializer.js"></script>
</body>
</html>
`;
  const initializer = `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: ${JSON.stringify(`/${OPENAPI_JSON_PATH}`)},
    dom_id: '#swagger-ui',
    deepLinking: true,
    persistAuthorization: true,
    oauth2RedirectUrl: window.location.origin + ${JSON.stringify(`${base}/oauth2-redirect.html`)},
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: 'StandaloneLayout',
  });
};
`;
  const page = (_req: FastifyRequest, reply: FastifyReply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html);
  fastify.get(base, page);
  fastify.get(`${base}/`, page);
  fastify.get(`${base}/index.html`, page);
  fastify.get(`${base}/swagger-initializer.js`, (_req, reply) =>
    reply.type('application/javascript; charset=utf-8').send(initializer),
  );
  fastify.get<{ Params: { asset: string } }>(`${base}/:asset`, async (req, reply) => {
    const type = Object.hasOwn(UI_ASSETS, req.params.asset) ? UI_ASSETS[req.params.asset] : undefined;
    if (!type) return reply.code(404).type('application/json').send({ detail: 'Not Found' });
    let body = cache.get(req.params.asset);
    if (!body) {
      body = await readFile(join(assetsDir, req.params.asset));
      cache.set(req.params.asset, body);
    }
    return reply.type(type).header('cache-control', 'public, max-age=86400').send(body);
  });
}
