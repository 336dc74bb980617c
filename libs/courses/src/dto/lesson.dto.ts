import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, IsUUID, Max, Min } from 'class-validator';
import {
  NotNullWhenPresent,
  Trim,
  CodePointLength,
  MaxCodePoints,
  JSON_OBJECT_MAX_BYTES,
  JsonObjectMaxBytes,
} from '#core';
import { LESSON_TYPES, type LessonType } from '../lesson.entity.js';

export const LESSON_TITLE_MIN = 3;
export const LESSON_TITLE_MAX = 255;
export const LESSON_SLUG_MAX = 255;
export const LESSON_DESCRIPTION_MAX = 10_000;
export const LESSON_CONTENT_MAX = 200_000;
export const VIDEO_URL_MAX = 2048;
/** PostgreSQL `integer`. */
const INT_MAX = 2_147_483_647;

/** POST /courses/{course_id}/lessons. Optional fields accept null (same as absent). */
export class CreateLessonDto {
  @ApiProperty({ minLength: LESSON_TITLE_MIN, maxLength: LESSON_TITLE_MAX, example: 'Introduction' })
  @Trim()
  @IsString()
  @CodePointLength(LESSON_TITLE_MIN, LESSON_TITLE_MAX)
  title!: string;

  @ApiPropertyOptional({
    maxLength: LESSON_SLUG_MAX,
    description: 'Default (also when blank): slugify(title). Not unique.',
    example: 'introduction',
  })
  @IsOptional()
  @Trim()
  @IsString()
  @MaxCodePoints(LESSON_SLUG_MAX)
  slug?: string | null;

  @ApiPropertyOptional({ maxLength: LESSON_DESCRIPTION_MAX, nullable: true })
  @IsOptional()
  @IsString()
  @MaxCodePoints(LESSON_DESCRIPTION_MAX)
  description?: string | null;

  @ApiPropertyOptional({ maxLength: LESSON_CONTENT_MAX, nullable: true })
  @IsOptional()
  @IsString()
  @MaxCodePoints(LESSON_CONTENT_MAX)
  content?: string | null;

  @ApiProperty({ enum: LESSON_TYPES })
  @IsIn(LESSON_TYPES)
  lesson_type!: LessonType;

  @ApiPropertyOptional({
    minimum: 1,
    description: 'Position in the course (unique per course). Default: the last position + 1.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(INT_MAX)
  order_index?: number | null;

  @ApiPropertyOptional({
    format: 'uuid',
    nullable: true,
    description:
      'A lesson of the same course (missing: 404 `parent_not_found`; other course: 422 `parent_other_course`).',
  })
  @IsOptional()
  @IsUUID()
  parent_lesson_id?: string | null;

  @ApiPropertyOptional({ minimum: 1, nullable: true })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(INT_MAX)
  duration_minutes?: number | null;

  @ApiPropertyOptional({
    maxLength: VIDEO_URL_MAX,
    nullable: true,
    description:
      'Video lessons only (otherwise 422 `video_url_not_allowed`). Trimmed; blank means none; ' +
      'must be an http(s) URL with a host (422 `invalid_video_url`).',
    example: 'https://videos.example.com/intro.mp4',
  })
  @IsOptional()
  @Trim()
  @IsString()
  @MaxCodePoints(VIDEO_URL_MAX)
  video_url?: string | null;

  @ApiPropertyOptional({ deprecated: true, description: 'Alias of video_url (used when video_url is absent).' })
  @IsOptional()
  @Trim()
  @IsString()
  @MaxCodePoints(VIDEO_URL_MAX)
  video_link?: string | null;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  is_preview?: boolean | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: `Free-form, at most ${JSON_OBJECT_MAX_BYTES} bytes of JSON; stored, never returned.`,
  })
  @IsOptional()
  @IsObject()
  @JsonObjectMaxBytes()
  metadata?: Record<string, unknown> | null;
}

/**
 * PATCH /lessons/{id}. Absent fields are unchanged; null clears nullable fields; title, slug,
 * lesson_type, order_index and is_preview cannot be null (422).
 */
export class UpdateLessonDto {
  @ApiPropertyOptional({ minLength: LESSON_TITLE_MIN, maxLength: LESSON_TITLE_MAX })
  @NotNullWhenPresent('title')
  @Trim()
  @IsString()
  @CodePointLength(LESSON_TITLE_MIN, LESSON_TITLE_MAX)
  title?: string;

  @ApiPropertyOptional({ maxLength: LESSON_SLUG_MAX, description: 'Blank: slugify(title).' })
  @NotNullWhenPresent('slug')
  @Trim()
  @IsString()
  @MaxCodePoints(LESSON_SLUG_MAX)
  slug?: string;

  @ApiPropertyOptional({ maxLength: LESSON_DESCRIPTION_MAX, nullable: true })
  @IsOptional()
  @IsString()
  @MaxCodePoints(LESSON_DESCRIPTION_MAX)
  description?: string | null;

  @ApiPropertyOptional({ maxLength: LESSON_CONTENT_MAX, nullable: true })
  @IsOptional()
  @IsString()
  @MaxCodePoints(LESSON_CONTENT_MAX)
  content?: string | null;

  @ApiPropertyOptional({
    enum: LESSON_TYPES,
    description: 'Changing to a non-video type without sending video_url clears video_url.',
  })
  @NotNullWhenPresent('lesson_type')
  @IsIn(LESSON_TYPES)
  lesson_type?: LessonType;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    description: 'Taken by another lesson of the course: 409 `order_conflict`.',
  })
  @NotNullWhenPresent('order_index')
  @IsInt()
  @Min(1)
  @Max(INT_MAX)
  order_index?: number;

  @ApiPropertyOptional({
    format: 'uuid',
    nullable: true,
    description: 'null detaches. Itself or a descendant: 422 `lesson_cycle`.',
  })
  @IsOptional()
  @IsUUID()
  parent_lesson_id?: string | null;

  @ApiPropertyOptional({ minimum: 1, nullable: true })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(INT_MAX)
  duration_minutes?: number | null;

  @ApiPropertyOptional({ maxLength: VIDEO_URL_MAX, nullable: true, description: 'As on create; null clears.' })
  @IsOptional()
  @Trim()
  @IsString()
  @MaxCodePoints(VIDEO_URL_MAX)
  video_url?: string | null;

  @ApiPropertyOptional({ deprecated: true, nullable: true, description: 'Alias of video_url.' })
  @IsOptional()
  @Trim()
  @IsString()
  @MaxCodePoints(VIDEO_URL_MAX)
  video_link?: string | null;

  @ApiPropertyOptional()
  @NotNullWhenPresent('is_preview')
  @IsBoolean()
  is_preview?: boolean;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: `Replaces the stored metadata (null: {}); at most ${JSON_OBJECT_MAX_BYTES} bytes of JSON; never returned.`,
  })
  @IsOptional()
  @IsObject()
  @JsonObjectMaxBytes()
  metadata?: Record<string, unknown> | null;
}

/** LessonResponse of the original API (metadata is never returned). */
export class LessonResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) course_id!: string;
  @ApiProperty() title!: string;
  @ApiProperty() slug!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ type: String, nullable: true }) content!: string | null;
  @ApiProperty({ enum: LESSON_TYPES }) lesson_type!: LessonType;
  @ApiProperty({ type: 'integer', minimum: 1 }) order_index!: number;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) parent_lesson_id!: string | null;
  @ApiProperty({ type: 'integer', nullable: true }) duration_minutes!: number | null;
  @ApiProperty({ type: String, nullable: true }) video_url!: string | null;
  @ApiProperty() is_preview!: boolean;
  @ApiProperty({ type: String, format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, format: 'date-time' }) updated_at!: string;
}

/** GET /courses/{course_id}/lessons: every lesson of the course by order_index (not paginated). */
export class LessonListResponseDto {
  @ApiProperty({ type: [LessonResponseDto] }) items!: LessonResponseDto[];
  @ApiProperty({ type: 'integer' }) total!: number;
}
