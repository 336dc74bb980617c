import type {
  CertificateIssuedEvent,
  CertificateRevokedEvent,
  CoursePublishedEvent,
  EnrollmentCreatedEvent,
  IssueCertificatePayload,
  OutboxEventPayloads,
  QuizGradedEvent,
  QuizSubmittedEvent,
  UserCreatedEvent,
} from '#core';

/** A JSON Schema (draft 2020-12 subset) of an event's `data`. */
export interface JsonSchema {
  type?: string | readonly string[];
  format?: string;
  pattern?: string;
  enum?: readonly (string | number | boolean | null)[];
  minimum?: number;
  description?: string;
  properties?: Readonly<Record<string, JsonSchema>>;
  required?: readonly string[];
  additionalProperties?: boolean;
}

/** `webhook.test`: sent by POST /webhooks/{id}/test, to that endpoint only. */
export interface WebhookTestEvent {
  webhook_id: string;
  message: string;
  requested_by: string;
  requested_at: string;
}

/** Event name → the type of its `data`: every event an endpoint can receive. */
export interface WebhookEventPayloads {
  'course.published': CoursePublishedEvent;
  'enrollment.created': EnrollmentCreatedEvent;
  'enrollment.completed': IssueCertificatePayload;
  'quiz.submitted': QuizSubmittedEvent;
  'quiz.graded': QuizGradedEvent;
  'user.created': UserCreatedEvent;
  'certificate.issued': CertificateIssuedEvent;
  'certificate.revoked': CertificateRevokedEvent;
  'webhook.test': WebhookTestEvent;
}
export type WebhookEventType = keyof WebhookEventPayloads;

/** The domain events that fan out to endpoints (all but webhook.test), each an outbox event type. */
export type DomainWebhookEvent = Exclude<WebhookEventType, 'webhook.test'>;
// Compile-time: each domain webhook event is an outbox event with the same payload type.
type SamePayload<E extends DomainWebhookEvent> = E extends keyof OutboxEventPayloads
  ? OutboxEventPayloads[E] extends WebhookEventPayloads[E]
    ? WebhookEventPayloads[E] extends OutboxEventPayloads[E]
      ? true
      : E
    : E
  : E;
const domainEventsMatchOutbox: { [E in DomainWebhookEvent]: SamePayload<E> } = {
  'course.published': true,
  'enrollment.created': true,
  'enrollment.completed': true,
  'quiz.submitted': true,
  'quiz.graded': true,
  'user.created': true,
  'certificate.issued': true,
  'certificate.revoked': true,
};
void domainEventsMatchOutbox;

const uuid: JsonSchema = { type: 'string', format: 'uuid' };
const time: JsonSchema = { type: 'string', format: 'date-time' };
const decimal: JsonSchema = { type: 'string', pattern: '^\\d+\\.\\d{2}$' };
const nullableDecimal: JsonSchema = { type: ['string', 'null'], pattern: '^\\d+\\.\\d{2}$' };
const object = (description: string, properties: Record<string, JsonSchema>): JsonSchema => ({
  type: 'object',
  description,
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
});

/** The catalogue: each event's description and the JSON Schema of its `data` (GET /webhooks/event-types). */
export const WEBHOOK_EVENTS: { readonly [E in WebhookEventType]: { description: string; schema: JsonSchema } } = {
  'course.published': {
    description: 'A course was published (every publish call).',
    schema: object('course.published', { course_id: uuid, instructor_id: uuid, published_at: time }),
  },
  'enrollment.created': {
    description: 'A student enrolled in a course (new enrollments only).',
    schema: object('enrollment.created', {
      enrollment_id: uuid,
      student_id: uuid,
      course_id: uuid,
      status: { type: 'string', enum: ['active', 'completed', 'dropped', 'expired'] },
      enrolled_at: time,
    }),
  },
  'enrollment.completed': {
    description: 'An enrollment reached 100 % (its last lesson completed).',
    schema: object('enrollment.completed', {
      enrollment_id: uuid,
      student_id: uuid,
      course_id: uuid,
      completed_at: time,
    }),
  },
  'quiz.submitted': {
    description: 'A quiz attempt was submitted, or finalized at its deadline (`expired: true`).',
    schema: object('quiz.submitted', {
      attempt_id: uuid,
      quiz_id: uuid,
      course_id: uuid,
      lesson_id: uuid,
      enrollment_id: uuid,
      student_id: uuid,
      attempt_number: { type: 'integer', minimum: 1 },
      status: { type: 'string', enum: ['graded', 'submitted'], description: '"submitted" while essays await grading' },
      score: nullableDecimal,
      max_score: decimal,
      percentage: nullableDecimal,
      is_passed: { type: ['boolean', 'null'] },
      expired: { type: 'boolean' },
      submitted_at: time,
    }),
  },
  'quiz.graded': {
    description: "A course manager graded an attempt's essay answers.",
    schema: object('quiz.graded', {
      attempt_id: uuid,
      quiz_id: uuid,
      course_id: uuid,
      enrollment_id: uuid,
      student_id: uuid,
      graded_by: uuid,
      score: decimal,
      max_score: decimal,
      percentage: decimal,
      is_passed: { type: 'boolean' },
      graded_at: time,
    }),
  },
  'user.created': {
    description: 'An account was created (registration, an admin, the CLI or the bootstrap admin).',
    schema: object('user.created', {
      user_id: uuid,
      email: { type: 'string', format: 'email' },
      full_name: { type: 'string' },
      role: { type: 'string', enum: ['admin', 'instructor', 'student'] },
      created_at: time,
    }),
  },
  'certificate.issued': {
    description: 'A certificate was issued (automatically on completion, or by a manual generate).',
    schema: object('certificate.issued', {
      certificate_id: uuid,
      certificate_number: { type: 'string', pattern: '^CERT-\\d{8}-[0-9A-F]{6}$' },
      enrollment_id: uuid,
      student_id: uuid,
      course_id: uuid,
      completion_date: time,
      issued_at: time,
    }),
  },
  'certificate.revoked': {
    description: 'An admin revoked a certificate.',
    schema: object('certificate.revoked', {
      certificate_id: uuid,
      certificate_number: { type: 'string', pattern: '^CERT-\\d{8}-[0-9A-F]{6}$' },
      enrollment_id: uuid,
      student_id: uuid,
      course_id: uuid,
      revoked_at: time,
      reason: { type: ['string', 'null'] },
    }),
  },
  'webhook.test': {
    description: 'Sent to one endpoint by POST /webhooks/{id}/test.',
    schema: object('webhook.test', {
      webhook_id: uuid,
      message: { type: 'string' },
      requested_by: uuid,
      requested_at: time,
    }),
  },
};

export const WEBHOOK_EVENT_TYPES = Object.keys(WEBHOOK_EVENTS) as WebhookEventType[];
export const DOMAIN_WEBHOOK_EVENTS = WEBHOOK_EVENT_TYPES.filter((e): e is DomainWebhookEvent => e !== 'webhook.test');

export function isWebhookEventType(name: string): name is WebhookEventType {
  return Object.prototype.hasOwnProperty.call(WEBHOOK_EVENTS, name);
}
