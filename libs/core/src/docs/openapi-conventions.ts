import type { OpenAPIObject } from '@nestjs/swagger';
import { MAX_PATH_PARAM_LENGTH } from '../http/platform.js';
import { IDEMPOTENCY_KEY_HEADER } from '../idempotency/idempotency.constants.js';
import { PROBLEM_CONTENT_TYPE } from '../http/problem.js';
import {
  ERROR_DESCRIPTIONS,
  OPTIONAL_AUTH_EXTENSION,
  PUBLIC_EXTENSION,
  type ErrorStatus,
} from './endpoint.decorator.js';

type Json = Record<string, unknown>;
interface Operation extends Json {
  parameters?: Json[];
  responses?: Record<string, Json>;
  security?: Array<Record<string, string[]>>;
  requestBody?: Json;
}

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const UNSAFE_METHODS = new Set(['post', 'put', 'patch', 'delete']);

/** Every operation can answer these (malformed input, validation, limits, failures); see info.description. */
export const DEFAULT_ERRORS: readonly ErrorStatus[] = [400, 422, 429, 431, 500, 503];
/** Routes excluded from rate limiting (probes) can still be malformed or fail. */
const UNLIMITED_DEFAULT_ERRORS: readonly ErrorStatus[] = [400, 431, 500, 503];

/** The response headers the rate limiter sends (rate-limit.guard.ts), as components.headers. */
export const RATE_LIMIT_HEADERS = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'] as const;
export const RETRY_AFTER_HEADER = 'Retry-After';
export const CORS_ORIGIN_HEADER = 'Access-Control-Allow-Origin';

const INT32_MAX = 2 ** 31 - 1;
const PROBLEM_REF = '#/components/schemas/ProblemDetails';
/** A decimal as this API writes it: `"70.00"`, `"-0.25"`. */
const TWO_DECIMALS = /^-?\d+\.\d{2}$/;

const header = (description: string, schema: Json): Json => ({ description, required: false, schema });

/** components.headers: the rate-limit and CORS headers every response of a limited route may carry. */
export const RESPONSE_HEADERS: Record<string, Json> = {
  'X-RateLimit-Limit': header(
    'Requests allowed per window for this route and client (sent when rate limiting is on).',
    {
      type: 'integer',
      format: 'int32',
      minimum: 1,
      maximum: INT32_MAX,
    },
  ),
  'X-RateLimit-Remaining': header('Requests left in the current window.', {
    type: 'integer',
    format: 'int32',
    minimum: 0,
    maximum: INT32_MAX,
  }),
  'X-RateLimit-Reset': header('When the current window ends, in epoch seconds.', {
    type: 'integer',
    format: 'int64',
    minimum: 0,
    maximum: Number.MAX_SAFE_INTEGER,
  }),
  'Retry-After': {
    description: 'Seconds until the client may retry.',
    required: true,
    schema: { type: 'integer', format: 'int32', minimum: 0, maximum: INT32_MAX },
  },
  'Access-Control-Allow-Origin': header('Sent to cross-origin requests from an origin in CORS_ORIGINS.', {
    type: 'string',
    maxLength: 2048,
  }),
};

/** The schemes that carry an access token: bearer (also what Swagger UI's OAuth2 password flow sends) and cookie. */
const TOKEN_SECURITY: ReadonlyArray<Record<string, string[]>> = [{ bearer: [] }, { cookie: [] }, { oauth2: [] }];

const headerRef = (name: string): Json => ({ $ref: `#/components/headers/${name}` });

export interface ConventionOptions {
  /** Whether requests to an API path (template) are rate limited (RateLimitRules' exclusions). */
  isRateLimited(path: string): boolean;
  /** The largest upload (MAX_UPLOAD_MB): the maxLength of binary request parts. */
  maxUploadBytes: number;
}

/**
 * The conventions every operation follows, applied to the document SwaggerModule built, so that no
 * route repeats them:
 * - security: `@Public()` routes get `security: []` (optionalAuth: none or either scheme); any other
 *   route requires a token (the global guard is deny-by-default), with 401, and 403 on unsafe
 *   methods (the cookie CSRF check) or with roles;
 * - errors: DEFAULT_ERRORS on every operation, 404 and 414 where there are path parameters, 413 and
 *   415 on unsafe methods, 409 where an Idempotency-Key is accepted; every error response (a route's own included) is
 *   `application/problem+json` with the ProblemDetails schema;
 * - rate limits: every 2xx/4xx response of a limited route declares the X-RateLimit-* headers, and
 *   429 Retry-After; every response with headers declares the CORS origin header;
 * - path parameters named `id` or `*_id` are UUIDs (every such parameter goes through uuidParam),
 *   other string path parameters are at most MAX_PATH_PARAM_LENGTH long (the router's 414);
 * - binary request parts (uploads) are at most MAX_UPLOAD_MB;
 * - every integer has a format (int32 when its bounds fit, else int64); UUID and date-time strings
 *   get their fixed maxLength; decimal strings (a two-decimal example) get their pattern.
 */
export function applyOpenApiConventions(document: OpenAPIObject, options: ConventionOptions): void {
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const op = (item as Record<string, Operation | undefined>)[method];
      if (op) conventionsForOperation(path, method, op, options);
    }
  }
  document.components = {
    ...document.components,
    headers: { ...document.components?.headers, ...structuredClone(RESPONSE_HEADERS) },
  };
  walkSchemas(document);
}

function conventionsForOperation(path: string, method: string, op: Operation, options: ConventionOptions): void {
  const isPublic = op[PUBLIC_EXTENSION] === true;
  const optional = op[OPTIONAL_AUTH_EXTENSION] === true;
  delete op[PUBLIC_EXTENSION];
  delete op[OPTIONAL_AUTH_EXTENSION];
  const responses = (op.responses ??= {});
  const limited = options.isRateLimited(path);

  if (optional) {
    op.security = [{}, ...TOKEN_SECURITY];
  } else if (isPublic) {
    op.security = [];
  } else {
    op.security = TOKEN_SECURITY.map((s) => ({ ...s }));
    addError(responses, 401);
    if (UNSAFE_METHODS.has(method)) addError(responses, 403);
  }

  for (const status of limited ? DEFAULT_ERRORS : UNLIMITED_DEFAULT_ERRORS) addError(responses, status);
  const pathParams = (op.parameters ?? []).filter((p) => p.in === 'path');
  if (pathParams.length > 0) {
    addError(responses, 404);
    addError(responses, 414);
  }
  if (UNSAFE_METHODS.has(method)) {
    addError(responses, 413);
    addError(responses, 415);
  }
  // @Idempotent routes: a retry while the first request runs is 409, the key with another body 422.
  if ((op.parameters ?? []).some((p) => p.in === 'header' && p.name === IDEMPOTENCY_KEY_HEADER)) {
    responses['409'] ??= {
      description: '`idempotency_in_progress`: the first request with this Idempotency-Key still runs',
    };
  }

  for (const p of pathParams) {
    const name = String(p.name);
    const schema = (p.schema ??= { type: 'string' }) as Json;
    if ((name === 'id' || name.endsWith('_id')) && schema.type === 'string') {
      schema.format = 'uuid';
      schema.maxLength = 36;
      schema.minLength = 36;
    } else if (schema.type === 'string' && schema.maxLength === undefined) {
      // The router refuses longer parameters (414) before any handler.
      schema.maxLength = MAX_PATH_PARAM_LENGTH;
    }
  }
  for (const media of Object.values((op.requestBody?.content ?? {}) as Record<string, Json>)) {
    for (const prop of Object.values(((media.schema as Json | undefined)?.properties ?? {}) as Record<string, Json>)) {
      if (prop.type === 'string' && prop.format === 'binary') prop.maxLength ??= options.maxUploadBytes;
    }
  }

  for (const [code, response] of Object.entries(responses)) {
    const status = Number(code);
    if (status >= 400) asProblem(response);
    if (!limited) continue;
    if ((status >= 200 && status < 300) || (status >= 400 && status < 500)) {
      const headers = (response.headers ??= {}) as Json;
      for (const name of RATE_LIMIT_HEADERS) headers[name] ??= headerRef(name);
      if (status === 429) headers[RETRY_AFTER_HEADER] ??= headerRef(RETRY_AFTER_HEADER);
    }
  }
  for (const response of Object.values(responses)) {
    if (response.headers) (response.headers as Json)[CORS_ORIGIN_HEADER] ??= headerRef(CORS_ORIGIN_HEADER);
  }
}

function addError(responses: Record<string, Json>, status: ErrorStatus): void {
  responses[String(status)] ??= { description: ERROR_DESCRIPTIONS[status] };
}

/**
 * An error response as the problem filter sends it: application/problem+json, ProblemDetails. A
 * response that declares a body of another schema (readiness' 503 report) is left as declared.
 */
function asProblem(response: Json): void {
  if (typeof response.$ref === 'string') return;
  const schemas = Object.values((response.content ?? {}) as Record<string, { schema?: Json }>).map((m) => m.schema);
  if (schemas.some((schema) => schema !== undefined && schema.$ref !== PROBLEM_REF)) return;
  response.content = { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: PROBLEM_REF } } };
}

/** Visits every schema object of the document (components, parameters, bodies, responses, headers). */
function walkSchemas(document: OpenAPIObject): void {
  const seen = new Set<unknown>();
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object' || seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) {
      for (const inner of node) visit(inner);
      return;
    }
    const schema = node as Json;
    if (schema.type === 'integer' && schema.format === undefined) schema.format = integerFormat(schema);
    // Decimal strings are always written with two decimals (API.md): a string whose example is one
    // is such a field, and gets the pattern clients can check.
    if (
      schema.type === 'string' &&
      schema.pattern === undefined &&
      typeof schema.example === 'string' &&
      TWO_DECIMALS.test(schema.example)
    ) {
      schema.pattern = TWO_DECIMALS.source;
    }
    if (schema.type === 'string' && schema.maxLength === undefined) {
      if (schema.format === 'uuid') schema.maxLength = 36;
      else if (schema.format === 'date-time') schema.maxLength = 35;
      else if (schema.format === 'date') schema.maxLength = 10;
    }
    for (const inner of Object.values(schema)) visit(inner);
  };
  visit(document.paths);
  visit(document.components);
}

function integerFormat(schema: Json): 'int32' | 'int64' {
  const min = typeof schema.minimum === 'number' ? schema.minimum : undefined;
  const max = typeof schema.maximum === 'number' ? schema.maximum : undefined;
  return min !== undefined && max !== undefined && min >= -INT32_MAX - 1 && max <= INT32_MAX ? 'int32' : 'int64';
}
