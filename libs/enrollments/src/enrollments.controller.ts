import { Body, Controller, Get, HttpCode, Inject, Param, Post, Put, Query, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
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
  PROBLEM_SCHEMA_REF,
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

const PROBLEM = PROBLEM_SCHEMA_REF;

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
  @ApiOperation({
    summary: 'Enroll in a published course (exactly once)',
    description:
      'Requires role: student or admin. Concurrent or repeated requests make one enrollment: the first answers 201 ' +
      '(and emits `enrollment.created`), the others 200 with the same enrollment. Every prerequisite course ' +
      'needs a completed enrollment of the caller (403 `prerequisites_not_met` with `missing_course_ids`). ' +
      'Honours an `Idempotency-Key` header.',
  })
  @ApiBody({ type: CreateEnrollmentDto })
  @ApiCreatedResponse({ type: EnrollmentResponseDto, description: 'Enrolled' })
  @ApiOkResponse({ type: EnrollmentResponseDto, description: 'Already enrolled: the existing enrollment' })
  @ApiForbiddenResponse({
    description:
      '`forbidden` (instructors: "Only students can enroll"), `course_not_published`, or `prerequisites_not_met`',
    schema: PROBLEM,
  })
  @ApiNotFoundResponse({ description: 'Course not found', schema: PROBLEM })
  @ApiUnprocessableEntityResponse({ description: 'Validation failed', schema: PROBLEM })
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
  @ApiOperation({ summary: "The caller's enrollments, newest first" })
  @ApiPaginatedResponse(EnrollmentResponseDto)
  @ApiUnprocessableEntityResponse({ description: 'page < 1 or page_size outside 1..100', schema: PROBLEM })
  myCourses(@CurrentUser() caller: AuthUser, @Query() query: PaginationQueryDto): Promise<Page<EnrollmentResponseDto>> {
    return this.enrollments.myCourses(caller, query);
  }

  @Get('courses/:course_id')
  @Authenticated()
  @ApiOperation({ summary: "A course's enrollments, newest first (the course's manager)" })
  @ApiPaginatedResponse(EnrollmentResponseDto)
  @ApiForbiddenResponse({ description: 'Not the course manager', schema: PROBLEM })
  @ApiNotFoundResponse({ description: 'Course not found', schema: PROBLEM })
  @ApiUnprocessableEntityResponse({ description: 'Bad course_id, page or page_size', schema: PROBLEM })
  courseEnrollments(
    @CurrentUser() caller: AuthUser,
    @Param('course_id', uuidParam('course_id')) courseId: string,
    @Query() query: PaginationQueryDto,
  ): Promise<Page<EnrollmentResponseDto>> {
    return this.enrollments.courseEnrollments(caller, courseId, query);
  }

  @Get('courses/:course_id/stats')
  @Authenticated()
  @ApiOperation({ summary: "A course's enrollment counts and average progress (the course's manager)" })
  @ApiOkResponse({ type: CourseEnrollmentStatsDto })
  @ApiForbiddenResponse({ description: 'Not the course manager', schema: PROBLEM })
  @ApiNotFoundResponse({ description: 'Course not found', schema: PROBLEM })
  @ApiUnprocessableEntityResponse({ description: 'course_id is not a UUID', schema: PROBLEM })
  courseStats(
    @CurrentUser() caller: AuthUser,
    @Param('course_id', uuidParam('course_id')) courseId: string,
  ): Promise<CourseEnrollmentStatsDto> {
    return this.enrollments.courseStats(caller, courseId);
  }

  @Get(':id')
  @Authenticated()
  @ApiOperation({ summary: 'An enrollment', description: VIEWERS })
  @ApiOkResponse({ type: EnrollmentResponseDto })
  @ApiForbiddenResponse({ description: 'Not authorized to access this enrollment', schema: PROBLEM })
  @ApiNotFoundResponse({ description: 'Enrollment not found', schema: PROBLEM })
  @ApiUnprocessableEntityResponse({ description: 'id is not a UUID', schema: PROBLEM })
  get(@CurrentUser() caller: AuthUser, @Param('id', uuidParam('id')) id: string): Promise<EnrollmentResponseDto> {
    return this.enrollments.get(caller, id);
  }

  @Put(':id/lessons/:lesson_id/progress')
  @Authenticated()
  @ApiOperation({
    summary: "Update a lesson's progress",
    description:
      'The owning student or an admin (the owning instructor gets 403). Missing fields keep their stored ' +
      'values; `time_spent_seconds` replaces the stored value; `completion_percentage` 100 or `status: completed` ' +
      'completes the lesson. A completed lesson cannot go back: 422 `progress_downgrade`. The enrollment summary ' +
      'is recomputed; when every lesson is completed the enrollment completes (`enrollment.completed`, which ' +
      'requests the certificate).',
  })
  @ApiBody({ type: UpdateLessonProgressDto })
  @ApiOkResponse({ type: LessonProgressResponseDto })
  @ApiForbiddenResponse({ description: 'Not the owning student or an admin', schema: PROBLEM })
  @ApiNotFoundResponse({
    description: "Enrollment not found, or lesson not in the enrollment's course",
    schema: PROBLEM,
  })
  @ApiUnprocessableEntityResponse({
    description: 'Validation failed, or `progress_downgrade`: the lesson is already completed',
    schema: PROBLEM,
  })
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
  @ApiOperation({
    summary: 'Complete a lesson',
    description: 'The same as updating the progress with `status: completed` at 100%. No body.',
  })
  @ApiOkResponse({ type: LessonProgressResponseDto })
  @ApiForbiddenResponse({ description: 'Not the owning student or an admin', schema: PROBLEM })
  @ApiNotFoundResponse({
    description: "Enrollment not found, or lesson not in the enrollment's course",
    schema: PROBLEM,
  })
  @ApiUnprocessableEntityResponse({ description: 'A path parameter is not a UUID', schema: PROBLEM })
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
  @ApiOperation({
    summary: 'Rate and review a course',
    description:
      'The owning student or an admin, with at least 20% progress (403 `review_not_allowed`). A new review ' +
      "overwrites the previous one and updates the course's average rating.",
  })
  @ApiBody({ type: ReviewEnrollmentDto })
  @ApiOkResponse({ type: EnrollmentResponseDto })
  @ApiForbiddenResponse({ description: '`forbidden` or `review_not_allowed`', schema: PROBLEM })
  @ApiNotFoundResponse({ description: 'Enrollment not found', schema: PROBLEM })
  @ApiUnprocessableEntityResponse({ description: 'Validation failed', schema: PROBLEM })
  review(
    @CurrentUser() caller: AuthUser,
    @Param('id', uuidParam('id')) id: string,
    @Body() body: ReviewEnrollmentDto,
  ): Promise<EnrollmentResponseDto> {
    return this.enrollments.review(caller, id, body.rating, body.review);
  }
}
