/** Metadata key set by @Idempotent() on a route handler. */
export const IDEMPOTENT_KEY = 'lms:idempotent';

/** Request header carrying the client's key. */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/** Response header on a replayed response. */
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';
