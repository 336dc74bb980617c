import { Module, type DynamicModule, type Type } from '@nestjs/common';
import type { Logger } from 'pino';
import {
  ConfigModule,
  DatabaseModule,
  HealthModule,
  ObservabilityModule,
  OutboxModule,
  QueueModule,
  RedisModule,
  type AppConfig,
} from '#core';
import { AuthCoreModule } from '#auth';
import { NotificationsModule } from '#notifications';

export interface ApiModuleOptions {
  config: AppConfig;
  databaseUrl: string;
  workers: boolean;
  logger: Logger;
  /** Extra modules (tests only: e.g. a controller that exercises the platform). */
  extraModules?: Array<Type | DynamicModule>;
}

/** The HTTP application: core platform plus every feature's HTTP module. */
@Module({})
export class ApiModule {
  static forRoot(opts: ApiModuleOptions): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ConfigModule.forRoot(opts.config),
        ObservabilityModule.forRoot({ logger: opts.logger, http: true }),
        DatabaseModule.forRoot(opts.databaseUrl),
        RedisModule,
        QueueModule.forRoot({ workers: opts.workers }),
        OutboxModule.forRoot({ relay: true }),
        HealthModule,
        AuthCoreModule,
        NotificationsModule.forRoot({ workers: opts.workers }),
        ...(opts.extraModules ?? []),
      ],
    };
  }
}
