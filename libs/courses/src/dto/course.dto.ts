import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Matches,
  Max,
  Min,
} from 'class-validator';
import {
  DecimalField,
  NotNullWhenPresent,
  PaginationQueryDto,
  QueryBoolean,
  QueryFilter,
  Trim,
  CodePointLength,
  MaxCodePoints,
  JSON_OBJECT_MAX_BYTES,
  JsonObjectMaxBytes,
} from '#core';
import { DIFFICULTY_LEVELS, type DifficultyLevel } from '../course.entity.js';
import { SLUG_PATTERN } from '../slug.js';

export const TITLE_MIN = 3;
export const TITLE_MAX = 255;
export const DESCRIPTION_MAX = 10_000;
export const LONG_DESCRIPTION_MAX = 50_000;
export const URL_MAX = 2048;
export const LIST_MAX_ITEMS = 50;
export const LIST_ITEM_MAX = 500;
export const PREREQUISITES_MAX = 20;
export const METADATA_MAX_BYTES = JSON_OBJECT_MAX_BYTES;
/** numeric(10, 2). */
export const PRICE_MAX = 99_999_999.99;
export const SEARCH_MAX = 255;
export const CATEGORY_SLUG_MAX = 100;

const URL_OPTIONS = { protocols: ['http', 'https'], require_protocol: true, require_tld: false };

/** Fields shared by create and update; nullable columns accept null (clears on PATCH). */
class CourseFieldsDto {
  @ApiPropertyOptional({ type: String, maxLength: DESCRIPTION_MAX, nullable: true })
  @IsOptional()
  @IsString()
  @MaxCodePoints(DESCRIPTION_MAX)
  description?: string | null;

  @ApiPropertyOptional({
    type: String,
    maxLength: CATEGORY_SLUG_MAX,
    nullable: true,
    description: 'A category slug (GET /categories); unknown → 422 `unknown_category`.',
  })
  @IsOptional()
  @Trim()
  @IsString()
  @MaxCodePoints(CATEGORY_SLUG_MAX)
  category?: string | null;

  @ApiPropertyOptional({ enum: DIFFICULTY_LEVELS, nullable: true })
  @IsOptional()
  @IsIn(DIFFICULTY_LEVELS)
  difficulty_level?: DifficultyLevel | null;

  @ApiPropertyOptional({ type: String, format: 'uri', maxLength: URL_MAX, nullable: true })
  @IsOptional()
  @Trim()
  @IsString()
  @MaxCodePoints(URL_MAX)
  @IsUrl(URL_OPTIONS, { message: 'thumbnail_url must be an http(s) URL' })
  thumbnail_url?: string | null;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 1_000_000, nullable: true })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  estimated_duration_minutes?: number | null;

  @ApiPropertyOptional({ type: String, maxLength: LONG_DESCRIPTION_MAX, nullable: true })
  @IsOptional()
  @IsString()
  @MaxCodePoints(LONG_DESCRIPTION_MAX)
  long_description?: string | null;

  @ApiPropertyOptional({ type: String, format: 'uri', maxLength: URL_MAX, nullable: true })
  @IsOptional()
  @Trim()
  @IsString()
  @MaxCodePoints(URL_MAX)
  @IsUrl(URL_OPTIONS, { message: 'preview_video_url must be an http(s) URL' })
  preview_video_url?: string | null;

  @ApiPropertyOptional({ type: String, maxLength: 20, nullable: true, description: 'Free text.' })
  @IsOptional()
  @IsString()
  @MaxCodePoints(20)
  status?: string | null;
}

/** POST /courses. Server-maintained fields (is_published, instructor_id, ratings, counts) are 422. */
export class CreateCourseDto extends CourseFieldsDto {
  @ApiProperty({ minLength: TITLE_MIN, maxLength: TITLE_MAX, example: 'Intro to Python' })
  @Trim()
  @IsString()
  @CodePointLength(TITLE_MIN, TITLE_MAX)
  title!: string;

  @ApiPropertyOptional({
    minLength: 3,
    maxLength: TITLE_MAX,
    pattern: SLUG_PATTERN.source,
    description:
      'Default: slugify(title), with -2, -3, ... appended when that is taken. An explicit slug that is taken → 409 `slug_taken`.',
  })
  @IsOptional()
  @IsString()
  @CodePointLength(3, TITLE_MAX)
  @Matches(SLUG_PATTERN, { message: 'slug must be lowercase letters, digits and single hyphens' })
  slug?: string;

  @IsOptional()
  @DecimalField({ minimum: 0, maximum: PRICE_MAX, required: false, default: 0 })
  price?: number;

  @ApiPropertyOptional({ minLength: 1, maxLength: 3, default: 'USD' })
  @IsOptional()
  @IsString()
  @CodePointLength(1, 3)
  currency?: string;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  is_free?: boolean;

  @ApiPropertyOptional({ type: [String], maxItems: LIST_MAX_ITEMS, default: [] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(LIST_MAX_ITEMS)
  @IsString({ each: true })
  @MaxCodePoints(LIST_ITEM_MAX, { each: true })
  requirements?: string[];

  @ApiPropertyOptional({ type: [String], maxItems: LIST_MAX_ITEMS, default: [] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(LIST_MAX_ITEMS)
  @IsString({ each: true })
  @MaxCodePoints(LIST_ITEM_MAX, { each: true })
  learning_objectives?: string[];

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: `Stored (at most ${METADATA_MAX_BYTES} bytes of JSON), never returned.`,
  })
  @IsOptional()
  @IsObject()
  @JsonObjectMaxBytes(METADATA_MAX_BYTES)
  metadata?: Record<string, unknown>;

  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    maxItems: PREREQUISITES_MAX,
    description:
      'Courses a student must have completed before enrolling. Unknown ids → 422 `unknown_prerequisite` ' +
      '(for an instructor, courses that are neither published nor their own count as unknown); cycles → 422 `prerequisite_cycle`.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(PREREQUISITES_MAX)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  prerequisite_course_ids?: string[];
}

/**
 * PATCH /courses/{id}: the create fields minus slug. Left out = unchanged; an explicit null clears a
 * nullable field; null for title, price, currency, is_free, requirements, learning_objectives,
 * metadata or prerequisite_course_ids is 422. `is_published` is not accepted (publish/unpublish).
 */
export class UpdateCourseDto extends CourseFieldsDto {
  @ApiPropertyOptional({ minLength: TITLE_MIN, maxLength: TITLE_MAX })
  @NotNullWhenPresent('title')
  @Trim()
  @IsString()
  @CodePointLength(TITLE_MIN, TITLE_MAX)
  title?: string;

  @NotNullWhenPresent('price')
  @DecimalField({ minimum: 0, maximum: PRICE_MAX, required: false })
  price?: number;

  @ApiPropertyOptional({ minLength: 1, maxLength: 3 })
  @NotNullWhenPresent('currency')
  @IsString()
  @CodePointLength(1, 3)
  currency?: string;

  @ApiPropertyOptional()
  @NotNullWhenPresent('is_free')
  @IsBoolean()
  is_free?: boolean;

  @ApiPropertyOptional({ type: [String], maxItems: LIST_MAX_ITEMS })
  @NotNullWhenPresent('requirements')
  @IsArray()
  @ArrayMaxSize(LIST_MAX_ITEMS)
  @IsString({ each: true })
  @MaxCodePoints(LIST_ITEM_MAX, { each: true })
  requirements?: string[];

  @ApiPropertyOptional({ type: [String], maxItems: LIST_MAX_ITEMS })
  @NotNullWhenPresent('learning_objectives')
  @IsArray()
  @ArrayMaxSize(LIST_MAX_ITEMS)
  @IsString({ each: true })
  @MaxCodePoints(LIST_ITEM_MAX, { each: true })
  learning_objectives?: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Replaces the stored metadata.' })
  @NotNullWhenPresent('metadata')
  @IsObject()
  @JsonObjectMaxBytes(METADATA_MAX_BYTES)
  metadata?: Record<string, unknown>;

  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    maxItems: PREREQUISITES_MAX,
    description:
      'Replaces the set. Self → 422 `prerequisite_self`; unknown → 422 `unknown_prerequisite`; cycle → 422 `prerequisite_cycle`.',
  })
  @NotNullWhenPresent('prerequisite_course_ids')
  @IsArray()
  @ArrayMaxSize(PREREQUISITES_MAX)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  prerequisite_course_ids?: string[];
}

/** GET /courses query. Blank filters (`?difficulty_level=`) count as absent. */
export class ListCoursesQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({
    maxLength: CATEGORY_SLUG_MAX,
    description: 'A category slug; an unknown one gives an empty page.',
  })
  @QueryFilter()
  @IsOptional()
  @IsString()
  @MaxCodePoints(CATEGORY_SLUG_MAX)
  category?: string;

  @ApiPropertyOptional({ enum: DIFFICULTY_LEVELS })
  @QueryFilter()
  @IsOptional()
  @IsIn(DIFFICULTY_LEVELS)
  difficulty_level?: DifficultyLevel;

  @ApiPropertyOptional({
    maxLength: SEARCH_MAX,
    description: 'Case-insensitive substring of the title or the description (`%` and `_` match literally).',
  })
  @QueryFilter()
  @IsOptional()
  @IsString()
  @MaxCodePoints(SEARCH_MAX)
  search?: string;

  @QueryBoolean({
    default: false,
    description:
      "Instructors and admins: only the caller's own courses, in any state. Ignored for students and anonymous callers.",
  })
  mine?: boolean;
}

/**
 * CourseResponse of the original API, plus published_at and prerequisite_course_ids. The fields the
 * original always left null (instructor_name, rating, review_count, total_lessons, duration_hours)
 * hold real values here.
 */
export class CourseResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() title!: string;
  @ApiProperty() slug!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ format: 'uuid' }) instructor_id!: string;
  @ApiProperty({ type: String, nullable: true, description: 'Category slug' }) category!: string | null;
  @ApiProperty({ enum: DIFFICULTY_LEVELS, nullable: true }) difficulty_level!: DifficultyLevel | null;
  @ApiProperty() is_published!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) published_at!: string | null;
  @ApiProperty({ type: String, nullable: true }) thumbnail_url!: string | null;
  @ApiProperty({ type: 'integer', nullable: true }) estimated_duration_minutes!: number | null;
  @ApiProperty({ type: String, format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, format: 'date-time' }) updated_at!: string;
  @ApiProperty({ type: Number, description: 'A JSON number (as in the original API)', example: 49.99 }) price!: number;
  @ApiProperty() currency!: string;
  @ApiProperty() is_free!: boolean;
  @ApiProperty({ type: String, nullable: true }) long_description!: string | null;
  @ApiProperty({ type: String, nullable: true }) preview_video_url!: string | null;
  @ApiProperty({ type: [String] }) requirements!: string[];
  @ApiProperty({ type: [String] }) learning_objectives!: string[];
  @ApiProperty({ type: 'integer', description: 'Server-maintained' }) total_reviews!: number;
  @ApiProperty({ type: 'integer', description: 'Server-maintained: the number of published quizzes' })
  total_quizzes!: number;
  @ApiProperty({ type: 'integer', description: 'Server-maintained' }) enrollment_count!: number;
  @ApiProperty({ type: Number, description: 'Server-maintained; a JSON number', example: 4.5 }) average_rating!: number;
  @ApiProperty({ type: String, nullable: true }) status!: string | null;
  @ApiProperty({ type: [String], format: 'uuid' }) prerequisite_course_ids!: string[];
  @ApiProperty({ description: "The instructor's full name" }) instructor_name!: string;
  @ApiProperty({ type: Number, description: 'The same as average_rating (0 without reviews)', example: 4.5 })
  rating!: number;
  @ApiProperty({ type: 'integer', description: 'The same as total_reviews' }) review_count!: number;
  @ApiProperty({ type: 'integer', description: 'Server-maintained: the number of lessons' }) total_lessons!: number;
  @ApiProperty({
    type: Number,
    description: "Server-maintained: the sum of the lessons' duration_minutes, in hours (2 decimals)",
    example: 1.5,
  })
  duration_hours!: number;
}
