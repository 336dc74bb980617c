/** Metadata key set by @Idempotent() on a route handler. */
export const IDEMPOTENT_KEY = 'lms:idempotent';

/** Request header carrying the client's key. */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/** Response header on a replayed response. */
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';

/** Metadata key set by @Idempotent(): where the request fingerprint comes from ('body' or 'handler'). */
export const IDEMPOTENT_FINGERPRINT_KEY = 'lms:idempotent-fingerprint';

/** request_hash of a key reserved by a streamed route whose handler has not given its fingerprint yet. */
export const DEFERRED_REQUEST_HASH = 'deferred';
