import { Body, Controller, Get, HttpCode, Inject, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  ApiPaginatedResponse,
  Authenticated,
  CurrentUser,
  Idempotent,
  PaginationQueryDto,
  ProblemException,
  type AuthUser,
  type Page,
  uuidParam,
  Endpoint,
} from '#core';
import {
  CourseEnrollmentStatsDto,
  CreateEnrollmentDto,
  EnrollmentResponseDto,
  LessonProgressResponseDto,
  ReviewEnrollmentDto,
  UpdateLessonProgressDto,
} from './dto/enrollment.dto.js';
import { EnrollmentsService } from './enrollments.service.js';

/** OpenAPI examples of POST /enrollments (checked against the schemas by the OpenAPI lint). */
const COURSE_ID_EXAMPLE = '0b6f0c1d-2e3f-4f0c-9a57-6c1e5b8e4d8c';
const ENROLLMENT_EXAMPLE = {
  id: '7d1e2f3a-4b5c-4d6e-8f90-a1b2c3d4e5f6',
  student_id: '4f0c6c1e-5b8e-4d8c-9a57-0b6f0c1d2e3f',
  course_id: COURSE_ID_EXAMPLE,
  enrolled_at: '2026-02-01T10:00:00.000Z',
  started_at: null,
  completed_at: null,
  status: 'active',
  progress_percentage: '0.00',
  completed_lessons_count: 0,
  total_lessons_count: 12,
  total_time_spent_seconds: 0,
  last_accessed_at: null,
  certificate_issued_at: null,
  rating: null,
  review: null,
};

const VIEWERS = 'The owning student, the instructor who owns the course, or an admin.';

/** /enrollments: enrolling, progress, reviews and a course's enrollments (reference section 6). */
@ApiTags('enrollments')
@Controller('enrollments')
export class EnrollmentsController {
  constructor(@Inject(EnrollmentsService) private readonly enrollments: EnrollmentsService) {}

  @Post()
  @HttpCode(201)
  @Idempotent()
  // Roles are checked below rather than by the guard, for the original's detail ("Only students can enroll").
  @Authenticated()
  @Endpoint({
    summary: 'Enroll in a published course (exactly once)',
    description:
      'Requires role: student or admin. Concurrent or repeated requests make one enrollment: the first answers 201 ' +
      '(and emits `enrollment.created`), the others 200 with the same enrollment. Every prerequisite course ' +
      'needs a completed enrollment of the caller (403 `prerequisites_not_met` with `missing_course_ids`). ' +
      'Honours an `Idempotency-Key` header.',
    operationId: 'enrollInCourse',
    errors: {
      403: '`forbidden` (instructors: "Only students can enroll"), `course_not_published`, or `prerequisites_not_met`',
      404: 'Course not found',
      422: 'Validation failed',
    },
  })
  @ApiBody({ type: CreateEnrollmentDto, examples: { enroll: { value: { course_id: COURSE_ID_EXAMPLE } } } })
  @ApiCreatedResponse({ type: EnrollmentResponseDto, description: 'Enrolled', example: ENROLLMENT_EXAMPLE })
  @ApiOkResponse({
    type: EnrollmentResponseDto,
    description: 'Already enrolled: the existing enrollment',
    example: ENROLLMENT_EXAMPLE,
  })
  async enroll(
    @CurrentUser() caller: AuthUser,
    @Body() body: CreateEnrollmentDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<EnrollmentResponseDto> {
    if (caller.role !== 'student' && caller.role !== 'admin') {
      throw new ProblemException(403, 'forbidden', 'Only students can enroll');
    }
    const { created, enrollment } = await this.enrollments.enroll(caller, body.course_id);
    if (!created) reply.status(200);
    return enrollment;
  }

  @Get('my-courses')
  @Authenticated()
  @Endpoint({
    summary: "The caller's enrollments, newest first",
    operationId: 'listMyEnrollments',
    errors: { 422: 'page < 1 or page_size outside 1..100' },
  })
  @ApiPaginatedResponse(EnrollmentResponseDto)
  myCourses(@CurrentUser() caller: AuthUser, @Query() query: PaginationQueryDto): Promise<Page<EnrollmentResponseDto>> {
    return this.enrollments.myCourses(caller, query);
  }

  @Get('courses/:course_id')
  @Authenticated()
  @Endpoint({
    summary: "A course's enrollments, newest first (the course's manager)",
    operationId: 'listCourseEnrollments',
    errors: { 403: 'Not the course manager', 404: 'Course not found', 422: 'Bad course_id, page or page_size' },
  })
  @ApiPaginatedResponse(EnrollmentResponseDto)
  courseEnrollments(
    @CurrentUser() caller: AuthUser,
    @Param('course_id', uuidParam('course_id')) courseId: string,
    @Query() query: PaginationQueryDto,
  ): Promise<Page<EnrollmentResponseDto>> {
    return this.enrollments.courseEnrollments(caller, courseId, query);
  }

  @Get('courses/:course_id/stats')
  @Authenticated()
  @Endpoint({
    summary: "A course's enrollment counts and average progress (the course's manager)",
    operationId: 'getCourseEnrollmentStats',
    errors: { 403: 'Not the course manager', 404: 'Course not found', 422: 'course_id is not a UUID' },
  })
  @ApiOkResponse({ type: CourseEnrollmentStatsDto })
  courseStats(
    @CurrentUser() caller: AuthUser,
    @Param('course_id', uuidParam('course_id')) courseId: string,
  ): Promise<CourseEnrollmentStatsDto> {
    return this.enrollments.courseStats(caller, courseId);
  }

  @Get(':id')
  @Authenticated()
  @Endpoint({
    summary: 'An enrollment',
    description: VIEWERS,
    operationId: 'getEnrollment',
    errors: { 403: 'Not authorized to access this enrollment', 404: 'Enrollment not found', 422: 'id is not a UUID' },
  })
  @ApiOkResponse({ type: EnrollmentResponseDto })
  get(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string): Promise<EnrollmentResponseDto> {
    return this.enrollments.get(caller, id);
  }

  @Put(':id/lessons/:lesson_id/progress')
  @Authenticated()
  @Endpoint({
    summary: "Update a lesson's progress",
    description:
      'The owning student or an admin (the owning instructor gets 403). Missing fields keep their stored ' +
      'values; `time_spent_seconds` replaces the stored value; `completion_percentage` 100 or `status: completed` ' +
      'completes the lesson. A completed lesson cannot go back: 422 `progress_downgrade`. The enrollment summary ' +
      'is recomputed; when every lesson is completed the enrollment completes (`enrollment.completed`, which ' +
      'requests the certificate).',
    operationId: 'updateLessonProgress',
    errors: {
      403: 'Not the owning student or an admin',
      404: "Enrollment not found, or lesson not in the enrollment's course",
      422: 'Validation failed, or `progress_downgrade`: the lesson is already completed',
    },
  })
  @ApiBody({ type: UpdateLessonProgressDto })
  @ApiOkResponse({ type: LessonProgressResponseDto })
  updateProgress(
    @CurrentUser() caller: AuthUser,
    @Param('id', uuidParam('id')) id: string,
    @Param('lesson_id', uuidParam('lesson_id')) lessonId: string,
    @Body() body: UpdateLessonProgressDto,
  ): Promise<LessonProgressResponseDto> {
    return this.enrollments.updateProgress(caller, id, lessonId, body);
  }

  @Post(':id/lessons/:lesson_id/complete')
  @HttpCode(200)
  @Authenticated()
  @Endpoint({
    summary: 'Complete a lesson',
    description: 'The same as updating the progress with `status: completed` at 100%. No body.',
    operationId: 'completeLesson',
    errors: {
      403: 'Not the owning student or an admin',
      404: "Enrollment not found, or lesson not in the enrollment's course",
      422: 'A path parameter is not a UUID',
    },
  })
  @ApiOkResponse({ type: LessonProgressResponseDto })
  complete(
    @CurrentUser() caller: AuthUser,
    @Param('id', uuidParam('id')) id: string,
    @Param('lesson_id', uuidParam('lesson_id')) lessonId: string,
  ): Promise<LessonProgressResponseDto> {
    return this.enrollments.updateProgress(caller, id, lessonId, { status: 'completed', completion_percentage: 100 });
  }

  @Post(':id/review')
  @HttpCode(200)
  @Authenticated()
  @Endpoint({
    summary: 'Rate and review a course',
    description:
      'The owning student or an admin, with at least 20% progress (403 `review_not_allowed`). A new review ' +
      "overwrites the previous one and updates the course's average rating.",
    operationId: 'reviewCourse',
    errors: { 403: '`forbidden` or `review_not_allowed`', 404: 'Enrollment not found', 422: 'Validation failed' },
  })
  @ApiBody({ type: ReviewEnrollmentDto })
  @ApiOkResponse({ type: EnrollmentResponseDto })
  review(
    @CurrentUser() caller: AuthUser,
    @Param('id', uuidParam('id')) id: string,
    @Body() body: ReviewEnrollmentDto,
  ): Promise<EnrollmentResponseDto> {
    return this.enrollments.review(caller, id, body.rating, body.review);
  }
}
