import type { Server } from 'node:http';
import { Server as NetServer } from 'node:net';
import { RequestMethod } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController } from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import { problemClientErrorHandler } from './client-error.js';
import { EnvelopeInterceptor, wrapEnvelope } from './envelope.js';
import { createFormBodyParser, createJsonBodyParser, inputGuardHook } from './input-guard.js';
import { createPathMatcher } from './path-matcher.js';
import { InFlightTracker } from './in-flight.js';
import { createMediaTypeHook } from './media-type.js';
import { PROBLEM_CONTENT_TYPE, ProblemException, problemBody, resolveProblem } from './problem.js';
import { ProblemJsonFilter, requestPath } from './problem.filter.js';
import { genRequestId, REQUEST_ID_HEADER } from './request-id.js';
import { applySecurityHeaders } from './security-headers.js';
import { createHostMatcher } from './trusted-hosts.js';
import { createValidationPipe } from './validation.js';

export const ROOT_MESSAGE = { message: 'LMS Backend API' } as const;

export const CORS_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
export const CORS_ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'Accept',
  'X-Request-ID',
  'X-CSRF-Token',
  'Idempotency-Key',
];
/** Longest path parameter the router accepts (a course slug holds 255 characters); longer → 414 problem. */
export const MAX_PATH_PARAM_LENGTH = 255;

export const CORS_EXPOSED_HEADERS = [
  'X-Request-ID',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
  'Retry-After',
  'Idempotent-Replayed',
];

/**
 * FastifyAdapter that, on app.close() (SIGTERM), before Nest runs the providers' destroy hooks
 * (database, queues):
 * 1. closes the listener at once: new connections are refused (the proxy or load balancer sends them
 *    to another instance) instead of being accepted and then reset;
 * 2. keeps the open keep-alive connections: a request arriving on one gets 503 with
 *    `Connection: close` (onRequest hook), and the responses of in-flight requests carry
 *    `Connection: close` too (onSend hook), so every connection ends after a complete response.
 *    Closing idle keep-alive connections now (what http.Server#close does) would reset those on
 *    which a client is sending a request at that moment;
 * 3. waits for the in-flight requests (up to SHUTDOWN_TIMEOUT_SECONDS). The connections still idle
 *    then are closed with the server, after the destroy hooks.
 */
class LmsFastifyAdapter extends FastifyAdapter {
  constructor(
    options: FastifyServerOptions,
    private readonly tracker: InFlightTracker,
    private readonly drainTimeoutMs: number,
  ) {
    super(options);
  }

  override async beforeClose(): Promise<void> {
    super.beforeClose();
    const drained = this.tracker.drain(this.drainTimeoutMs);
    stopListening(this.getHttpServer() as Server);
    await drained;
  }
}

/**
 * Fastify with: body limit, JSON request logging through a child of the root pino logger (one line
 * per response), X-Forwarded-* trusted only from TRUSTED_PROXY_IPS, validated request ids echoed on
 * every response, security headers, the trusted-host check and graceful draining. These hooks are
 * added here, before Nest registers its middleware, so they run first and cover errors and 404s.
 */
export function createFastifyAdapter(config: AppConfig, logger: Logger): FastifyAdapter {
  const tracker = new InFlightTracker();
  const securityHeaders = config.SECURITY_HEADERS_ENABLED;
  const adapter = new LmsFastifyAdapter(
    {
      bodyLimit: config.BODY_LIMIT_BYTES,
      loggerInstance: logger.child({ component: 'http' }),
      // One 'request completed' line per response comes from the onResponse hook below. (Set through
      // logController: the top-level options are deprecated, FSTDEP023/FSTDEP024.)
      logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
      requestIdHeader: false,
      genReqId: genRequestId,
      trustProxy: config.TRUSTED_PROXY_IPS.length > 0 ? config.TRUSTED_PROXY_IPS : false,
      forceCloseConnections: 'idle',
      return503OnClosing: true,
      routerOptions: { maxParamLength: MAX_PATH_PARAM_LENGTH },
      // Headers or URL beyond Node's maxHeaderSize (431) and malformed HTTP: problem+json too.
      clientErrorHandler: problemClientErrorHandler,
      // Router errors (malformed percent-encoding → 400, a path parameter over maxParamLength → 414)
      // are answered before any hook or error handler runs: render them as problem+json here.
      frameworkErrors: (error, request, reply) => {
        const problem = resolveProblem(error, { instance: requestPath(request.url), requestId: request.id });
        if (securityHeaders) applySecurityHeaders(reply.raw, request.protocol === 'https');
        (reply as unknown as FastifyReply)
          .code(problem.status)
          .headers(problem.headers)
          .header(REQUEST_ID_HEADER, request.id)
          .header('content-type', PROBLEM_CONTENT_TYPE)
          .send(JSON.stringify(problem.body));
      },
    },
    tracker,
    config.SHUTDOWN_TIMEOUT_SECONDS * 1000,
  );
  const fastify = adapter.getInstance() as unknown as FastifyInstance;
  // JSON endpoints only: text/plain bodies get 415 instead of reaching DTO validation as a string.
  fastify.removeContentTypeParser('text/plain');

  const isTrustedHost = createHostMatcher(config.TRUSTED_HOSTS);

  fastify.addHook('onRequest', (request, reply, done) => {
    const raw = reply.raw;
    raw.setHeader(REQUEST_ID_HEADER, request.id);
    if (securityHeaders) applySecurityHeaders(raw, request.protocol === 'https');
    if (tracker.draining) {
      const body = problemBody(503, 'service_unavailable', 'The server is shutting down', {
        instance: requestPath(request.url),
        requestId: request.id,
      });
      void reply
        .code(503)
        .header('connection', 'close')
        .header('content-type', PROBLEM_CONTENT_TYPE)
        .send(JSON.stringify(body));
      return;
    }
    tracker.track(raw);
    if (!isTrustedHost(request.headers.host)) {
      done(new ProblemException(400, 'invalid_host', 'Invalid host header'));
      return;
    }
    done();
  });

  // JSON routes take JSON only (415 otherwise, before any parser); NON_JSON_BODY_ROUTES opts in the form routes.
  fastify.addHook('onRequest', createMediaTypeHook(config.API_V1_PREFIX));

  // Responses produced before onRequest ran (router-level errors) still get the id and headers.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (!reply.raw.hasHeader(REQUEST_ID_HEADER) && !reply.hasHeader(REQUEST_ID_HEADER)) {
      void reply.header(REQUEST_ID_HEADER, request.id);
      if (securityHeaders) applySecurityHeaders(reply.raw, request.protocol === 'https');
    }
    // An answer sent before the request body was read to its end (an upload refused or failed while
    // streaming): close the connection after it. Otherwise the client, still sending the rest of that
    // body on a keep-alive connection, can wait on it for ever, and its next request with it.
    // Draining (shutdown): the connection ends after this response, cleanly, instead of staying idle
    // until the server closes it under a client that may be sending on it.
    if (tracker.draining || (!request.raw.complete && hasRequestBody(request)))
      void reply.header('connection', 'close');
    done(null, payload);
  });

  // NUL, unpaired surrogates and non-UTF-8 query bytes in params, query and body: 422, once for all routes.
  fastify.addHook('preValidation', inputGuardHook);

  fastify.addHook('onResponse', (request, reply, done) => {
    request.log.info(
      {
        method: request.method,
        path: requestPath(request.url),
        route: request.routeOptions.url,
        status: reply.statusCode,
        duration_ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request completed',
    );
    done();
  });

  return adapter;
}

/**
 * Stops accepting connections, keeping the open ones: net.Server#close, not http.Server#close (which,
 * since Node 19, also closes idle keep-alive connections). Fastify's own close later calls
 * http.Server#close, which closes the connections left idle and waits for the rest.
 */
function stopListening(server: Server): void {
  if (!server.listening) return;
  NetServer.prototype.close.call(server);
}

/** The request announced a body (Content-Length above 0, or chunked). */
function hasRequestBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function isCorsPreflight(request: FastifyRequest): boolean {
  return Boolean(request.headers.origin) && Boolean(request.headers['access-control-request-method']);
}

/**
 * Prefix, validation, problem+json errors, envelope, CORS and the root route. Call before app.init().
 */
export async function configureHttpPlatform(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  app.setGlobalPrefix(config.API_V1_PREFIX, {
    exclude: [
      { path: '/', method: RequestMethod.ALL },
      { path: config.METRICS_PATH, method: RequestMethod.ALL },
      { path: 'docs', method: RequestMethod.ALL },
      { path: 'docs/{*path}', method: RequestMethod.ALL },
      { path: 'openapi.json', method: RequestMethod.ALL },
      // The certificate credentials' public keys (RFC 8615 well-known location, outside the API version).
      { path: '.well-known/jwks.json', method: RequestMethod.ALL },
    ],
  });

  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  // JSON bodies: UTF-8 only and at most MAX_JSON_DEPTH deep, checked before JSON.parse.
  app.useBodyParser('application/json', { bodyLimit: config.BODY_LIMIT_BYTES }, createJsonBodyParser(fastify));
  // Forms (POST /auth/token): UTF-8 bytes and percent-encoding only.
  app.useBodyParser(
    'application/x-www-form-urlencoded',
    { bodyLimit: config.BODY_LIMIT_BYTES },
    createFormBodyParser(),
  );
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemJsonFilter(fastify.log));
  // Only when on: with no global interceptor, Nest skips the rxjs interceptor chain on every route
  // that has none of its own (the bench measured it on the catalog list).
  if (config.API_RESPONSE_ENVELOPE_ENABLED) app.useGlobalInterceptors(new EnvelopeInterceptor(config));

  // "*" allows any origin (no credentials then, as browsers refuse "*" with credentials).
  const anyOrigin = config.CORS_ORIGINS.includes('*');
  const corsOptions = {
    origin: anyOrigin ? '*' : config.CORS_ORIGINS,
    credentials: !anyOrigin,
    methods: CORS_METHODS,
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    maxAge: 600,
  };
  // An OPTIONS request that is not a valid preflight gets a 400 problem (@fastify/cors's strict
  // preflight check would answer it in text/plain).
  app.enableCors({
    delegator: (request: FastifyRequest, callback) => {
      if (request.method === 'OPTIONS' && !isCorsPreflight(request)) {
        callback(
          new ProblemException(
            400,
            'invalid_preflight',
            'A CORS preflight request needs the Origin and Access-Control-Request-Method headers',
          ),
          corsOptions,
        );
        return;
      }
      callback(null, corsOptions);
    },
  });

  const rootEnveloped =
    config.API_RESPONSE_ENVELOPE_ENABLED && !createPathMatcher(config.API_RESPONSE_ENVELOPE_EXCLUDED_PATHS)('/');
  const rootBody = rootEnveloped ? wrapEnvelope(ROOT_MESSAGE, config.API_RESPONSE_SUCCESS_MESSAGE) : ROOT_MESSAGE;
  fastify.get('/', (_request, reply) => {
    void reply.send(rootBody);
  });
}
