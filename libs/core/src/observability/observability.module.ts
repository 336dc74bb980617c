import { Global, Inject, Injectable, Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { AppConfig } from '../config/app-config.js';
import { registerHttpMetrics } from './http-metrics.js';
import { collectDefaultMetricsOnce } from './metrics.js';

export const ROOT_LOGGER = Symbol('ROOT_LOGGER');
const OBSERVABILITY_OPTIONS = Symbol('OBSERVABILITY_OPTIONS');

export interface ObservabilityOptions {
  logger: Logger;
  /** Register HTTP metrics and the /metrics route (API); the worker serves its own. */
  http: boolean;
}

/**
 * Starts the process metrics and, for the API, installs the HTTP metrics hook and the METRICS_PATH
 * route on the Fastify instance (at the root, outside the global prefix). Runs in onModuleInit,
 * before Fastify is ready, so bootstrap code needs no extra call.
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
    if (!this.opts.http) return;
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() !== 'fastify') return;
    registerHttpMetrics(adapter.getInstance<FastifyInstance>(), { path: this.config.METRICS_PATH });
  }
}

/** Logger, Prometheus metrics and Sentry (initialised by the entry point: see initSentry). */
@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(opts: ObservabilityOptions): DynamicModule {
    return {
      module: ObservabilityModule,
      providers: [
        { provide: ROOT_LOGGER, useValue: opts.logger },
        { provide: OBSERVABILITY_OPTIONS, useValue: opts },
        MetricsInstaller,
      ],
      exports: [ROOT_LOGGER],
    };
  }
}
