import { Body, Controller, Get, HttpCode, Inject, Param, Patch, Post } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentUser, Idempotent, Public, type AuthUser, uuidParam, Endpoint } from '#core';
import { CreateQuizDto, QuizListResponseDto, QuizResponseDto, UpdateQuizDto } from './dto/quiz.dto.js';
import { QuizzesService } from './quizzes.service.js';

const MANAGER_ONLY =
  'Not a manager of the course (an admin or the owning instructor): "Not authorized to manage quizzes for this course"';
const QUIZ_NOT_FOUND = '"Quiz not found", or "Quiz not found in this course" (the quiz belongs to another course)';
const BAD_IDS = 'course_id or quiz_id is not a UUID';
const OPTIONAL_AUTH =
  'Optional auth: a valid access token widens what the caller sees (managers see unpublished quizzes); ' +
  'without one (or with a bad one) the caller is anonymous.';

/**
 * Quizzes of a course: read by anyone who may see them (published quiz in a published course, or
 * the course's managers), written by the course's managers.
 */
@ApiTags('quizzes')
@Controller('courses/:course_id/quizzes')
export class QuizzesController {
  constructor(@Inject(QuizzesService) private readonly quizzes: QuizzesService) {}

  @Get()
  @Public()
  @Endpoint({
    summary: "A course's quizzes, newest first",
    description:
      `${OPTIONAL_AUTH} Managers see every quiz; everyone else the published quizzes of a published course. ` +
      'Each quiz carries total_questions and total_points. Cached per course and audience for ' +
      'QUIZ_CACHE_TTL_SECONDS; quiz and question writes clear the cache.',
    operationId: 'listQuizzes',
    optionalAuth: true,
    errors: {
      403: 'The course is unpublished and the caller is not its manager: "Not authorized to view quizzes for this course"',
      404: 'Course not found',
      422: 'course_id is not a UUID',
    },
  })
  @ApiOkResponse({ type: QuizListResponseDto })
  list(
    @Param('course_id', uuidParam('course_id')) courseId: string,
    @CurrentUser() user: AuthUser | undefined,
  ): Promise<QuizListResponseDto> {
    return this.quizzes.list(courseId, user);
  }

  @Post()
  @HttpCode(201)
  @Authenticated()
  @Idempotent()
  @Endpoint({
    summary: 'Create a quiz for a lesson (course manager)',
    description:
      'Created unpublished (publish with POST .../publish once it has valid questions). One quiz per lesson; ' +
      'any lesson_type. Accepts an `Idempotency-Key` header. `is_published` is not accepted (422).',
    operationId: 'createQuiz',
    errors: {
      403: MANAGER_ONLY,
      404: '"Course not found"; "Lesson not found in this course"',
      409: '`quiz_exists`: "Lesson already has a quiz"',
      422: 'Validation failed (unknown fields included); course_id is not a UUID',
    },
  })
  @ApiBody({ type: CreateQuizDto })
  @ApiCreatedResponse({ type: QuizResponseDto })
  create(
    @Param('course_id', uuidParam('course_id')) courseId: string,
    @CurrentUser() user: AuthUser,
    @Body() body: CreateQuizDto,
  ): Promise<QuizResponseDto> {
    return this.quizzes.create(courseId, user, body);
  }

  @Get(':quiz_id')
  @Public()
  @Endpoint({
    summary: 'A quiz',
    description:
      `${OPTIONAL_AUTH} Visible to the course's managers, and to everyone when both the quiz and its course ` +
      'are published (unlike the original API, an unpublished course hides its quizzes too).',
    operationId: 'getQuiz',
    optionalAuth: true,
    errors: {
      403: 'The quiz or its course is unpublished and the caller is not a manager: "Not authorized to access this quiz"',
      404: QUIZ_NOT_FOUND,
      422: BAD_IDS,
    },
  })
  @ApiOkResponse({ type: QuizResponseDto })
  get(
    @Param('course_id', uuidParam('course_id')) courseId: string,
    @Param('quiz_id', uuidParam('quiz_id')) quizId: string,
    @CurrentUser() user: AuthUser | undefined,
  ): Promise<QuizResponseDto> {
    return this.quizzes.get(courseId, quizId, user);
  }

  @Patch(':quiz_id')
  @Authenticated()
  @Endpoint({
    summary: 'Update a quiz (course manager)',
    description:
      'Absent fields are unchanged; null clears description, time_limit_minutes (no limit) and max_attempts ' +
      '(unlimited); lesson_id, title, quiz_type, passing_score, shuffle_questions, shuffle_options and ' +
      'show_correct_answers cannot be null (422 `not_null`). `is_published` is not accepted (422): use ' +
      'POST .../publish and .../unpublish.',
    operationId: 'updateQuiz',
    errors: {
      403: MANAGER_ONLY,
      404: `${QUIZ_NOT_FOUND}; "Lesson not found in this course"`,
      409: '`quiz_exists`: the new lesson already has a quiz',
      422: `Validation failed (\`not_null\` for fields that cannot be cleared; unknown fields); ${BAD_IDS}`,
    },
  })
  @ApiBody({ type: UpdateQuizDto })
  @ApiOkResponse({ type: QuizResponseDto })
  update(
    @Param('course_id', uuidParam('course_id')) courseId: string,
    @Param('quiz_id', uuidParam('quiz_id')) quizId: string,
    @CurrentUser() user: AuthUser,
    @Body() body: UpdateQuizDto,
  ): Promise<QuizResponseDto> {
    return this.quizzes.update(courseId, quizId, user, body);
  }

  @Post(':quiz_id/publish')
  @HttpCode(200)
  @Authenticated()
  @Endpoint({
    summary: 'Publish a quiz (course manager)',
    description:
      'Needs at least one question, and every question must pass its type’s rules (checked with the quiz ' +
      'locked against concurrent question writes). Publishing a published quiz checks again and answers 200.',
    operationId: 'publishQuiz',
    errors: {
      400:
        '`quiz_not_publishable`: "Cannot publish quiz without questions", or "Cannot publish quiz with an invalid ' +
        'question at position N: <rule>" (with `question_id` and `position`)',
      403: MANAGER_ONLY,
      404: QUIZ_NOT_FOUND,
      422: BAD_IDS,
    },
  })
  @ApiOkResponse({ type: QuizResponseDto })
  publish(
    @Param('course_id', uuidParam('course_id')) courseId: string,
    @Param('quiz_id', uuidParam('quiz_id')) quizId: string,
    @CurrentUser() user: AuthUser,
  ): Promise<QuizResponseDto> {
    return this.quizzes.publish(courseId, quizId, user);
  }

  @Post(':quiz_id/unpublish')
  @HttpCode(200)
  @Authenticated()
  @Endpoint({
    summary: 'Unpublish a quiz (course manager)',
    description: 'Hides the quiz from everyone but the course’s managers; idempotent.',
    operationId: 'unpublishQuiz',
    errors: { 403: MANAGER_ONLY, 404: QUIZ_NOT_FOUND, 422: BAD_IDS },
  })
  @ApiOkResponse({ type: QuizResponseDto })
  unpublish(
    @Param('course_id', uuidParam('course_id')) courseId: string,
    @Param('quiz_id', uuidParam('quiz_id')) quizId: string,
    @CurrentUser() user: AuthUser,
  ): Promise<QuizResponseDto> {
    return this.quizzes.unpublish(courseId, quizId, user);
  }
}
