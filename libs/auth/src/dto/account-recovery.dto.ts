import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString } from 'class-validator';
import { CodePointLength, MaxCodePoints } from '#core';

export class EmailRequestDto {
  @ApiProperty({ format: 'email', example: 'ada@example.com' })
  @IsEmail()
  @MaxCodePoints(255)
  email!: string;
}

export class ResetPasswordDto {
  @ApiProperty({ description: 'Token from the reset link' })
  @IsString()
  @CodePointLength(1, 4096)
  token!: string;

  @ApiProperty({ minLength: 8, maxLength: 128 })
  @IsString()
  @CodePointLength(8, 128)
  new_password!: string;
}

export class VerifyEmailConfirmDto {
  @ApiProperty({ description: 'Token from the verification link' })
  @IsString()
  @CodePointLength(1, 4096)
  token!: string;
}
