import { ProblemException } from '../http/problem.js';

/** 422 idempotency_key_reused: the key was used with another request. */
export const idempotencyKeyReused = (): ProblemException =>
  new ProblemException(422, 'idempotency_key_reused', 'Idempotency-Key was used with a different request');

/**
 * Thrown by HandlerFingerprint.settle() when the key already has a stored response for the same
 * fingerprint: the handler undoes what it did so far (e.g. deletes the bytes it stored) and lets
 * it propagate; the interceptor then answers with the stored status and body
 * (`Idempotent-Replayed: true`).
 */
export class IdempotentReplay extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: unknown,
  ) {
    super('Idempotency-Key replay');
    this.name = 'IdempotentReplay';
  }
}

/**
 * What a route declared `@Idempotent({ fingerprint: 'handler' })` gets when the request carries an
 * Idempotency-Key: its body is a stream that cannot be hashed before the handler runs, so the
 * handler computes the fingerprint itself (e.g. the multipart fields plus the uploaded file's
 * SHA-256 and size) once it has read the body, and calls settle() before it commits anything.
 */
export interface HandlerFingerprint {
  /**
   * True when the key already has a stored response: this request can only replay it (or get 422),
   * never create anything, so per-user limits on what is kept (quotas) do not apply to it.
   */
  readonly replaying: boolean;
  /**
   * Gives the fingerprint (call exactly once). Returns when this request owns the key: go on, the
   * interceptor stores the response under this fingerprint. Throws IdempotentReplay (same
   * fingerprint as the stored response) or a 422 idempotency_key_reused ProblemException (another one).
   */
  settle(fingerprint: string): void;
}

/** A stored response that a request with a reserved-but-completed key is compared against. */
export interface StoredIdempotentResponse {
  requestHash: string;
  statusCode: number;
  body: unknown;
}

export class RequestFingerprint implements HandlerFingerprint {
  private given?: string;

  constructor(private readonly stored?: StoredIdempotentResponse) {}

  get replaying(): boolean {
    return this.stored !== undefined;
  }

  /** The fingerprint the handler gave, if it did. */
  get fingerprint(): string | undefined {
    return this.given;
  }

  settle(fingerprint: string): void {
    if (this.given !== undefined) throw new Error('HandlerFingerprint.settle() called twice');
    this.given = fingerprint;
    if (!this.stored) return;
    if (this.stored.requestHash !== fingerprint) throw idempotencyKeyReused();
    throw new IdempotentReplay(this.stored.statusCode, this.stored.body);
  }
}

const fingerprints = new WeakMap<object, RequestFingerprint>();

/** Attaches the fingerprint context to a request (the interceptor does this). */
export function attachHandlerFingerprint(request: object, fingerprint: RequestFingerprint): void {
  fingerprints.set(request, fingerprint);
}

/**
 * The handler's side of a `fingerprint: 'handler'` route: the context when the request carries an
 * Idempotency-Key, else undefined (no key, or IdempotencyModule not imported).
 */
export function handlerFingerprint(request: object): HandlerFingerprint | undefined {
  return fingerprints.get(request);
}
