import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentUser, Idempotent, Public, type AuthUser, uuidParam, Endpoint } from '#core';
import { CreateLessonDto, LessonListResponseDto, LessonResponseDto, UpdateLessonDto } from './dto/lesson.dto.js';
import { LessonsService } from './lessons.service.js';

const MANAGER_ONLY = 'Not a manager of the course (an admin or the owning instructor)';

/**
 * Lessons: read by anyone who may see the course (published, or its managers), written by the
 * course's managers.
 */
@ApiTags('lessons')
@Controller()
export class LessonsController {
  constructor(@Inject(LessonsService) private readonly lessons: LessonsService) {}

  @Get('courses/:course_id/lessons')
  @Public()
  @Endpoint({
    summary: "A course's lessons, by order_index",
    description:
      'Optional auth. Everyone sees every lesson of a published course; an unpublished course is ' +
      'visible to its managers only (preview lessons included).',
    operationId: 'listLessons',
    optionalAuth: true,
    errors: {
      403: 'The course is unpublished and the caller is not its manager',
      404: 'Course not found',
      422: 'course_id is not a UUID',
    },
  })
  @ApiOkResponse({ type: LessonListResponseDto })
  list(
    @Param('course_id', uuidParam('course_id')) courseId: string,
    @CurrentUser() user: AuthUser | undefined,
  ): Promise<LessonListResponseDto> {
    return this.lessons.list(courseId, user);
  }

  @Post('courses/:course_id/lessons')
  @HttpCode(201)
  @Authenticated()
  @Idempotent()
  @Endpoint({
    summary: 'Add a lesson (course manager)',
    operationId: 'createLesson',
    errors: {
      403: MANAGER_ONLY,
      404: 'Course not found; or `parent_not_found`: parent_lesson_id does not exist',
      409: '`order_conflict`: order_index is taken in this course',
      422:
        'Validation failed; `invalid_video_url`; `video_url_not_allowed` (not a video lesson); ' +
        '`parent_other_course`; course_id is not a UUID',
    },
  })
  @ApiBody({ type: CreateLessonDto })
  @ApiCreatedResponse({ type: LessonResponseDto })
  create(
    @Param('course_id', uuidParam('course_id')) courseId: string,
    @CurrentUser() user: AuthUser,
    @Body() body: CreateLessonDto,
  ): Promise<LessonResponseDto> {
    return this.lessons.create(courseId, user, body);
  }

  @Get('lessons/:id')
  @Public()
  @Endpoint({
    summary: 'A lesson',
    description: "Optional auth. Visible when the lesson's course is published, or to the course's managers.",
    operationId: 'getLesson',
    optionalAuth: true,
    errors: {
      403: 'The course is unpublished and the caller is not its manager',
      404: 'Lesson not found',
      422: 'id is not a UUID',
    },
  })
  @ApiOkResponse({ type: LessonResponseDto })
  get(@Param('id', uuidParam('id')) id: string, @CurrentUser() user: AuthUser | undefined): Promise<LessonResponseDto> {
    return this.lessons.get(id, user);
  }

  @Patch('lessons/:id')
  @Authenticated()
  @Endpoint({
    summary: 'Update a lesson (course manager)',
    description:
      'Absent fields are unchanged; null clears description, content, parent_lesson_id, duration_minutes ' +
      'and video_url; title, slug, lesson_type, order_index and is_preview cannot be null. Changing ' +
      'lesson_type to a non-video type without sending video_url clears video_url.',
    operationId: 'updateLesson',
    errors: {
      403: MANAGER_ONLY,
      404: 'Lesson not found; or `parent_not_found`',
      409: '`order_conflict`: order_index is taken in this course',
      422:
        'Validation failed (`not_null` for fields that cannot be cleared); `lesson_cycle`; `parent_other_course`; ' +
        '`invalid_video_url`; `video_url_not_allowed`; id is not a UUID',
    },
  })
  @ApiBody({ type: UpdateLessonDto })
  @ApiOkResponse({ type: LessonResponseDto })
  update(
    @Param('id', uuidParam('id')) id: string,
    @CurrentUser() user: AuthUser,
    @Body() body: UpdateLessonDto,
  ): Promise<LessonResponseDto> {
    return this.lessons.update(id, user, body);
  }

  @Delete('lessons/:id')
  @HttpCode(204)
  @Authenticated()
  @Endpoint({
    summary: 'Delete a lesson (course manager)',
    description: 'Its child lessons lose their parent.',
    operationId: 'deleteLesson',
    errors: { 403: MANAGER_ONLY, 404: 'Lesson not found', 422: 'id is not a UUID' },
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  async remove(@Param('id', uuidParam('id')) id: string, @CurrentUser() user: AuthUser): Promise<void> {
    await this.lessons.remove(id, user);
  }
}
