import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import {
  ApiPaginatedResponse,
  Authenticated,
  CurrentUser,
  Idempotent,
  Public,
  type AuthUser,
  type Page,
  uuidParam,
  Endpoint,
} from '#core';
import { CoursesService } from './courses.service.js';
import { CourseResponseDto, CreateCourseDto, ListCoursesQueryDto, UpdateCourseDto } from './dto/course.dto.js';

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
  @Endpoint({
    summary: 'List courses, newest first',
    description:
      `${OPTIONAL_AUTH} Anonymous callers and students see published courses (\`mine\` is ignored); instructors ` +
      'published courses, or with `mine=true` only their own in any state; admins every course, or with ' +
      '`mine=true` their own. Blank filters are ignored; an unknown `category` gives an empty page. Cached per ' +
      'viewer for COURSE_CACHE_TTL_SECONDS (every parameter in the key); writes clear the cache.',
    operationId: 'listCourses',
    optionalAuth: true,
    errors: { 422: 'Bad page/page_size/difficulty_level/mine' },
  })
  @ApiPaginatedResponse(CourseResponseDto)
  list(@Query() query: ListCoursesQueryDto, @CurrentUser() user?: AuthUser): Promise<Page<CourseResponseDto>> {
    return this.courses.list(query, user);
  }

  @Get('slug/:slug')
  @Public()
  @Endpoint({
    summary: 'Get a course by slug',
    description: `${OPTIONAL_AUTH} Same rules as GET /courses/{id}.`,
    operationId: 'getCourseBySlug',
    optionalAuth: true,
    errors: { 403: 'Unpublished and the caller is not its manager', 404: 'Course not found' },
  })
  @ApiParam({ name: 'slug', type: String })
  @ApiOkResponse({ type: CourseResponseDto })
  getBySlug(@Param('slug') slug: string, @CurrentUser() user?: AuthUser): Promise<CourseResponseDto> {
    return this.courses.getBySlug(slug, user);
  }

  @Get(':id')
  @Public()
  @Endpoint({
    summary: 'Get a course',
    description: `${OPTIONAL_AUTH} An unpublished course is 403 for anyone but its managers (anonymous callers included).`,
    operationId: 'getCourse',
    optionalAuth: true,
    errors: { 403: 'Unpublished and the caller is not its manager', 404: 'Course not found', 422: 'id is not a UUID' },
  })
  @ApiOkResponse({ type: CourseResponseDto })
  get(@Param('id', idPipe) id: string, @CurrentUser() user?: AuthUser): Promise<CourseResponseDto> {
    return this.courses.getById(id, user);
  }

  @Post()
  @HttpCode(201)
  @Authenticated({ roles: ['admin', 'instructor'] })
  @Idempotent()
  @Endpoint({
    summary: 'Create a course (admin or instructor)',
    description:
      'Created unpublished, owned by the caller. Accepts an `Idempotency-Key` header. ' +
      'Unlike the original API, the server-maintained fields `is_published`, `instructor_id`, `total_reviews`, ' +
      '`total_quizzes`, `enrollment_count` and `average_rating` are not accepted (422 like any unknown field): ' +
      'publish with POST /courses/{id}/publish; counts and ratings come from enrollments.',
    operationId: 'createCourse',
    errors: {
      409: '`slug_taken`: the explicit slug is taken',
      422: 'Validation failed, unknown field, `unknown_category`, `unknown_prerequisite`',
    },
  })
  @ApiBody({
    type: CreateCourseDto,
    examples: {
      minimal: { summary: 'A draft with a title only', value: { title: 'Intro to Python' } },
      priced: {
        summary: 'A priced course in a category',
        value: {
          title: 'Intro to Python',
          category: 'programming',
          difficulty_level: 'beginner',
          price: '49.99',
          currency: 'USD',
          learning_objectives: ['Write and run a Python script'],
        },
      },
    },
  })
  @ApiCreatedResponse({ type: CourseResponseDto })
  create(@Body() body: CreateCourseDto, @CurrentUser() user: AuthUser): Promise<CourseResponseDto> {
    return this.courses.create(body, user);
  }

  @Patch(':id')
  @Authenticated({ roles: ['admin', 'instructor'] })
  @Endpoint({
    summary: "Update a course (admin or the course's instructor)",
    description:
      'Left-out fields are unchanged; an explicit null clears a nullable field (null title, price, ... is 422). ' +
      '`slug` and `is_published` are not accepted (use publish/unpublish). `prerequisite_course_ids` replaces the set.',
    operationId: 'updateCourse',
    errors: {
      403: 'Not a manager of the course',
      404: 'Course not found',
      422: 'Validation failed, unknown field, `unknown_category`, `unknown_prerequisite`, `prerequisite_self`, `prerequisite_cycle`',
    },
  })
  @ApiBody({ type: UpdateCourseDto })
  @ApiOkResponse({ type: CourseResponseDto })
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
  @Endpoint({
    summary: "Delete a course (admin or the course's instructor)",
    description: 'Cascades to lessons, enrollments, progress, quizzes, certificates and prerequisite links.',
    operationId: 'deleteCourse',
    errors: { 403: 'Not a manager of the course', 404: 'Course not found' },
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  async remove(@Param('id', idPipe) id: string, @CurrentUser() user: AuthUser): Promise<void> {
    await this.courses.remove(id, user);
  }

  @Post(':id/publish')
  @HttpCode(200)
  @Authenticated({ roles: ['admin', 'instructor'] })
  @Endpoint({
    summary: "Publish a course (admin or the course's instructor)",
    description:
      'Needs at least one lesson (422 `no_lessons`). Emits `course.published` (transactional outbox). ' +
      'Re-publishing is allowed and emits the event again.',
    operationId: 'publishCourse',
    errors: { 403: 'Not a manager of the course', 404: 'Course not found', 422: '`no_lessons`' },
  })
  @ApiOkResponse({ type: CourseResponseDto })
  publish(@Param('id', idPipe) id: string, @CurrentUser() user: AuthUser): Promise<CourseResponseDto> {
    return this.courses.publish(id, user);
  }

  @Post(':id/unpublish')
  @HttpCode(200)
  @Authenticated({ roles: ['admin', 'instructor'] })
  @Endpoint({
    summary: "Unpublish a course (admin or the course's instructor)",
    description: 'Idempotent.',
    operationId: 'unpublishCourse',
    errors: { 403: 'Not a manager of the course', 404: 'Course not found' },
  })
  @ApiOkResponse({ type: CourseResponseDto })
  unpublish(@Param('id', idPipe) id: string, @CurrentUser() user: AuthUser): Promise<CourseResponseDto> {
    return this.courses.unpublish(id, user);
  }
}
