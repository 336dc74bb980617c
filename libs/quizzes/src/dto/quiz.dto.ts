import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUUID, Max, Min } from 'class-validator';
import { DecimalField, NotNullWhenPresent, Trim, CodePointLength, MaxCodePoints } from '#core';
import { QUIZ_TYPES, type QuizType } from '../quiz.entity.js';

export const QUIZ_TITLE_MIN = 3;
export const QUIZ_TITLE_MAX = 255;
export const QUIZ_DESCRIPTION_MAX = 10_000;
/** One week: longer limits are surely mistakes (and keep deadlines far from timestamp overflow). */
export const TIME_LIMIT_MAX_MINUTES = 10_080;
export const MAX_ATTEMPTS_MAX = 1000;

/** POST /courses/{course_id}/quizzes. Optional fields accept null (same as absent: the default). */
export class CreateQuizDto {
  @ApiProperty({ format: 'uuid', description: 'A lesson of this course without a quiz (any lesson_type).' })
  @IsUUID()
  lesson_id!: string;

  @ApiProperty({ minLength: QUIZ_TITLE_MIN, maxLength: QUIZ_TITLE_MAX, example: 'Chapter 1 check' })
  @Trim()
  @IsString()
  @CodePointLength(QUIZ_TITLE_MIN, QUIZ_TITLE_MAX)
  title!: string;

  @ApiPropertyOptional({ maxLength: QUIZ_DESCRIPTION_MAX, nullable: true })
  @IsOptional()
  @IsString()
  @MaxCodePoints(QUIZ_DESCRIPTION_MAX)
  description?: string | null;

  @ApiPropertyOptional({ enum: QUIZ_TYPES, default: 'graded', description: 'No effect on behaviour.' })
  @IsOptional()
  @IsIn(QUIZ_TYPES)
  quiz_type?: QuizType | null;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: TIME_LIMIT_MAX_MINUTES,
    nullable: true,
    description: 'null or absent: no time limit.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(TIME_LIMIT_MAX_MINUTES)
  time_limit_minutes?: number | null;

  @IsOptional()
  @DecimalField({
    minimum: 0,
    maximum: 100,
    required: false,
    nullable: true,
    default: 70,
    description: 'Returned as a decimal string ("70.00").',
  })
  passing_score?: number | null;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_ATTEMPTS_MAX,
    nullable: true,
    description: 'null or absent: unlimited.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_ATTEMPTS_MAX)
  max_attempts?: number | null;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  shuffle_questions?: boolean | null;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  shuffle_options?: boolean | null;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  show_correct_answers?: boolean | null;
}

/**
 * PATCH /courses/{course_id}/quizzes/{quiz_id}. Absent fields are unchanged; null clears
 * description, time_limit_minutes (no limit) and max_attempts (unlimited); the other fields cannot
 * be null (422 `not_null`). `is_published` is not accepted (422 like any unknown field): use
 * publish/unpublish.
 */
export class UpdateQuizDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Move the quiz to another lesson of this course.' })
  @NotNullWhenPresent('lesson_id')
  @IsUUID()
  lesson_id?: string;

  @ApiPropertyOptional({ minLength: QUIZ_TITLE_MIN, maxLength: QUIZ_TITLE_MAX })
  @NotNullWhenPresent('title')
  @Trim()
  @IsString()
  @CodePointLength(QUIZ_TITLE_MIN, QUIZ_TITLE_MAX)
  title?: string;

  @ApiPropertyOptional({ maxLength: QUIZ_DESCRIPTION_MAX, nullable: true, description: 'null clears.' })
  @IsOptional()
  @IsString()
  @MaxCodePoints(QUIZ_DESCRIPTION_MAX)
  description?: string | null;

  @ApiPropertyOptional({ enum: QUIZ_TYPES })
  @NotNullWhenPresent('quiz_type')
  @IsIn(QUIZ_TYPES)
  quiz_type?: QuizType;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: TIME_LIMIT_MAX_MINUTES,
    nullable: true,
    description: 'null removes the limit.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(TIME_LIMIT_MAX_MINUTES)
  time_limit_minutes?: number | null;

  @NotNullWhenPresent('passing_score')
  @DecimalField({ minimum: 0, maximum: 100, required: false })
  passing_score?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_ATTEMPTS_MAX,
    nullable: true,
    description: 'null: unlimited.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_ATTEMPTS_MAX)
  max_attempts?: number | null;

  @ApiPropertyOptional()
  @NotNullWhenPresent('shuffle_questions')
  @IsBoolean()
  shuffle_questions?: boolean;

  @ApiPropertyOptional()
  @NotNullWhenPresent('shuffle_options')
  @IsBoolean()
  shuffle_options?: boolean;

  @ApiPropertyOptional()
  @NotNullWhenPresent('show_correct_answers')
  @IsBoolean()
  show_correct_answers?: boolean;
}

/** QuizResponse of the original API, plus course_id. */
export class QuizResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) course_id!: string;
  @ApiProperty({ format: 'uuid' }) lesson_id!: string;
  @ApiProperty() title!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ enum: QUIZ_TYPES }) quiz_type!: QuizType;
  @ApiProperty({ type: 'integer', nullable: true }) time_limit_minutes!: number | null;
  @ApiProperty({ description: 'Decimal string', example: '70.00' }) passing_score!: string;
  @ApiProperty({ type: 'integer', nullable: true, description: 'null: unlimited' }) max_attempts!: number | null;
  @ApiProperty() shuffle_questions!: boolean;
  @ApiProperty() shuffle_options!: boolean;
  @ApiProperty() show_correct_answers!: boolean;
  @ApiProperty() is_published!: boolean;
  @ApiProperty({ type: String, format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, format: 'date-time' }) updated_at!: string;
}

/** One quiz of GET /courses/{course_id}/quizzes. */
export class QuizSummaryDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() title!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ enum: QUIZ_TYPES }) quiz_type!: QuizType;
  @ApiProperty({ type: 'integer', nullable: true }) time_limit_minutes!: number | null;
  @ApiProperty({ example: '70.00' }) passing_score!: string;
  @ApiProperty({ type: 'integer', nullable: true }) max_attempts!: number | null;
  @ApiProperty({ type: 'integer' }) total_questions!: number;
  @ApiProperty({ description: 'Sum of the questions’ points, decimal string', example: '10.00' })
  total_points!: string;
  @ApiProperty() is_published!: boolean;
}

/** GET /courses/{course_id}/quizzes: newest first, not paginated (as the original). */
export class QuizListResponseDto {
  @ApiProperty({ type: [QuizSummaryDto] }) quizzes!: QuizSummaryDto[];
  @ApiProperty({ type: 'integer' }) total!: number;
}
