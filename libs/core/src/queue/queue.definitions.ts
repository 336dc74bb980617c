/**
 * Every queue and job name, and the payload type of each job: the one place producers,
 * handlers and the start-up check read them from. Adding a job = a payload type below,
 * its name in QUEUE_JOBS, and exactly one @JobHandler for it (or start-up fails).
 * Job names must not contain "." or ":" (outbox job ids are `<eventId>.<queue>.<jobName>`; BullMQ
 * rejects most ids containing ":").
 */

/** Payload of `emails` / `send-email`. */
export interface SendEmailPayload {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/**
 * Payload of `emails` / `send-account-email`: a password-reset or email-verification link, minted
 * by the handler at send time from these fields. Never the token itself: job data and outbox rows
 * are stored (PostgreSQL, Redis) and must not hold a usable credential.
 */
export interface SendAccountEmailPayload {
  kind: 'password_reset' | 'email_verification';
  user_id: string;
  /** The link token's jti (an id, not a credential; spent ids go to consumed_tokens). */
  token_id: string;
  /** users.token_version when requested (a reset link dies once it moves). */
  token_version: number;
  /** The token's iat and exp, seconds since the epoch. */
  issued_at: number;
  expires_at: number;
}

/** Payload of `certificates` / `issue-certificate` (the enrollment.completed event's data). */
export interface IssueCertificatePayload {
  enrollment_id: string;
  student_id: string;
  course_id: string;
  completed_at: string;
}

/** Payload of `progress` / `expire-quiz-attempts` (a scheduled sweep; it carries nothing). */
export type ExpireQuizAttemptsPayload = Record<string, never>;

/**
 * Payload of `files` / `delete-file-object` (the file.deleted event's data): removes the bytes of a
 * deleted file row; idempotent (an absent object is fine).
 */
export interface DeleteFileObjectPayload {
  file_id: string;
  owner_id: string;
  storage_key: string;
  deleted_at: string;
}

/** Payload of `files` / `sweep-orphan-files` (a scheduled sweep; it carries nothing). */
export type SweepOrphanFilesPayload = Record<string, never>;

/**
 * Payload of `webhooks` / `fan-out`: the outbox event's own payload, unused: the handler reads the
 * event (type, time, payload) by the id in its job id (`<eventId>.webhooks.fan-out`).
 */
export type WebhookFanOutPayload = object;

/** Payload of `webhooks` / `deliver`: one attempt of one delivery (endpoint × event). */
export interface WebhookDeliverPayload {
  delivery_id: string;
  endpoint_id: string;
}

/** Payload of `webhooks` / `resume-deliveries` (a scheduled sweep; it carries nothing). */
export type ResumeWebhookDeliveriesPayload = Record<string, never>;

/** Queue → job name → payload. Queues without jobs yet map to an empty object type. */
export interface JobPayloads {
  emails: { 'send-email': SendEmailPayload; 'send-account-email': SendAccountEmailPayload };
  progress: { 'expire-quiz-attempts': ExpireQuizAttemptsPayload };
  certificates: { 'issue-certificate': IssueCertificatePayload };
  webhooks: {
    'fan-out': WebhookFanOutPayload;
    deliver: WebhookDeliverPayload;
    'resume-deliveries': ResumeWebhookDeliveriesPayload;
  };
  files: { 'delete-file-object': DeleteFileObjectPayload; 'sweep-orphan-files': SweepOrphanFilesPayload };
}

export type QueueName = keyof JobPayloads;
export type JobName<Q extends QueueName> = keyof JobPayloads[Q] & string;
export type JobPayload<Q extends QueueName, N extends JobName<Q>> = JobPayloads[Q][N];

/** The runtime list of every queue and its job names (checked against JobPayloads both ways). */
export const QUEUE_JOBS = {
  emails: ['send-email', 'send-account-email'],
  progress: ['expire-quiz-attempts'],
  certificates: ['issue-certificate'],
  webhooks: ['fan-out', 'deliver', 'resume-deliveries'],
  files: ['delete-file-object', 'sweep-orphan-files'],
} as const satisfies { readonly [Q in QueueName]: readonly JobName<Q>[] };

// Compile-time: QUEUE_JOBS lists every job name of JobPayloads (satisfies above checks the reverse).
type Listed<Q extends QueueName> = (typeof QUEUE_JOBS)[Q][number];
type Missing = { [Q in QueueName]: Exclude<JobName<Q>, Listed<Q>> }[QueueName];
const everyJobListed: [Missing] extends [never] ? true : Missing = true;
void everyJobListed;

export const QUEUE_NAMES = Object.keys(QUEUE_JOBS) as QueueName[];

/** Job names of a queue as plain strings (for runtime checks). */
export function jobNamesOf(queue: QueueName): readonly string[] {
  return QUEUE_JOBS[queue];
}
