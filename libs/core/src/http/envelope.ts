import { Readable } from 'node:stream';
import { createPathMatcher } from './path-matcher.js';
import {
  Injectable,
  StreamableFile,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { map, type Observable } from 'rxjs';
import type { AppConfig } from '../config/app-config.js';
import { requestPath } from './problem.filter.js';

export interface Envelope<T = unknown> {
  success: true;
  data: T;
  message: string;
}

export function isEnvelope(body: unknown): boolean {
  return (
    typeof body === 'object' &&
    body !== null &&
    !Array.isArray(body) &&
    'success' in body &&
    'data' in body &&
    'message' in body
  );
}

/** True when a handler's return value would be serialized as JSON (not text, bytes, streams, null). */
export function isJsonBody(body: unknown): boolean {
  if (body === null || body === undefined) return false;
  if (typeof body === 'string' || typeof body === 'function' || typeof body === 'symbol') return false;
  if (typeof body !== 'object') return true; // number, boolean, bigint-less JSON scalars
  return !(
    body instanceof StreamableFile ||
    body instanceof Readable ||
    Buffer.isBuffer(body) ||
    ArrayBuffer.isView(body)
  );
}

export interface EnvelopeInput {
  status: number;
  method: string;
  contentType: string | undefined;
  path: string;
  body: unknown;
}

/** The reference rules (§0): status < 400 and not 204, not HEAD, JSON, non-null, path not excluded, not already wrapped. */
export function shouldEnvelope(input: EnvelopeInput, isExcluded: (path: string) => boolean): boolean {
  if (input.status >= 400 || input.status === 204) return false;
  if (input.method === 'HEAD') return false;
  if (input.contentType !== undefined && !input.contentType.toLowerCase().includes('application/json')) return false;
  if (!isJsonBody(input.body)) return false;
  if (isExcluded(input.path)) return false;
  return !isEnvelope(input.body);
}

export function wrapEnvelope<T>(data: T, message: string): Envelope<T> {
  return { success: true, data, message };
}

/** Wraps successful JSON responses as {success, data, message} when API_RESPONSE_ENVELOPE_ENABLED. */
@Injectable()
export class EnvelopeInterceptor implements NestInterceptor {
  private readonly enabled: boolean;
  private readonly message: string;
  private readonly isExcluded: (path: string) => boolean;

  constructor(config: AppConfig) {
    this.enabled = config.API_RESPONSE_ENVELOPE_ENABLED;
    this.message = config.API_RESPONSE_SUCCESS_MESSAGE;
    this.isExcluded = createPathMatcher(config.API_RESPONSE_ENVELOPE_EXCLUDED_PATHS);
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!this.enabled || context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const path = requestPath(request.url);
    if (request.method === 'HEAD' || this.isExcluded(path)) return next.handle();
    return next.handle().pipe(
      map((body: unknown) => {
        const reply = http.getResponse<FastifyReply>();
        const contentType = reply.getHeader('content-type');
        const input: EnvelopeInput = {
          status: reply.statusCode,
          method: request.method,
          contentType: contentType === undefined ? undefined : String(contentType),
          path,
          body,
        };
        return shouldEnvelope(input, () => false) ? wrapEnvelope(body, this.message) : body;
      }),
    );
  }
}
