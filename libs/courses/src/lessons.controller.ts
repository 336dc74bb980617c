import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post } from '@nestjs/common';
import {
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { Authenticated, CurrentUser, Idempotent, Public, type AuthUser, uuidParam, PROBLEM_SCHEMA_REF } from '#core';
import { CreateLessonDto, LessonListResponseDto, LessonResponseDto, UpdateLessonDto } from './dto/lesson.dto.js';
import { LessonsService } from './lessons.service.js';

const PROBLEM = PROBLEM_SCHEMA_REF;

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
  @ApiOperation({
    summary: "A course's lessons, by order_index",
    description:
      'Optional auth. Everyone sees every lesson of a published course; an unpublished course is ' +
      'visible to its managers only (preview lessons included).',
  })
  @ApiOkResponse({ type: LessonListResponseDto })
  @ApiForbiddenResponse({ description: 'The course is unpublished and the caller is not its manager', schema: PROBLEM })
  @ApiNotFoundResponse({ description: 'Course not found', schema: PROBLEM })
  @ApiUnprocessableEntityResponse({ description: 'course_id is not a UUID', schema: PROBLEM })
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
  @ApiOperation({ summary: 'Add a lesson (course manager)' })
  @ApiBody({ type: CreateLessonDto })
  @ApiCreatedResponse({ type: LessonResponseDto })
  @ApiForbiddenResponse({ description: MANAGER_ONLY, schema: PROBLEM })
  @ApiNotFoundResponse({
    description: 'Course not found; or `parent_not_found`: parent_lesson_id does not exist',
    schema: PROBLEM,
  })
  @ApiConflictResponse({ description: '`order_conflict`: order_index is taken in this course', schema: PROBLEM })
  @ApiUnprocessableEntityResponse({
    description:
      'Validation failed; `invalid_video_url`; `video_url_not_allowed` (not a video lesson); ' +
      '`parent_other_course`; course_id is not a UUID',
    schema: PROBLEM,
  })
  create(
    @Param('course_id', uuidParam('course_id')) courseId: string,
    @CurrentUser() user: AuthUser,
    @Body() body: CreateLessonDto,
  ): Promise<LessonResponseDto> {
    return this.lessons.create(courseId, user, body);
  }

  @Get('lessons/:id')
  @Public()
  @ApiOperation({
    summary: 'A lesson',
    description: "Optional auth. Visible when the lesson's course is published, or to the course's managers.",
  })
  @ApiOkResponse({ type: LessonResponseDto })
  @ApiForbiddenResponse({ description: 'The course is unpublished and the caller is not its manager', schema: PROBLEM })
  @ApiNotFoundResponse({ description: 'Lesson not found', schema: PROBLEM })
  @ApiUnprocessableEntityResponse({ description: 'id is not a UUID', schema: PROBLEM })
  get(@Param('id', uuidParam('id')) id: string, @CurrentUser() user: AuthUser | undefined): Promise<LessonResponseDto> {
    return this.lessons.get(id, user);
  }

  @Patch('lessons/:id')
  @Authenticated()
  @ApiOperation({
    summary: 'Update a lesson (course manager)',
    description:
      'Absent fields are unchanged; null clears description, content, parent_lesson_id, duration_minutes ' +
      'and video_url; title, slug, lesson_type, order_index and is_preview cannot be null. Changing ' +
      'lesson_type to a non-video type without sending video_url clears video_url.',
  })
  @ApiBody({ type: UpdateLessonDto })
  @ApiOkResponse({ type: LessonResponseDto })
  @ApiForbiddenResponse({ description: MANAGER_ONLY, schema: PROBLEM })
  @ApiNotFoundResponse({ description: 'Lesson not found; or `parent_not_found`', schema: PROBLEM })
  @ApiConflictResponse({ description: '`order_conflict`: order_index is taken in this course', schema: PROBLEM })
  @ApiUnprocessableEntityResponse({
    description:
      'Validation failed (`not_null` for fields that cannot be cleared); `lesson_cycle`; `parent_other_course`; ' +
      '`invalid_video_url`; `video_url_not_allowed`; id is not a UUID',
    schema: PROBLEM,
  })
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
  @ApiOperation({ summary: 'Delete a lesson (course manager)', description: 'Its child lessons lose their parent.' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiForbiddenResponse({ description: MANAGER_ONLY, schema: PROBLEM })
  @ApiNotFoundResponse({ description: 'Lesson not found', schema: PROBLEM })
  @ApiUnprocessableEntityResponse({ description: 'id is not a UUID', schema: PROBLEM })
  async remove(@Param('id', uuidParam('id')) id: string, @CurrentUser() user: AuthUser): Promise<void> {
    await this.lessons.remove(id, user);
  }
}
