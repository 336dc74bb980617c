import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { catchError, finalize, from, mergeMap, of, throwError, type Observable } from 'rxjs';
import type { AuthUser } from '../auth/auth.decorators.js';
import { isJsonBody } from '../http/envelope.js';
import { ProblemException } from '../http/problem.js';
import { requestPath } from '../http/problem.filter.js';
import { IDEMPOTENT_FINGERPRINT_KEY, IDEMPOTENT_KEY, IDEMPOTENT_REPLAYED_HEADER } from './idempotency.constants.js';
import {
  attachHandlerFingerprint,
  idempotencyKeyReused,
  IdempotentReplay,
  RequestFingerprint,
} from './handler-fingerprint.js';
import {
  IdempotencyService,
  isValidIdempotencyKey,
  requestHash,
  type IdempotencyTarget,
} from './idempotency.service.js';

const inProgress = (): ProblemException =>
  new ProblemException(
    409,
    'idempotency_in_progress',
    'A request with this Idempotency-Key is still being processed',
    {},
    { headers: { 'Retry-After': '1' } },
  );

const ROUTE_MAX_LENGTH = 255;

/** The scope/route/key of a request, or undefined when it carries no Idempotency-Key (422 when malformed). */
export function idempotencyTarget(request: FastifyRequest & { user?: AuthUser }): IdempotencyTarget | undefined {
  const header = request.headers['idempotency-key'];
  if (header === undefined) return undefined;
  const key = Array.isArray(header) ? header.join(',') : header;
  if (!isValidIdempotencyKey(key)) {
    throw new ProblemException(
      422,
      'invalid_idempotency_key',
      'Idempotency-Key must be 1-255 characters of A-Z, a-z, 0-9, "_", ".", ":" or "-"',
    );
  }
  const template = request.routeOptions.url ?? requestPath(request.url);
  return {
    scope: request.user?.id ?? 'anon',
    route: `${request.method} ${template}`.slice(0, ROUTE_MAX_LENGTH),
    key,
  };
}

const isEmpty = (v: unknown): boolean =>
  v === undefined || v === null || (typeof v === 'object' && Object.keys(v).length === 0);

/**
 * SHA-256 of the canonical JSON of the body. When the URL has path parameters or a query string,
 * they are part of the request too (POST /courses/A/lessons and /courses/B/lessons share a route
 * template): the hash then covers { body, params, query }.
 */
export function idempotencyHash(request: Pick<FastifyRequest, 'body' | 'params' | 'query'>): string {
  const { body, params, query } = request;
  return isEmpty(params) && isEmpty(query) ? requestHash(body) : requestHash({ body, params, query });
}

/**
 * The Idempotency-Key mechanism (API.md item 14) for routes marked @Idempotent(), which also
 * attaches this interceptor to the route. Being route-scoped it runs inside the global ones:
 * guards have set request.user, the stored body is the handler's own result, and a replay goes
 * through the same response envelope as the original did.
 *
 * - no header → the handler runs as usual; a malformed one → 422 invalid_idempotency_key;
 * - first use → the key is claimed (status_code NULL), the handler runs, and a 2xx JSON response
 *   (status as actually sent, body) is stored for 24 h; on an error (or a non-2xx / non-JSON
 *   result) the claim is deleted, so a retry runs the handler again;
 * - same key + same body → the stored status and body, with `Idempotent-Replayed: true`;
 * - same key + another body → 422 idempotency_key_reused; first one still running → 409
 *   idempotency_in_progress.
 *
 * Keys are scoped per caller (user id or "anon") and per route.
 *
 * Streamed bodies (`@Idempotent({ fingerprint: 'handler' })`, e.g. multipart uploads) cannot be
 * hashed before the handler runs. The key is then reserved first (a concurrent request with the
 * same key gets 409 at once, before its body is read), and the handler reads the body and calls
 * handlerFingerprint(request).settle(fingerprint) before it commits anything:
 * - the key was free → the handler goes on; its 2xx JSON response is stored under that fingerprint;
 * - the key holds a response with the same fingerprint → settle throws IdempotentReplay, the
 *   handler undoes its work (deletes what it stored) and the stored response is sent again;
 * - another fingerprint → settle throws 422 idempotency_key_reused (the handler undoes its work).
 * A handler that returns without calling settle() has its key released, not stored.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger(IdempotencyInterceptor.name);

  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Optional() @Inject(IdempotencyService) private readonly service?: IdempotencyService,
  ) {
    if (!service) {
      this.logger.warn('IdempotencyModule is not imported: @Idempotent() routes ignore Idempotency-Key');
    }
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const service = this.service;
    if (!service || context.getType() !== 'http') return next.handle();
    if (!this.reflector.get<boolean | undefined>(IDEMPOTENT_KEY, context.getHandler())) return next.handle();

    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest & { user?: AuthUser }>();
    const reply = http.getResponse<FastifyReply>();
    const target = idempotencyTarget(request);
    if (!target) return next.handle();

    if (this.reflector.get<string | undefined>(IDEMPOTENT_FINGERPRINT_KEY, context.getHandler()) === 'handler') {
      return this.interceptStreamed(service, target, request, reply, next);
    }

    const begun = await service.begin(target, idempotencyHash(request));
    switch (begun.kind) {
      case 'mismatch':
        throw idempotencyKeyReused();
      case 'in_progress':
        throw inProgress();
      case 'replay':
        void reply.status(begun.statusCode).header(IDEMPOTENT_REPLAYED_HEADER, 'true');
        return of(begun.body === null ? undefined : begun.body);
      case 'started':
        break;
    }
    return this.runAndStore(service, target, reply, next, { owned: true });
  }

  /** The `fingerprint: 'handler'` flow (see the class comment). */
  private async interceptStreamed(
    service: IdempotencyService,
    target: IdempotencyTarget,
    request: FastifyRequest,
    reply: FastifyReply,
    next: CallHandler,
  ): Promise<Observable<unknown>> {
    const reserved = await service.reserve(target);
    if (reserved.kind === 'in_progress') throw inProgress();
    const fingerprint = new RequestFingerprint(reserved.kind === 'completed' ? reserved : undefined);
    attachHandlerFingerprint(request, fingerprint);
    // A request that found a completed key owns nothing: there is nothing to store or release.
    return this.runAndStore(service, target, reply, next, {
      owned: reserved.kind !== 'completed',
      requestHash: () => fingerprint.fingerprint,
      replay: (err) => {
        if (!(err instanceof IdempotentReplay)) return undefined;
        void reply.status(err.statusCode).header(IDEMPOTENT_REPLAYED_HEADER, 'true');
        return of(err.body === null ? undefined : err.body);
      },
    });
  }

  /**
   * Runs the handler for a key this request owns (`owned`): a 2xx JSON response is stored (under
   * `requestHash()` when the handler gives the fingerprint; without one the key is released),
   * anything else releases the key, as do an error and a handler that completes without a value
   * or is unsubscribed (client gone). `replay` may turn an error into a response instead.
   */
  private runAndStore(
    service: IdempotencyService,
    target: IdempotencyTarget,
    reply: FastifyReply,
    next: CallHandler,
    opts: {
      owned: boolean;
      requestHash?: () => string | undefined;
      replay?: (err: unknown) => Observable<unknown> | undefined;
    },
  ): Observable<unknown> {
    let settled = !opts.owned;
    const release = async (): Promise<void> => {
      settled = true;
      await service.release(target).catch((err: unknown) => this.logError('release', err));
    };
    return next.handle().pipe(
      mergeMap(async (body: unknown) => {
        if (settled) return body;
        const status = reply.statusCode;
        const hash = opts.requestHash?.();
        const hashMissing = opts.requestHash !== undefined && hash === undefined;
        const storable =
          !hashMissing && status >= 200 && status < 300 && (body === undefined || body === null || isJsonBody(body));
        if (!storable) {
          if (hashMissing) this.logger.warn(`${target.route} returned without giving its fingerprint`);
          await release();
          return body;
        }
        settled = true;
        try {
          await (hash === undefined
            ? service.complete(target, status, body)
            : service.complete(target, status, body, hash));
        } catch (err) {
          this.logError('store', err);
          await release();
        }
        return body;
      }),
      catchError((err: unknown) => {
        const replayed = opts.replay?.(err);
        if (replayed) return replayed;
        return settled ? throwError(() => err) : from(release()).pipe(mergeMap(() => throwError(() => err)));
      }),
      finalize(() => {
        if (!settled) void release();
      }),
    );
  }

  private logError(what: string, err: unknown): void {
    this.logger.error(`idempotency ${what} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
