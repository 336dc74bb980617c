import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_FINGERPRINT_KEY, IDEMPOTENT_KEY } from './idempotency.constants.js';
import { IdempotencyInterceptor } from './idempotency.interceptor.js';

export { IDEMPOTENT_KEY } from './idempotency.constants.js';

/**
 * The route honours an `Idempotency-Key` header (API.md item 14): a retry with the same key and
 * body gets the stored response (`Idempotent-Replayed: true`), the same key with another body 422.
 * Attaches IdempotencyInterceptor to the route (inside the global envelope interceptor); the app
 * must import IdempotencyModule (without it the header is ignored and a warning is logged).
 *
 * `fingerprint: 'handler'` is for streamed bodies (multipart uploads) that cannot be hashed before
 * the handler runs: the key is reserved first and the handler gives the fingerprint through
 * handlerFingerprint(request) once it has read the body (see IdempotencyInterceptor).
 */
export interface IdempotentOptions {
  /** 'body' (default): the JSON body, params and query; 'handler': computed by the handler. */
  fingerprint?: 'body' | 'handler';
}

export const Idempotent = (options: IdempotentOptions = {}): MethodDecorator =>
  applyDecorators(
    SetMetadata(IDEMPOTENT_KEY, true),
    SetMetadata(IDEMPOTENT_FINGERPRINT_KEY, options.fingerprint ?? 'body'),
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: IDEMPOTENCY_KEY_HEADER,
      required: false,
      description:
        'Optional client key (1-255 of A-Z a-z 0-9 _ . : -). A retry with the same key and body replays the ' +
        'stored response for 24 h; the same key with a different body is 422.',
      schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[A-Za-z0-9_.:-]{1,255}$' },
    }),
  );
