import type {
  DeleteFileObjectPayload,
  IssueCertificatePayload,
  JobName,
  JobPayload,
  QueueName,
  SendAccountEmailPayload,
  SendEmailPayload,
} from '../queue/queue.definitions.js';

/** `course.published` (every publish call). Ids are strings, times ISO-8601. */
export interface CoursePublishedEvent {
  course_id: string;
  instructor_id: string;
  published_at: string;
}

/** `enrollment.created` (new enrollments only). */
export interface EnrollmentCreatedEvent {
  enrollment_id: string;
  student_id: string;
  course_id: string;
  status: string;
  enrolled_at: string;
}

/** `quiz.submitted`: an attempt was submitted, or finalized at its deadline (`expired: true`). */
export interface QuizSubmittedEvent {
  attempt_id: string;
  quiz_id: string;
  course_id: string;
  lesson_id: string;
  enrollment_id: string;
  student_id: string;
  attempt_number: number;
  /** "graded", or "submitted" while essay answers await manual grading. */
  status: string;
  /** Decimal strings ("7.00"); null while awaiting grading. */
  score: string | null;
  max_score: string;
  percentage: string | null;
  is_passed: boolean | null;
  expired: boolean;
  submitted_at: string;
}

/** `quiz.graded`: a manager finished grading an attempt's essay answers. */
export interface QuizGradedEvent {
  attempt_id: string;
  quiz_id: string;
  course_id: string;
  enrollment_id: string;
  student_id: string;
  graded_by: string;
  score: string;
  max_score: string;
  percentage: string;
  is_passed: boolean;
  graded_at: string;
}

/** `user.created`: an account was created (registration, an admin, the CLI, the bootstrap admin). */
export interface UserCreatedEvent {
  user_id: string;
  email: string;
  full_name: string;
  role: string;
  created_at: string;
}

/** `certificate.issued`: a certificate was issued (automatically on completion, or by a manual generate). */
export interface CertificateIssuedEvent {
  certificate_id: string;
  certificate_number: string;
  enrollment_id: string;
  student_id: string;
  course_id: string;
  completion_date: string;
  issued_at: string;
}

/** `certificate.revoked`: an admin revoked a certificate (once; revoking again records nothing). */
export interface CertificateRevokedEvent {
  certificate_id: string;
  certificate_number: string;
  enrollment_id: string;
  student_id: string;
  course_id: string;
  revoked_at: string;
  reason: string | null;
}

/**
 * Event type → payload. Domain events (course.published, enrollment.created, ...) are added here
 * by the features that emit them; the webhooks feature will subscribe to every event.
 */
export interface OutboxEventPayloads {
  'email.requested': SendEmailPayload;
  /** A reset or verification link to mint and send (the token is never stored). */
  'account_email.requested': SendAccountEmailPayload;
  'course.published': CoursePublishedEvent;
  'enrollment.created': EnrollmentCreatedEvent;
  /** Also requests the certificate (certificates / issue-certificate). */
  'enrollment.completed': IssueCertificatePayload;
  'quiz.submitted': QuizSubmittedEvent;
  'quiz.graded': QuizGradedEvent;
  /** A file row was deleted; its bytes are removed by files / delete-file-object. */
  'file.deleted': DeleteFileObjectPayload;
  'certificate.issued': CertificateIssuedEvent;
  'certificate.revoked': CertificateRevokedEvent;
  'user.created': UserCreatedEvent;
  /**
   * Internal: a certificate to issue for an already completed enrollment (the migration from the
   * certificate_requests placeholder records these). Same job as enrollment.completed.
   */
  'certificate.requested': IssueCertificatePayload;
}

export type OutboxEventType = keyof OutboxEventPayloads;

/** A queue job that can take event E's payload as its own (checked at compile time). */
export type OutboxRoute<E extends OutboxEventType> = {
  [Q in QueueName]: {
    [N in JobName<Q>]: OutboxEventPayloads[E] extends JobPayload<Q, N> ? { queue: Q; jobName: N } : never;
  }[JobName<Q>];
}[QueueName];

/** webhooks / fan-out: reads the event (type, time, payload) by the id in its job id. */
const WEBHOOK_FAN_OUT = { queue: 'webhooks', jobName: 'fan-out' } as const;

/** Which jobs each committed event becomes (one job per route, job id `<eventId>.<queue>.<jobName>`). */
export const OUTBOX_ROUTES: { readonly [E in OutboxEventType]: ReadonlyArray<OutboxRoute<E>> } = {
  'email.requested': [{ queue: 'emails', jobName: 'send-email' }],
  'account_email.requested': [{ queue: 'emails', jobName: 'send-account-email' }],
  // Domain events fan out to the webhook endpoints subscribed to them (webhooks / fan-out).
  'course.published': [WEBHOOK_FAN_OUT],
  'enrollment.created': [WEBHOOK_FAN_OUT],
  'enrollment.completed': [{ queue: 'certificates', jobName: 'issue-certificate' }, WEBHOOK_FAN_OUT],
  'quiz.submitted': [WEBHOOK_FAN_OUT],
  'quiz.graded': [WEBHOOK_FAN_OUT],
  'file.deleted': [{ queue: 'files', jobName: 'delete-file-object' }],
  'certificate.issued': [WEBHOOK_FAN_OUT],
  'certificate.revoked': [WEBHOOK_FAN_OUT],
  'user.created': [WEBHOOK_FAN_OUT],
  'certificate.requested': [{ queue: 'certificates', jobName: 'issue-certificate' }],
};

export interface RoutedJob {
  queue: QueueName;
  jobName: string;
  jobId: string;
}

/** The jobs an event turns into; unknown event types route nowhere. */
export function routeEvent(eventId: string, eventType: string): RoutedJob[] {
  const routes: ReadonlyArray<{ queue: QueueName; jobName: string }> =
    (OUTBOX_ROUTES as Readonly<Record<string, ReadonlyArray<{ queue: QueueName; jobName: string }>>>)[eventType] ?? [];
  return routes.map((r) => ({ ...r, jobId: `${eventId}.${r.queue}.${r.jobName}` }));
}
