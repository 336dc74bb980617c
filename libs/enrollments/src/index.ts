export {
  Enrollment,
  LessonProgress,
  ENROLLMENT_STATUSES,
  PROGRESS_STATUSES,
  type EnrollmentStatus,
  type ProgressStatus,
} from './enrollment.entity.js';
export { EnrollmentsModule } from './enrollments.module.js';
export { EnrollmentsHttpModule } from './enrollments-http.module.js';
export { EnrollmentsService, MY_COURSES_SQL, COURSE_ENROLLMENTS_SQL } from './enrollments.service.js';
export { EnrollmentResponseDto, LessonProgressResponseDto, CourseEnrollmentStatsDto } from './dto/enrollment.dto.js';
export {
  computeLessonProgress,
  summarizeEnrollment,
  toDecimal2,
  ProgressDowngradeError,
  type LessonProgressInput,
} from './progress.js';
