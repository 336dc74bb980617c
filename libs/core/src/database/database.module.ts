import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config.js';
import type { Logger } from 'pino';
import { DatabaseMetrics } from '../observability/database-metrics.js';
import { ROOT_LOGGER } from '../observability/observability.module.js';
import { createDataSourceOptions } from './data-source-options.js';

export const DATABASE_URL = Symbol('DATABASE_URL');

/**
 * TypeORM for Nest. The URL is resolved before the app is built (DATABASE_URL, or the embedded
 * server the launcher started), so that Nest never starts infrastructure in a constructor.
 * Entities register themselves through TypeOrmModule.forFeature in their feature modules.
 */
@Module({})
export class DatabaseModule {
  static forRoot(url: string): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [AppConfig, ROOT_LOGGER],
          useFactory: (config: AppConfig, logger: Logger) => ({
            ...createDataSourceOptions(config, url, { logger }),
            autoLoadEntities: true,
          }),
        }),
      ],
      providers: [{ provide: DATABASE_URL, useValue: url }, DatabaseMetrics],
      exports: [DATABASE_URL],
    };
  }
}
