import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDefined, IsOptional, IsString, Matches, ValidateIf } from 'class-validator';
import { CodePointLength, MaxCodePoints } from '#core';
import { SLUG_PATTERN } from '../slug.js';

export const CATEGORY_NAME_MAX = 100;
export const CATEGORY_SLUG_MAX = 100;
export const CATEGORY_DESCRIPTION_MAX = 2000;

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);
const SLUG_MESSAGE = 'slug must be lowercase letters, digits and single hyphens';

/** POST /categories (admin). */
export class CreateCategoryDto {
  @ApiProperty({ minLength: 1, maxLength: CATEGORY_NAME_MAX, example: 'Programming' })
  @Transform(trim)
  @IsString()
  @CodePointLength(1, CATEGORY_NAME_MAX)
  name!: string;

  @ApiPropertyOptional({
    minLength: 1,
    maxLength: CATEGORY_SLUG_MAX,
    pattern: SLUG_PATTERN.source,
    description: 'Default: slugify(name). Taken → 409 `slug_taken`.',
  })
  @IsOptional()
  @IsString()
  @MaxCodePoints(CATEGORY_SLUG_MAX)
  @Matches(SLUG_PATTERN, { message: SLUG_MESSAGE })
  slug?: string;

  @ApiPropertyOptional({ type: String, maxLength: CATEGORY_DESCRIPTION_MAX, nullable: true })
  @IsOptional()
  @IsString()
  @MaxCodePoints(CATEGORY_DESCRIPTION_MAX)
  description?: string | null;
}

/** PATCH /categories/{id} (admin). Left out = unchanged; description null clears; name/slug null → 422. */
export class UpdateCategoryDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: CATEGORY_NAME_MAX })
  @ValidateIf((_o: unknown, v: unknown) => v !== undefined)
  @IsDefined({ message: 'name cannot be null' })
  @Transform(trim)
  @IsString()
  @CodePointLength(1, CATEGORY_NAME_MAX)
  name?: string;

  @ApiPropertyOptional({
    maxLength: CATEGORY_SLUG_MAX,
    pattern: SLUG_PATTERN.source,
    description: "Renaming the slug changes every course's `category`. Taken → 409 `slug_taken`.",
  })
  @ValidateIf((_o: unknown, v: unknown) => v !== undefined)
  @IsDefined({ message: 'slug cannot be null' })
  @IsString()
  @MaxCodePoints(CATEGORY_SLUG_MAX)
  @Matches(SLUG_PATTERN, { message: SLUG_MESSAGE })
  slug?: string;

  @ApiPropertyOptional({ type: String, maxLength: CATEGORY_DESCRIPTION_MAX, nullable: true })
  @IsOptional()
  @IsString()
  @MaxCodePoints(CATEGORY_DESCRIPTION_MAX)
  description?: string | null;
}

export class CategoryResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() slug!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ type: 'integer', description: 'Published courses in the category' }) course_count!: number;
}

export class CategoryListResponseDto {
  @ApiProperty({ type: [CategoryResponseDto] }) items!: CategoryResponseDto[];
}
