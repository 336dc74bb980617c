export {
  Enrollment,
  LessonProgress,
  ENROLLMENT_STATUSES,
  PROGRESS_STATUSES,
  type EnrollmentStatus,
  type ProgressStatus,
} from './enrollment.entity.js';
export { CertificateRequest } from './certificate-request.entity.js';
export { EnrollmentsModule } from './enrollments.module.js';
export { EnrollmentsHttpModule } from './enrollments-http.module.js';
