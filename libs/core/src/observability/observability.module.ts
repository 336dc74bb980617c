import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';

export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

export interface ObservabilityOptions {
  logger: Logger;
  /** Register HTTP metrics and the /metrics route (API); the worker serves its own. */
  http: boolean;
}

/** Logger, Prometheus metrics and Sentry. */
@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(opts: ObservabilityOptions): DynamicModule {
    return {
      module: ObservabilityModule,
      providers: [{ provide: ROOT_LOGGER, useValue: opts.logger }],
      exports: [ROOT_LOGGER],
    };
  }
}
