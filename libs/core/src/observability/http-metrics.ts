import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { httpRequestDuration, httpRequestsTotal, UNMATCHED_ROUTE } from './metrics.js';

export interface HttpMetricsOptions {
  /** Path of the Prometheus endpoint (METRICS_PATH): scrapes are not recorded. */
  path: string;
}

/**
 * Records `http_requests_total` and `http_request_duration_seconds` for every response, labelled
 * with the route TEMPLATE (e.g. /api/v1/courses/:id; "unmatched" for 404s that matched no route).
 *
 * A Fastify onResponse hook rather than a Nest interceptor: it is the cheapest place (no rxjs, no
 * per-route wrapping) and the only one that also sees responses Nest never handles (404s of
 * unknown routes, 413/415 from the body parser, the trusted-host check, rate limits, shutdown
 * 503s). The endpoint itself is served by PrometheusModule (MetricsController).
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
}
