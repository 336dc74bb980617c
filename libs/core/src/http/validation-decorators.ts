import { Transform } from 'class-transformer';
import { ValidateBy, ValidateIf } from 'class-validator';

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
