import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  ValidateNested,
} from 'class-validator';
import { QUESTION_TYPES, type QuestionType } from '../quiz-question.entity.js';
import {
  DecimalField,
  NotNullWhenPresent,
  Trim,
  CodePointLength,
  MaxCodePoints,
  JSON_OBJECT_MAX_BYTES,
  JsonObjectMaxBytes,
} from '#core';

export const QUESTION_TEXT_MIN = 3;
export const QUESTION_TEXT_MAX = 10_000;
export const EXPLANATION_MAX = 10_000;
export const CORRECT_ANSWER_MAX = 1000;
export const POINTS_MAX = 10_000;
export const OPTIONS_MAX = 50;
export const OPTION_ID_MAX = 100;
export const OPTION_TEXT_MAX = 1000;
/** Questions per quiz (and so the length of a reorder list). */
export const QUESTIONS_PER_QUIZ_MAX = 1000;

const TYPE_RULES =
  'Per type (400 `invalid_question` otherwise): multiple_choice — at least 2 options with unique ids and ' +
  'texts (case-insensitive), exactly 1 correct, no correct_answer; multiple_response — the same with at least ' +
  '1 correct; true_false — no options, correct_answer "true"/"false" (case-insensitive, stored lowercase); ' +
  'short_answer — no options, a non-blank correct_answer; essay — no options, no correct_answer.';

/** One option of a choice question, as sent. */
export class QuestionOptionInputDto {
  @ApiPropertyOptional({
    minLength: 1,
    maxLength: OPTION_ID_MAX,
    description: 'Trimmed. Default: a new UUID string. Unique within the question.',
  })
  @IsOptional()
  @Trim()
  @IsString()
  @CodePointLength(1, OPTION_ID_MAX)
  option_id?: string | null;

  @ApiProperty({ minLength: 1, maxLength: OPTION_TEXT_MAX, description: 'Trimmed; unique (case-insensitive).' })
  @Trim()
  @IsString()
  @CodePointLength(1, OPTION_TEXT_MAX)
  option_text!: string;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  is_correct?: boolean | null;
}

/** POST /courses/{course_id}/quizzes/{quiz_id}/questions. Optional fields accept null (same as absent). */
export class CreateQuestionDto {
  @ApiProperty({ minLength: QUESTION_TEXT_MIN, maxLength: QUESTION_TEXT_MAX, description: 'Trimmed.' })
  @Trim()
  @IsString()
  @CodePointLength(QUESTION_TEXT_MIN, QUESTION_TEXT_MAX)
  question_text!: string;

  @ApiProperty({ enum: QUESTION_TYPES, description: TYPE_RULES })
  @IsIn(QUESTION_TYPES)
  question_type!: QuestionType;

  @IsOptional()
  @DecimalField({
    minimum: 0,
    maximum: POINTS_MAX,
    required: false,
    nullable: true,
    default: 1,
    description: 'Returned as a decimal string ("1.00").',
  })
  points?: number | null;

  @ApiPropertyOptional({ maxLength: EXPLANATION_MAX, nullable: true, description: 'Shown to managers only.' })
  @IsOptional()
  @IsString()
  @MaxCodePoints(EXPLANATION_MAX)
  explanation?: string | null;

  @ApiPropertyOptional({
    type: [QuestionOptionInputDto],
    maxItems: OPTIONS_MAX,
    nullable: true,
    description: 'Choice questions only (an empty list counts as none).',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(OPTIONS_MAX)
  @ValidateNested({ each: true })
  @Type(() => QuestionOptionInputDto)
  options?: QuestionOptionInputDto[] | null;

  @ApiPropertyOptional({
    maxLength: CORRECT_ANSWER_MAX,
    nullable: true,
    description: 'true_false and short_answer only (blank counts as none).',
  })
  @IsOptional()
  @IsString()
  @MaxCodePoints(CORRECT_ANSWER_MAX)
  correct_answer?: string | null;

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
 * PATCH .../questions/{question_id}. Absent fields are unchanged; null clears explanation, options,
 * correct_answer and metadata; question_text, question_type and points cannot be null (422). The
 * resulting type, options and answer are validated together.
 */
export class UpdateQuestionDto {
  @ApiPropertyOptional({ minLength: QUESTION_TEXT_MIN, maxLength: QUESTION_TEXT_MAX })
  @NotNullWhenPresent('question_text')
  @Trim()
  @IsString()
  @CodePointLength(QUESTION_TEXT_MIN, QUESTION_TEXT_MAX)
  question_text?: string;

  @ApiPropertyOptional({
    enum: QUESTION_TYPES,
    description:
      'Changing to a type without options (true_false, short_answer, essay) without sending `options` ' +
      'clears the options; changing to a choice type or to essay without sending `correct_answer` clears it.',
  })
  @NotNullWhenPresent('question_type')
  @IsIn(QUESTION_TYPES)
  question_type?: QuestionType;

  @NotNullWhenPresent('points')
  @DecimalField({ minimum: 0, maximum: POINTS_MAX, required: false })
  points?: number;

  @ApiPropertyOptional({ maxLength: EXPLANATION_MAX, nullable: true, description: 'null clears.' })
  @IsOptional()
  @IsString()
  @MaxCodePoints(EXPLANATION_MAX)
  explanation?: string | null;

  @ApiPropertyOptional({
    type: [QuestionOptionInputDto],
    maxItems: OPTIONS_MAX,
    nullable: true,
    description: 'Replaces every option; null clears.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(OPTIONS_MAX)
  @ValidateNested({ each: true })
  @Type(() => QuestionOptionInputDto)
  options?: QuestionOptionInputDto[] | null;

  @ApiPropertyOptional({ maxLength: CORRECT_ANSWER_MAX, nullable: true, description: 'null clears.' })
  @IsOptional()
  @IsString()
  @MaxCodePoints(CORRECT_ANSWER_MAX)
  correct_answer?: string | null;

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

/** PUT .../questions/order: every question id of the quiz, once each, in the new order. */
export class ReorderQuestionsDto {
  @ApiProperty({
    type: [String],
    format: 'uuid',
    maxItems: QUESTIONS_PER_QUIZ_MAX,
    description: 'Exactly the quiz’s question ids, each once (422 `invalid_order` otherwise).',
  })
  @IsArray()
  @ArrayMaxSize(QUESTIONS_PER_QUIZ_MAX)
  @IsUUID(undefined, { each: true })
  question_ids!: string[];
}
