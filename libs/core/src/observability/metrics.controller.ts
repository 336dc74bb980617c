import { Controller, Get, Header, Res, type DynamicModule } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { PrometheusController, PrometheusModule } from '@willsoto/nestjs-prometheus';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/auth.decorators.js';

/**
 * The Prometheus endpoint: PrometheusModule's controller (prom-client's default registry, its
 * content type), public because the global JWT guard is deny-by-default and scrapers carry no
 * token, never cached, and left out of the OpenAPI document. The body is text, so the response
 * envelope never wraps it.
 */
@Public()
@ApiExcludeController()
@Controller()
export class MetricsController extends PrometheusController {
  @Get()
  @Header('cache-control', 'no-store')
  override index(@Res({ passthrough: true }) response: FastifyReply): Promise<string> {
    return super.index(response);
  }
}

/**
 * PrometheusModule serving MetricsController at `path` (METRICS_PATH; configureHttpPlatform excludes
 * it from the global prefix). Its default-metrics switch stays off: register() would call
 * collectDefaultMetrics every time, which throws the second time in one process (tests build
 * several apps); MetricsInstaller starts them once instead.
 *
 * This file is imported lazily (see ObservabilityModule.forRoot): @willsoto/nestjs-prometheus is
 * CommonJS and require()s the ESM-only @nestjs/common. Node handles that, but jest runs the
 * CommonJS dependencies of an ES module graph while it is still linking that graph, so a static
 * import next to @nestjs/common fails there with ERR_REQUIRE_CYCLE_MODULE; imported later, it
 * finds @nestjs/common already evaluated.
 */
export function prometheusEndpoint(path: string): DynamicModule {
  return PrometheusModule.register({ path, controller: MetricsController, defaultMetrics: { enabled: false } });
}
