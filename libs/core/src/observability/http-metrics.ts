import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { register } from 'prom-client';
import { httpRequestDuration, httpRequestsTotal, UNMATCHED_ROUTE } from './metrics.js';

export interface HttpMetricsOptions {
  /** Root path of the Prometheus endpoint (METRICS_PATH). */
  path: string;
}

/**
 * Records `http_requests_total` and `http_request_duration_seconds` for every response, labelled
 * with the route TEMPLATE (e.g. /api/v1/courses/:id; "unmatched" for 404s that matched no route),
 * and serves the default registry at `path`.
 *
 * The route is registered on the Fastify instance itself, not through a Nest controller: it has to
 * live at the root (outside API_V1_PREFIX) whatever the global prefix is, and
 * @willsoto/nestjs-prometheus (CommonJS requiring the ESM-only @nestjs/common) cannot be loaded by
 * jest on Node 20, so the API would not boot in tests with it.
 *
 * Must be called before the Fastify instance is ready (Nest's onModuleInit is fine): Fastify binds
 * hooks to routes when it becomes ready.
 */
export function registerHttpMetrics(fastify: FastifyInstance, opts: HttpMetricsOptions): void {
  const total = httpRequestsTotal();
  const duration = httpRequestDuration();

  fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const route = request.routeOptions.url;
    if (route !== opts.path) {
      const labels = {
        method: request.method,
        route: route ?? UNMATCHED_ROUTE,
        status_code: String(reply.statusCode),
      };
      total.inc(labels);
      duration.observe(labels, reply.elapsedTime / 1000);
    }
    done();
  });

  fastify.get(opts.path, async (_request, reply) => {
    const body = await register.metrics();
    return reply.header('content-type', register.contentType).header('cache-control', 'no-store').send(body);
  });
}
