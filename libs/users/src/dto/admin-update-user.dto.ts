import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString } from 'class-validator';
import { ROLES, Trim, type Role, CodePointLength } from '#core';
import { FULL_NAME_MAX, FULL_NAME_MIN, PASSWORD_MAX, PASSWORD_MIN } from './user-fields.js';

/** PATCH /users/{id} (admin). Every field optional; null values are ignored (as in the original API). */
export class AdminUpdateUserDto {
  @ApiPropertyOptional({ minLength: FULL_NAME_MIN, maxLength: FULL_NAME_MAX })
  @IsOptional()
  @Trim()
  @IsString()
  @CodePointLength(FULL_NAME_MIN, FULL_NAME_MAX)
  full_name?: string | null;

  @ApiPropertyOptional({ enum: ROLES })
  @IsOptional()
  @IsIn(ROLES)
  role?: Role | null;

  @ApiPropertyOptional({
    minLength: PASSWORD_MIN,
    maxLength: PASSWORD_MAX,
    format: 'password',
    description: "Sets the user's password and revokes all of their tokens.",
  })
  @IsOptional()
  @IsString()
  @CodePointLength(PASSWORD_MIN, PASSWORD_MAX)
  password?: string | null;

  @ApiPropertyOptional({ description: 'false deactivates the account and revokes all of its tokens.' })
  @IsOptional()
  @IsBoolean()
  is_active?: boolean | null;
}
