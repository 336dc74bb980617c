import { Transform } from 'class-transformer';
import { buildMessage, ValidateBy, ValidateIf, type ValidationOptions } from 'class-validator';

/** Trims surrounding whitespace of a string (before validation); other values pass unchanged. */
export const Trim = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));

/**
 * PATCH fields whose column cannot be cleared: absent means unchanged, an explicit null is a 422
 * (`not_null`, "'<field>' cannot be null"), any other value goes through the field's validators.
 */
export function NotNullWhenPresent(field: string): PropertyDecorator {
  const onlyWhenPresent = ValidateIf((o: Record<string, unknown>) => o[field] !== undefined);
  const notNull = ValidateBy({
    name: 'notNull',
    validator: { validate: (value: unknown) => value !== null, defaultMessage: () => `'${field}' cannot be null` },
  });
  return (target, key) => {
    onlyWhenPresent(target, key);
    notNull(target, key);
  };
}

/**
 * Length in Unicode code points: what PostgreSQL's varchar(n) and char_length() count. (UTF-16
 * `.length` counts an emoji outside the BMP twice; class-validator's Length/MaxLength skip
 * variation selectors, so "❤️" counts 1 there and 2 in PostgreSQL.)
 */
export function codePointLength(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length - 1; i += 1) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        n -= 1;
        i += 1;
      }
    }
  }
  return n;
}

/**
 * A string of at most `max` code points (the unit of PostgreSQL's varchar(n)); the project's
 * replacement for class-validator's MaxLength, with the same constraint name and message.
 */
export function MaxCodePoints(max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'maxLength',
      constraints: [max],
      validator: {
        validate: (value: unknown) => typeof value === 'string' && codePointLength(value) <= max,
        defaultMessage: buildMessage(
          (each) => `${each}$property must be shorter than or equal to $constraint1 characters`,
          options,
        ),
      },
    },
    options,
  );
}

/** A string of at least `min` code points (replaces class-validator's MinLength). */
export function MinCodePoints(min: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'minLength',
      constraints: [min],
      validator: {
        validate: (value: unknown) => typeof value === 'string' && codePointLength(value) >= min,
        defaultMessage: buildMessage(
          (each) => `${each}$property must be longer than or equal to $constraint1 characters`,
          options,
        ),
      },
    },
    options,
  );
}

/** A string of `min` to `max` code points (replaces class-validator's Length). */
export function CodePointLength(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isLength',
      constraints: [min, max],
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string') return false;
          const n = codePointLength(value);
          return n >= min && n <= max;
        },
        defaultMessage: buildMessage((each, args) => {
          const n = typeof args?.value === 'string' ? codePointLength(args.value) : 0;
          return n < min
            ? `${each}$property must be longer than or equal to $constraint1 characters`
            : `${each}$property must be shorter than or equal to $constraint2 characters`;
        }, options),
      },
    },
    options,
  );
}

/** Default cap of a free-form JSON object (metadata): its serialization in UTF-8 bytes. */
export const JSON_OBJECT_MAX_BYTES = 16_384;

/**
 * A plain JSON object (not an array, not null) whose JSON serialization is at most `maxBytes`
 * UTF-8 bytes. Every free-form object a client can store (metadata) carries it.
 */
export function JsonObjectMaxBytes(maxBytes = JSON_OBJECT_MAX_BYTES, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'smallJsonObject',
      constraints: [maxBytes],
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          Buffer.byteLength(JSON.stringify(value)) <= maxBytes,
        defaultMessage: buildMessage(
          (each) => `${each}$property must be a JSON object of at most $constraint1 bytes`,
          options,
        ),
      },
    },
    options,
  );
}
