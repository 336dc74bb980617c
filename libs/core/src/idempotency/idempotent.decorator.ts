import { SetMetadata } from '@nestjs/common';

export const IDEMPOTENT_KEY = 'lms:idempotent';

// STUB: the Idempotency-Key mechanism replaces this (interceptor + storage).
/** The route honours an `Idempotency-Key` header (API.md item 14). */
export const Idempotent = (): MethodDecorator => SetMetadata(IDEMPOTENT_KEY, true);
