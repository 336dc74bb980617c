export { AnalyticsModule } from './analytics.module.js';
export {
  AnalyticsService,
  ANALYTICS_CACHE_NS,
  COURSE_ANALYTICS_TTL_SECONDS,
  QUIZ_ITEMS_TTL_SECONDS,
  GRADEBOOK_PAGE_SIZE,
} from './analytics.service.js';
export * as ANALYTICS_SQL from './analytics-sql.js';
export {
  ANALYTICS_SHARDS,
  AnalyticsCounter,
  AnalyticsCourseDaily,
  AnalyticsCourseStats,
  AnalyticsInstructorStudent,
  AnalyticsLessonStats,
  AnalyticsLessonTime,
} from './analytics-rollups.entity.js';
export { csvField, csvRow } from './csv.js';
