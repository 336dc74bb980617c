// Retry schedule of a failed webhook delivery: exponential-ish backoff with jitter, about a day in total.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Base delay before retry n (n = 1..7), i.e. after the n-th failed attempt. Sum ≈ 27.6 h. */
export const RETRY_DELAYS_MS: readonly number[] = Object.freeze([
  5 * SECOND,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  10 * HOUR,
  10 * HOUR,
]);

/** Attempts in total: the first one plus one per retry delay. */
export const MAX_DELIVERY_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

/**
 * Delay (ms) before the next attempt, after `attemptsMade` (≥ 1) failed attempts; null once exhausted.
 * Jitter: uniform in [base/2, base] ("equal jitter"). Full jitter ([0, base]) could retry almost
 * immediately; the half-base floor keeps the schedule's shape while still spreading retries of many
 * deliveries that failed together (e.g. a receiver outage).
 */
export function nextAttemptDelay(attemptsMade: number, random: () => number = Math.random): number | null {
  if (!Number.isInteger(attemptsMade) || attemptsMade < 1) {
    throw new RangeError(`attemptsMade must be an integer >= 1, got ${attemptsMade}`);
  }
  const base = RETRY_DELAYS_MS[attemptsMade - 1];
  if (base === undefined) return null;
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(base / 2 + (r * base) / 2);
}
