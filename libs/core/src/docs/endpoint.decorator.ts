import { applyDecorators } from '@nestjs/common';
import { ApiExtension, ApiOperation, ApiResponse } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from '../http/problem.js';
import { PROBLEM_SCHEMA_REF } from '../http/params.js';

/** The error statuses an operation can declare (each answered with a problem+json body). */
export const ERROR_STATUSES = [400, 401, 403, 404, 409, 410, 413, 414, 415, 416, 422, 429, 431, 500, 502, 503] as const;
export type ErrorStatus = (typeof ERROR_STATUSES)[number];

/** The description of an error status an operation declares without one of its own. */
export const ERROR_DESCRIPTIONS: Readonly<Record<ErrorStatus, string>> = {
  400: 'Malformed request: invalid JSON, an undecodable path or query, or a rule violation (`code` says which)',
  401: 'Missing, invalid, expired or revoked access token',
  403: 'Authenticated, but not allowed: role, ownership or a missing CSRF header (`code` says which)',
  404: 'Not found',
  409: 'Conflicts with the current state of the resource',
  410: 'Gone',
  413: 'Request body too large',
  414: 'Request URI or path parameter too long',
  415: 'Unsupported media type (JSON routes accept only application/json)',
  416: 'Range not satisfiable',
  422: 'Validation failed: `errors` lists each field with a message and a code',
  429: 'Rate limit exceeded; retry after `Retry-After` seconds',
  431: 'Request line or headers too large (refused before routing)',
  500: 'Internal error (details are never leaked; quote `request_id`)',
  502: 'An upstream service answered with an error',
  503: 'A dependency (database, Redis, storage) is unavailable; retry later',
};

/** An error status with the operation's own description (e.g. `{ 404: 'Course not found' }`). */
export type EndpointErrors = readonly ErrorStatus[] | Readonly<Partial<Record<ErrorStatus, string>>>;

/** Extensions the document builder turns into `security` and then removes. */
export const PUBLIC_EXTENSION = 'x-lms-public';
export const OPTIONAL_AUTH_EXTENSION = 'x-lms-optional-auth';

export interface EndpointOptions {
  /** One line, imperative or noun phrase ("List courses, newest first"). */
  summary: string;
  /** Markdown: rules, who may call it, side effects. */
  description?: string;
  /** A verb phrase in camelCase, unique in the API (`listCourses`, `enrollInCourse`). */
  operationId: string;
  /**
   * Statuses the route itself can answer besides the defaults the document builder adds to every
   * operation (400, 422, 429, 431, 500, 503; 401/403 from `@Authenticated`; 404/414 when there are path
   * parameters; 413/415 on unsafe methods). Listing a default status here gives it a specific description.
   */
  errors?: EndpointErrors;
  /** A public route that reads the caller when a valid token comes along (security lists none and both schemes). */
  optionalAuth?: boolean;
  deprecated?: boolean;
}

function errorEntries(errors: EndpointErrors | undefined): Array<[ErrorStatus, string]> {
  if (!errors) return [];
  if (Array.isArray(errors)) {
    return (errors as readonly ErrorStatus[]).map((status) => [status, ERROR_DESCRIPTIONS[status]]);
  }
  return Object.entries(errors as Partial<Record<ErrorStatus, string>>).map(([status, description]) => [
    Number(status) as ErrorStatus,
    description ?? ERROR_DESCRIPTIONS[Number(status) as ErrorStatus],
  ]);
}

/** A problem+json error response declaration for `status`. */
export function ApiProblemResponse(status: ErrorStatus, description = ERROR_DESCRIPTIONS[status]): MethodDecorator {
  return ApiResponse({
    status,
    description,
    content: { [PROBLEM_CONTENT_TYPE]: { schema: PROBLEM_SCHEMA_REF } },
  }) as MethodDecorator;
}

/**
 * The one documentation decorator of a route (beside its verb, `@Authenticated`/`@Public` and its
 * success response): summary, description, operationId and the error statuses the route adds to
 * the defaults, each declared with the problem+json schema under `application/problem+json`.
 * Security, 401/403, 429 and the rate-limit headers come from the auth decorators and the
 * document builder (buildOpenApiDocument), not from each route.
 */
export function Endpoint(options: EndpointOptions): MethodDecorator {
  const decorators: MethodDecorator[] = [
    ApiOperation({
      summary: options.summary,
      description: options.description,
      operationId: options.operationId,
      deprecated: options.deprecated,
    }) as MethodDecorator,
    ...errorEntries(options.errors).map(([status, description]) => ApiProblemResponse(status, description)),
  ];
  if (options.optionalAuth) decorators.push(ApiExtension(OPTIONAL_AUTH_EXTENSION, true) as MethodDecorator);
  return applyDecorators(...decorators);
}
