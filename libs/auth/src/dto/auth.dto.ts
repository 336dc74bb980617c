import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsNotEmpty, IsOptional, IsString } from 'class-validator';
import { ROLES, type Role, MaxCodePoints, MinCodePoints } from '#core';
import { UserResponseDto } from '#users';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

/**
 * POST /auth/register. Public registration creates students only: `role` exists for the original
 * API's clients, which send `"role": "student"`; any other role is refused (403, in the controller).
 */
export class RegisterDto {
  @ApiProperty({ format: 'email', maxLength: 255, example: 'ada@example.com' })
  @Transform(trim)
  @IsEmail()
  @MaxCodePoints(255)
  email!: string;

  @ApiProperty({ minLength: 8, maxLength: 128, format: 'password' })
  @IsString()
  @MinCodePoints(8)
  @MaxCodePoints(128)
  password!: string;

  @ApiProperty({ minLength: 2, maxLength: 255, example: 'Ada Lovelace' })
  @IsString()
  @MinCodePoints(2)
  @MaxCodePoints(255)
  full_name!: string;

  @ApiPropertyOptional({
    enum: ROLES,
    default: 'student',
    nullable: true,
    description: 'Only `student` (or null) is accepted: admin or instructor → 403 `registration_role_forbidden`.',
  })
  @IsOptional()
  @IsIn(ROLES)
  role?: Role | null;
}

/** POST /auth/login and /auth/login-cookie. The password has no minimum (old accounts, lockout counting). */
export class LoginDto {
  @ApiProperty({ format: 'email', maxLength: 255, example: 'ada@example.com' })
  @Transform(trim)
  @IsEmail()
  @MaxCodePoints(255)
  email!: string;

  @ApiProperty({ maxLength: 1024, format: 'password' })
  @IsString()
  @MaxCodePoints(1024)
  password!: string;
}

/** POST /auth/token: the OAuth2 password grant form (application/x-www-form-urlencoded). */
export class OAuth2PasswordFormDto {
  @ApiProperty({ description: 'The account email', maxLength: 255 })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxCodePoints(255)
  username!: string;

  @ApiProperty({ maxLength: 1024, format: 'password' })
  @IsString()
  @MaxCodePoints(1024)
  password!: string;

  @ApiPropertyOptional({ example: 'password' })
  @IsOptional()
  @IsString()
  @MaxCodePoints(50)
  grant_type?: string;

  @ApiPropertyOptional({ default: '' })
  @IsOptional()
  @IsString()
  @MaxCodePoints(1024)
  scope?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxCodePoints(255)
  client_id?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxCodePoints(255)
  client_secret?: string;
}

/** POST /auth/refresh and /auth/logout. */
export class RefreshTokenDto {
  @ApiProperty({ description: 'A refresh JWT' })
  @IsString()
  @IsNotEmpty()
  @MaxCodePoints(4096)
  refresh_token!: string;
}

/** POST /auth/refresh-cookie: the refresh token from the body, else from the `refresh_token` cookie. */
export class OptionalRefreshTokenDto {
  @ApiPropertyOptional({ description: 'A refresh JWT; defaults to the refresh_token cookie' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxCodePoints(4096)
  refresh_token?: string;
}

export class TokenResponseDto {
  @ApiProperty() access_token!: string;
  @ApiProperty() refresh_token!: string;
  @ApiProperty({ enum: ['bearer'], example: 'bearer' }) token_type!: 'bearer';
  @ApiProperty({ type: 'integer', description: 'Access-token lifetime in seconds', example: 900 }) expires_in!: number;
}

export class AuthResponseDto {
  @ApiProperty({ type: () => UserResponseDto }) user!: UserResponseDto;
  @ApiProperty({ type: () => TokenResponseDto }) tokens!: TokenResponseDto;
}

/** Login's answer when the account has MFA on: finish with POST /auth/login/mfa. */
export class LoginMfaChallengeDto {
  @ApiProperty({ enum: [true], example: true }) mfa_required!: true;
  @ApiProperty() challenge_token!: string;
  @ApiProperty({ type: 'integer', example: 600 }) expires_in_seconds!: number;
  @ApiProperty({ example: 'MFA verification required' }) message!: string;
}

/** Cookie-mode login/refresh body: the tokens travel only in HttpOnly cookies. */
export class CookieAuthResponseDto {
  @ApiProperty({ type: () => UserResponseDto }) user!: UserResponseDto;
}

export class TokenInfoResponseDto {
  @ApiProperty({ example: 'available_via_cookie' }) access_token!: string;
  @ApiProperty({ example: 'available_via_cookie' }) refresh_token!: string;
  @ApiProperty({ format: 'uuid' }) user_id!: string;
  @ApiProperty({ enum: ['admin', 'instructor', 'student'] }) role!: string;
}
