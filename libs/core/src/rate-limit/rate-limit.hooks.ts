import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, problemBody } from '../http/problem.js';
import { requestPath } from '../http/problem.filter.js';
import { LIMIT_HEADER, RATE_LIMIT_DETAIL, RateLimitGuard } from './rate-limit.guard.js';
import type { RateLimitRecord } from './rate-limit.store.js';

/**
 * The requests RateLimitGuard never sees, counted through the guard's own rules, keys and storage so
 * that no request escapes the limits (the hand-written hook this replaced counted every request
 * before routing):
 *
 * - onRequest, requests that matched no route (404s, including the spellings the router does not
 *   normalize: `/auth//login`, `/auth/login/`, `/AUTH/login`). They count against the rule of their
 *   normalized path, all of one client's unmatched requests sharing one counter per rule
 *   (`...:ip:${ip}:unmatched`): a flood of ever-new 404 paths is bounded like one path, and refused
 *   with the 429 before the not-found handler.
 * - onSend, matched requests that reach the response without the guard having counted them (no
 *   X-RateLimit-Limit header yet): rejected by the JWT guard (401/403), by the body parser (400, 413,
 *   415), or served by a Fastify route outside Nest (CORS preflight). They are counted as the guard
 *   would count them (per IP: such a request has no authenticated user), get the headers, and a
 *   request over the limit gets the 429 instead of its response, as before. 5xx responses (errors,
 *   shutdown) are the server's doing and are not counted.
 *
 * Must be called before Fastify is ready (Nest's onModuleInit is fine).
 */
export function registerRateLimitHooks(fastify: FastifyInstance, guard: RateLimitGuard): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!request.is404) {
      done();
      return;
    }
    const target = guard.unmatchedTarget(request);
    guard.count(request, reply.raw, target.rule, target.path).then(
      (record) => {
        if (!record.isBlocked) {
          done();
          return;
        }
        void reply
          .code(429)
          .header('content-type', PROBLEM_CONTENT_TYPE)
          .header('retry-after', String(record.timeToBlockExpire))
          .send(rateLimitedBody(request));
      },
      (err: unknown) => done(toError(err)),
    );
  });

  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (reply.statusCode >= 500 || reply.raw.hasHeader(LIMIT_HEADER)) {
      done(null, payload);
      return;
    }
    const target = guard.targetOf(request);
    if (target === null) {
      done(null, payload);
      return;
    }
    guard.count(request, reply.raw, target.rule, target.path).then(
      (record) => done(null, record.isBlocked ? replaceWithRateLimited(request, reply, payload, record) : payload),
      (err: unknown) => done(toError(err)),
    );
  });
}

/** Installs registerRateLimitHooks on the API's Fastify instance, with the app's RateLimitGuard. */
@Injectable()
export class RateLimitHooksInstaller implements OnModuleInit {
  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(RateLimitGuard) private readonly guard: RateLimitGuard,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() !== 'fastify') return;
    registerRateLimitHooks(adapter.getInstance<FastifyInstance>(), this.guard);
  }
}

function rateLimitedBody(request: FastifyRequest): string {
  return JSON.stringify(
    problemBody(429, 'rate_limited', RATE_LIMIT_DETAIL, { instance: requestPath(request.url), requestId: request.id }),
  );
}

/** Turns the response about to be sent into the 429 problem (the original body is dropped). */
function replaceWithRateLimited(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  record: RateLimitRecord,
): string {
  if (isStream(payload)) payload.destroy();
  void reply
    .code(429)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .header('retry-after', String(record.timeToBlockExpire));
  return rateLimitedBody(request);
}

function isStream(payload: unknown): payload is { destroy(): void } {
  return (
    typeof payload === 'object' &&
    payload !== null &&
    typeof (payload as { pipe?: unknown }).pipe === 'function' &&
    typeof (payload as { destroy?: unknown }).destroy === 'function'
  );
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
