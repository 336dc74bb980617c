import { Global, Inject, Injectable, Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { AppConfig } from '../config/app-config.js';
import { registerHttpMetrics } from './http-metrics.js';
import { registerAppMetrics } from './app-metrics.js';
import { collectDefaultMetricsOnce } from './metrics.js';

export const ROOT_LOGGER = Symbol('ROOT_LOGGER');
const OBSERVABILITY_OPTIONS = Symbol('OBSERVABILITY_OPTIONS');

export interface ObservabilityOptions {
  logger: Logger;
  /**
   * The API passes its config: with METRICS_ENABLED, PrometheusModule serves METRICS_PATH and the
   * HTTP metrics are recorded. It is needed when the module is built, because the endpoint is a
   * controller whose path is fixed then. The worker passes false: it serves its own /metrics
   * (apps/worker/src/worker-http.ts).
   */
  http: AppConfig | false;
}

/**
 * Starts the process metrics (once per process) and, for the API, installs the HTTP metrics hook.
 * Runs in onModuleInit, before Fastify is ready, so bootstrap code needs no extra call.
 */
@Injectable()
export class MetricsInstaller implements OnModuleInit {
  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(OBSERVABILITY_OPTIONS) private readonly opts: ObservabilityOptions,
  ) {}

  onModuleInit(): void {
    if (!this.config.METRICS_ENABLED) return;
    collectDefaultMetricsOnce();
    registerAppMetrics();
    if (!this.opts.http) return;
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() !== 'fastify') return;
    registerHttpMetrics(adapter.getInstance<FastifyInstance>(), { path: this.config.METRICS_PATH });
  }
}

/**
 * Logger, Prometheus metrics and Sentry (initialised by the entry point: see initSentry).
 *
 * The API's endpoint is @willsoto/nestjs-prometheus (MetricsController at METRICS_PATH), imported
 * only when METRICS_ENABLED, so with metrics off the route does not exist. Every metric lives in
 * prom-client's default registry, which that module serves and the worker serves too.
 */
@Global()
@Module({})
export class ObservabilityModule {
  /** Async because the Prometheus endpoint is loaded lazily (see metrics.controller.ts). */
  static async forRoot(opts: ObservabilityOptions): Promise<DynamicModule> {
    const endpoint =
      opts.http && opts.http.METRICS_ENABLED
        ? [(await import('./metrics.controller.js')).prometheusEndpoint(opts.http.METRICS_PATH)]
        : [];
    return {
      module: ObservabilityModule,
      imports: endpoint,
      providers: [
        { provide: ROOT_LOGGER, useValue: opts.logger },
        { provide: OBSERVABILITY_OPTIONS, useValue: opts },
        MetricsInstaller,
      ],
      exports: [ROOT_LOGGER],
    };
  }
}
