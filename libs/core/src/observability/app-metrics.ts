import { counter } from './metrics.js';

/**
 * Business and security counters read by the Grafana dashboards and alert rules under ops/.
 * Every label takes a value from a fixed list (never an id or a URL), and every series starts at 0
 * (registerAppMetrics) so that rate() and ratios work before the first event.
 */

export const LOGIN_OUTCOMES = ['success', 'failure', 'locked'] as const;
export type LoginOutcome = (typeof LOGIN_OUTCOMES)[number];

export const MFA_CHALLENGE_OUTCOMES = ['issued', 'passed', 'failed'] as const;
export type MfaChallengeOutcome = (typeof MFA_CHALLENGE_OUTCOMES)[number];

const QUIZ_RESULTS = ['passed', 'failed'] as const;

/**
 * Domain events counted by `lms_domain_events_total` (when the relay publishes them, i.e. once they
 * are committed). Other event types are counted as "other".
 */
export const COUNTED_DOMAIN_EVENTS = [
  'user.created',
  'course.published',
  'enrollment.created',
  'enrollment.completed',
  'quiz.submitted',
  'quiz.graded',
  'certificate.issued',
  'certificate.revoked',
] as const;

function loginsTotal() {
  return counter({
    name: 'lms_auth_logins_total',
    help: 'Password login attempts by outcome: success (password accepted), failure (wrong email or password), locked (refused by the lockout)',
    labelNames: ['outcome'] as const,
  });
}

function mfaChallengesTotal() {
  return counter({
    name: 'lms_auth_mfa_challenges_total',
    help: 'MFA login challenges by outcome: issued, passed (a valid code), failed (a wrong code or an invalid challenge)',
    labelNames: ['outcome'] as const,
  });
}

function domainEventsTotal() {
  return counter({
    name: 'lms_domain_events_total',
    help: 'Committed domain events published by the outbox relay, by event type',
    labelNames: ['event_type'] as const,
  });
}

function quizResultsTotal() {
  return counter({
    name: 'lms_quiz_attempts_graded_total',
    help: 'Graded quiz attempts by result (passed, failed): automatic grading at submission or manual grading',
    labelNames: ['result'] as const,
  });
}

/** Creates every series above at 0 (called once metrics are enabled; get-or-create, so idempotent). */
export function registerAppMetrics(): void {
  for (const outcome of LOGIN_OUTCOMES) loginsTotal().inc({ outcome }, 0);
  for (const outcome of MFA_CHALLENGE_OUTCOMES) mfaChallengesTotal().inc({ outcome }, 0);
  for (const event_type of [...COUNTED_DOMAIN_EVENTS, 'other']) domainEventsTotal().inc({ event_type }, 0);
  for (const result of QUIZ_RESULTS) quizResultsTotal().inc({ result }, 0);
}

export function recordLogin(outcome: LoginOutcome): void {
  loginsTotal().inc({ outcome });
}

export function recordMfaChallenge(outcome: MfaChallengeOutcome): void {
  mfaChallengesTotal().inc({ outcome });
}

/** Counts a published outbox event; quiz outcomes (`is_passed` of quiz.submitted and quiz.graded) too. */
export function recordDomainEvent(eventType: string, payload: unknown): void {
  const known = (COUNTED_DOMAIN_EVENTS as readonly string[]).includes(eventType);
  domainEventsTotal().inc({ event_type: known ? eventType : 'other' });
  if (eventType !== 'quiz.submitted' && eventType !== 'quiz.graded') return;
  const passed = (payload as { is_passed?: unknown } | null)?.is_passed;
  if (typeof passed === 'boolean') quizResultsTotal().inc({ result: passed ? 'passed' : 'failed' });
}
