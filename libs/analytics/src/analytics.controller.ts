import { Readable } from 'node:stream';
import { Controller, Get, Inject, Param, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Authenticated, CurrentUser, uuidParam, type AuthUser, Endpoint } from '#core';
import { AnalyticsService } from './analytics.service.js';
import {
  ACTIVITY_DEFAULT_DAYS,
  CourseActivityDto,
  CourseActivityQueryDto,
  CourseAnalyticsDto,
  InstructorOverviewDto,
  LessonFunnelDto,
  MyDashboardDto,
  MyProgressDto,
  QuizItemsDto,
  SystemOverviewDto,
} from './dto/analytics.dto.js';

const UNAUTHORIZED = 'Not authenticated';
const MANAGER_403 =
  'Students: "Insufficient permissions"; instructors of another course: "Not authorized to view analytics for this course"';

/** /analytics (reference §10) and the instructor insights. Freshness of every figure: README "Analytics". */
@ApiTags('analytics')
@Controller('analytics')
export class AnalyticsController {
  constructor(@Inject(AnalyticsService) private readonly analytics: AnalyticsService) {}

  @Get('my-progress')
  @Authenticated()
  @Endpoint({
    summary: "The caller's learning summary (live)",
    description:
      'Quiz figures count graded attempts only; average_quiz_score is the mean raw score in points, not a percentage.',
    operationId: 'getMyProgress',
    errors: { 401: UNAUTHORIZED },
  })
  @ApiOkResponse({ type: MyProgressDto })
  myProgress(@CurrentUser() caller: AuthUser): Promise<MyProgressDto> {
    return this.analytics.myProgress(caller);
  }

  @Get('my-dashboard')
  @Authenticated()
  @Endpoint({
    summary: "The caller's summary, courses and 30-day activity (live)",
    description: 'recent_activity lists the UTC days with activity between now − 30 days and now, newest first.',
    operationId: 'getMyDashboard',
    errors: { 401: UNAUTHORIZED },
  })
  @ApiOkResponse({ type: MyDashboardDto })
  myDashboard(@CurrentUser() caller: AuthUser): Promise<MyDashboardDto> {
    return this.analytics.myDashboard(caller);
  }

  @Get('courses/:course_id')
  @Authenticated()
  @Endpoint({
    summary: 'Course analytics (admin or the owning instructor)',
    description:
      'From counters kept in the writing transaction; cached 300 s per viewer (so at most 300 s old), never shared.',
    operationId: 'getCourseAnalytics',
    errors: { 401: UNAUTHORIZED, 403: MANAGER_403, 404: 'Course not found', 422: 'course_id is not a UUID' },
  })
  @ApiOkResponse({ type: CourseAnalyticsDto })
  course(
    @CurrentUser() caller: AuthUser,
    @Param('course_id', uuidParam('course_id')) courseId: string,
  ): Promise<CourseAnalyticsDto> {
    return this.analytics.courseAnalytics(caller, courseId);
  }

  @Get('courses/:course_id/lessons')
  @Authenticated()
  @Endpoint({
    summary: 'Lesson drop-off funnel (admin or the owning instructor; live rollups)',
    description:
      'Per lesson in order: students who started and completed it, completed / course enrollments, and the median ' +
      'time spent of those who started.',
    operationId: 'getLessonFunnel',
    errors: { 401: UNAUTHORIZED, 403: MANAGER_403, 404: 'Course not found', 422: 'course_id is not a UUID' },
  })
  @ApiOkResponse({ type: LessonFunnelDto })
  lessons(
    @CurrentUser() caller: AuthUser,
    @Param('course_id', uuidParam('course_id')) courseId: string,
  ): Promise<LessonFunnelDto> {
    return this.analytics.lessonFunnel(caller, courseId);
  }

  @Get('courses/:course_id/activity')
  @Authenticated()
  @Endpoint({
    summary: 'Daily enrollments, completions and quiz submissions (admin or the owning instructor; live rollups)',
    description: '`days` (1–365, default 30): today (UTC, by the server clock) and the days − 1 before, oldest first.',
    operationId: 'getCourseActivity',
    errors: { 401: UNAUTHORIZED, 403: MANAGER_403, 404: 'Course not found', 422: 'Bad course_id or days' },
  })
  @ApiOkResponse({ type: CourseActivityDto })
  activity(
    @CurrentUser() caller: AuthUser,
    @Param('course_id', uuidParam('course_id')) courseId: string,
    @Query() query: CourseActivityQueryDto,
  ): Promise<CourseActivityDto> {
    return this.analytics.courseActivity(caller, courseId, query.days ?? ACTIVITY_DEFAULT_DAYS);
  }

  @Get('courses/:course_id/gradebook.csv')
  @Authenticated()
  @Endpoint({
    summary: 'The course gradebook as CSV, streamed (admin or the owning instructor; live)',
    description:
      'RFC 4180 (CRLF, quoted fields), one row per enrollment: name, email, progress, completed lessons, best graded ' +
      'score per quiz (points), completion date, certificate number (unless revoked). Cells starting with = + - @ ' +
      "are prefixed with '.",
    operationId: 'exportGradebook',
    errors: { 401: UNAUTHORIZED, 403: MANAGER_403, 404: 'Course not found', 422: 'course_id is not a UUID' },
  })
  @ApiProduces('text/csv')
  @ApiOkResponse({
    description: 'text/csv; header=present, `Content-Disposition: attachment`',
    content: { 'text/csv': { schema: { type: 'string' } } },
  })
  async gradebook(
    @CurrentUser() caller: AuthUser,
    @Param('course_id', uuidParam('course_id')) courseId: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.analytics.managedCourse(caller, courseId);
    await reply
      .status(200)
      .header('Content-Type', 'text/csv; charset=utf-8; header=present')
      .header('Content-Disposition', `attachment; filename="gradebook-${courseId}.csv"`)
      .header('Cache-Control', 'private, no-store')
      .send(Readable.from(this.analytics.gradebook(courseId)));
  }

  @Get('quizzes/:quiz_id/items')
  @Authenticated()
  @Endpoint({
    summary: 'Item analysis of a quiz (admin or the owning instructor)',
    description:
      "Computed from the quiz's graded attempts (its index, no table scan); cached 60 s per viewer. Essays report " +
      'mean points only.',
    operationId: 'getQuizItemAnalysis',
    errors: {
      401: UNAUTHORIZED,
      403: 'Students: "Insufficient permissions"; other instructors: "Not authorized to view analytics for this quiz"',
      404: 'Quiz not found',
      422: 'quiz_id is not a UUID',
    },
  })
  @ApiOkResponse({ type: QuizItemsDto })
  quizItems(
    @CurrentUser() caller: AuthUser,
    @Param('quiz_id', uuidParam('quiz_id')) quizId: string,
  ): Promise<QuizItemsDto> {
    return this.analytics.quizItems(caller, quizId);
  }

  @Get('instructors/:instructor_id/overview')
  @Authenticated()
  @Endpoint({
    summary: "An instructor's overview (admin, or the instructor for their own id; live rollups)",
    operationId: 'getInstructorOverview',
    errors: {
      401: UNAUTHORIZED,
      403: 'Students: "Insufficient permissions"; other instructors: "Not authorized to view this instructor overview"',
      422: 'instructor_id is not a UUID',
    },
  })
  @ApiOkResponse({ type: InstructorOverviewDto })
  instructor(
    @CurrentUser() caller: AuthUser,
    @Param('instructor_id', uuidParam('instructor_id')) instructorId: string,
  ): Promise<InstructorOverviewDto> {
    return this.analytics.instructorOverview(caller, instructorId);
  }

  @Get('system/overview')
  @Authenticated()
  @Endpoint({
    summary: 'System-wide counts (admin; counters kept in the writing transaction)',
    operationId: 'getSystemOverview',
    errors: { 401: UNAUTHORIZED, 403: 'Only admins can access system overview' },
  })
  @ApiOkResponse({ type: SystemOverviewDto })
  system(@CurrentUser() caller: AuthUser): Promise<SystemOverviewDto> {
    return this.analytics.systemOverview(caller);
  }
}
