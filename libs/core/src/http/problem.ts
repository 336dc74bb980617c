import { STATUS_CODES } from 'node:http';
import { HttpException } from '@nestjs/common';
import { DEPENDENCY_RETRY_AFTER_SECONDS, isDependencyUnavailable } from './dependency-outage.js';

/**
 * RFC 9457 problem details. `type` is `https://lms.local/problems/<code>`: a stable, URL-shaped
 * identifier per machine code (it is an identifier, not a page that must resolve). Clients should
 * branch on `code`; `detail` is always a human-readable string.
 */
export const PROBLEM_TYPE_BASE = 'https://lms.local/problems/';
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
export const INTERNAL_ERROR_DETAIL = 'Internal server error';
export const DEPENDENCY_UNAVAILABLE_DETAIL = 'The service is temporarily unavailable; retry shortly';

export interface FieldError {
  field: string;
  message: string;
  code: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  request_id: string;
  errors?: FieldError[];
  [extra: string]: unknown;
}

export interface ProblemExceptionOptions {
  /** Response headers to send with the problem (e.g. Retry-After). */
  headers?: Record<string, string>;
  cause?: unknown;
}

/** The error services throw: status, stable machine code, human detail, optional extra members. */
export class ProblemException extends HttpException {
  readonly code: string;
  readonly detail: string;
  readonly extra: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    code: string,
    detail: string,
    extra: Record<string, unknown> = {},
    options: ProblemExceptionOptions = {},
  ) {
    super({ code, detail, ...extra }, status, { cause: options.cause });
    this.code = code;
    this.detail = detail;
    this.extra = extra;
    this.headers = options.headers ?? {};
    this.message = detail;
  }
}

const CODE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  409: 'conflict',
  410: 'gone',
  412: 'precondition_failed',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  422: 'validation_failed',
  428: 'precondition_required',
  429: 'rate_limited',
  500: 'internal_error',
  501: 'not_implemented',
  502: 'bad_gateway',
  503: 'service_unavailable',
  504: 'gateway_timeout',
};

/** Default machine code for an HTTP status. */
export function codeForStatus(status: number): string {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? 'internal_error' : `http_${status}`);
}

export function titleForStatus(status: number): string {
  return STATUS_CODES[status] ?? (status >= 500 ? 'Internal Server Error' : 'Error');
}

/** Fastify framework errors (they reach Nest as HttpExceptions whose `cause` carries the FST_ code). */
const FASTIFY_CODES: Readonly<Record<string, { status: number; code: string; detail: string }>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'malformed_json', detail: 'The request body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    code: 'malformed_json',
    detail: "The request body is empty but Content-Type is 'application/json'",
  },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', detail: 'The request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    detail: 'Unsupported Content-Type for this endpoint',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'bad_request',
    detail: 'Content-Length does not match the request body',
  },
  FST_ERR_BAD_URL: { status: 400, code: 'bad_request', detail: 'Malformed request URL' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'uri_too_long', detail: 'A path parameter of the URL is too long' },
  FST_ERR_NOT_FOUND: { status: 404, code: 'not_found', detail: 'Resource not found' },
};

export interface ProblemContext {
  instance: string;
  requestId: string;
}

export interface ResolvedProblem {
  status: number;
  body: ProblemBody;
  headers: Record<string, string>;
}

function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const s = (err as { statusCode?: unknown; status?: unknown }).statusCode ?? (err as { status?: unknown }).status;
  return typeof s === 'number' && Number.isInteger(s) && s >= 400 && s <= 599 ? s : undefined;
}

function httpExceptionDetail(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  if (typeof response === 'object' && response !== null) {
    const { message, detail } = response as { message?: unknown; detail?: unknown };
    if (typeof detail === 'string') return detail;
    if (typeof message === 'string') return message;
    if (Array.isArray(message)) return message.map(String).join('; ');
  }
  return exception.message || titleForStatus(exception.getStatus());
}

/** A problem body built from parts (also used where no exception exists, e.g. hooks answering early). */
export function problemBody(
  status: number,
  code: string,
  detail: string,
  ctx: ProblemContext,
  extra: Record<string, unknown> = {},
): ProblemBody {
  return {
    ...extra,
    type: `${PROBLEM_TYPE_BASE}${code}`,
    title: titleForStatus(status),
    status,
    detail,
    instance: ctx.instance,
    code,
    request_id: ctx.requestId,
  };
}

/**
 * Maps anything thrown to a problem. 5xx details are never taken from the error (no internals leak),
 * except for a ProblemException, whose detail is written for clients.
 */
export function resolveProblem(exception: unknown, ctx: ProblemContext): ResolvedProblem {
  if (exception instanceof ProblemException) {
    const status = exception.getStatus();
    return {
      status,
      body: problemBody(status, exception.code, exception.detail, ctx, { ...exception.extra }),
      headers: { ...exception.headers },
    };
  }

  if (isDependencyUnavailable(exception)) {
    return {
      status: 503,
      body: problemBody(503, 'service_unavailable', DEPENDENCY_UNAVAILABLE_DETAIL, ctx),
      headers: { 'Retry-After': String(DEPENDENCY_RETRY_AFTER_SECONDS) },
    };
  }

  const fastifyCode = errorCode(exception instanceof HttpException ? exception.cause : exception);
  const known = fastifyCode ? FASTIFY_CODES[fastifyCode] : undefined;
  if (known)
    return { status: known.status, body: problemBody(known.status, known.code, known.detail, ctx), headers: {} };

  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const detail =
      status >= 500
        ? status === 500
          ? INTERNAL_ERROR_DETAIL
          : titleForStatus(status)
        : httpExceptionDetail(exception);
    return { status, body: problemBody(status, codeForStatus(status), detail, ctx), headers: {} };
  }

  // A framework error that did not go through Nest's mapping (statusCode < 500 is safe to show by status).
  const status = statusOf(exception);
  if (status !== undefined && status < 500) {
    return { status, body: problemBody(status, codeForStatus(status), titleForStatus(status), ctx), headers: {} };
  }
  return { status: 500, body: problemBody(500, 'internal_error', INTERNAL_ERROR_DETAIL, ctx), headers: {} };
}
