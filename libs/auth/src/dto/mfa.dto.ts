import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, Matches } from 'class-validator';
import { CodePointLength } from '#core';

/** Removes every whitespace character ("123 456" → "123456"); non-strings pass through to fail validation. */
const stripWhitespace = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.replace(/\s+/g, '') : value;

export class MfaEnableRequestDto {
  @ApiProperty({ minLength: 8, maxLength: 128, description: 'Current password' })
  @IsString()
  @CodePointLength(8, 128)
  password!: string;
}

export class MfaEnableConfirmDto {
  @ApiProperty({
    example: '123456',
    minLength: 6,
    maxLength: 6,
    pattern: '^[0-9]{6}$',
    description: 'Six-digit code from the authenticator app (whitespace is ignored)',
  })
  @Transform(stripWhitespace)
  @IsString()
  @Matches(/^\d{6}$/, { message: 'code must be a 6-digit number' })
  code!: string;
}

export class MfaDisableDto {
  @ApiProperty({ minLength: 8, maxLength: 128, description: 'Current password' })
  @IsString()
  @CodePointLength(8, 128)
  password!: string;

  @ApiProperty({ minLength: 4, maxLength: 32, description: 'A TOTP code or an unused recovery code' })
  @Transform(stripWhitespace)
  @IsString()
  @CodePointLength(4, 32)
  code!: string;
}

export class MfaLoginDto {
  @ApiProperty({ description: 'challenge_token from the login response' })
  @IsString()
  @CodePointLength(1, 4096)
  challenge_token!: string;

  @ApiProperty({
    minLength: 4,
    maxLength: 32,
    description: 'A TOTP code (±1 step, each accepted once) or an unused recovery code; whitespace is ignored',
  })
  @Transform(stripWhitespace)
  @IsString()
  @CodePointLength(4, 32)
  code!: string;
}

export class MfaSetupResponseDto {
  @ApiProperty({ description: 'TOTP secret (base32), for manual entry' }) secret!: string;
  @ApiProperty({ example: 'otpauth://totp/LMS%20Backend:ada%40example.com?secret=...&issuer=LMS%20Backend' })
  otpauth_url!: string;
  @ApiProperty({ description: 'QR code of otpauth_url as a PNG data: URL, for authenticator apps' })
  qr_code_data_url!: string;
}

export class MfaRecoveryCodesResponseDto {
  @ApiProperty({ example: 'MFA has been enabled successfully' }) message!: string;
  @ApiProperty({
    type: [String],
    example: ['ABCDE-FGHIJ'],
    description: 'Ten single-use recovery codes: shown once, stored hashed',
  })
  recovery_codes!: string[];
}

export class MessageResponseDto {
  @ApiProperty() message!: string;
}
