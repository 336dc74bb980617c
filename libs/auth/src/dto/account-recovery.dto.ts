import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, Length, MaxLength } from 'class-validator';

export class EmailRequestDto {
  @ApiProperty({ format: 'email', example: 'ada@example.com' })
  @IsEmail()
  @MaxLength(255)
  email!: string;
}

export class ResetPasswordDto {
  @ApiProperty({ description: 'Token from the reset link' })
  @IsString()
  @Length(1, 4096)
  token!: string;

  @ApiProperty({ minLength: 8, maxLength: 128 })
  @IsString()
  @Length(8, 128)
  new_password!: string;
}

export class VerifyEmailConfirmDto {
  @ApiProperty({ description: 'Token from the verification link' })
  @IsString()
  @Length(1, 4096)
  token!: string;
}
