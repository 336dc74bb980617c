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
}

export type OutboxEventType = keyof OutboxEventPayloads;

/** A queue job that can take event E's payload as its own (checked at compile time). */
export type OutboxRoute<E extends OutboxEventType> = {
  [Q in QueueName]: {
    [N in JobName<Q>]: OutboxEventPayloads[E] extends JobPayload<Q, N> ? { queue: Q; jobName: N } : never;
  }[JobName<Q>];
}[QueueName];

/** Which jobs each committed event becomes (one job per route, job id `<eventId>.<queue>.<jobName>`). */
export const OUTBOX_ROUTES: { readonly [E in OutboxEventType]: ReadonlyArray<OutboxRoute<E>> } = {
  'email.requested': [{ queue: 'emails', jobName: 'send-email' }],
  'account_email.requested': [{ queue: 'emails', jobName: 'send-account-email' }],
  // Webhook delivery subscribes to every domain event when it arrives (issue: webhooks).
  'course.published': [],
  'enrollment.created': [],
  'enrollment.completed': [{ queue: 'certificates', jobName: 'issue-certificate' }],
  'quiz.submitted': [],
  'quiz.graded': [],
  'file.deleted': [{ queue: 'files', jobName: 'delete-file-object' }],
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
