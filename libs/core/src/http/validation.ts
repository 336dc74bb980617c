import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { ProblemException, type FieldError } from './problem.js';

/** class-validator constraint name → snake_case code; forbidden unknown fields → whitelist_violation. */
export function constraintCode(name: string): string {
  if (name === 'whitelistValidation') return 'whitelist_violation';
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[\s-]+/g, '_')
    .toLowerCase();
}

/** Flattens class-validator errors (nested children included) into dotted-path field errors. */
export function flattenValidationErrors(errors: readonly ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    for (const [name, message] of Object.entries(error.constraints ?? {})) {
      out.push({ field, message, code: constraintCode(name) });
    }
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, field));
  }
  return out;
}

export function validationException(errors: readonly ValidationError[]): ProblemException {
  const fieldErrors = flattenValidationErrors(errors);
  const detail = fieldErrors.length
    ? `Validation failed: ${fieldErrors.map((e) => e.message).join('; ')}`
    : 'Validation failed';
  return new ProblemException(422, 'validation_failed', detail, { errors: fieldErrors });
}

/** The global pipe: unknown fields rejected, payloads transformed to DTO instances, 422 problems. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => validationException(errors),
  });
}
