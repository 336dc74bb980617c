import type { IncomingMessage, ServerResponse } from 'node:http';
import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { reportError } from '../observability/error-reporter.js';
import { DependencyOutageTracker, isDependencyUnavailable, type OutageLogger } from './dependency-outage.js';
import { PROBLEM_CONTENT_TYPE, resolveProblem } from './problem.js';

/** The part of a pino / Fastify logger the filter uses. */
export interface ErrorLogger extends OutageLogger {
  error(obj: object, msg: string): void;
}

type AnyRequest = FastifyRequest | (IncomingMessage & { id?: unknown; originalUrl?: string });
type AnyResponse = FastifyReply | ServerResponse;

function isReply(res: AnyResponse): res is FastifyReply {
  return 'raw' in res && typeof (res as FastifyReply).send === 'function';
}

export function requestPath(url: string | undefined): string {
  if (!url) return '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/**
 * Renders every error as RFC 9457 application/problem+json (routes, guards, pipes, 404s and the
 * Fastify framework errors Nest's error handler forwards). 5xx are logged with the request id and
 * reported; their detail is generic. Errors are never enveloped (the interceptor only maps success).
 * A dependency that cannot be reached (PostgreSQL, Redis) is a 503 with Retry-After, logged and
 * reported once per outage (DependencyOutageTracker), not once per request.
 */
@Catch()
export class ProblemJsonFilter implements ExceptionFilter {
  private readonly outages: DependencyOutageTracker;

  constructor(private readonly logger: ErrorLogger) {
    this.outages = new DependencyOutageTracker(logger, (err) => reportError(err, { route: 'dependency outage' }));
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const request = http.getRequest<AnyRequest>();
    const response = http.getResponse<AnyResponse>();
    const raw: ServerResponse = isReply(response) ? response.raw : response;
    const requestId = String(request.id ?? raw.getHeader('x-request-id') ?? '');
    const url = 'raw' in request ? request.url : (request.originalUrl ?? request.url);
    const problem = resolveProblem(exception, { instance: requestPath(url), requestId });

    if (problem.status >= 500) {
      const route = ('routeOptions' in request ? request.routeOptions.url : undefined) ?? problem.body.instance;
      if (problem.status === 503 && isDependencyUnavailable(exception)) {
        this.outages.record(exception, { route, request_id: requestId });
      } else {
        const method = request.method ?? 'UNKNOWN';
        this.logger.error({ err: exception, request_id: requestId, method, route }, 'Unhandled error');
        reportError(exception, { requestId, method, route });
      }
    }

    if (raw.headersSent || raw.writableEnded) return;
    const payload = JSON.stringify(problem.body);
    if (isReply(response)) {
      if (response.sent) return;
      void response
        .status(problem.status)
        .headers(problem.headers)
        .header('content-type', PROBLEM_CONTENT_TYPE)
        .send(payload);
      return;
    }
    for (const [name, value] of Object.entries(problem.headers)) raw.setHeader(name, value);
    raw.statusCode = problem.status;
    raw.setHeader('content-type', PROBLEM_CONTENT_TYPE);
    raw.end(payload);
  }
}
