import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  AnalyticsCounter,
  AnalyticsCourseDaily,
  AnalyticsCourseStats,
  AnalyticsInstructorStudent,
  AnalyticsLessonStats,
  AnalyticsLessonTime,
} from './analytics-rollups.entity.js';
import { AnalyticsController } from './analytics.controller.js';
import { AnalyticsService } from './analytics.service.js';

/**
 * Analytics: the read models (kept by database triggers in the writing transaction, so there is no
 * job and the worker needs nothing of it) and, with `http`, the /analytics routes and their service
 * (which needs the API's CacheModule). `workers` is accepted for symmetry with the other modules.
 */
@Module({})
export class AnalyticsModule {
  static forRoot(opts: { workers: boolean; http?: boolean }): DynamicModule {
    return {
      module: AnalyticsModule,
      imports: [
        TypeOrmModule.forFeature([
          AnalyticsCounter,
          AnalyticsCourseStats,
          AnalyticsCourseDaily,
          AnalyticsInstructorStudent,
          AnalyticsLessonStats,
          AnalyticsLessonTime,
        ]),
      ],
      controllers: opts.http ? [AnalyticsController] : [],
      providers: opts.http ? [AnalyticsService] : [],
      exports: opts.http ? [AnalyticsService] : [],
    };
  }
}
