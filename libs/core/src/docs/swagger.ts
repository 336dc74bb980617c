import type { INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { AppConfig } from '../config/app-config.js';
import { createPathMatcher } from '../http/path-matcher.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../http/pagination.js';
import { applyOpenApiConventions } from './openapi-conventions.js';
import { applyValidationToApiProperties } from './validation-schema.js';

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
    // Extension members (RFC 9457 §3.2) some problems carry, by code.
    missing_course_ids: {
      type: 'array',
      items: { type: 'string', format: 'uuid' },
      description: '`prerequisites_not_met`: the prerequisite courses without a completed enrollment',
    },
    course_ids: {
      type: 'array',
      items: { type: 'string', format: 'uuid' },
      description: '`unknown_prerequisite`: the prerequisite ids that name no course',
    },
    attempt_id: {
      type: 'string',
      format: 'uuid',
      description: '`attempt_in_progress`: the attempt already in progress',
    },
    question_id: {
      type: 'string',
      format: 'uuid',
      description: '`quiz_not_publishable`: the first question that is not valid',
    },
    position: {
      type: 'integer',
      format: 'int32',
      minimum: 1,
      description: "`quiz_not_publishable`: that question's position (1-based)",
    },
    reason: {
      type: 'string',
      description:
        '`webhook_url_forbidden`: why the URL was refused (`localhost`, `forbidden_address`, `unresolvable`)',
    },
  },
};

/** The tags of the API, in the order the docs show them. */
export const API_TAGS: ReadonlyArray<{ name: string; description: string }> = [
  {
    name: 'auth',
    description: 'Registration, login (JSON, OAuth2 form, cookies), tokens, MFA (TOTP) and account recovery.',
  },
  { name: 'users', description: 'Profiles; admins create instructors and admins and manage accounts.' },
  { name: 'categories', description: 'Course categories (public list with course counts; admins manage them).' },
  { name: 'courses', description: 'The course catalog, course management and publishing.' },
  { name: 'lessons', description: "A course's lessons (previews are public)." },
  { name: 'quizzes', description: 'Quizzes, their questions, attempts and essay grading.' },
  { name: 'enrollments', description: 'Enrolling (exactly once), lesson progress and reviews.' },
  { name: 'files', description: 'Uploads (checked by magic number), downloads and signed URLs.' },
  { name: 'certificates', description: 'Completion certificates (PDF), verification and Open Badges 3.0 credentials.' },
  {
    name: 'analytics',
    description: 'Dashboards and reports for students, instructors and admins; the gradebook export.',
  },
  { name: 'webhooks', description: 'Admin-managed webhook endpoints, their delivery log and redelivery.' },
  { name: 'health', description: 'Liveness and readiness probes (not rate limited).' },
];

/** info.description: what every client needs to know before the first call (Markdown). */
export function apiDescription(config: AppConfig): string {
  const prefix = config.API_V1_PREFIX;
  return [
    'The HTTP API of a learning management system: courses, lessons, quizzes, enrollments, files, certificates, ' +
      'analytics and webhooks. JSON in and out, snake_case field names; decimals (scores, prices, percentages) are ' +
      'strings with two decimals (`"70.00"`, pattern `^-?\\d+\\.\\d{2}$`) in responses, except the course `price` and ' +
      'ratings, which are JSON numbers as in the original API; decimal request fields accept numbers or numeric strings.',
    '## Authentication',
    `Send the access token as \`Authorization: Bearer <token>\` (from \`POST ${prefix}/auth/login\`, or the OAuth2 ` +
      `password form at \`POST ${prefix}/auth/token\`), or use cookie mode (\`POST ${prefix}/auth/login-cookie\`): ` +
      'the `access_token` cookie, with the `csrf_token` cookie echoed in `X-CSRF-Token` on unsafe methods. Access ' +
      `tokens are short-lived; \`POST ${prefix}/auth/refresh\` rotates the refresh token. Every route requires a ` +
      'token unless its `security` is empty; routes that list no scheme besides an empty one read the caller when ' +
      'a valid token comes along. A missing, expired or revoked token is 401; a wrong role, ownership or a missing ' +
      'CSRF header is 403.',
    '## Errors',
    'Every error is an RFC 9457 problem (`application/problem+json`): `type`, `title`, `status`, `detail` (always ' +
      'a human-readable string), `instance`, `code` (stable and machine-readable: `validation_failed`, `not_found`, ' +
      '`forbidden`, ...) and `request_id`. Validation failures are 422 with `errors: [{field, message, code}]`; ' +
      'unknown fields are rejected. Every operation can answer 400 (malformed JSON, undecodable path or query), ' +
      '422, 429, 431 (headers too large), 500 and 503 (a dependency is down); operations with path parameters also 404 and 414, and ' +
      'unsafe methods 413 (body too large) and 415 (JSON routes accept only `application/json`). 5xx responses ' +
      'never carry internals: quote `request_id`.',
    '## Pagination',
    `Lists take \`page\` (from 1) and \`page_size\` (1 to ${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}) and answer ` +
      '`{items, total, page, page_size, total_pages}`; out-of-range values are 422.',
    '## Idempotency',
    'POST operations that create things accept an `Idempotency-Key` header: a retry with the same key and body ' +
      'replays the stored response (`Idempotent-Replayed: true`) for 24 hours; the same key with a different ' +
      'body is 422, and a retry while the first request still runs is 409.',
    '## Rate limits',
    'Requests are counted per client and route in fixed windows (login and token routes and uploads have ' +
      'stricter limits). Responses carry `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` ' +
      '(epoch seconds); over the limit the answer is a 429 problem with `Retry-After` (seconds). Health probes ' +
      'are not limited.',
  ].join('\n\n');
}

/**
 * The OpenAPI document of the application's routes, with the security schemes and shared schemas,
 * finished by the project's conventions (applyOpenApiConventions): the same document the app
 * serves at /openapi.json and the one committed as docs/openapi.json.
 */
export function buildOpenApiDocument(app: INestApplication, config: AppConfig): OpenAPIObject {
  applyValidationToApiProperties();
  let builder = new DocumentBuilder()
    .setTitle(config.PROJECT_NAME)
    .setVersion(config.VERSION)
    .setDescription(apiDescription(config))
    .setLicense('MIT', 'https://opensource.org/license/mit')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          'Access token (JWT, HS256 pinned, with exp, iss, aud and jti checked against the revocation list on ' +
          'every request, following RFC8725).',
      },
      'bearer',
    )
    .addCookieAuth(
      'access_token',
      {
        type: 'apiKey',
        in: 'cookie',
        name: 'access_token',
        description: 'The access token as an HttpOnly cookie (cookie mode); unsafe methods need X-CSRF-Token.',
      },
      'cookie',
    )
    .addOAuth2(
      {
        type: 'oauth2',
        description:
          'OAuth2 password flow for Swagger UI and form clients; the token is the same JWT access token ' +
          '(RFC8725 practices as for bearer).',
        flows: { password: { tokenUrl: `${config.API_V1_PREFIX}/auth/token`, scopes: {} } },
      },
      'oauth2',
    );
  for (const tag of API_TAGS) builder = builder.addTag(tag.name, tag.description);
  const document = SwaggerModule.createDocument(app, builder.build());
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ProblemDetails: structuredClone(PROBLEM_DETAILS_SCHEMA) },
  };
  const excluded = createPathMatcher(config.RATE_LIMIT_EXCLUDED_PATHS);
  applyOpenApiConventions(document, {
    isRateLimited: (path) => !excluded(path),
    maxUploadBytes: config.maxUploadBytes,
  });
  // A relative server: the document is served by (and describes) the deployment it comes from.
  document.servers = [
    {
      url: '/',
      description: 'The deployment serving this document (local, staging or production)',
      'x-internal': false,
    } as NonNullable<OpenAPIObject['servers']>[number],
  ];
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
