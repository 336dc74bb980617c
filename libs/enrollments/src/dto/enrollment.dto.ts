import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Max, Min } from 'class-validator';
import { DecimalField, CodePointLength, MaxCodePoints } from '#core';
import {
  ENROLLMENT_STATUSES,
  PROGRESS_STATUSES,
  type EnrollmentStatus,
  type ProgressStatus,
} from '../enrollment.entity.js';

export const MAX_TIME_SPENT_SECONDS = 10_000_000;
export const MAX_POSITION_SECONDS = 2_147_483_647;
export const NOTES_MAX = 5000;
export const REVIEW_MIN = 10;
export const REVIEW_MAX = 2000;

/** POST /enrollments. */
export class CreateEnrollmentDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  course_id!: string;
}

/** PUT /enrollments/{id}/lessons/{lesson_id}/progress. Missing (or null) fields keep their stored values. */
export class UpdateLessonProgressDto {
  @ApiPropertyOptional({ enum: PROGRESS_STATUSES })
  @IsOptional()
  @IsIn(PROGRESS_STATUSES)
  status?: ProgressStatus | null;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: MAX_TIME_SPENT_SECONDS,
    description: 'Replaces the stored value.',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_TIME_SPENT_SECONDS)
  time_spent_seconds?: number | null;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: MAX_POSITION_SECONDS })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_POSITION_SECONDS)
  last_position_seconds?: number | null;

  @IsOptional()
  @DecimalField({ minimum: 0, maximum: 100, required: false, nullable: true, description: '100 completes the lesson.' })
  completion_percentage?: number | null;

  @ApiPropertyOptional({ maxLength: NOTES_MAX, description: 'Stored, never returned.' })
  @IsOptional()
  @IsString()
  @MaxCodePoints(NOTES_MAX)
  notes?: string | null;
}

/** POST /enrollments/{id}/review. */
export class ReviewEnrollmentDto {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 5 })
  @IsInt()
  @Min(1)
  @Max(5)
  rating!: number;

  @ApiProperty({ minLength: REVIEW_MIN, maxLength: REVIEW_MAX })
  @IsString()
  @CodePointLength(REVIEW_MIN, REVIEW_MAX)
  review!: string;
}

/** The columns of an `enrollments` row, as pg returns them (numeric as string, timestamps as Date). */
export interface EnrollmentRow {
  id: string;
  student_id: string;
  course_id: string;
  enrolled_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  status: EnrollmentStatus;
  progress_percentage: string;
  completed_lessons_count: number;
  total_lessons_count: number;
  total_time_spent_seconds: number;
  last_accessed_at: Date | null;
  certificate_issued_at: Date | null;
  rating: number | null;
  review: string | null;
}

/** The columns of a `lesson_progress` row. */
export interface LessonProgressRow {
  id: string;
  enrollment_id: string;
  lesson_id: string;
  status: ProgressStatus;
  started_at: Date | null;
  completed_at: Date | null;
  time_spent_seconds: number;
  last_position_seconds: number;
  completion_percentage: string;
  notes: string | null;
}

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

/** EnrollmentResponse of the original API. */
export class EnrollmentResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) student_id!: string;
  @ApiProperty({ format: 'uuid' }) course_id!: string;
  @ApiProperty({ type: String, format: 'date-time' }) enrolled_at!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) started_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) completed_at!: string | null;
  @ApiProperty({ enum: ENROLLMENT_STATUSES }) status!: EnrollmentStatus;
  @ApiProperty({ type: String, example: '42.86', description: 'Decimal string, 2 places' })
  progress_percentage!: string;
  @ApiProperty({ type: 'integer' }) completed_lessons_count!: number;
  @ApiProperty({ type: 'integer' }) total_lessons_count!: number;
  @ApiProperty({ type: 'integer' }) total_time_spent_seconds!: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) last_accessed_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) certificate_issued_at!: string | null;
  @ApiProperty({ type: 'integer', nullable: true, minimum: 1, maximum: 5 }) rating!: number | null;
  @ApiProperty({ type: String, nullable: true }) review!: string | null;

  static from(row: EnrollmentRow): EnrollmentResponseDto {
    return {
      id: row.id,
      student_id: row.student_id,
      course_id: row.course_id,
      enrolled_at: new Date(row.enrolled_at).toISOString(),
      started_at: iso(row.started_at),
      completed_at: iso(row.completed_at),
      status: row.status,
      progress_percentage: row.progress_percentage,
      completed_lessons_count: Number(row.completed_lessons_count),
      total_lessons_count: Number(row.total_lessons_count),
      total_time_spent_seconds: Number(row.total_time_spent_seconds),
      last_accessed_at: iso(row.last_accessed_at),
      certificate_issued_at: iso(row.certificate_issued_at),
      rating: row.rating === null ? null : Number(row.rating),
      review: row.review,
    };
  }
}

/** LessonProgressResponse of the original API (notes are never returned). */
export class LessonProgressResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) enrollment_id!: string;
  @ApiProperty({ format: 'uuid' }) lesson_id!: string;
  @ApiProperty({ enum: PROGRESS_STATUSES }) status!: ProgressStatus;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) started_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) completed_at!: string | null;
  @ApiProperty({ type: 'integer' }) time_spent_seconds!: number;
  @ApiProperty({ type: 'integer' }) last_position_seconds!: number;
  @ApiProperty({ type: String, example: '100.00', description: 'Decimal string, 2 places' })
  completion_percentage!: string;

  static from(row: LessonProgressRow): LessonProgressResponseDto {
    return {
      id: row.id,
      enrollment_id: row.enrollment_id,
      lesson_id: row.lesson_id,
      status: row.status,
      started_at: iso(row.started_at),
      completed_at: iso(row.completed_at),
      time_spent_seconds: Number(row.time_spent_seconds),
      last_position_seconds: Number(row.last_position_seconds),
      completion_percentage: row.completion_percentage,
    };
  }
}

/** GET /enrollments/courses/{course_id}/stats. */
export class CourseEnrollmentStatsDto {
  @ApiProperty({ format: 'uuid' }) course_id!: string;
  @ApiProperty({ type: 'integer' }) total_enrollments!: number;
  @ApiProperty({ type: 'integer' }) active_enrollments!: number;
  @ApiProperty({ type: 'integer' }) completed_enrollments!: number;
  @ApiProperty({ type: String, example: '37.50', description: 'Average progress, decimal string, 2 places' })
  average_progress!: string;
}
