import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import {
  ApiPaginatedResponse,
  Authenticated,
  CurrentUser,
  Idempotent,
  Public,
  type AuthUser,
  type Page,
  uuidParam,
  PROBLEM_SCHEMA_REF,
} from '#core';
import { CoursesService } from './courses.service.js';
import { CourseResponseDto, CreateCourseDto, ListCoursesQueryDto, UpdateCourseDto } from './dto/course.dto.js';

const PROBLEM = PROBLEM_SCHEMA_REF;
const OPTIONAL_AUTH =
  'Optional auth: a valid access token widens what the caller sees (managers see unpublished courses); ' +
  'without one the caller is anonymous.';

const idPipe = uuidParam('id');

/** /courses: the catalog (public, optional auth) and course management (admins, owning instructors). */
@ApiTags('courses')
@Controller('courses')
export class CoursesController {
  constructor(@Inject(CoursesService) private readonly courses: CoursesService) {}

  @Get()
  @Public()
  @ApiOperation({
    summary: 'List courses, newest first',
    description:
      `${OPTIONAL_AUTH} Anonymous callers and students see published courses (\`mine\` is ignored); instructors ` +
      'published courses, or with `mine=true` only their own in any state; admins every course, or with ' +
      '`mine=true` their own. Blank filters are ignored; an unknown `category` gives an empty page. Cached per ' +
      'viewer for COURSE_CACHE_TTL_SECONDS (every parameter in the key); writes clear the cache.',
  })
  @ApiPaginatedResponse(CourseResponseDto)
  @ApiUnprocessableEntityResponse({
    description: 'Bad page/page_size/difficulty_level/mine',
    schema: PROBLEM,
  })
  list(@Query() query: ListCoursesQueryDto, @CurrentUser() user?: AuthUser): Promise<Page<CourseResponseDto>> {
    return this.courses.list(query, user);
  }

  @Get('slug/:slug')
  @Public()
  @ApiOperation({ summary: 'Get a course by slug', description: `${OPTIONAL_AUTH} Same rules as GET /courses/{id}.` })
  @ApiParam({ name: 'slug', type: String })
  @ApiOkResponse({ type: CourseResponseDto })
  @ApiNotFoundResponse({ description: 'Course not found', schema: PROBLEM })
  @ApiForbiddenResponse({ description: 'Unpublished and the caller is not its manager', schema: PROBLEM })
  getBySlug(@Param('slug') slug: string, @CurrentUser() user?: AuthUser): Promise<CourseResponseDto> {
    return this.courses.getBySlug(slug, user);
  }

  @Get(':id')
  @Public()
  @ApiOperation({
    summary: 'Get a course',
    description: `${OPTIONAL_AUTH} An unpublished course is 403 for anyone but its managers (anonymous callers included).`,
  })
  @ApiOkResponse({ type: CourseResponseDto })
  @ApiNotFoundResponse({ description: 'Course not found', schema: PROBLEM })
  @ApiForbiddenResponse({ description: 'Unpublished and the caller is not its manager', schema: PROBLEM })
  @ApiUnprocessableEntityResponse({ description: 'id is not a UUID', schema: PROBLEM })
  get(@Param('id', idPipe) id: string, @CurrentUser() user?: AuthUser): Promise<CourseResponseDto> {
    return this.courses.getById(id, user);
  }

  @Post()
  @HttpCode(201)
  @Authenticated({ roles: ['admin', 'instructor'] })
  @Idempotent()
  @ApiOperation({
    summary: 'Create a course (admin or instructor)',
    description:
      'Created unpublished, owned by the caller. Accepts an `Idempotency-Key` header. ' +
      'Unlike the original API, the server-maintained fields `is_published`, `instructor_id`, `total_reviews`, ' +
      '`total_quizzes`, `enrollment_count` and `average_rating` are not accepted (422 like any unknown field): ' +
      'publish with POST /courses/{id}/publish; counts and ratings come from enrollments.',
  })
  @ApiBody({ type: CreateCourseDto })
  @ApiCreatedResponse({ type: CourseResponseDto })
  @ApiConflictResponse({ description: '`slug_taken`: the explicit slug is taken', schema: PROBLEM })
  @ApiUnprocessableEntityResponse({
    description: 'Validation failed, unknown field, `unknown_category`, `unknown_prerequisite`',
    schema: PROBLEM,
  })
  create(@Body() body: CreateCourseDto, @CurrentUser() user: AuthUser): Promise<CourseResponseDto> {
    return this.courses.create(body, user);
  }

  @Patch(':id')
  @Authenticated({ roles: ['admin', 'instructor'] })
  @ApiOperation({
    summary: "Update a course (admin or the course's instructor)",
    description:
      'Left-out fields are unchanged; an explicit null clears a nullable field (null title, price, ... is 422). ' +
      '`slug` and `is_published` are not accepted (use publish/unpublish). `prerequisite_course_ids` replaces the set.',
  })
  @ApiBody({ type: UpdateCourseDto })
  @ApiOkResponse({ type: CourseResponseDto })
  @ApiNotFoundResponse({ description: 'Course not found', schema: PROBLEM })
  @ApiForbiddenResponse({ description: 'Not a manager of the course', schema: PROBLEM })
  @ApiUnprocessableEntityResponse({
    description:
      'Validation failed, unknown field, `unknown_category`, `unknown_prerequisite`, `prerequisite_self`, `prerequisite_cycle`',
    schema: PROBLEM,
  })
  update(
    @Param('id', idPipe) id: string,
    @Body() body: UpdateCourseDto,
    @CurrentUser() user: AuthUser,
  ): Promise<CourseResponseDto> {
    return this.courses.update(id, body, user);
  }

  @Delete(':id')
  @HttpCode(204)
  @Authenticated({ roles: ['admin', 'instructor'] })
  @ApiOperation({
    summary: "Delete a course (admin or the course's instructor)",
    description: 'Cascades to lessons, enrollments, progress, quizzes, certificates and prerequisite links.',
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ description: 'Course not found', schema: PROBLEM })
  @ApiForbiddenResponse({ description: 'Not a manager of the course', schema: PROBLEM })
  async remove(@Param('id', idPipe) id: string, @CurrentUser() user: AuthUser): Promise<void> {
    await this.courses.remove(id, user);
  }

  @Post(':id/publish')
  @HttpCode(200)
  @Authenticated({ roles: ['admin', 'instructor'] })
  @ApiOperation({
    summary: "Publish a course (admin or the course's instructor)",
    description:
      'Needs at least one lesson (422 `no_lessons`). Emits `course.published` (transactional outbox). ' +
      'Re-publishing is allowed and emits the event again.',
  })
  @ApiOkResponse({ type: CourseResponseDto })
  @ApiNotFoundResponse({ description: 'Course not found', schema: PROBLEM })
  @ApiForbiddenResponse({ description: 'Not a manager of the course', schema: PROBLEM })
  @ApiUnprocessableEntityResponse({ description: '`no_lessons`', schema: PROBLEM })
  publish(@Param('id', idPipe) id: string, @CurrentUser() user: AuthUser): Promise<CourseResponseDto> {
    return this.courses.publish(id, user);
  }

  @Post(':id/unpublish')
  @HttpCode(200)
  @Authenticated({ roles: ['admin', 'instructor'] })
  @ApiOperation({ summary: "Unpublish a course (admin or the course's instructor)", description: 'Idempotent.' })
  @ApiOkResponse({ type: CourseResponseDto })
  @ApiNotFoundResponse({ description: 'Course not found', schema: PROBLEM })
  @ApiForbiddenResponse({ description: 'Not a manager of the course', schema: PROBLEM })
  unpublish(@Param('id', idPipe) id: string, @CurrentUser() user: AuthUser): Promise<CourseResponseDto> {
    return this.courses.unpublish(id, user);
  }
}
