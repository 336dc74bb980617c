import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsNumber, Max, Min } from 'class-validator';

/** A decimal in plain notation, as the API writes decimals back ("70.00", "-1.5", "3"). */
export const DECIMAL_STRING_PATTERN = /^[+-]?\d+(\.\d+)?$/;

/**
 * A decimal body value: a number stays as is; a numeric string (surrounding whitespace allowed)
 * becomes its number, so a client can send back the "70.00" it read; anything else is returned
 * unchanged and refused by IsNumber (422).
 */
export function parseDecimal(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  return DECIMAL_STRING_PATTERN.test(text) ? Number(text) : value;
}

export interface DecimalFieldOptions {
  minimum: number;
  maximum: number;
  /** Decimal places allowed (default 2, the columns' scale). */
  places?: number;
  /**
   * Whether the body must carry the field (documentation only: presence rules stay on the field,
   * with IsOptional or NotNullWhenPresent). Default true.
   */
  required?: boolean;
  nullable?: boolean;
  default?: number;
  description?: string;
}

/**
 * The one decorator for every decimal body field (price, passing_score, points,
 * completion_percentage, points_earned, ...): a JSON number or a numeric string (`70`, `"70.00"`),
 * at most `places` decimals, within [minimum, maximum] either way; the handler receives a number.
 * Documented in OpenAPI as `number | string` (a nullable field: `number | null | string`).
 */
export function DecimalField(options: DecimalFieldOptions): PropertyDecorator {
  const places = options.places ?? 2;
  const range = `${options.minimum} to ${options.maximum}, at most ${places} decimals`;
  const accepts = `A number or a numeric string (e.g. 70 or "70.00"): ${range}.`;
  return applyDecorators(
    ApiProperty({
      required: options.required ?? true,
      ...(options.default !== undefined && { default: options.default }),
      description: options.description ? `${options.description} ${accepts}` : accepts,
      oneOf: [
        {
          type: 'number',
          minimum: options.minimum,
          maximum: options.maximum,
          multipleOf: 10 ** -places,
          // OpenAPI 3.0 has `nullable` only beside a `type`: null is accepted through this branch alone.
          ...(options.nullable && { nullable: true }),
        },
        {
          type: 'string',
          pattern: DECIMAL_STRING_PATTERN.source,
          // Sign, the integer digits of the bound, the point and the decimals.
          maxLength:
            String(Math.trunc(Math.max(Math.abs(options.minimum), Math.abs(options.maximum)))).length + places + 2,
          example: options.minimum.toFixed(places),
        },
      ],
    }),
    Transform(({ value }: { value: unknown }) => parseDecimal(value)),
    IsNumber({ allowNaN: false, allowInfinity: false, maxDecimalPlaces: places }),
    Min(options.minimum),
    Max(options.maximum),
  );
}
