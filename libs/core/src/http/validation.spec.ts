import type { ArgumentMetadata } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsEmail, IsInt, IsString, ValidateNested } from 'class-validator';
import { ProblemException } from './problem.js';
import { constraintCode, createValidationPipe } from './validation.js';

class ChildDto {
  @IsInt() points!: number;
}

class ParentDto {
  @IsEmail() email!: string;
  @IsString() name!: string;
  @ValidateNested({ each: true }) @Type(() => ChildDto) children!: ChildDto[];
}

const meta: ArgumentMetadata = { type: 'body', metatype: ParentDto };

async function validationErrors(value: unknown): Promise<ProblemException> {
  try {
    await createValidationPipe().transform(value, meta);
  } catch (err) {
    if (err instanceof ProblemException) return err;
    throw err;
  }
  throw new Error('expected a validation failure');
}

describe('constraintCode', () => {
  it('snake-cases constraint names', () => {
    expect(constraintCode('isEmail')).toBe('is_email');
    expect(constraintCode('isNotEmpty')).toBe('is_not_empty');
    expect(constraintCode('maxLength')).toBe('max_length');
    expect(constraintCode('min')).toBe('min');
    expect(constraintCode('whitelistValidation')).toBe('whitelist_violation');
  });
});

describe('createValidationPipe', () => {
  it('passes and transforms a valid body', async () => {
    const out: unknown = await createValidationPipe().transform(
      { email: 'a@b.co', name: 'n', children: [{ points: 1 }] },
      meta,
    );
    expect(out).toBeInstanceOf(ParentDto);
  });

  it('422 with dotted nested fields, snake codes and whitelist violations', async () => {
    const err = await validationErrors({ email: 'x', name: 'n', children: [{ points: 1 }, { points: 'a' }], extra: 1 });
    expect(err.getStatus()).toBe(422);
    expect(err.code).toBe('validation_failed');
    const errors = err.extra['errors'] as Array<{ field: string; code: string; message: string }>;
    expect(errors.map((e) => `${e.field}:${e.code}`).sort()).toEqual(
      ['children.1.points:is_int', 'email:is_email', 'extra:whitelist_violation'].sort(),
    );
    expect(errors.every((e) => typeof e.message === 'string' && e.message.length > 0)).toBe(true);
    expect(err.detail).toMatch(/^Validation failed/);
  });
});
