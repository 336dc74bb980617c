import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsOptional, IsString } from 'class-validator';
import { ROLES, Trim, type Role, CodePointLength, MaxCodePoints } from '#core';
import { EMAIL_MAX, FULL_NAME_MAX, FULL_NAME_MIN, PASSWORD_MAX, PASSWORD_MIN } from './user-fields.js';

/** POST /users (admin): any role; the email counts as verified at once. */
export class CreateUserDto {
  @ApiProperty({ format: 'email', maxLength: EMAIL_MAX, example: 'jane@example.com' })
  @Trim()
  @IsEmail()
  @MaxCodePoints(EMAIL_MAX)
  email!: string;

  @ApiProperty({ minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX, format: 'password' })
  @IsString()
  @CodePointLength(PASSWORD_MIN, PASSWORD_MAX)
  password!: string;

  @ApiProperty({ minLength: FULL_NAME_MIN, maxLength: FULL_NAME_MAX, example: 'Jane Doe' })
  @Trim()
  @IsString()
  @CodePointLength(FULL_NAME_MIN, FULL_NAME_MAX)
  full_name!: string;

  @ApiPropertyOptional({ enum: ROLES, default: 'student' })
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;
}
