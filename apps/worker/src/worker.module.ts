import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import {
  ConfigModule,
  DatabaseModule,
  ObservabilityModule,
  OutboxModule,
  QueueModule,
  RedisModule,
  ClockModule,
  type AppConfig,
  type Clock,
} from '#core';
import { AuthJobsModule } from '#auth';
import { CoursesModule } from '#courses';
import { EnrollmentsModule } from '#enrollments';
import { NotificationsModule } from '#notifications';
import { QuizzesModule } from '#quizzes';
import { FilesModule } from '#files';
import { CertificatesModule } from '#certificates';
import { WebhooksModule } from '#webhooks';

export interface WorkerModuleOptions {
  config: AppConfig;
  databaseUrl: string;
  logger: Logger;
  /** The clock rules decide by (tests); default: the system clock. */
  clock?: Clock;
}

/** The queue worker: core platform plus every feature's job processors. No HTTP routes. */
@Module({})
export class WorkerModule {
  static forRoot(opts: WorkerModuleOptions): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(opts.config),
        ClockModule.forRoot(opts.clock),
        ObservabilityModule.forRoot({ logger: opts.logger, http: false }),
        DatabaseModule.forRoot(opts.databaseUrl),
        RedisModule,
        QueueModule.forRoot({ workers: true, config: opts.config }),
        OutboxModule.forRoot({ relay: true }),
        NotificationsModule.forRoot({ workers: true }),
        AuthJobsModule.forRoot({ workers: true }),
        CoursesModule,
        EnrollmentsModule.forRoot({ workers: true }),
        QuizzesModule.forRoot({ workers: true }),
        FilesModule.forRoot({ workers: true }),
        CertificatesModule.forRoot({ workers: true }),
        WebhooksModule.forRoot({ workers: true }),
      ],
    };
  }
}
