import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional } from 'class-validator';

/**
 * Query-string spellings of a boolean, compared case-insensitively: those of the original API
 * (pydantic's `bool`), so its clients' `?mine=yes` or `?mine=On` keep working.
 */
export const QUERY_TRUE = ['true', '1', 'yes', 'on', 't', 'y'] as const;
export const QUERY_FALSE = ['false', '0', 'no', 'off', 'f', 'n'] as const;

const TRUE_WORDS: ReadonlySet<string> = new Set(QUERY_TRUE);
const FALSE_WORDS: ReadonlySet<string> = new Set(QUERY_FALSE);

/** An empty or whitespace-only query value (`?difficulty_level=`): treated as if the parameter were absent. */
export function isBlankQueryValue(value: unknown): boolean {
  return typeof value === 'string' && value.trim() === '';
}

/**
 * A boolean query value: a spelling of QUERY_TRUE/QUERY_FALSE in any case → true/false; blank →
 * undefined (absent); anything else (`maybe`, a repeated parameter) is returned unchanged, so
 * IsBoolean refuses it (422).
 */
export function parseQueryBoolean(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const word = value.trim().toLowerCase();
  if (word === '') return undefined;
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return value;
}

// The raw value is read from the source object: it is what the query string held, whatever the
// property's declared type.
const raw = ({ obj, key }: { obj: Record<string, unknown>; key: string }): unknown => obj[key];

/**
 * A query filter that ignores a blank value (`?category=` is the same as no `category`). Put it on
 * every optional string/enum filter of a query DTO, above its validators.
 */
export const QueryFilter = (): PropertyDecorator =>
  Transform((params) => {
    const value = raw(params);
    return isBlankQueryValue(value) ? undefined : value;
  });

export interface QueryBooleanOptions {
  description?: string;
  default?: boolean;
}

/**
 * The one decorator for every boolean query parameter: documents it, turns the accepted spellings
 * into a boolean (blank = absent) and refuses anything else with 422. The parameter is optional.
 */
export function QueryBoolean(options: QueryBooleanOptions = {}): PropertyDecorator {
  const spellings =
    `Accepts ${QUERY_TRUE.join('/')} and ${QUERY_FALSE.join('/')} in any case; ` +
    'a blank value counts as absent; anything else is 422.';
  return applyDecorators(
    ApiPropertyOptional({
      type: Boolean,
      ...(options.default !== undefined && { default: options.default }),
      description: options.description ? `${options.description} ${spellings}` : spellings,
    }),
    Transform((params) => parseQueryBoolean(raw(params))),
    IsOptional(),
    IsBoolean(),
  );
}
