import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { MAX_PAGE_SIZE, MaxCodePoints, PaginationQueryDto, QueryFilter } from '#core';
import { FILE_TYPES, type FileType } from '../file.entity.js';

/** Shortest and longest lifetime of a signed download URL (seconds). */
export const SIGNED_URL_MIN_SECONDS = 60;
export const SIGNED_URL_MAX_SECONDS = 86_400;
/** Latest expiry a signed link can carry (9999-12-31T23:59:59Z, seconds). */
export const MAX_EXPIRES = 253_402_300_799;
/** my-files page size when none is given (and the largest allowed). */
export const MY_FILES_PAGE_SIZE = MAX_PAGE_SIZE;

/** The reference's FileResponse plus is_public, course_id and sha256. */
export class FileResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ description: 'Stored name, `<uuid>.<ext>`', example: '3f0c…e1.pdf' }) filename!: string;
  @ApiProperty({ description: "The client's file name (base name only)" }) original_filename!: string;
  @ApiProperty({ description: 'The authenticated download route, `/api/v1/files/download/{id}`' }) file_url!: string;
  @ApiProperty({ enum: FILE_TYPES }) file_type!: FileType;
  @ApiProperty() mime_type!: string;
  @ApiProperty({ type: 'integer', description: 'Bytes' }) file_size!: number;
  @ApiProperty({ enum: ['local', 'azure'] }) storage_provider!: 'local' | 'azure';
  @ApiProperty() is_public!: boolean;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) course_id!: string | null;
  @ApiProperty({ description: 'SHA-256 of the bytes (hex); also the ETag of downloads' }) sha256!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export class FileListResponseDto {
  @ApiProperty({ type: [FileResponseDto] }) files!: FileResponseDto[];
  @ApiProperty({ type: 'integer', description: 'All matching files (every page)' }) total!: number;
}

/** my-files: the shared page/page_size rules, with the reference's default page size (the maximum). */
export class MyFilesQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ description: 'Exact file type (video, image, document, other); blank = all' })
  @QueryFilter()
  @IsOptional()
  @IsString()
  @MaxCodePoints(20)
  file_type?: string;

  @ApiPropertyOptional({ type: Number, minimum: 1, maximum: MAX_PAGE_SIZE, default: MY_FILES_PAGE_SIZE })
  override page_size: number = MY_FILES_PAGE_SIZE;
}

export class SignedUrlQueryDto {
  @ApiPropertyOptional({
    type: Number,
    minimum: SIGNED_URL_MIN_SECONDS,
    maximum: SIGNED_URL_MAX_SECONDS,
    description: 'Lifetime in seconds (default FILE_DOWNLOAD_URL_EXPIRE_SECONDS)',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(SIGNED_URL_MIN_SECONDS)
  @Max(SIGNED_URL_MAX_SECONDS)
  expires_in?: number;
}

export class SignedUrlResponseDto {
  @ApiProperty({
    description:
      'Local storage: `/api/v1/files/{id}/content?expires=…&signature=…` (relative to the API origin); Azure: a read-only SAS URL',
  })
  url!: string;
  @ApiProperty({ format: 'date-time' }) expires_at!: string;
}

export class SignedDownloadQueryDto {
  @ApiProperty({ description: 'Expiry, seconds since the epoch', minimum: 0, maximum: MAX_EXPIRES })
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_EXPIRES)
  expires!: number;

  @ApiProperty({ description: 'HMAC-SHA256 signature (base64url)' })
  @IsString()
  @MaxCodePoints(100)
  signature!: string;
}
