import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Put } from '@nestjs/common';
import {
  ApiBadRequestResponse,
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
import { CreateQuestionDto, ReorderQuestionsDto, UpdateQuestionDto } from './dto/question.dto.js';
import { ManagedQuestionDto, PublicQuestionDto } from './question-views.js';
import { QuestionsService } from './questions.service.js';

const PROBLEM = PROBLEM_SCHEMA_REF;

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
  @ApiOperation({
    summary: "A quiz's questions as students see them, by position",
    description:
      'Optional auth; the same access as GET of the quiz. Never includes is_correct, correct_answer or ' +
      'explanation. Cached per quiz for QUIZ_QUESTION_CACHE_TTL_SECONDS; writes clear the cache.',
  })
  @ApiOkResponse({ type: [PublicQuestionDto] })
  @ApiForbiddenResponse({
    description: 'The quiz or its course is unpublished and the caller is not a manager',
    schema: PROBLEM,
  })
  @ApiNotFoundResponse({ description: QUIZ_NOT_FOUND, schema: PROBLEM })
  @ApiUnprocessableEntityResponse({ description: BAD_IDS, schema: PROBLEM })
  list(
    @Param('course_id', uuidParam('course_id')) courseId: string,
    @Param('quiz_id', uuidParam('quiz_id')) quizId: string,
    @CurrentUser() user: AuthUser | undefined,
  ): Promise<PublicQuestionDto[]> {
    return this.questions.listPublic(courseId, quizId, user);
  }

  @Get('manage')
  @Authenticated()
  @ApiOperation({
    summary: "A quiz's questions with their answers (course manager)",
    description: 'By position (order_index), with options’ is_correct, correct_answer and explanation.',
  })
  @ApiOkResponse({ type: [ManagedQuestionDto] })
  @ApiForbiddenResponse({ description: MANAGER_ONLY, schema: PROBLEM })
  @ApiNotFoundResponse({ description: QUIZ_NOT_FOUND, schema: PROBLEM })
  @ApiUnprocessableEntityResponse({ description: BAD_IDS, schema: PROBLEM })
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
  @ApiOperation({
    summary: 'Add a question (course manager)',
    description:
      'Placed last (order_index = max + 1). Allowed on a published quiz too. Accepts an `Idempotency-Key` header.',
  })
  @ApiBody({ type: CreateQuestionDto })
  @ApiCreatedResponse({ type: ManagedQuestionDto })
  @ApiBadRequestResponse({ description: INVALID_QUESTION, schema: PROBLEM })
  @ApiForbiddenResponse({ description: MANAGER_ONLY, schema: PROBLEM })
  @ApiNotFoundResponse({ description: QUIZ_NOT_FOUND, schema: PROBLEM })
  @ApiConflictResponse({ description: '`question_limit`: the quiz has 1000 questions', schema: PROBLEM })
  @ApiUnprocessableEntityResponse({ description: `Validation failed; ${BAD_IDS}`, schema: PROBLEM })
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
  @ApiOperation({
    summary: 'Reorder the questions (course manager)',
    description:
      'question_ids must be exactly the quiz’s question ids, each once; they get positions 1..n in that order. ' +
      'Returns the manager view in the new order.',
  })
  @ApiBody({ type: ReorderQuestionsDto })
  @ApiOkResponse({ type: [ManagedQuestionDto] })
  @ApiForbiddenResponse({ description: MANAGER_ONLY, schema: PROBLEM })
  @ApiNotFoundResponse({ description: QUIZ_NOT_FOUND, schema: PROBLEM })
  @ApiUnprocessableEntityResponse({
    description: `\`invalid_order\`: a missing, repeated or foreign id; validation failed; ${BAD_IDS}`,
    schema: PROBLEM,
  })
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
  @ApiOperation({
    summary: 'Update a question (course manager)',
    description:
      'Absent fields are unchanged; null clears explanation, options, correct_answer and metadata; ' +
      'question_text, question_type and points cannot be null (422 `not_null`). The resulting type, options ' +
      'and correct_answer are validated together. Changing question_type without sending options or ' +
      'correct_answer drops what the new type cannot have.',
  })
  @ApiBody({ type: UpdateQuestionDto })
  @ApiOkResponse({ type: ManagedQuestionDto })
  @ApiBadRequestResponse({ description: INVALID_QUESTION, schema: PROBLEM })
  @ApiForbiddenResponse({ description: MANAGER_ONLY, schema: PROBLEM })
  @ApiNotFoundResponse({ description: `${QUIZ_NOT_FOUND}; "Question not found"`, schema: PROBLEM })
  @ApiUnprocessableEntityResponse({ description: `Validation failed; ${BAD_IDS} (or question_id)`, schema: PROBLEM })
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
  @ApiOperation({
    summary: 'Delete a question (course manager)',
    description: 'The questions after it move up one position (positions stay 1..n).',
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiForbiddenResponse({ description: MANAGER_ONLY, schema: PROBLEM })
  @ApiNotFoundResponse({ description: `${QUIZ_NOT_FOUND}; "Question not found"`, schema: PROBLEM })
  @ApiConflictResponse({
    description: '`quiz_has_attempts`: the quiz has attempts; `last_question`: the last question of a published quiz',
    schema: PROBLEM,
  })
  @ApiUnprocessableEntityResponse({ description: `${BAD_IDS} (or question_id)`, schema: PROBLEM })
  async remove(
    @Param('course_id', uuidParam('course_id')) courseId: string,
    @Param('quiz_id', uuidParam('quiz_id')) quizId: string,
    @Param('question_id', uuidParam('question_id')) questionId: string,
    @CurrentUser() user: AuthUser,
  ): Promise<void> {
    await this.questions.remove(courseId, quizId, questionId, user);
  }
}
