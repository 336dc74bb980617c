import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, IsUUID, ValidateNested } from 'class-validator';
import { DecimalField, PaginationQueryDto, QueryFilter, MaxCodePoints } from '#core';
import { PublicQuestionDto } from '../question-views.js';
import { ATTEMPT_STATUSES, type AttemptStatus, type StoredAnswer } from '../quiz-attempt.entity.js';

export const MAX_ANSWERS = 500;
export const OPTION_ID_MAX = 255;
export const MAX_SELECTED_OPTIONS = 100;
export const ANSWER_TEXT_MAX = 20_000;
export const FEEDBACK_MAX = 5000;
export const MAX_POINTS = 999_999.99;

/** One answer of POST /quizzes/{quiz_id}/attempts/{attempt_id}/submit. */
export class SubmitAnswerDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  question_id!: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: OPTION_ID_MAX, description: 'multiple_choice' })
  @IsOptional()
  @IsString()
  @MaxCodePoints(OPTION_ID_MAX)
  selected_option_id?: string | null;

  @ApiPropertyOptional({
    type: [String],
    nullable: true,
    maxItems: MAX_SELECTED_OPTIONS,
    description: 'multiple_response: every option the student selects (non-empty, no repeats)',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_SELECTED_OPTIONS)
  @IsString({ each: true })
  @MaxCodePoints(OPTION_ID_MAX, { each: true })
  selected_option_ids?: string[] | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: ANSWER_TEXT_MAX,
    description: "true_false ('true' or 'false'), short_answer and essay",
  })
  @IsOptional()
  @IsString()
  @MaxCodePoints(ANSWER_TEXT_MAX)
  answer_text?: string | null;
}

export class SubmitAttemptDto {
  @ApiPropertyOptional({ type: [SubmitAnswerDto], default: [], maxItems: MAX_ANSWERS })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ANSWERS)
  @ValidateNested({ each: true })
  @Type(() => SubmitAnswerDto)
  answers?: SubmitAnswerDto[];
}

/** One essay grade of POST /quizzes/{quiz_id}/attempts/{attempt_id}/grade. */
export class EssayGradeDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  question_id!: string;

  @DecimalField({ minimum: 0, maximum: MAX_POINTS, description: "At most the question's points." })
  points_earned!: number;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: FEEDBACK_MAX })
  @IsOptional()
  @IsString()
  @MaxCodePoints(FEEDBACK_MAX)
  feedback?: string | null;
}

export class GradeAttemptDto {
  @ApiProperty({ type: [EssayGradeDto], maxItems: MAX_ANSWERS })
  @IsArray()
  @ArrayMaxSize(MAX_ANSWERS)
  @ValidateNested({ each: true })
  @Type(() => EssayGradeDto)
  grades!: EssayGradeDto[];
}

/** GET /quizzes/{quiz_id}/attempts (managers). */
export class ListAttemptsQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({ enum: ATTEMPT_STATUSES, description: 'Blank counts as absent.' })
  @QueryFilter()
  @IsOptional()
  @IsIn(ATTEMPT_STATUSES)
  status?: AttemptStatus;
}

/** The columns of a `quiz_attempts` row, as pg returns them (numeric as string, timestamps as Date). */
export interface AttemptRow {
  id: string;
  quiz_id: string;
  enrollment_id: string;
  student_id: string;
  attempt_number: number;
  status: AttemptStatus;
  started_at: Date;
  deadline_at: Date | null;
  submitted_at: Date | null;
  graded_at: Date | null;
  graded_by: string | null;
  score: string | null;
  max_score: string;
  percentage: string | null;
  is_passed: boolean | null;
  time_taken_seconds: number | null;
  expired: boolean;
  answers: StoredAnswer[];
}

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

/** 201 of POST /quizzes/{quiz_id}/attempts. */
export class StartAttemptResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) quiz_id!: string;
  @ApiProperty({ type: 'integer' }) attempt_number!: number;
  @ApiProperty({ enum: ['in_progress'] }) status!: 'in_progress';
  @ApiProperty({ type: String, format: 'date-time', description: 'Server time' }) started_at!: string;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'started_at + time_limit_minutes (null: no time limit)',
  })
  deadline_at!: string | null;
  @ApiProperty({ type: 'integer', nullable: true }) time_limit_minutes!: number | null;
  @ApiProperty({ type: String, example: '10.00', description: 'Sum of the question points, decimal string' })
  max_score!: string;
}

export class AttemptQuizSummaryDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() title!: string;
  @ApiProperty({ type: 'integer', nullable: true }) time_limit_minutes!: number | null;
  @ApiProperty({ type: 'integer' }) total_questions!: number;
  @ApiProperty({ type: String, example: '10.00', description: 'Decimal string' }) total_points!: string;
}

/** GET /quizzes/{quiz_id}/attempts/start. */
export class AttemptStartViewDto {
  @ApiProperty({ type: AttemptQuizSummaryDto }) quiz!: AttemptQuizSummaryDto;
  @ApiProperty({ type: [PublicQuestionDto] }) questions!: PublicQuestionDto[];
}

/** AttemptResponse of the original API, plus deadline_at and expired. */
export class AttemptResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) quiz_id!: string;
  @ApiProperty({ format: 'uuid' }) enrollment_id!: string;
  @ApiProperty({ type: 'integer' }) attempt_number!: number;
  @ApiProperty({ enum: ATTEMPT_STATUSES, description: '`submitted`: essay answers await manual grading' })
  status!: AttemptStatus;
  @ApiProperty({ type: String, format: 'date-time' }) started_at!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) deadline_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) submitted_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) graded_at!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '7.00', description: 'Decimal string; null until graded' })
  score!: string | null;
  @ApiProperty({ type: String, example: '10.00', description: 'Decimal string' }) max_score!: string;
  @ApiProperty({ type: String, nullable: true, example: '70.00', description: 'Decimal string; null until graded' })
  percentage!: string | null;
  @ApiProperty({ type: Boolean, nullable: true }) is_passed!: boolean | null;
  @ApiProperty({ type: 'integer', nullable: true }) time_taken_seconds!: number | null;
  @ApiProperty({ description: 'Finalized at the deadline without the answers (score 0)' }) expired!: boolean;

  static from(row: AttemptRow): AttemptResponseDto {
    return {
      id: row.id,
      quiz_id: row.quiz_id,
      enrollment_id: row.enrollment_id,
      attempt_number: Number(row.attempt_number),
      status: row.status,
      started_at: new Date(row.started_at).toISOString(),
      deadline_at: iso(row.deadline_at),
      submitted_at: iso(row.submitted_at),
      graded_at: iso(row.graded_at),
      score: row.score,
      max_score: row.max_score,
      percentage: row.percentage,
      is_passed: row.is_passed,
      time_taken_seconds: row.time_taken_seconds === null ? null : Number(row.time_taken_seconds),
      expired: row.expired,
    };
  }
}

/** A manager's list item: the attempt and whose it is. */
export class AttemptListItemDto extends AttemptResponseDto {
  @ApiProperty({ format: 'uuid' }) student_id!: string;
}

/**
 * An answer of an attempt. Students see the correctness fields and the key only once the attempt
 * is graded and the quiz's show_correct_answers is on; managers always see them.
 */
export class AttemptAnswerDto {
  @ApiProperty({ format: 'uuid' }) question_id!: string;
  @ApiProperty({ type: String, nullable: true }) selected_option_id!: string | null;
  @ApiProperty({ type: [String], nullable: true }) selected_option_ids!: string[] | null;
  @ApiProperty({ type: String, nullable: true, description: 'Trimmed' }) answer_text!: string | null;
  @ApiProperty({ type: String, nullable: true, description: "The grader's comment (essays)" })
  feedback!: string | null;
  @ApiPropertyOptional({ type: Boolean, nullable: true, description: 'null while an essay awaits grading' })
  is_correct?: boolean | null;
  @ApiPropertyOptional({ type: Number, nullable: true }) points_earned?: number | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'multiple_choice' })
  correct_option_id?: string | null;
  @ApiPropertyOptional({ type: [String], description: 'multiple_response' }) correct_option_ids?: string[];
  @ApiPropertyOptional({ type: String, nullable: true, description: 'true_false and short_answer' })
  correct_answer?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) explanation?: string | null;
}

/** AttemptResultResponse: the attempt and its answers (one per question once submitted). */
export class AttemptResultDto extends AttemptResponseDto {
  @ApiProperty({ type: [AttemptAnswerDto] }) answers!: AttemptAnswerDto[];
}

/** A manager's view of one attempt. */
export class ManagedAttemptResultDto extends AttemptResultDto {
  @ApiProperty({ format: 'uuid' }) student_id!: string;
}
