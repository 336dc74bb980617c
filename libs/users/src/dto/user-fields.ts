import { Transform } from 'class-transformer';

export const FULL_NAME_MIN = 2;
export const FULL_NAME_MAX = 255;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
export const EMAIL_MAX = 255;

/** Trims surrounding whitespace of a string (before validation); other values pass unchanged. */
export const Trim = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));
