import type { INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
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

/** The page title is inserted into Swagger UI's HTML as is. */
function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Serves Swagger UI at /docs and the OpenAPI JSON at /openapi.json (root paths, outside the global
 * prefix) when config.docsEnabled (ENABLE_API_DOCS, never in production). Returns whether the docs
 * were mounted.
 *
 * SwaggerModule.setup's own UI: its page and init script are routes of SwaggerModule, and the
 * swagger-ui-dist assets are served by @fastify/static (a peer dependency of @nestjs/swagger,
 * loaded by it for Fastify). The document is embedded in /docs/swagger-ui-init.js. The Authorize
 * button uses the OAuth2 password flow declared in the document (POST to
 * API_V1_PREFIX/auth/token), which needs no redirect page; persistAuthorization keeps the token
 * across reloads. Call before app.init().
 */
export function setupSwagger(app: NestFastifyApplication, config: AppConfig): boolean {
  if (!config.docsEnabled) return false;
  const document = buildOpenApiDocument(app, config);
  SwaggerModule.setup(DOCS_PATH, app, document, {
    useGlobalPrefix: false,
    raw: ['json'],
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    customSiteTitle: escapeHtml(`${config.PROJECT_NAME} API`),
    swaggerOptions: { persistAuthorization: true },
  });
  return true;
}
