import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Put } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentUser, Idempotent, Public, type AuthUser, uuidParam, Endpoint } from '#core';
import { CreateQuestionDto, ReorderQuestionsDto, UpdateQuestionDto } from './dto/question.dto.js';
import { ManagedQuestionDto, PublicQuestionDto } from './question-views.js';
import { QuestionsService } from './questions.service.js';

const MANAGER_ONLY =
  'Not a manager of the course (an admin or the owning instructor): "Not authorized to manage quizzes for this course"';
const QUIZ_NOT_FOUND = '"Quiz not found", or "Quiz not found in this course"';
const BAD_IDS = 'course_id or quiz_id is not a UUID';
const INVALID_QUESTION =
  '`invalid_question`: the question breaks a rule of its type (detail: the rule; `errors[0].field`: options or ' +
  'correct_answer)';

/**
 * Questions of a quiz: the student view (never any answer data) for whoever may see the quiz; the
 * manager view and every write for the course's managers.
 */
@ApiTags('quizzes')
@Controller('courses/:course_id/quizzes/:quiz_id/questions')
export class QuestionsController {
  constructor(@Inject(QuestionsService) private readonly questions: QuestionsService) {}

  @Get()
  @Public()
  @Endpoint({
    summary: "A quiz's questions as students see them, by position",
    description:
      'Optional auth; the same access as GET of the quiz. Never includes is_correct, correct_answer or ' +
      'explanation. Cached per quiz for QUIZ_QUESTION_CACHE_TTL_SECONDS; writes clear the cache.',
    operationId: 'listQuestions',
    optionalAuth: true,
    errors: {
      403: 'The quiz or its course is unpublished and the caller is not a manager',
      404: QUIZ_NOT_FOUND,
      422: BAD_IDS,
    },
  })
  @ApiOkResponse({ type: [PublicQuestionDto] })
  list(
    @Param('course_id', uuidParam('course_id')) courseId: string,
    @Param('quiz_id', uuidParam('quiz_id')) quizId: string,
    @CurrentUser() user: AuthUser | undefined,
  ): Promise<PublicQuestionDto[]> {
    return this.questions.listPublic(courseId, quizId, user);
  }

  @Get('manage')
  @Authenticated()
  @Endpoint({
    summary: "A quiz's questions with their answers (course manager)",
    description: 'By position (order_index), with options’ is_correct, correct_answer and explanation.',
    operationId: 'listManagedQuestions',
    errors: { 403: MANAGER_ONLY, 404: QUIZ_NOT_FOUND, 422: BAD_IDS },
  })
  @ApiOkResponse({ type: [ManagedQuestionDto] })
  listManaged(
    @Param('course_id', uuidParam('course_id')) courseId: string,
    @Param('quiz_id', uuidParam('quiz_id')) quizId: string,
    @CurrentUser() user: AuthUser,
  ): Promise<ManagedQuestionDto[]> {
    return this.questions.listManaged(courseId, quizId, user);
  }

  @Post()
  @HttpCode(201)
  @Authenticated()
  @Idempotent()
  @Endpoint({
    summary: 'Add a question (course manager)',
    description:
      'Placed last (order_index = max + 1). Allowed on a published quiz too. Accepts an `Idempotency-Key` header.',
    operationId: 'createQuestion',
    errors: {
      400: INVALID_QUESTION,
      403: MANAGER_ONLY,
      404: QUIZ_NOT_FOUND,
      409: '`question_limit`: the quiz has 1000 questions',
      422: `Validation failed; ${BAD_IDS}`,
    },
  })
  @ApiBody({ type: CreateQuestionDto })
  @ApiCreatedResponse({ type: ManagedQuestionDto })
  create(
    @Param('course_id', uuidParam('course_id')) courseId: string,
    @Param('quiz_id', uuidParam('quiz_id')) quizId: string,
    @CurrentUser() user: AuthUser,
    @Body() body: CreateQuestionDto,
  ): Promise<ManagedQuestionDto> {
    return this.questions.create(courseId, quizId, user, body);
  }

  @Put('order')
  @Authenticated()
  @Endpoint({
    summary: 'Reorder the questions (course manager)',
    description:
      'question_ids must be exactly the quiz’s question ids, each once; they get positions 1..n in that order. ' +
      'Returns the manager view in the new order.',
    operationId: 'reorderQuestions',
    errors: {
      403: MANAGER_ONLY,
      404: QUIZ_NOT_FOUND,
      422: `\`invalid_order\`: a missing, repeated or foreign id; validation failed; ${BAD_IDS}`,
    },
  })
  @ApiBody({ type: ReorderQuestionsDto })
  @ApiOkResponse({ type: [ManagedQuestionDto] })
  reorder(
    @Param('course_id', uuidParam('course_id')) courseId: string,
    @Param('quiz_id', uuidParam('quiz_id')) quizId: string,
    @CurrentUser() user: AuthUser,
    @Body() body: ReorderQuestionsDto,
  ): Promise<ManagedQuestionDto[]> {
    return this.questions.reorder(courseId, quizId, user, body);
  }

  @Patch(':question_id')
  @Authenticated()
  @Endpoint({
    summary: 'Update a question (course manager)',
    description:
      'Absent fields are unchanged; null clears explanation, options, correct_answer and metadata; ' +
      'question_text, question_type and points cannot be null (422 `not_null`). The resulting type, options ' +
      'and correct_answer are validated together. Changing question_type without sending options or ' +
      'correct_answer drops what the new type cannot have.',
    operationId: 'updateQuestion',
    errors: {
      400: INVALID_QUESTION,
      403: MANAGER_ONLY,
      404: `${QUIZ_NOT_FOUND}; "Question not found"`,
      422: `Validation failed; ${BAD_IDS} (or question_id)`,
    },
  })
  @ApiBody({ type: UpdateQuestionDto })
  @ApiOkResponse({ type: ManagedQuestionDto })
  update(
    @Param('course_id', uuidParam('course_id')) courseId: string,
    @Param('quiz_id', uuidParam('quiz_id')) quizId: string,
    @Param('question_id', uuidParam('question_id')) questionId: string,
    @CurrentUser() user: AuthUser,
    @Body() body: UpdateQuestionDto,
  ): Promise<ManagedQuestionDto> {
    return this.questions.update(courseId, quizId, questionId, user, body);
  }

  @Delete(':question_id')
  @HttpCode(204)
  @Authenticated()
  @Endpoint({
    summary: 'Delete a question (course manager)',
    description: 'The questions after it move up one position (positions stay 1..n).',
    operationId: 'deleteQuestion',
    errors: {
      403: MANAGER_ONLY,
      404: `${QUIZ_NOT_FOUND}; "Question not found"`,
      409: '`quiz_has_attempts`: the quiz has attempts; `last_question`: the last question of a published quiz',
      422: `${BAD_IDS} (or question_id)`,
    },
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  async remove(
    @Param('course_id', uuidParam('course_id')) courseId: string,
    @Param('quiz_id', uuidParam('quiz_id')) quizId: string,
    @Param('question_id', uuidParam('question_id')) questionId: string,
    @CurrentUser() user: AuthUser,
  ): Promise<void> {
    await this.questions.remove(courseId, quizId, questionId, user);
  }
}
