import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, ValidateIf } from 'class-validator';
import { Trim, CodePointLength, MaxCodePoints, ValidatedOnlyWith } from '#core';
import { FULL_NAME_MAX, FULL_NAME_MIN, PASSWORD_MAX, PASSWORD_MIN } from './user-fields.js';

/**
 * PATCH /users/me. Only these fields: anything else (role, is_active, email, email_verified_at, ...)
 * is rejected with 422 by the global validation pipe. Null values are ignored.
 */
export class UpdateMeDto {
  @ApiPropertyOptional({ minLength: FULL_NAME_MIN, maxLength: FULL_NAME_MAX })
  @IsOptional()
  @Trim()
  @IsString()
  @CodePointLength(FULL_NAME_MIN, FULL_NAME_MAX)
  full_name?: string | null;

  @ApiPropertyOptional({
    minLength: PASSWORD_MIN,
    maxLength: PASSWORD_MAX,
    format: 'password',
    description:
      'New password; needs current_password. Revokes every access and refresh token of the user: sign in again.',
  })
  @IsOptional()
  @IsString()
  @CodePointLength(PASSWORD_MIN, PASSWORD_MAX)
  password?: string | null;

  @ApiPropertyOptional({
    format: 'password',
    description: 'Required with password, and then at most 1024 characters; ignored without password.',
  })
  @ValidatedOnlyWith('password')
  @ValidateIf((o: UpdateMeDto) => o.password !== undefined && o.password !== null)
  @IsString()
  @IsNotEmpty({ message: 'current_password is required to change the password' })
  @MaxCodePoints(1024)
  current_password?: string | null;
}
