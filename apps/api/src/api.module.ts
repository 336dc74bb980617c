import { Module, type DynamicModule, type Type } from '@nestjs/common';
import type { Logger } from 'pino';
import {
  ConfigModule,
  DatabaseModule,
  HealthModule,
  ObservabilityModule,
  OutboxModule,
  QueueModule,
  CacheModule,
  IdempotencyModule,
  RateLimitModule,
  RedisModule,
  ClockModule,
  type AppConfig,
  type Clock,
} from '#core';
import { AuthCoreModule, AuthHttpModule, AuthJobsModule } from '#auth';
import { UsersHttpModule } from '#users';
import { CoursesHttpModule, CoursesModule } from '#courses';
import { EnrollmentsHttpModule, EnrollmentsModule } from '#enrollments';
import { NotificationsModule } from '#notifications';
import { QuizzesModule, QuizzesHttpModule } from '#quizzes';
import { FilesModule } from '#files';
import { CertificatesModule } from '#certificates';
import { WebhooksModule } from '#webhooks';
import { AnalyticsModule } from '#analytics';

export interface ApiModuleOptions {
  config: AppConfig;
  databaseUrl: string;
  workers: boolean;
  logger: Logger;
  /** Extra modules (tests only: e.g. a controller that exercises the platform). */
  extraModules?: Array<Type | DynamicModule>;
  /** The clock rules decide by (tests); default: the system clock. */
  clock?: Clock;
}

/** The HTTP application: core platform plus every feature's HTTP module. */
@Module({})
export class ApiModule {
  static forRoot(opts: ApiModuleOptions): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ConfigModule.forRoot(opts.config),
        ClockModule.forRoot(opts.clock),
        ObservabilityModule.forRoot({ logger: opts.logger, http: opts.config }),
        DatabaseModule.forRoot(opts.databaseUrl),
        RedisModule,
        CacheModule,
        IdempotencyModule,
        QueueModule.forRoot({ workers: opts.workers, config: opts.config }),
        OutboxModule.forRoot({ relay: true }),
        HealthModule,
        AuthCoreModule,
        // After AuthCoreModule: the rate-limit guard must run after the JWT guard (see RateLimitModule).
        RateLimitModule.forRoot(opts.config),
        AuthHttpModule,
        AuthJobsModule.forRoot({ workers: opts.workers }),
        UsersHttpModule,
        NotificationsModule.forRoot({ workers: opts.workers }),
        CoursesModule,
        EnrollmentsModule.forRoot({ workers: opts.workers }),
        QuizzesModule.forRoot({ workers: opts.workers }),
        CoursesHttpModule,
        EnrollmentsHttpModule,
        QuizzesHttpModule,
        FilesModule.forRoot({ workers: opts.workers, http: true }),
        CertificatesModule.forRoot({ workers: opts.workers, http: true }),
        WebhooksModule.forRoot({ workers: opts.workers, http: true }),
        AnalyticsModule.forRoot({ workers: opts.workers, http: true }),
        ...(opts.extraModules ?? []),
      ],
    };
  }
}
