import { ParseUUIDPipe } from '@nestjs/common';
import { getSchemaPath } from '@nestjs/swagger';
import { ProblemException } from './problem.js';

/** A path UUID; anything else is a 422 validation problem naming the parameter (as every validation failure). */
export function uuidParam(field = 'id'): ParseUUIDPipe {
  return new ParseUUIDPipe({
    exceptionFactory: () =>
      new ProblemException(422, 'validation_failed', `Validation failed: ${field} must be a UUID`, {
        errors: [{ field, message: `${field} must be a UUID`, code: 'is_uuid' }],
      }),
  });
}

/** OpenAPI reference to the ProblemDetails schema (registered by setupSwagger), for error responses. */
export const PROBLEM_SCHEMA_REF = { $ref: getSchemaPath('ProblemDetails') };
