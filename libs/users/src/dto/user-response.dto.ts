import { ApiProperty } from '@nestjs/swagger';
import { ROLES, type Role } from '#core';
import type { User } from '../user.entity.js';

/** UserResponse of the original API: `{id, email, full_name, role, is_active, mfa_enabled, created_at, email_verified_at}`. */
export class UserResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'email' }) email!: string;
  @ApiProperty() full_name!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty() is_active!: boolean;
  @ApiProperty() mfa_enabled!: boolean;
  @ApiProperty({ type: String, format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) email_verified_at!: string | null;

  static from(user: User): UserResponseDto {
    return {
      id: user.id,
      email: user.email,
      full_name: user.fullName,
      role: user.role,
      is_active: user.isActive,
      mfa_enabled: user.mfaEnabled,
      created_at: user.createdAt.toISOString(),
      email_verified_at: user.emailVerifiedAt ? user.emailVerifiedAt.toISOString() : null,
    };
  }
}
